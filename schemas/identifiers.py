"""Swedish identifiers that agencies correlate on, parsed into one canonical form each.

Agencies write the same organisation, person, property or address in many ways; a finding from
one agency only meets another's if both reduce the identifier to the same string. Every parser
here either returns that canonical form or raises `IdentifierError` saying what is wrong and
what a correct value looks like. Nothing here reads the clock: rules that depend on the date
(the century of a 10-digit personnummer) take `today` from the caller.

Error messages about a personnummer do not repeat it (at most an impossible date part),
because error messages end up in logs. Models holding one should also set
`hide_input_in_errors=True`, or pydantic will echo the input in its `ValidationError`.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import re
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass
from typing import Annotated

from pydantic import AfterValidator, Field

__all__ = [
    "LEGAL_FORM_GROUPS",
    "Fastighetsbeteckning",
    "IdentifierError",
    "NormalisedAddress",
    "Organisationsnummer",
    "Personnummer",
    "birth_date",
    "is_samordningsnummer",
    "legal_form_group",
    "normalise_address",
    "parse_address",
    "parse_fastighetsbeteckning",
    "parse_organisationsnummer",
    "parse_personnummer",
    "parse_personnummer12",
    "pseudonymise",
]


class IdentifierError(ValueError):
    """An identifier that cannot be reduced to its canonical form.

    A `ValueError`, so pydantic validators turn it into an ordinary validation error.
    """


def _luhn_check_digit(payload: str) -> int:
    """The check digit of Skatteverket's and Bolagsverket's modulus-10 method.

    Weights 2, 1, 2, ... from the left over the nine payload digits; two-digit products
    count as the sum of their digits.
    """
    total = 0
    for position, char in enumerate(payload):
        product = int(char) * (2 if position % 2 == 0 else 1)
        total += product - 9 if product > 9 else product
    return (10 - total % 10) % 10


def _nfc(text: str) -> str:
    """Composed Unicode, so that 'ö' typed as 'o' + combining diaeresis gives the same key."""
    return unicodedata.normalize("NFC", text)


def _collapse(text: str) -> str:
    return " ".join(text.split())


# --- Organisationsnummer --------------------------------------------------------------------

LEGAL_FORM_GROUPS: dict[int, str] = {
    1: "dödsbo (estate of a deceased person)",
    2: "state, region, municipality or parish",
    3: "foreign company with business or property in Sweden",
    5: "aktiebolag (limited company)",
    6: "enkelt bolag (simple partnership)",
    7: "economic association, housing cooperative or joint property association",
    8: "non-profit association or foundation",
    9: "trading or limited partnership",
}
"""The legal-form groups (first digit). Group 4 has no published meaning but is accepted: the
assigning authorities, not this module, decide which numbers exist."""

_ORGNR = re.compile(r"(16)?([0-9]{6})-?([0-9]{4})")
_ORGNR_FORMS = "NNNNNN-NNNN, NNNNNNNNNN or the 12-digit form 16NNNNNN-NNNN"


def parse_organisationsnummer(text: str) -> str:
    """Canonical 'NNNNNN-NNNN' from any of the usual ways to write an organisationsnummer.

    A sole trader (enskild näringsidkare) has no organisationsnummer of their own: the
    business is identified by the owner's personnummer, which this rejects because its
    digits 3-4 are a month. Parse such numbers with `parse_personnummer` instead.
    """
    shown = text.strip()
    match = _ORGNR.fullmatch(shown)
    if match is None:
        if re.fullmatch(r"(18|19|20)[0-9]{6}-?[0-9]{4}", shown):
            raise IdentifierError(
                f"organisationsnummer '{shown}': a 12-digit organisationsnummer starts with 16;"
                " this looks like a personnummer (a sole trader is identified by one)"
            )
        raise IdentifierError(f"organisationsnummer '{shown}': expected {_ORGNR_FORMS}")
    digits = match.group(2) + match.group(3)
    if digits[0] == "0":
        raise IdentifierError(
            f"organisationsnummer '{shown}': first digit (legal-form group) is 0, expected 1-9"
        )
    if int(digits[2:4]) < 20:
        raise IdentifierError(
            f"organisationsnummer '{shown}': digits 3-4 are {digits[2:4]}, expected 20 or more;"
            " a number with a month there is a personnummer (a sole trader is identified by one)"
        )
    expected = _luhn_check_digit(digits[:9])
    if int(digits[9]) != expected:
        raise IdentifierError(
            f"organisationsnummer '{shown}': check digit is {digits[9]}, expected {expected}"
        )
    return f"{digits[:6]}-{digits[6:]}"


def legal_form_group(orgnr: str) -> int:
    """The legal-form group (first digit), e.g. 2 for public bodies and 5 for aktiebolag.

    Sole traders have none: they are identified by a personnummer, which is not accepted here.
    """
    return int(parse_organisationsnummer(orgnr)[0])


# --- Personnummer and samordningsnummer -----------------------------------------------------

_PNR12 = re.compile(r"([0-9]{8})-?([0-9]{4})")
_PNR10 = re.compile(r"([0-9]{6})([-+]?)([0-9]{4})")
_SAMORDNING_OFFSET = 60


def _parse_personnummer12(text: str) -> str:
    """Validate a 12-digit personnummer or samordningsnummer; return 'YYYYMMDDNNNC'.

    Independent of the current date, so event models can validate with it.
    """
    shown = text.strip()
    match = _PNR12.fullmatch(shown)
    if match is None:
        if _PNR10.fullmatch(shown):
            raise IdentifierError(
                "personnummer: the century is required; give the 12-digit form YYYYMMDDNNNC"
                " (or YYYYMMDD-NNNC)"
            )
        if re.fullmatch(r"[0-9]{8}\+[0-9]{4}", shown):
            raise IdentifierError(
                "personnummer: '+' belongs only in the 10-digit form; the 12-digit form is"
                " YYYYMMDDNNNC or YYYYMMDD-NNNC"
            )
        raise IdentifierError("personnummer: expected 12 digits, YYYYMMDDNNNC or YYYYMMDD-NNNC")
    pnr = match.group(1) + match.group(2)
    if pnr[:2] not in ("18", "19", "20"):
        hint = " (16 starts a 12-digit organisationsnummer)" if pnr[:2] == "16" else ""
        raise IdentifierError(f"personnummer: century is {pnr[:2]}, expected 18, 19 or 20{hint}")
    _birth_date_of(pnr)
    expected = _luhn_check_digit(pnr[2:11])
    if int(pnr[11]) != expected:
        raise IdentifierError(f"personnummer: check digit is {pnr[11]}, expected {expected}")
    return pnr


def _birth_date_of(pnr: str) -> datetime.date:
    year, month, day = int(pnr[:4]), int(pnr[4:6]), int(pnr[6:8])
    kind = "personnummer"
    if day > _SAMORDNING_OFFSET:
        day -= _SAMORDNING_OFFSET
        kind = "samordningsnummer"
    try:
        return datetime.date(year, month, day)
    except ValueError:
        raise IdentifierError(
            f"{kind}: {pnr[:8]} is not a real date (YYYYMMDD; a samordningsnummer adds 60 to"
            " the day)"
        ) from None


def _century_for(yymmdd: str, separator: str, today: datetime.date) -> int:
    """The four-digit birth year of a 10-digit number, by Skatteverket's separator rule.

    '+' is used from the calendar year in which the person turns 100 (folkbokföringslagen
    18 §), so it means a birth year at least 100 years before today's year. '-' or no
    separator means the most recent year that does not put the birth date after today.
    """
    yy, month, day = int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:6])
    if day > _SAMORDNING_OFFSET:
        day -= _SAMORDNING_OFFSET
    if separator == "+":
        latest = today.year - 100
        return latest - (latest - yy) % 100
    year = today.year - (today.year - yy) % 100
    if (year, month, day) > (today.year, today.month, today.day):
        year -= 100
    return year


def parse_personnummer(text: str, *, today: datetime.date) -> str:
    """Canonical 'YYYYMMDDNNNC' from a personnummer or samordningsnummer in any usual form.

    Accepts YYYYMMDDNNNC, YYYYMMDD-NNNC, YYMMDD-NNNC, YYMMDDNNNC and YYMMDD+NNNC. The
    10-digit forms do not say the century, so it is inferred relative to `today`.
    """
    shown = text.strip()
    short = _PNR10.fullmatch(shown)
    if short is not None:
        yymmdd, separator, tail = short.groups()
        year = _century_for(yymmdd, separator, today)
        pnr = _parse_personnummer12(f"{year:04d}{yymmdd[2:]}{tail}")
    elif _PNR12.fullmatch(shown) or re.fullmatch(r"[0-9]{8}\+[0-9]{4}", shown):
        pnr = _parse_personnummer12(shown)
    else:
        raise IdentifierError(
            "personnummer: expected YYYYMMDD-NNNC, YYYYMMDDNNNC, YYMMDD-NNNC, YYMMDDNNNC"
            " or YYMMDD+NNNC (aged 100 or more)"
        )
    if _birth_date_of(pnr) > today:
        raise IdentifierError(f"personnummer: birth date {pnr[:8]} is after {today:%Y%m%d}")
    return pnr


def parse_personnummer12(text: str) -> str:
    """Canonical 'YYYYMMDDNNNC' from a 12-digit personnummer or samordningsnummer only.

    Independent of the current date: what pseudonyms are computed from."""
    return _parse_personnummer12(text)


def is_samordningsnummer(pnr12: str) -> bool:
    """Whether the number is a samordningsnummer (day of birth + 60), not a personnummer."""
    return int(_parse_personnummer12(pnr12)[6:8]) > _SAMORDNING_OFFSET


def birth_date(pnr12: str) -> datetime.date:
    """The birth date a 12-digit personnummer or samordningsnummer encodes."""
    return _birth_date_of(_parse_personnummer12(pnr12))


Organisationsnummer = Annotated[
    str,
    AfterValidator(parse_organisationsnummer),
    Field(description="Organisationsnummer, canonical NNNNNN-NNNN", examples=["556036-0793"]),
]
"""Accepts every form `parse_organisationsnummer` does and stores the canonical one."""

Personnummer = Annotated[
    str,
    AfterValidator(_parse_personnummer12),
    Field(description="Personnummer or samordningsnummer, 12 digits YYYYMMDDNNNC"),
]
"""Only the 12-digit forms: a 10-digit number needs today's date to get its century, and a
stored event must mean the same thing whenever it is read."""


# --- Fastighetsbeteckning -------------------------------------------------------------------

_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")
_FASTIGHET = re.compile(r"(?P<words>.+?) (?:(?P<block>[0-9]+):)?(?P<unit>[0-9]+)")
_FASTIGHET_FORMS = (
    "expected '<area> <name> <block>:<unit>' or, for a city block, '<area> <name> <unit>',"
    " e.g. 'Norrköping Sandgatan 2:14'"
)


def _title(words: str) -> str:
    return " ".join(
        "-".join(part[:1].upper() + part[1:].lower() for part in word.split("-"))
        for word in words.split()
    )


@dataclass(frozen=True)
class Fastighetsbeteckning:
    """A property unit: registration area, district or city-block name, block and unit number.

    `block` is None for a city-block (kvarter) designation such as 'Linköping Druvan 7'.
    """

    area: str
    name: str
    block: int | None
    unit: int

    def __post_init__(self) -> None:
        if self.unit < 1 or (self.block is not None and self.block < 1):
            raise IdentifierError("fastighetsbeteckning: block and unit numbers start at 1")

    @property
    def display(self) -> str:
        number = str(self.unit) if self.block is None else f"{self.block}:{self.unit}"
        return f"{_title(self.area)} {_title(self.name)} {number}"

    @property
    def key(self) -> str:
        """Upper case, single spaces: equal for every way of writing the same property."""
        return self.display.upper()


def parse_fastighetsbeteckning(
    text: str, *, known_areas: Collection[str] | None = None
) -> Fastighetsbeteckning:
    """Split a fastighetsbeteckning into area, name and numbers.

    Names can have several words, so the trailing number part is split off and everything
    before it is area plus name. The area is the first word, unless `known_areas` (e.g. the
    registration areas of Lantmäteriet) lists a longer prefix such as 'Upplands Väsby'.
    """
    shown = _collapse(_nfc(text))
    normalised = re.sub(r"\s*:\s*", ":", shown)
    match = _FASTIGHET.fullmatch(normalised)
    if match is None:
        if normalised.endswith(":"):
            raise IdentifierError(
                f"fastighetsbeteckning '{shown}': the unit number after ':' is missing, "
                + _FASTIGHET_FORMS
            )
        raise IdentifierError(f"fastighetsbeteckning '{shown}': {_FASTIGHET_FORMS}")
    words = match["words"].split()
    for word in words:
        if not _WORD.fullmatch(word):
            raise IdentifierError(
                f"fastighetsbeteckning '{shown}': '{word}' is not part of a name; "
                + _FASTIGHET_FORMS
            )
    area_words = 1
    folded = [word.casefold() for word in words]
    for area in known_areas or ():
        candidate = _nfc(area).casefold().split()
        if len(candidate) > area_words and folded[: len(candidate)] == candidate:
            area_words = len(candidate)
    if len(words) <= area_words:
        raise IdentifierError(
            f"fastighetsbeteckning '{shown}': needs both a registration area and a name; "
            + _FASTIGHET_FORMS
        )
    block = None if match["block"] is None else int(match["block"])
    unit = int(match["unit"])
    if unit < 1 or (block is not None and block < 1):
        raise IdentifierError(f"fastighetsbeteckning '{shown}': block and unit numbers start at 1")
    return Fastighetsbeteckning(
        area=_title(" ".join(words[:area_words])),
        name=_title(" ".join(words[area_words:])),
        block=block,
        unit=unit,
    )


# --- Street addresses -----------------------------------------------------------------------

_POSTAL_CODE = re.compile(r"(?:SE?\s*-?\s*)?([1-9][0-9]{2})\s?([0-9]{2})", re.IGNORECASE)
_PREFIX_ABBREVIATIONS = {
    "S:T": "SANKT",
    "S:TA": "SANKTA",
    "ST:A": "STORA",
    "L:A": "LILLA",
    "G:LA": "GAMLA",
    "N:A": "NORRA",
    "S:A": "SÖDRA",
    "Ö:A": "ÖSTRA",
    "V:A": "VÄSTRA",
}
# Words that end in "g" on their own: a bare final "g" is read as "gatan" only if the word
# does not end in one of these ("Storg" is Storgatan, but "Björkväg" is not Björkväggatan).
_WORDS_ENDING_IN_G = ("VÄG", "BERG", "BORG", "STIG", "GÅNG", "RING", "ÄNG", "TORG", "SLAG")
_APARTMENT = re.compile(r"\b(?:LGH|LÄGENHET)\.?\s*(?:NR\.?\s*)?[0-9]+\b")
_FLOOR = re.compile(r"\b[0-9]+\s*(?:TR|TRAPPOR|TRAPPA)\b\.?")
_STREET = re.compile(r"(?P<name>.*?)(?: (?P<number>[0-9]+) ?(?P<letter>[A-Z])?)?")
_STREET_FORMS = "expected '<street name> <number>[<letter>]', e.g. 'Sandgatan 14 B'"


@dataclass(frozen=True)
class NormalisedAddress:
    """A street address in the upper-case form agencies correlate premises on."""

    street: str
    number: int | None
    letter: str | None
    postal_code: str | None
    city: str | None

    @property
    def key(self) -> str:
        """'STREET NUMBER LETTER|POSTCODE|CITY', empty fields left empty."""
        parts = [self.street, None if self.number is None else str(self.number), self.letter]
        street = " ".join(part for part in parts if part)
        return f"{street}|{self.postal_code or ''}|{self.city or ''}"


def _postal_code(text: str) -> str:
    match = _POSTAL_CODE.fullmatch(text.strip())
    if match is None:
        raise IdentifierError(
            f"postal code '{text.strip()}': expected five digits like '602 22' or '60222',"
            " optionally prefixed 'SE-'"
        )
    return match.group(1) + match.group(2)


def _city(text: str) -> str | None:
    city = _collapse(_nfc(text)).upper()
    if not city:
        return None
    if not all(_WORD.fullmatch(word) for word in city.split()):
        raise IdentifierError(f"city '{city}': expected a place name such as 'Norrköping'")
    return city


def _expand(word: str, *, last: bool) -> str:
    if word in _PREFIX_ABBREVIATIONS:
        return _PREFIX_ABBREVIATIONS[word]
    if word.endswith("G."):
        return word[:-1] + "ATAN"
    if word.endswith("V."):
        return word[:-1] + "ÄGEN"
    if (
        last
        and len(word) > 2
        and word.endswith("G")
        and (word == "STORG" or not word.endswith(_WORDS_ENDING_IN_G))
    ):
        return word + "ATAN"
    return word.rstrip(".")


def _street(text: str) -> tuple[str, int | None, str | None]:
    shown = _collapse(_nfc(text))
    upper = _FLOOR.sub(" ", _APARTMENT.sub(" ", shown.upper()))
    parts = [_collapse(part) for part in upper.split(",")]
    parts = [part for part in parts if part and not part.startswith("C/O")]
    if len(parts) != 1:
        raise IdentifierError(f"street '{shown}': {_STREET_FORMS}")
    match = _STREET.fullmatch(_collapse(parts[0].replace(".", ". ")))
    assert match is not None  # every string matches: the name part can take all of it
    words = match["name"].split()
    if not words or not all(any(char.isalpha() for char in word) for word in words):
        raise IdentifierError(f"street '{shown}': {_STREET_FORMS}")
    name = " ".join(_expand(word, last=index == len(words) - 1) for index, word in enumerate(words))
    if name == "BOX":
        raise IdentifierError(f"street '{shown}': a post-office box is not a street address")
    number = None if match["number"] is None else int(match["number"])
    if number == 0:
        raise IdentifierError(f"street '{shown}': street numbers start at 1")
    return name, number, match["letter"]


def normalise_address(
    street: str, postal_code: str | None = None, city: str | None = None
) -> NormalisedAddress:
    """Reduce an address to the form premises are correlated on.

    Expands the common abbreviations ('Sandg.' and 'Sandg' for Sandgatan, 'Storv.' for
    Storvägen, 'S:t' for Sankt, 'V:a' for Västra ...) and drops apartment and floor
    ('lgh 1102', '2 tr') and c/o parts, which name a part of the premises or a recipient.
    """
    name, number, letter = _street(street)
    return NormalisedAddress(
        street=name,
        number=number,
        letter=letter,
        postal_code=_postal_code(postal_code) if postal_code and postal_code.strip() else None,
        city=None if city is None else _city(city),
    )


_ADDRESS_TAIL = re.compile(
    r"(?P<street>.*?)[,\s]\s*"
    r"(?P<postal>(?:SE?\s*-?\s*)?[1-9][0-9]{2}\s?[0-9]{2})(?:\s*,\s*|\s+)"
    r"(?P<city>[^0-9,]+)",
    re.IGNORECASE,
)


def parse_address(text: str) -> NormalisedAddress:
    """Normalise a one-line address such as 'Sandgatan 14 B, 602 22 Norrköping'.

    Postal code and city are optional; a final comma part without digits is taken as the city.
    """
    shown = _collapse(_nfc(text))
    match = _ADDRESS_TAIL.fullmatch(shown)
    if match is not None:
        return normalise_address(match["street"], match["postal"], match["city"])
    head, comma, tail = shown.rpartition(",")
    if comma and head.strip() and tail.strip() and not any(char.isdigit() for char in tail):
        return normalise_address(head, None, tail)
    return normalise_address(shown)


# --- Pseudonyms -----------------------------------------------------------------------------

_KEY_ID = re.compile(r"[A-Za-z0-9_.-]{1,32}")
_MIN_KEY_BYTES = 32


def pseudonymise(personnummer12: str, key: bytes, *, key_id: str = "k1") -> str:
    """'psn:<key_id>:<hex HMAC-SHA256>' of the canonical 12-digit number: the first
    generation of pseudonyms (`psn:k1:`), made by every adapter with one shared key.

    Events stored with these stay valid, and the audit tools still compute them to find old
    entries; new pseudonyms are `psn:o1:` from the pseudonym service's OPRF (see
    `services.common.pseudonyms` and docs/security.md), because anyone holding this key
    can turn a pseudonym back into a number by trying every possible personnummer.
    """
    if len(key) < _MIN_KEY_BYTES:
        raise ValueError(
            f"pseudonym key is {len(key)} bytes, expected at least {_MIN_KEY_BYTES} random bytes"
        )
    if not _KEY_ID.fullmatch(key_id):
        raise ValueError(
            f"pseudonym key id {key_id!r}: expected 1-32 letters, digits, '_', '.' or '-'"
        )
    pnr = _parse_personnummer12(personnummer12)
    digest = hmac.new(key, pnr.encode("ascii"), hashlib.sha256).hexdigest()
    return f"psn:{key_id}:{digest}"
