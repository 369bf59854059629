"""Mandates (uppdrag): who may read what, for which purpose, in which case.

Need-to-know is per person, not per role. A coordinator of an authority assigns one of its
own people to an operation (or, for work that is not about one operation, to results
reporting, audit or a subject access request), with the purpose the work serves and the
authority's own case reference (diarienummer), until a set day. The console reads personal
data only under a mandate in force: the purpose it records is the one every read is decided
and logged under, so a purpose is never a key the user picks to open rules; the rules still
decide what the purpose lets through. An operation the person holds no mandate for answers as
a missing one.

A mandate opens nothing by itself, so recording one does not need (and does not reveal)
whether the operation exists; the one check that reads an act on record is that work under
lag (2016:774) needs a recorded collaboration decision naming the authority.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace

from services.disclosure.policy import Purpose

OPERATION_PURPOSES = (Purpose.JOINT_OPERATION, Purpose.ORGANISED_CRIME, Purpose.CRIME_PREVENTION,
                      Purpose.WRONGFUL_PAYMENTS)
STANDING_PURPOSES = (Purpose.RESULTS_REPORTING, Purpose.AUDIT, Purpose.SUBJECT_ACCESS)
CASE_REFERENCE = re.compile(r"[0-9A-Za-zÅÄÖåäöÉé][0-9A-Za-zÅÄÖåäöÉé .:/_-]{2,39}")
MAX_DAYS = 366  # a mandate is renewed at least yearly: work ends, people move on


class MandateError(ValueError):
    """A mandate that cannot be recorded or revoked as asked; the message says why (in Swedish,
    as the console shows it)."""


@dataclass(frozen=True)
class Mandate:
    id: str
    authority: str
    user: str  # the person's stable sign-in id
    user_name: str
    purpose: Purpose
    case_reference: str  # the authority's own diarienummer for the work
    operation_id: str | None  # None: standing work (results, audit, a subject access request)
    valid_until: datetime.date
    assigned_by: str
    assigned_at: datetime.datetime
    revoked_at: datetime.datetime | None = None
    revoked_by: str | None = None

    def in_force(self, at: datetime.datetime) -> bool:
        return (self.assigned_at <= at and at.date() <= self.valid_until
                and (self.revoked_at is None or at < self.revoked_at))

    def covers(self, authority: str, user: str, operation_id: str | None, at: datetime.datetime) -> bool:
        return (self.authority, self.user, self.operation_id) == (authority, user, operation_id) and self.in_force(at)

    @property
    def label(self) -> str:
        """How the audit log and the pages name it."""
        return f"{self.id} ({self.case_reference})"


def new_mandate(*, id: str, authority: str, user: str, user_name: str, purpose: Purpose, case_reference: str,
                operation_id: str | None, valid_until: datetime.date, assigned_by: str, assigner_authority: str,
                at: datetime.datetime, collaboration_named: bool = False) -> Mandate:
    """A mandate as a coordinator of `assigner_authority` records it (`collaboration_named`:
    whether a recorded collaboration decision covering the operation names the authority)."""
    if assigner_authority != authority:
        raise MandateError("Du kan bara ge uppdrag till personer i din egen myndighet.")
    if not user.strip() or not user_name.strip():
        raise MandateError("Ange personen: id:t från inloggningen och namnet.")
    reference = case_reference.strip()
    if not CASE_REFERENCE.fullmatch(reference):
        raise MandateError("Ange myndighetens diarienummer för ärendet (3–40 tecken: bokstäver, siffror, "
                           "mellanslag och . : / _ -).")
    operation = (operation_id or "").strip() or None
    if operation is None and purpose not in STANDING_PURPOSES:
        raise MandateError(f"Ändamålet {purpose.value} gäller en operation: ange operationen.")
    if operation is not None and purpose not in OPERATION_PURPOSES:
        raise MandateError(f"Ändamålet {purpose.value} gäller inte en enskild operation: lämna operationen tom.")
    if purpose is Purpose.ORGANISED_CRIME and not collaboration_named:
        raise MandateError("Arbete enligt lag (2016:774) kräver ett registrerat samverkansbeslut för operationen "
                           "som utser din myndighet.")
    today = at.date()
    if not today <= valid_until <= today + datetime.timedelta(days=MAX_DAYS):
        raise MandateError(f"Uppdraget gäller till och med en dag från i dag och högst {MAX_DAYS} dagar framåt.")
    return Mandate(id, authority, user.strip(), user_name.strip(), purpose, reference, operation, valid_until,
                   assigned_by, at)


def revoked(mandate: Mandate, *, by: str, by_authority: str, at: datetime.datetime) -> Mandate:
    if by_authority != mandate.authority:
        raise MandateError("Uppdraget finns inte, eller så hör det inte till din myndighet.")
    if mandate.revoked_at is not None:
        raise MandateError(f"Uppdraget {mandate.id} är redan återkallat.")
    return replace(mandate, revoked_at=at, revoked_by=by)


def mandate_for(mandates: Iterable[Mandate], *, authority: str, user: str, operation_id: str | None,
                purpose: Purpose | None, at: datetime.datetime) -> Mandate | None:
    """The mandate a read happens under: one in force for this person and operation (or standing
    work), with `purpose` when the person names one of theirs; otherwise the first by purpose
    order (a joint operation first)."""
    order = {p: i for i, p in enumerate((*OPERATION_PURPOSES, *STANDING_PURPOSES))}
    held = sorted((m for m in mandates if m.covers(authority, user, operation_id, at)
                   and (purpose is None or m.purpose is purpose)),
                  key=lambda m: (order[m.purpose], m.assigned_at, m.id))
    return held[0] if held else None
