"""The subjects events are about: a business, premises, a person.

A person is never named by a clear personnummer in an event: adapters send its pseudonym,
`psn:o1:...` from the platform's pseudonym service (`services.common.pseudonyms`; older events
carry `psn:k1:...`), so correlation works without the number.
A sole trader's organisationsnummer *is* a personnummer, so it travels as a pseudonym too.
"""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints, model_validator

from schemas.base import Contract
from schemas.categories import Category, category_field
from schemas.identifiers import (
    Organisationsnummer,
    parse_address,
    parse_fastighetsbeteckning,
)

Pseudonym = Annotated[str, StringConstraints(pattern=r"^psn:[A-Za-z0-9_.-]{1,32}:[0-9a-f]{64}$")]
ShortText = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]
Text = Annotated[str, StringConstraints(min_length=1, max_length=2000, strip_whitespace=True)]


@lru_cache(maxsize=65536)  # the same premises recur in many events; results are immutable
def _valid_fastighet(value: str) -> str:
    return parse_fastighetsbeteckning(value).display


@lru_cache(maxsize=65536)
def _valid_address(value: str) -> str:
    parse_address(value)
    return " ".join(value.split())


Fastighet = Annotated[str, StringConstraints(max_length=120), AfterValidator(_valid_fastighet), Field(
    description="Fastighetsbeteckning, e.g. 'Norrköping Sandgatan 2:14'.")]
AddressText = Annotated[str, StringConstraints(max_length=200), AfterValidator(_valid_address), Field(
    description="Street address with postal code and city, e.g. 'Sandgatan 14 B, 602 22 Norrköping'.")]


class Industry(StrEnum):
    CAR_WORKSHOP = "car_workshop"
    CAR_WASH = "car_wash"
    TATTOO_STUDIO = "tattoo_studio"
    NAIL_SALON = "nail_salon"
    HAIRDRESSER = "hairdresser"
    RESTAURANT = "restaurant"
    KIOSK = "kiosk"
    FOOD_WHOLESALE = "food_wholesale"
    CONSTRUCTION_SITE = "construction_site"
    OTHER = "other"


class Business(Contract):
    """A business: a legal person by organisationsnummer, or a sole trader by pseudonym."""

    orgnr: Organisationsnummer | None = category_field(Category.BUSINESS_IDENTITY, default=None)
    sole_trader: Pseudonym | None = category_field(
        Category.PERSONAL_IDENTITY, default=None,
        description="Pseudonym of the owner's personnummer when the business is a sole trader.")
    name: ShortText = category_field(Category.BUSINESS_IDENTITY)

    @model_validator(mode="after")
    def _one_identity(self) -> Business:
        if (self.orgnr is None) == (self.sole_trader is None):
            raise ValueError("a business has exactly one of orgnr or sole_trader")
        return self


class Premises(Contract):
    """Premises by property designation, street address, or both (at least one)."""

    fastighetsbeteckning: Fastighet | None = category_field(Category.PREMISES, default=None)
    address: AddressText | None = category_field(Category.PREMISES, default=None)
    industry: Industry = category_field(Category.PREMISES, default=Industry.OTHER)

    @model_validator(mode="after")
    def _located(self) -> Premises:
        if self.fastighetsbeteckning is None and self.address is None:
            raise ValueError("premises need a fastighetsbeteckning or an address")
        return self


class PersonRole(StrEnum):
    OWNER = "owner"
    BOARD_MEMBER = "board_member"
    EMPLOYEE = "employee"
    UNRECORDED_WORKER = "unrecorded_worker"
    OTHER = "other"


class Person(Contract):
    """A natural person present or concerned, by pseudonym only."""

    pseudonym: Pseudonym = category_field(Category.PERSONAL_IDENTITY)
    role: PersonRole = category_field(Category.PERSONAL_IDENTITY)
    protected_identity: bool = category_field(
        Category.PERSONAL_IDENTITY, default=False,
        description="Sekretessmarkering: this person's identity must never spread.")
