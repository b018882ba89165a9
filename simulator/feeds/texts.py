"""Free text written by partners' staff and by citizens, with planted personal data.

Each generator returns one line (no line break), in Latin-1-safe French (no "oe" ligature, no
curly quotes), sometimes holding a name, a phone number, a plate or an e-mail, every one of
which is added to ``planted``. Columns holding this text are declared ``redact`` or ``drop``.
"""

from __future__ import annotations

import random

from simulator.pii import random_email, random_name, random_phone, random_plate
from simulator.truth import Planted

CSU: dict[str, tuple[str, ...]] = {
    "OBJET_ABANDONNE": ("Sac abandonné au pied d'un banc, levée de doute demandée.", "Valise seule sur le quai depuis 20 minutes."),
    "ATTROUPEMENT": ("Regroupement d'une trentaine de personnes, ambiance tendue.", "Attroupement devant un commerce."),
    "RIXE": ("Bagarre entre plusieurs individus, un au sol.", "Échange de coups devant un bar."),
    "OBSTRUCTION_VOIE": ("Véhicule en panne bloquant la voie de bus.", "Benne de chantier débordant sur la chaussée."),
    "DEPOT_SAUVAGE": ("Dépôt d'encombrants sur le trottoir.", "Sacs d'ordures déposés au pied d'un arbre."),
    "ACCIDENT": ("Accrochage entre deux véhicules au carrefour.", "Scooter au sol, conducteur relevé."),
    "STATIONNEMENT_GENANT": ("Stationnement en double file prolongé.", "Véhicule sur le passage piéton."),
    "INCENDIE": ("Feu de poubelle, fumée visible.", "Départ de feu sur un conteneur."),
    "VENTE_SAUVETTE": ("Vente à la sauvette de cigarettes.", "Étal improvisé sur le trottoir."),
    "INTRUSION": ("Individus escaladant la grille d'un parc fermé.", "Intrusion sur un chantier."),
    "DEGRADATION": ("Tags en cours sur une façade.", "Vitre d'abribus brisée."),
    "PERSONNE_VULNERABLE": ("Personne allongée sur un banc, ne bouge pas.", "Personne âgée désorientée."),
}


def csu_comment(code: str, rnd: random.Random, planted: Planted) -> str | None:
    if rnd.random() < 0.35:
        return None
    text = rnd.choice(CSU.get(code, ("Événement signalé par l'opérateur.",)))
    if code in ("STATIONNEMENT_GENANT", "ACCIDENT", "OBSTRUCTION_VOIE") and rnd.random() < 0.5:
        plate = random_plate(rnd)
        planted.plates.add(plate)
        text += f" Véhicule {plate}."
    return text


ALLO: dict[str, tuple[str, ...]] = {
    "PROPRETE": ("Trottoir très sale depuis plusieurs jours.", "Poubelles débordantes non collectées.", "Déjections et détritus devant l'école."),
    "ENCOMBRANTS": ("Matelas et meubles déposés sur le trottoir.", "Demande d'enlèvement d'encombrants."),
    "VOIRIE": ("Nid-de-poule dangereux sur la chaussée.", "Plaque d'égout descellée.", "Trottoir défoncé après des travaux."),
    "ECLAIRAGE": ("Lampadaire éteint dans la rue depuis hier soir.", "Toute la rue est dans le noir.", "Éclairage public en panne devant le n°12."),
    "BRUIT": ("Musique très forte chaque nuit.", "Bruit de terrasse jusqu'à 2 h du matin.", "Travaux bruyants le dimanche."),
    "STATIONNEMENT": ("Voiture ventouse depuis trois semaines.", "Véhicule garé devant mon garage."),
    "ESPACES_VERTS": ("Arbre menaçant de tomber.", "Herbes hautes dans le square."),
    "TAGS": ("Tags sur la façade de l'immeuble.", "Graffitis sur le mur de l'école."),
    "ANIMAUX": ("Rats aperçus près des conteneurs.", "Pigeons en nombre sur le balcon."),
    "OCCUPATION_ESPACE_PUBLIC": ("Terrasse de café qui déborde sur le trottoir.", "Chantier sans autorisation apparente."),
    "AUTRE": ("Demande d'information sur un service municipal.", "Réclamation diverse."),
}


