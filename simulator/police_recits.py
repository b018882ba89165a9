"""Free-text narratives ("récits") of the municipal police, with planted personal data.

A narrative is assembled from parts: an opening (a named caller, often with a phone number, or a
patrol's own observation), a core sentence for the nature code, an optional vehicle sentence
with plates, an optional sentence naming the person implicated, and a closing. Some parts hold a
";" or double quotes, so the CSV quoting is exercised; none holds a line break, so one record
is always one physical line. Only latin-1 characters (no "oe" ligature, no curly apostrophe).
"""

from __future__ import annotations

import random

from simulator.pii import random_name, random_phone, random_plate
from simulator.truth import Planted

MOTIFS: dict[str, tuple[str, ...]] = {
    "TAP": ("du tapage nocturne", "de la musique amplifiée", "des nuisances sonores", "des bruits de fête"),
    "RIX": ("une rixe", "des violences sur la voie publique", "une bagarre"),
    "DEG": ("des dégradations", "des tags", "du vandalisme"),
    "VOL": ("un vol", "une tentative de vol", "un vol à l'arraché"),
    "STU": ("un trafic de stupéfiants", "une consommation de stupéfiants"),
    "IVP": ("une personne en état d'ivresse", "une ivresse sur la voie publique"),
    "STA": ("un stationnement gênant", "un véhicule mal stationné", "un stationnement dangereux"),
    "OVP": ("une occupation illicite du domaine public", "une vente à la sauvette"),
    "ACC": ("un accident de la circulation", "un accrochage"),
    "DIV": ("un différend", "un trouble de voisinage", "un conflit familial"),
    "AUT": ("une intervention diverse", "une assistance à personne"),
}

CORES: dict[str, tuple[str, ...]] = {
    "TAP": (
        "Musique forte provenant d'un appartement au {etage} étage.",
        "Fête dans un logement ; une vingtaine de personnes sur le balcon.",
        "Bruits de voix et de musique devant un établissement de nuit.",
        "Aboiements continus signalés par le voisinage.",
        "Regroupement bruyant au pied de l'immeuble, enceinte portative.",
    ),
    "RIX": (
        "Bagarre entre {nb} individus à la sortie d'un bar.",
        "Échauffourée sur la voie publique, une personne légèrement blessée au visage.",
        "Altercation violente entre deux groupes, dispersion à l'arrivée de l'équipage.",
        "Coups échangés à l'arrêt de bus ; les marins-pompiers prennent en charge un blessé.",
    ),
    "DEG": (
        "Vitrine d'un commerce brisée durant la nuit.",
        "Tags sur la façade d'une école et sur le mobilier urbain.",
        "Abribus endommagé, vitre au sol.",
        "Rétroviseurs arrachés sur {nb} véhicules en stationnement.",
        "Conteneurs à ordures incendiés, feu éteint par les marins-pompiers.",
    ),
    "VOL": (
        "Vol à l'arraché d'un téléphone portable, auteur en fuite à pied.",
        "Tentative de vol de scooter, antivol forcé.",
        "Vol à l'étalage signalé par le gérant du magasin.",
        "Sac dérobé en terrasse de café.",
        "Vol dans un véhicule, vitre arrière brisée.",
    ),
    "STU": (
        "Point de deal signalé en bas d'immeuble, guetteurs présents.",
        "Consommation de stupéfiants dans un hall d'immeuble.",
        "Odeur de cannabis et regroupement de {nb} jeunes dans la cage d'escalier.",
        "Découverte de seringues dans un square, ramassage sécurisé.",
    ),
    "IVP": (
        "Individu en état d'ivresse manifeste allongé sur le trottoir.",
        "Personne alcoolisée importunant les passants.",
        "Groupe alcoolisé sur la place, bouteilles en verre au sol.",
        "Homme titubant sur la chaussée, mis en sécurité.",
    ),
    "STA": (
        "Véhicule stationné sur un passage piéton.",
        "Stationnement en double file bloquant la circulation du bus.",
        "Véhicule garé sur une place réservée aux personnes handicapées.",
        "Stationnement sur le trottoir, passage des poussettes impossible.",
        "Véhicule ventouse signalé depuis plus de sept jours.",
    ),
    "OVP": (
        "Vente à la sauvette de cigarettes sur le trottoir.",
        "Terrasse débordant sur la chaussée au-delà de l'autorisation.",
        "Étal sauvage de fruits et légumes devant le marché.",
        "Installation de chaises et de tables sans autorisation sur la place.",
    ),
    "ACC": (
        "Accrochage entre deux véhicules au carrefour, dégâts matériels.",
        "Collision entre un scooter et une voiture, conducteur du deux-roues blessé léger.",
        "Piéton renversé sur le passage protégé, conscient.",
        "Chute d'un cycliste sur la voie de bus.",
    ),
    "DIV": (
        "Différend entre voisins au sujet d'un dégât des eaux au {etage} étage.",
        "Dispute entre un client et un commerçant.",
        "Conflit de voisinage pour des nuisances répétées ; médiation sur place.",
        "Différend entre conducteurs après une manoeuvre.",
    ),
    "AUT": (
        "Objet abandonné signalé, périmètre de sécurité mis en place.",
        "Animal errant sur la voie publique.",
        "Personne âgée désorientée raccompagnée à son domicile.",
        "Encombrants déposés sur la chaussée.",
        "Assistance à une personne en difficulté.",
    ),
}

