"""Real Marseille street names (public facts) for the partners' address columns.

Addresses are only dressing: ingestion drops them, so they need not match the coordinates.
They must still look real, because a privacy scanner should be able to recognise them.
"""

from __future__ import annotations

import random

STREETS: tuple[str, ...] = (
    "La Canebière", "rue de la République", "boulevard Baille", "cours Julien", "rue de Rome",
    "rue Paradis", "rue Saint-Ferréol", "cours Belsunce", "rue d'Aubagne", "boulevard d'Athènes",
    "rue Longue des Capucins", "boulevard National", "boulevard de la Libération",
    "avenue du Prado", "boulevard Michelet", "rue Breteuil", "cours Lieutaud", "boulevard Chave",
    "rue Saint-Pierre", "boulevard Jean Moulin", "avenue de la Corse", "rue Sainte",
    "boulevard Charles Livon", "rue d'Endoume", "corniche Président John Fitzgerald Kennedy",
    "quai du Port", "quai de Rive-Neuve", "rue Caisserie", "boulevard des Dames",
    "boulevard de Paris", "rue de Lodi", "rue d'Italie", "boulevard Notre-Dame",
    "boulevard Périer", "avenue de Mazargues", "avenue de la Pointe Rouge", "boulevard Rabatau",
    "boulevard Romain Rolland", "boulevard de Saint-Loup", "avenue des Caillols",
    "avenue de Montolivet", "avenue de Château-Gombert", "boulevard de Plombières",
    "rue de Crimée", "avenue Camille Pelletan", "rue Félix Pyat", "boulevard de la Blancarde",
    "avenue des Chartreux", "avenue Foch", "rue Consolat", "rue Curiol", "rue Thubaneau",
    "rue de la Palud", "rue Sénac de Meilhan", "allées Léon Gambetta", "boulevard Garibaldi",
    "rue Tapis-Vert", "place Jean Jaurès", "rue de la Loge", "Grand Rue", "boulevard Vauban",
    "rue Fontange", "rue des Trois Mages", "boulevard Sakakini", "avenue de Toulon",
    "chemin du Roucas Blanc", "avenue de Hambourg", "boulevard Henri Barnier",
    "chemin de la Madrague-Ville", "boulevard Capitaine Gèze", "rue de Lyon",
    "avenue Roger Salengro", "rue Grignan", "rue Montgrand", "rue Sylvabelle",
    "rue Edmond Rostand", "avenue Clot-Bey", "boulevard Mireille Lauze", "boulevard Schloesing",
    "place Castellane",
)


def random_address(rnd: random.Random) -> str:
    """A "<number> <street>" address; low numbers are more common (every street has a n° 1)."""
    number = min(int(rnd.expovariate(1 / 40)) + 1, 250)
    suffix = " bis" if rnd.random() < 0.03 else ""
    return f"{number}{suffix} {rnd.choice(STREETS)}"
