"""Who may decide on disclosure for which authority: the register of delegations.

A disclosure decision (or a refusal) is the authority's decision, taken by a person the
authority has delegated it to (its delegationsordning). The register holds each delegation:
the authority, the person (by the stable id the sign-in gives them), the delegation's
reference, and when it holds. An administrator records and revokes entries
(`python -m services.disclosure.delegations`), each with an audit entry; the console lets
only a person with a delegation in force decide a request.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, replace


class DelegationError(ValueError):
    """A delegation that cannot be recorded or revoked as asked; the message says why."""


@dataclass(frozen=True)
class Delegation:
    id: str
    authority: str  # the participant whose information the holder decides on
    holder: str  # the person's stable id (the sign-in subject)
    holder_name: str
    reference: str  # where the authority delegated it (delegationsordning, point)
    valid_from: datetime.date
    valid_until: datetime.date | None
    recorded_by: str
    recorded_at: datetime.datetime
    revoked_at: datetime.datetime | None = None
    revoked_by: str | None = None
    revoke_reason: str | None = None

    def in_force(self, authority: str, holder: str, at: datetime.datetime) -> bool:
        return (self.authority == authority and self.holder == holder and self.valid_from <= at.date()
                and (self.valid_until is None or at.date() <= self.valid_until)
                and (self.revoked_at is None or at < self.revoked_at))


def in_force(delegations: Iterable[Delegation], authority: str, holder: str,
             at: datetime.datetime) -> Delegation | None:
    """The delegation that lets `holder` decide for `authority` at `at`, if any."""
    return next((d for d in sorted(delegations, key=lambda d: d.id) if d.in_force(authority, holder, at)), None)


def new_delegation(*, id: str, authority: str, holder: str, holder_name: str, reference: str,
                   valid_from: datetime.date, valid_until: datetime.date | None, recorded_by: str,
                   at: datetime.datetime, participants: Iterable[str]) -> Delegation:
    if authority not in set(participants):
        raise DelegationError(f"{authority!r} is not a participant of schemas/agencies.yaml")
    if not holder.strip() or not holder_name.strip():
        raise DelegationError("name the person: the id their sign-in gives them, and their name")
    if len(reference.strip()) < 3:
        raise DelegationError("give the delegation's reference (the authority's delegationsordning and point)")
    if valid_until is not None and valid_until < valid_from:
        raise DelegationError("a delegation ends after it begins")
    return Delegation(id, authority, holder.strip(), holder_name.strip(), reference.strip(), valid_from,
                      valid_until, recorded_by, at)


def revoked(delegation: Delegation, *, by: str, reason: str, at: datetime.datetime) -> Delegation:
    if delegation.revoked_at is not None:
        raise DelegationError(f"delegation {delegation.id} was revoked already")
    if len(reason.strip()) < 3:
        raise DelegationError("say why the delegation is revoked")
    return replace(delegation, revoked_at=at, revoked_by=by, revoke_reason=reason.strip())