OPENINGS_CALLER_PHONE: tuple[str, ...] = (
    "Appel de {civ} {name} ({tel}) pour {motif}.",
    "Requérant : {civ} {name}, tél. {tel}, signale {motif}.",
    "{civ} {name}, joignable au {tel}, signale {motif}.",
)
OPENINGS_CALLER: tuple[str, ...] = (
    "Appel de {civ} {name} pour {motif}.",
    "Signalement de {civ} {name} via le CIC pour {motif}.",
)
OPENINGS_PATROL: tuple[str, ...] = (
    "Sur réquisition du CIC, intervention pour {motif}.",
    "Constat en patrouille pédestre : {motif}.",
    "Patrouille VTT requise pour {motif}.",
    "Signalement anonyme pour {motif}.",
)
VEHICLE: tuple[str, ...] = (
    "Véhicule {plate} stationné sur le trottoir.",
    "Véhicule immatriculé {plate} relevé sur place.",
    "Plaque relevée : {plate}.",
)
VEHICLE_BY_CODE: dict[str, tuple[str, ...]] = {
    "STA": (
        "Véhicule {plate} verbalisé, enlèvement demandé à la fourrière.",
        "Véhicule {plate} stationné sur le trottoir.",
    ),
    "ACC": ("Véhicule A : {plate} ; véhicule B : {plate2}.", "Véhicules impliqués : {plate} et {plate2}."),
}
IMPLICATED: tuple[str, ...] = (
    "Mis en cause : {mec}.",
    "Individu identifié : {mec}.",
    '{mec} déclare "ne pas être au courant".',
    "Contrôle d'identité de {mec}, rappel à la loi.",
)
CLOSINGS: tuple[str, ...] = (
    "Rappel à la loi effectué.",
    "Retour au calme à l'arrivée de l'équipage.",
    "Pas de suite.",
    "Affaire transmise à l'OPJ de permanence.",
    "Main courante clôturée.",
    "Rapport transmis au chef de poste.",
)
CLOSINGS_BY_CODE: dict[str, tuple[str, ...]] = {
    "STA": ("Procès-verbal électronique dressé.",),
    "ACC": ("Constat amiable rempli par les parties.", "Les marins-pompiers sont sur place."),
    "VOL": ("Victime orientée vers le commissariat pour dépôt de plainte.",),
}
ETAGES: tuple[str, ...] = ("1er", "2e", "3e", "4e", "5e", "6e", "7e", "8e")

P_CALLER = 0.5  # half the interventions follow a named caller
P_PHONE_GIVEN_CALLER = 0.6


def recit(code: str, implicated: str, p_plate: float, rnd: random.Random, planted: Planted) -> str:
    """One narrative for nature ``code``; ``implicated`` is the person column ("" if none)."""
    motif = rnd.choice(MOTIFS.get(code, MOTIFS["AUT"]))
    parts = []
    if rnd.random() < P_CALLER:
        name, civility = random_name(rnd)
        planted.names.add(name)
        if rnd.random() < P_PHONE_GIVEN_CALLER:
            phone = random_phone(rnd)
            planted.phones.add(phone)
            parts.append(rnd.choice(OPENINGS_CALLER_PHONE).format(civ=civility, name=name, tel=phone, motif=motif))
        else:
            parts.append(rnd.choice(OPENINGS_CALLER).format(civ=civility, name=name, motif=motif))
    else:
        parts.append(rnd.choice(OPENINGS_PATROL).format(motif=motif))
    parts.append(rnd.choice(CORES.get(code, CORES["AUT"])).format(etage=rnd.choice(ETAGES), nb=rnd.randint(2, 8)))
    if rnd.random() < p_plate:
        plate, plate2 = random_plate(rnd), random_plate(rnd)
        template = rnd.choice(VEHICLE_BY_CODE.get(code, VEHICLE))
        planted.plates.add(plate)
        if "{plate2}" in template:
            planted.plates.add(plate2)
        parts.append(template.format(plate=plate, plate2=plate2))
    if implicated and rnd.random() < 0.7:  # the agent does not always repeat the name
        parts.append(rnd.choice(IMPLICATED).format(mec=implicated))
    parts.append(rnd.choice(CLOSINGS_BY_CODE.get(code, ()) + CLOSINGS))
    return " ".join(parts)
