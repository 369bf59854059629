"""Subject keys: the one string per business, premises or person that correlation joins on."""

from __future__ import annotations

from contextlib import suppress
from functools import lru_cache

from schemas.identifiers import IdentifierError, parse_address, parse_fastighetsbeteckning
from schemas.subjects import Business, Premises

ERASED_SOLE_TRADER = "st:erased"  # what a sole trader's identity becomes after erasure (gallring)


def business_key(business: Business) -> str:
    if business.orgnr is not None:
        return f"org:{business.orgnr}"
    return f"st:{business.sole_trader}"


@lru_cache(maxsize=65536)
def _aliases(fastighetsbeteckning: str | None, address: str | None) -> tuple[str, ...]:
    keys = []
    if fastighetsbeteckning is not None:
        keys.append("fb:" + parse_fastighetsbeteckning(fastighetsbeteckning).key)
    if address is not None:
        with suppress(IdentifierError):  # the contract validated it; a key is best effort
            keys.append("ad:" + parse_address(address).key)
    return tuple(keys)


def premises_aliases(premises: Premises) -> list[str]:
    """Every key this premises is known by: its property unit and its street address."""
    return list(_aliases(premises.fastighetsbeteckning, premises.address))


def premises_key(premises: Premises) -> str:
    """The primary key: the property unit when known, else the normalised address."""
    return premises_aliases(premises)[0]