def allo_description(code: str, rnd: random.Random, planted: Planted) -> str:
    text = rnd.choice(ALLO.get(code, ALLO["AUTRE"]))
    roll = rnd.random()
    if code == "STATIONNEMENT" and roll < 0.6:
        plate = random_plate(rnd)
        planted.plates.add(plate)
        text += f" Immatriculation {plate}."
    elif roll < 0.12:
        phone = random_phone(rnd)
        planted.phones.add(phone)
        text += f" Merci de me rappeler au {phone}."
    elif roll < 0.2:
        name, civility = random_name(rnd)
        planted.names.add(name)
        text += f" Le voisin ({civility} {name}) est aussi concerné."
    elif roll < 0.24:
        email = random_email(rnd)
        planted.emails.add(email)
        text += f" Réponse souhaitée à {email}."
    return text


def pompiers_observation(code: str, rnd: random.Random, planted: Planted) -> str | None:
    if rnd.random() < 0.3:
        return None
    name, civility = random_name(rnd)
    planted.names.add(name)
    text = f"Requérant {civility} {name}"
    if rnd.random() < 0.5:
        phone = random_phone(rnd)
        planted.phones.add(phone)
        text += f", joignable au {phone}"
    text += {"AVP": ", deux véhicules impliqués", "INC_HABITATION": ", fumées au 3e étage", "SAP_VP": ", victime sur la voie publique"}.get(code, "")
    return text + "."


RTM: dict[str, tuple[str, ...]] = {
    "AGRESSION_AGENT": ("Conducteur pris à partie par un voyageur.", "Agent de contrôle bousculé."),
    "AGRESSION_VOYAGEUR": ("Voyageur agressé sur le quai.", "Vol avec violence dans la rame."),
    "INCIVILITE": ("Voyageur fumant dans la rame.", "Refus de présenter un titre de transport."),
    "COLIS_SUSPECT": ("Bagage abandonné, périmètre de sécurité.", "Colis suspect sous un siège."),
    "MALAISE_VOYAGEUR": ("Malaise d'un voyageur, secours appelés.", "Voyageur en détresse sur le quai."),
    "PANNE_MATERIEL": ("Panne de porte sur la rame.", "Escalier mécanique à l'arrêt."),
    "INTRUSION_VOIES": ("Personne sur les voies, coupure de courant.", "Intrusion dans le tunnel."),
    "VANDALISME": ("Vitre de rame rayée.", "Distributeur de titres dégradé."),
    "ACCIDENT_BUS": ("Accrochage avec un véhicule léger.", "Freinage d'urgence, voyageur blessé."),
    "AUTRE": ("Incident divers.", "Objet sur la voie."),
}


def rtm_comment(code: str, rnd: random.Random, planted: Planted) -> str | None:
    if rnd.random() < 0.25:
        return None
    text = rnd.choice(RTM.get(code, RTM["AUTRE"]))
    if code == "ACCIDENT_BUS" and rnd.random() < 0.7:
        plate = random_plate(rnd)
        planted.plates.add(plate)
        text += f" Tiers {plate}."
    elif code in ("AGRESSION_VOYAGEUR", "MALAISE_VOYAGEUR") and rnd.random() < 0.4:
        name, civility = random_name(rnd)
        planted.names.add(name)
        text += f" Victime : {civility} {name}."
    return text


APP: dict[str, tuple[str, ...]] = {
    "DEPOT_SAUVAGE": ("Encore un dépôt sauvage ici !", "Gravats abandonnés au bord de la route."),
    "TAG": ("Tag sur le mur.", "Nouveaux graffitis."),
    "NID_DE_POULE": ("Trou énorme sur la chaussée, danger pour les deux-roues.",),
    "ECLAIRAGE": ("Lampadaire en panne.", "Rue sans lumière."),
    "STATIONNEMENT": ("Voiture sur le trottoir.", "Stationnement sur la piste cyclable."),
    "BRUIT": ("Nuisances sonores la nuit.",),
    "PROPRETE": ("Poubelles pleines.", "Trottoir sale après le marché."),
    "MOBILIER_URBAIN": ("Banc cassé.", "Potelet arraché."),
    "VEGETATION": ("Branches qui gênent le passage.",),
    "AUTRE": ("Problème signalé.",),
}


def app_description(code: str, rnd: random.Random, planted: Planted) -> str | None:
    if rnd.random() < 0.3:
        return None
    text = rnd.choice(APP.get(code, APP["AUTRE"]))
    roll = rnd.random()
    if code == "STATIONNEMENT" and roll < 0.4:
        plate = random_plate(rnd)
        planted.plates.add(plate)
        text += f" {plate}"
    elif roll < 0.05:
        phone = random_phone(rnd)
        planted.phones.add(phone)
        text += f" Contact : {phone}"
    elif roll < 0.1:
        name = random_name(rnd)[0]
        planted.names.add(name)
        text += f" Signalé par {name}"
    return text
