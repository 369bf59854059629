"""A recorded collaboration decision: the act that lag (2016:774) needs.

The duty to disclose under lag (2016:774) holds only inside a formally decided collaboration
against organised crime, and only between the agencies designated in it. So a rule citing it
(`act: collaboration`) opens nothing by itself: it applies to an operation only while a
decision recorded here covers that operation, and only between two of the agencies the
decision lists. The decision is recorded by a coordinator of the operation's lead authority,
with its reference number, who took it and when, and how long it holds; recording it is an
audit entry.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from services.disclosure.policy import ANY, Act, Policy

MAX_YEARS = 3  # a decision recorded for longer is more likely a mistake than a collaboration


class CollaborationError(ValueError):
    """A collaboration decision that cannot be recorded as given; the message says why."""


@dataclass(frozen=True)
class CollaborationDecision:
    id: str
    reference: str  # the decision's reference number (diarienummer)
    basis: str  # the policy basis the collaboration is decided under (e.g. lag-2016-774)
    agencies: frozenset[str]  # the designated participants
    operations: frozenset[str]  # the operations carried out under it
    decided_by: str  # the body and person that took the decision
    decided_on: datetime.date
    valid_from: datetime.date
    valid_until: datetime.date
    recorded_by: str  # who recorded it here (a coordinator of the lead authority)
    recorded_for: str  # that coordinator's authority, the operations' lead
    recorded_at: datetime.datetime

    def covers(self, operation_id: str, owner: str, recipient: str, on: datetime.date) -> bool:
        """Whether this decision makes `owner` and `recipient` designated agencies of one
        collaboration that `operation_id` belongs to, on `on`."""
        return (operation_id in self.operations and owner in self.agencies and recipient in self.agencies
                and self.valid_from <= on <= self.valid_until)


def bases_in_force(decisions: Iterable[CollaborationDecision], operation_id: str, owner: str, recipient: str,
                   on: datetime.date) -> frozenset[str]:
    """The bases of every decision that covers the pair in the operation on that day."""
    return frozenset(d.basis for d in decisions if d.covers(operation_id, owner, recipient, on))


def designable(policy: Policy, basis: str, functions: Mapping[str, str]) -> frozenset[str]:
    """The participants (of `functions`: code -> function) some collaboration rule citing
    `basis` names as owner or recipient: the only ones a decision may designate."""
    names: set[str] = set()
    for rule in policy.rules:
        if rule.act == Act.COLLABORATION and rule.basis == basis:
            names |= {*rule.owners, *rule.recipients}
    if ANY in names:
        return frozenset(functions)
    return frozenset(code for code, function in functions.items() if code in names or function in names)


def new_collaboration(*, id: str, reference: str, basis: str, agencies: Iterable[str], operations: Iterable[str],
                      decided_by: str, decided_on: datetime.date, valid_from: datetime.date,
                      valid_until: datetime.date, recorded_by: str, recorded_for: str, at: datetime.datetime,
                      on: datetime.date, policy: Policy, functions: Mapping[str, str],
                      leads: Mapping[str, str]) -> CollaborationDecision:
    """A decision as recorded by `recorded_by` of `recorded_for` at `at` (on the local date
    `on`); `leads` gives each named operation's lead authority (one it does not name is unknown)."""
    if basis not in {r.basis for r in policy.rules if r.act == Act.COLLABORATION}:
        raise CollaborationError(f"no rule of {policy.label} applies under a collaboration decision on {basis!r}")
    designated = frozenset(agencies)
    if len(designated) < 2:
        raise CollaborationError("a collaboration designates at least two agencies")
    allowed = designable(policy, basis, functions)
    outside = sorted(designated - allowed)
    if outside:
        raise CollaborationError(f"not agencies the law designates for this collaboration: {', '.join(outside)}")
    ops = frozenset(o.strip() for o in operations if o.strip())
    if not ops:
        raise CollaborationError("name the operations carried out under the decision")
    for op in sorted(ops):
        if leads.get(op) != recorded_for:
            raise CollaborationError(f"operation {op}: only a coordinator of its lead authority records its"
                                     " collaboration decision")
    if len(reference.strip()) < 3 or len(decided_by.strip()) < 3:
        raise CollaborationError("give the decision's reference number and who took it")
    if not decided_on <= valid_from <= valid_until:
        raise CollaborationError("the decision is taken before it holds, and holds from before it ends")
    if decided_on > on:
        raise CollaborationError("a decision is recorded after it was taken")
    if valid_until > valid_from.replace(year=valid_from.year + MAX_YEARS):
        raise CollaborationError(f"a collaboration decision is recorded for at most {MAX_YEARS} years at a time")
    return CollaborationDecision(id, reference.strip(), basis, designated, ops, decided_by.strip(), decided_on,
                                 valid_from, valid_until, recorded_by, recorded_for, at)
