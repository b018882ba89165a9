"""The personal data the simulator plants in partner files, so that privacy checks have a target.

Partners' free text is full of names, phone numbers and plates. The simulator plants them on
purpose, drawn from the vocabulary below, and records every planted value in the truth file. A
privacy scanner imports this module to know what to look for:

- ``FIRST_NAMES`` / ``LAST_NAMES``: the name vocabulary. Names are planted as "Prénom NOM" (last
  name in capitals, as police officers write it). Scan for the full pairs returned by
  :func:`planted_values`, not for single tokens: "Saint-Louis" or "boulevard Jean Moulin" are places.
- ``PHONE_RE``, ``PLATE_RE``, ``EMAIL_RE``: patterns matching what the simulator writes (and a
  little more, so that a scanner also catches the usual variants).

The generators (``random_*``) live here too so that the vocabulary, the patterns and what is
actually written cannot drift apart.
"""

from __future__ import annotations

import random
import re
from typing import Any

# Feminine first names first: the civility ("Mme" / "M.") in narratives follows the name.
FEMALE_FIRST_NAMES: tuple[str, ...] = (
    "Marie", "Sophie", "Julie", "Camille", "Nathalie", "Isabelle", "Nadia", "Fatima", "Yasmine",
    "Sarah", "Léa", "Chloé", "Emma", "Manon", "Inès", "Sandrine", "Valérie", "Céline", "Aurélie",
    "Élodie", "Sylvie", "Martine", "Josiane", "Samira", "Anaïs", "Lina", "Francesca", "Leïla",
    "Marie-Claire", "Christelle",
)
MALE_FIRST_NAMES: tuple[str, ...] = (
    "Jean", "Nicolas", "Thomas", "Laurent", "Karim", "Mohamed", "Mehdi", "Lucas", "Hugo",
    "Gabriel", "Maxime", "Christophe", "Stéphane", "Frédéric", "Sébastien", "Olivier", "Patrick",
    "Alain", "Rachid", "Bilal", "Sofiane", "Théo", "Rayan", "Giovanni", "Ahmed", "Jean-Pierre",
    "Franck", "Kevin", "Yanis", "Grégory",
)
FIRST_NAMES: tuple[str, ...] = FEMALE_FIRST_NAMES + MALE_FIRST_NAMES

# Common French surnames, with the Italian, Corsican, Maghrebi, Armenian and Vietnamese names
# that are frequent in Marseille. Written in capitals, as in police reports.
LAST_NAMES: tuple[str, ...] = (
    "MARTIN", "BERNARD", "DUBOIS", "THOMAS", "ROBERT", "RICHARD", "PETIT", "DURAND", "LEROY",
    "MOREAU", "SIMON", "LAURENT", "LEFEBVRE", "MICHEL", "GARCIA", "DAVID", "BERTRAND", "ROUX",
    "VINCENT", "FOURNIER", "MOREL", "GIRARD", "MERCIER", "DUPONT", "LAMBERT", "BONNET",
    "MARTINEZ", "LOPEZ", "ROSSI", "ESPOSITO", "SANTINI", "PAOLI", "COLONNA", "RUSSO", "FERRARI",
    "BIANCHI", "AMRANI", "BENALI", "HADDAD", "BOUZID", "MANSOURI", "KHELIFI", "CHERIF", "SAIDI",
    "BELKACEM", "NGUYEN", "TRAN", "ABDALLAH", "MOUSSA", "PETROSSIAN", "KEVORKIAN", "AGOPIAN",
    "GIRAUD", "BLANC", "FABRE", "AUBERT", "MEYER", "LEFÈVRE", "GUÉRIN", "MULLER",
)

# French numbers: 0 + 9 digits, written in pairs separated by spaces or dots, or packed;
# "+33 6 ..." is accepted too although the simulator does not write it.
# Word boundaries on both sides: a run of digits inside a hex pseudonym is not a phone number.
PHONE_RE: re.Pattern[str] = re.compile(r"(?<![\w+])(?:\+33 ?|0)[1-9](?:[ .]?\d{2}){4}(?!\w)")
# SIV plates (since 2009): two letters, three digits, two letters; I, O and U are never used.
PLATE_RE: re.Pattern[str] = re.compile(r"\b[A-HJ-NP-TV-Z]{2}[- ]\d{3}[- ][A-HJ-NP-TV-Z]{2}\b")
EMAIL_RE: re.Pattern[str] = re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b")

_PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTVWXYZ"
# Marseille landlines start 04 91 / 04 96 / 04 95 / 04 84; mobiles 06 / 07.
_LANDLINE_PREFIXES = ("0491", "0496", "0495", "0484")
_MOBILE_PREFIXES = ("06", "07")


def random_name(rnd: random.Random) -> tuple[str, str]:
    """A planted full name "Prénom NOM" and the civility that goes with it."""
    first = rnd.choice(FIRST_NAMES)
    civility = "Mme" if first in FEMALE_FIRST_NAMES else "M."
    return f"{first} {rnd.choice(LAST_NAMES)}", civility


def random_phone(rnd: random.Random) -> str:
    """A planted French phone number, written as agents type them (mostly "06 12 34 56 78")."""
    if rnd.random() < 0.8:
        digits = rnd.choice(_MOBILE_PREFIXES) + f"{rnd.randrange(10**8):08d}"
    else:
        digits = rnd.choice(_LANDLINE_PREFIXES) + f"{rnd.randrange(10**6):06d}"
    style = rnd.random()
    if style < 0.7:
        return " ".join(digits[i : i + 2] for i in range(0, 10, 2))
    if style < 0.9:
        return digits
    return ".".join(digits[i : i + 2] for i in range(0, 10, 2))


def random_plate(rnd: random.Random) -> str:
    """A planted SIV plate "AB-123-CD" (SS and WW are not issued as first pair)."""
    while True:
        head = rnd.choice(_PLATE_LETTERS) + rnd.choice(_PLATE_LETTERS)
        if head not in ("SS", "WW"):
            break
    tail = rnd.choice(_PLATE_LETTERS) + rnd.choice(_PLATE_LETTERS)
    return f"{head}-{rnd.randrange(1, 1000):03d}-{tail}"


# E-mail domains reserved for documentation (RFC 2606): planted addresses can never reach a real person.
EMAIL_DOMAINS: tuple[str, ...] = ("example.org", "example.net", "example.com")
_ASCII = str.maketrans("àâäçéèêëîïôöùûüÿ", "aaaceeeeiioouuuy")


def random_email(rnd: random.Random, name: str | None = None) -> str:
    """A planted e-mail, usually built from the person's name ("marie.martin42@example.org")."""
    if name is None:
        name = random_name(rnd)[0]
    first, last = name.lower().translate(_ASCII).split(" ", 1)
    first, last = first.replace("-", ""), last.replace(" ", "").replace("'", "")
    style = rnd.random()
    local = f"{first}.{last}" if style < 0.5 else f"{first[0]}{last}" if style < 0.75 else f"{first}{last}"
    if rnd.random() < 0.4:
        local += str(rnd.randrange(1, 100))
    return f"{local}@{rnd.choice(EMAIL_DOMAINS)}"


PLANTED_KINDS: tuple[str, ...] = ("names", "phones", "plates", "emails", "agent_ids", "user_ids")


def planted_values(truth: dict[str, Any]) -> set[str]:
    """Every distinct planted full name, phone, plate, e-mail, matricule and account id of a truth file."""
    planted = truth.get("planted", {})
    return {value for kind in PLANTED_KINDS for value in planted.get(kind, [])}
