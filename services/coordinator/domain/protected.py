"""Protected identities (sekretessmarkering) kept out of every shared record.

An event flags a person it knows to be protected, and that person is left out of its fact.
But another agency's event may name the same person without the flag, and a sole trader's
business identity is its owner's personnummer, which no event can flag. So the platform keeps
one register of protected persons, by internal pseudonym (`protected_identities`): fed by an
administrative act and by every flag an event carries, and read whenever records are built.
Before a record is built from facts, `shield` removes every registered person from them and
the business identity of every sole trader whose owner is registered: nothing of them
reaches a record, a subject dossier, a feed, the console or a signal, whoever sent the event.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from services.coordinator.domain.facts import Fact

SOLE_TRADER = "st:"


def named(facts: Iterable[Fact]) -> set[str]:
    """Every person pseudonym the facts name: persons, and sole traders' owners."""
    found: set[str] = set()
    for f in facts:
        found.update(f.persons)
        if f.business and f.business.startswith(SOLE_TRADER):
            found.add(f.business[len(SOLE_TRADER):])
    return found


def shield(fact: Fact, protected: frozenset[str] | set[str]) -> Fact:
    """`fact` without the registered persons and without a registered owner's sole-trader business."""
    persons = tuple(p for p in fact.persons if p not in protected)
    business = fact.business
    if business and business.startswith(SOLE_TRADER) and business[len(SOLE_TRADER):] in protected:
        business = None
    if persons == fact.persons and business == fact.business:
        return fact
    return dataclasses.replace(fact, persons=persons, business=business)


def sole_traders(pseudonyms: Iterable[str]) -> list[str]:
    """The business keys under which these persons trade as sole traders."""
    return sorted(SOLE_TRADER + p for p in pseudonyms)
