"""The shared operation record: a pure function of the operation's plan and facts.

Because `summarise` sees only the *set* of facts (de-duplicated, corrections and
retractions resolved by `effective_facts`), any arrival order, duplication or partitioning
of the same events gives the same record. Amounts count every effective decision; an
overturned decision is shown with its appeal status (LOS reports what was decided).
"""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from services.coordinator.domain.effective import effective_facts
from services.coordinator.domain.facts import Fact
from services.coordinator.domain.keys import ERASED_SOLE_TRADER, premises_aliases
from services.coordinator.domain.plans import PlanView

AMOUNT_KINDS = ("imposed", "recovered", "stopped")


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime.datetime
    agency: str
    kind: str
    event_id: str
    ref: str | None
    premises: str | None
    business: str | None
    persons: tuple[str, ...] = ()
    detail: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"at": self.at.isoformat(), "agency": self.agency, "kind": self.kind,
                "event_id": self.event_id, "ref": self.ref, "premises": self.premises,
                "business": self.business, "persons": list(self.persons), "detail": self.detail}


@dataclass(frozen=True)
class OperationRecord:
    operation_id: str
    revision: int
    title: str
    municipality: str
    planned_date: datetime.date
    status: str
    lead_agency: str
    participants: tuple[str, ...]
    targets: tuple[str, ...]
    premises_visited: tuple[str, ...]
    visits: int
    inspections_by_agency: dict[str, int]
    findings_by_agency: dict[str, int]
    decisions_by_agency: dict[str, int]
    decisions_by_kind: dict[str, int]
    amounts_sek: dict[str, int]
    sanctions: int
    notifications: int
    agencies_reporting: tuple[str, ...]
    businesses: tuple[str, ...]
    persons: tuple[str, ...]
    timeline: tuple[TimelineEntry, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "operation_id": self.operation_id, "revision": self.revision, "title": self.title,
            "municipality": self.municipality, "planned_date": self.planned_date.isoformat(),
            "status": self.status, "lead_agency": self.lead_agency,
            "participants": list(self.participants), "targets": list(self.targets),
            "premises_visited": list(self.premises_visited), "visits": self.visits,
            "inspections_by_agency": self.inspections_by_agency,
            "findings_by_agency": self.findings_by_agency,
            "decisions_by_agency": self.decisions_by_agency,
            "decisions_by_kind": self.decisions_by_kind, "amounts_sek": self.amounts_sek,
            "sanctions": self.sanctions, "notifications": self.notifications,
            "agencies_reporting": list(self.agencies_reporting),
            "businesses": list(self.businesses), "persons": list(self.persons),
            "timeline": [e.to_json() for e in self.timeline],
        }


def _canonical_premises(plan: PlanView) -> dict[str, str]:
    """Alias -> the target's primary key, so an address-only report meets its property unit."""
    mapping: dict[str, str] = {}
    for target in plan.plan.targets:
        aliases = premises_aliases(target.premises)
        for alias in aliases:
            mapping.setdefault(alias, aliases[0])
    return mapping


def summarise(plan: PlanView, facts: Iterable[Fact]) -> OperationRecord:
    canonical = _canonical_premises(plan)

    def place(f: Fact) -> str | None:
        for alias in f.premises:
            if alias in canonical:
                return canonical[alias]
        return f.premises_key

    kept = [f for f in effective_facts(facts) if f.kind != "plan"]
    inspections = [f for f in kept if f.kind == "inspection"]
    decisions = [f for f in kept if f.kind == "decision"]
    amounts = dict.fromkeys(AMOUNT_KINDS, 0)
    for d in decisions:
        if d.amount_sek is not None and d.amount_kind in amounts:
            amounts[d.amount_kind] += d.amount_sek
    visited = {p for f in inspections if (p := place(f)) is not None}
    visits = {(place(f), f.local_date) for f in inspections if place(f) is not None}
    timeline = tuple(TimelineEntry(f.at, f.agency, f.kind, f.event_id, f.ref, place(f), f.business,
                                   f.persons, _detail(f)) for f in kept)
    return OperationRecord(
        operation_id=plan.operation_id, revision=plan.revision, title=plan.plan.title,
        municipality=plan.plan.municipality, planned_date=plan.planned_date,
        status=plan.plan.status.value, lead_agency=plan.plan.lead_agency,
        participants=tuple(sorted(plan.plan.participants)),
        targets=tuple(sorted({premises_aliases(t.premises)[0] for t in plan.plan.targets})),
        premises_visited=tuple(sorted(visited)), visits=len(visits),
        inspections_by_agency=dict(sorted(Counter(f.agency for f in inspections).items())),
        findings_by_agency=dict(sorted(Counter(
            f.agency for f in inspections for _ in f.findings).items())),
        decisions_by_agency=dict(sorted(Counter(f.agency for f in decisions).items())),
        decisions_by_kind=dict(sorted(Counter(str(f.decision_kind) for f in decisions).items())),
        amounts_sek=amounts,
        sanctions=sum(1 for d in decisions if d.amount_kind == "imposed"),
        notifications=sum(1 for f in kept if f.kind == "notification"),
        agencies_reporting=tuple(sorted({f.agency for f in kept})),
        businesses=tuple(sorted({f.business for f in kept if f.business and f.business != ERASED_SOLE_TRADER})),
        persons=tuple(sorted({p for f in kept for p in f.persons})),
        timeline=timeline,
    )


def _detail(f: Fact) -> dict[str, Any]:
    if f.kind == "inspection":
        return {"findings": [{"code": x.code, "category": x.category, "count": x.count}
                             for x in f.findings]}
    if f.kind == "decision":
        return {"decision_kind": f.decision_kind, "category": f.category,
                "legal_reference": f.legal_reference, "amount_sek": f.amount_sek,
                "amount_kind": f.amount_kind, "appeal_status": f.appeal_status}
    if f.kind == "notification":
        return {"to_agency": f.to_agency, "category": f.category, "legal_basis": f.legal_basis}
    return {}
