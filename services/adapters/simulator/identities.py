"""Fictitious but valid Swedish identifiers and names, drawn from a seeded random source.

Every number passes the checks of `schemas.identifiers` (Luhn digit, real dates, digits 3-4 of
an organisationsnummer >= 20). Names are clearly made up ("Exempelsson", "Påhittab AB").
"""

from __future__ import annotations

import datetime
import random

from schemas.identifiers import (
    is_samordningsnummer,
    parse_address,
    parse_fastighetsbeteckning,
    parse_organisationsnummer,
)
from schemas.subjects import Industry
from services.adapters.simulator.places import Municipality


def luhn_digit(payload: str) -> int:
    """The check digit over nine digits (weights 2, 1, 2 ... from the left)."""
    total = 0
    for position, char in enumerate(payload):
        product = int(char) * (2 if position % 2 == 0 else 1)
        total += product - 9 if product > 9 else product
    return (10 - total % 10) % 10


def organisationsnummer(rng: random.Random, legal_form: int = 5) -> str:
    """'NNNNNN-NNNN' with legal-form group `legal_form` (5: aktiebolag, 9: handelsbolag)."""
    payload = f"{legal_form}{rng.randrange(10)}{rng.randrange(20, 100)}{rng.randrange(100_000):05d}"
    return parse_organisationsnummer(f"{payload[:6]}-{payload[6:]}{luhn_digit(payload)}")


def personnummer(rng: random.Random, birth_year: int, *, samordning: bool = False) -> str:
    """A 12-digit personnummer (or samordningsnummer: day + 60) born in `birth_year`."""
    born = datetime.date(birth_year, 1, 1) + datetime.timedelta(days=rng.randrange(365))
    day = born.day + (60 if samordning else 0)
    payload = f"{born:%y%m}{day:02d}{rng.randrange(1000):03d}"
    pnr = f"{born.year // 100}{payload}{luhn_digit(payload)}"
    assert is_samordningsnummer(pnr) == samordning
    return pnr


FIRST_NAMES = ("Testa", "Exempla", "Provi", "Fiktus", "Låtsa", "Demo", "Påhitta", "Attrappo", "Dikta",
               "Skena", "Mocka", "Imita")
SURNAMES = ("Exempelsson", "Testlund", "Provberg", "Påhittström", "Låtsasson", "Fiktivsson", "Demoberg",
            "Attrappsson", "Diktlund", "Skenström", "Mockelin", "Imitatorsson")
_COMPANY_WORDS = ("Påhitt", "Exempel", "Låtsas", "Fiktiv", "Test", "Prov", "Attrapp", "Sken", "Dikt",
                  "Demo", "Mock", "Kuliss")
TRADES: dict[Industry, tuple[str, ...]] = {
    Industry.CAR_WORKSHOP: ("Bilverkstad", "Motorservice", "Däck & Fälg", "Bilservice"),
    Industry.CAR_WASH: ("Biltvätt", "Handtvätt", "Bilrekond"),
    Industry.TATTOO_STUDIO: ("Tatuering", "Ink Studio"),
    Industry.NAIL_SALON: ("Nagelstudio", "Nails & Beauty", "Naglar"),
    Industry.HAIRDRESSER: ("Frisör", "Barbershop", "Hårsalong"),
    Industry.RESTAURANT: ("Pizzeria", "Restaurang", "Grill & Bar", "Sushi"),
    Industry.KIOSK: ("Kiosk", "Livs & Tobak", "Servicebutik"),
    Industry.FOOD_WHOLESALE: ("Livsmedelsgrossist", "Kött & Chark Grossist", "Import & Partihandel"),
    Industry.CONSTRUCTION_SITE: ("Bygg & Montage", "Bygg", "Plattsättning", "Fasad & Puts"),
    Industry.OTHER: ("Handel", "Tjänster"),
}


def person_name(rng: random.Random) -> tuple[str, str]:
    return rng.choice(FIRST_NAMES), rng.choice(SURNAMES)


def company_name(rng: random.Random, industry: Industry, town: str, *, legal_form: int | None,
                 owner_surname: str) -> str:
    """A made-up name: 'Påhitt Bilverkstad i Norrköping AB', 'Låtsas Biltvätt HB', or for a sole trader
    'Testlunds Biltvätt' (a sole trader's firm carries the owner's surname)."""
    trade = rng.choice(TRADES[industry])
    if legal_form is None:
        return f"{owner_surname}s {trade}"
    word = rng.choice(_COMPANY_WORDS)
    suffix = "HB" if legal_form == 9 else "AB"
    return f"{word} {trade} i {town} {suffix}" if rng.random() < 0.4 else f"{word} {trade} {suffix}"


def fastighetsbeteckning(rng: random.Random, town: Municipality) -> str:
    """'Norrköping Verkstaden 3:7', or a city-block designation without block number
    ('Linköping Druvan 7') for about one in five."""
    name = rng.choice(town.blocks)
    unit = rng.randrange(1, 40)
    text = f"{town.name} {name} {unit}" if rng.random() < 0.2 else (
        f"{town.name} {name} {rng.randrange(1, 12)}:{unit}")
    return parse_fastighetsbeteckning(text).display


def street_address(rng: random.Random, town: Municipality) -> str:
    """'Sandgatan 14 B, 602 22 Norrköping'."""
    street = rng.choice(town.streets)
    number = rng.randrange(1, 80)
    letter = f" {rng.choice('ABC')}" if rng.random() < 0.25 else ""
    postal = f"{rng.choice(town.postal_codes)} {rng.randrange(10, 100):02d}"
    text = f"{street} {number}{letter}, {postal} {town.name}"
    parse_address(text)
    return text


def spelling_variant(rng: random.Random, address: str) -> str:
    """The same address as another case system writes it ('Sandg. 14B, 60222 Norrköping'):
    it normalises to the same key. Returns `address` when no variant keeps the key."""
    street_part, _, tail = address.partition(", ")
    words = street_part.split(" ")
    name = words[0]
    if name.endswith("gatan") and rng.random() < 0.6:
        words[0] = name[: -len("gatan")] + "g."
    elif name.endswith("vägen") and rng.random() < 0.6:
        words[0] = name[: -len("vägen")] + "v."
    if len(words) >= 2 and len(words[-1]) == 1 and words[-1].isalpha():
        words[-2:] = [words[-2] + words[-1]]
    area, number, city = tail.split(" ", 2)
    variant = f"{' '.join(words)}, {area}{number} {city}"
    if parse_address(variant).key != parse_address(address).key:
        return address
    return variant
