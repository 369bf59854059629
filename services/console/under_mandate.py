"""The mandate each read happens under (`services.console.mandates`), looked up once per request.

A page or API route that shows personal data asks here for the signed-in person's mandates in
force. An operation read needs a mandate for that operation (the person may name which of
theirs with `purpose=`, otherwise the first by purpose order is used); work that is not about
one operation (results reporting, audit, a subject access report) needs a standing mandate of
that purpose. The purpose, the case reference and the mandate's id go into every read's audit
entry. Without a mandate an operation answers as a missing one, and standing work with 403
saying how to get one.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from services.console.auth import Principal
from services.console.context import Console
from services.console.errors import Forbidden
from services.console.labels import PURPOSES
from services.console.mandates import OPERATION_PURPOSES, STANDING_PURPOSES, Mandate, mandate_for
from services.disclosure.policy import Purpose

ORDER = {p: i for i, p in enumerate((*OPERATION_PURPOSES, *STANDING_PURPOSES))}


def no_mandate(purpose: Purpose) -> str:
    return (f"Du har inget uppdrag i kraft för {PURPOSES[purpose].lower()}. En samordnare i din myndighet "
            "ger uppdrag under Uppdrag, med ärendets diarienummer.")


@dataclass(frozen=True)
class Held:
    """The person's mandates in force at `at`."""

    authority: str
    user: str
    mandates: tuple[Mandate, ...]
    at: datetime.datetime

    def for_operation(self, operation_id: str, purpose: Purpose | None = None) -> Mandate | None:
        return mandate_for(self.mandates, authority=self.authority, user=self.user, operation_id=operation_id,
                           purpose=purpose, at=self.at)

    def operations(self, purpose: Purpose | None = None) -> frozenset[str]:
        """The operations the person may work on (under `purpose`, or any)."""
        return frozenset(m.operation_id for m in self.mandates
                         if m.operation_id is not None and purpose in (None, m.purpose))

    def purposes(self, purpose: Purpose | None = None) -> set[Purpose]:
        """The purposes of the person's operation mandates (only `purpose`, when given)."""
        return {m.purpose for m in self.mandates if m.operation_id is not None and purpose in (None, m.purpose)}

    def first(self, purpose: Purpose | None = None) -> Mandate | None:
        """The first operation mandate by purpose order (the one a search across them is logged under)."""
        held = [m for m in self.mandates if m.operation_id is not None and purpose in (None, m.purpose)]
        return min(held, key=lambda m: (ORDER[m.purpose], m.operation_id or "", m.id), default=None)

    def standing(self, purpose: Purpose) -> Mandate:
        """The standing mandate for `purpose`; 403 naming how to get one when there is none."""
        found = mandate_for(self.mandates, authority=self.authority, user=self.user, operation_id=None,
                            purpose=purpose, at=self.at)
        if found is None:
            raise Forbidden(no_mandate(purpose))
        return found


async def held(console: Console, user: Principal) -> Held:
    now = console.now()
    async with console.source.unit() as unit:
        mine = await unit.mandates(authority=user.agency, user=user.subject)
    return Held(user.agency, user.subject, tuple(m for m in mine if m.in_force(now)), now)
