"""A `Fact` is what the records need from one accepted event, in plain data.

Records are a pure function of the *set* of facts (`records.summarise`), so the order in
which events arrive, duplicates and the partitioning of topics cannot change them.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from schemas.decision import DecisionTaken
from schemas.events import AnyEvent
from schemas.inspection import InspectionConducted
from schemas.notification import EventRetracted, NotificationSent
from schemas.operation import OperationPlan
from schemas.subjects import Person
from services.coordinator.domain.keys import business_key, premises_aliases

STOCKHOLM = ZoneInfo("Europe/Stockholm")


@dataclass(frozen=True)
class FindingFact:
    code: str
    category: str
    count: int | None


@dataclass(frozen=True)
class Fact:
    event_id: str
    agency: str
    kind: str  # plan | inspection | decision | notification | retraction
    at: datetime.datetime  # when it happened (conducted_at, decided_at, event time)
    operation_id: str | None  # explicit reference in the event
    premises: tuple[str, ...] = ()  # aliases, primary first
    business: str | None = None
    persons: tuple[str, ...] = ()
    supersedes: str | None = None
    retracts: str | None = None
    ref: str | None = None  # the agency's own reference
    municipality: str | None = None
    findings: tuple[FindingFact, ...] = ()
    decision_kind: str | None = None
    category: str | None = None
    legal_reference: str | None = None
    amount_sek: int | None = None
    amount_kind: str | None = None
    appeal_status: str | None = None
    to_agency: str | None = None
    legal_basis: str | None = None  # the provision a notice cites (a duty to notify, e.g. FUT)
    plan: OperationPlan | None = field(default=None, compare=False)
    protected: tuple[str, ...] = ()  # persons the event flagged (sekretessmarkering): for the register only

    @property
    def local_date(self) -> datetime.date:
        return self.at.astimezone(STOCKHOLM).date()

    @property
    def premises_key(self) -> str | None:
        return self.premises[0] if self.premises else None


def fact_of(event: AnyEvent) -> Fact:
    data = event.data
    eid, agency = str(event.id), event.losagency
    if isinstance(data, OperationPlan):
        return Fact(eid, agency, kind="plan", at=event.time, operation_id=data.operation_id, plan=data)
    if isinstance(data, InspectionConducted):
        # A person with protected identity (sekretessmarkering) never enters shared records: a
        # flagged person is kept out here and goes to the platform's register (`protected`),
        # which keeps them out of every other event too. A finding's persons carry no flag, so
        # only those present (flag known) are kept.
        present = {p.pseudonym for p in data.persons_present if not p.protected_identity}
        return Fact(
            eid, agency, kind="inspection", at=data.conducted_at, operation_id=data.operation_id,
            premises=tuple(premises_aliases(data.premises)),
            business=business_key(data.business) if data.business else None,
            persons=tuple(sorted(present)),
            supersedes=str(data.supersedes) if data.supersedes else None,
            ref=data.inspection_ref, municipality=data.municipality,
            findings=tuple(FindingFact(f.code, str(f.category), f.count) for f in data.findings),
            protected=_flagged(data.persons_present))
    if isinstance(data, DecisionTaken):
        return Fact(
            eid, agency, kind="decision", at=data.decided_at, operation_id=data.operation_id,
            premises=tuple(premises_aliases(data.premises)) if data.premises else (),
            business=business_key(data.business) if data.business else None,
            persons=tuple(sorted(p.pseudonym for p in data.persons if not p.protected_identity)),
            supersedes=str(data.supersedes) if data.supersedes else None,
            ref=data.decision_ref, decision_kind=str(data.kind), category=str(data.category),
            legal_reference=data.legal_reference, amount_sek=data.amount_sek,
            amount_kind=data.amount_kind.value if data.amount_kind else None,
            appeal_status=data.appeal_status.value, protected=_flagged(data.persons))
    if isinstance(data, NotificationSent):
        return Fact(
            eid, agency, kind="notification", at=event.time, operation_id=data.operation_id,
            premises=tuple(premises_aliases(data.premises)) if data.premises else (),
            business=business_key(data.business) if data.business else None,
            persons=tuple(sorted(p.pseudonym for p in data.persons if not p.protected_identity)),
            supersedes=str(data.supersedes) if data.supersedes else None,
            ref=data.notification_ref, category=str(data.category), to_agency=data.to_agency,
            legal_basis=data.legal_basis, protected=_flagged(data.persons))
    if isinstance(data, EventRetracted):
        return Fact(eid, agency, kind="retraction", at=event.time, operation_id=None,
                    retracts=str(data.retracts))
    raise TypeError(f"no fact for {type(data).__name__}")


def _flagged(persons: list[Person]) -> tuple[str, ...]:
    return tuple(sorted({p.pseudonym for p in persons if p.protected_identity}))


def fact_to_json(fact: Fact) -> dict[str, object]:
    """A compact JSON form for storage, so records are rebuilt without re-parsing events."""
    return {
        "event_id": fact.event_id, "agency": fact.agency, "kind": fact.kind,
        "at": fact.at.isoformat(), "operation_id": fact.operation_id,
        "premises": list(fact.premises), "business": fact.business, "persons": list(fact.persons),
        "supersedes": fact.supersedes, "retracts": fact.retracts, "ref": fact.ref,
        "municipality": fact.municipality,
        "findings": [[f.code, f.category, f.count] for f in fact.findings],
        "decision_kind": fact.decision_kind, "category": fact.category,
        "legal_reference": fact.legal_reference, "amount_sek": fact.amount_sek,
        "amount_kind": fact.amount_kind, "appeal_status": fact.appeal_status,
        "to_agency": fact.to_agency, "legal_basis": fact.legal_basis,
        "plan": fact.plan.model_dump(mode="json") if fact.plan else None,
        "protected": list(fact.protected),
    }


def fact_from_json(obj: dict[str, Any]) -> Fact:
    return Fact(
        event_id=obj["event_id"], agency=obj["agency"], kind=obj["kind"],
        at=datetime.datetime.fromisoformat(obj["at"]), operation_id=obj["operation_id"],
        premises=tuple(obj["premises"]), business=obj["business"], persons=tuple(obj["persons"]),
        supersedes=obj["supersedes"], retracts=obj["retracts"], ref=obj["ref"],
        municipality=obj["municipality"],
        findings=tuple(FindingFact(c, cat, n) for c, cat, n in obj["findings"]),
        decision_kind=obj["decision_kind"], category=obj["category"],
        legal_reference=obj["legal_reference"], amount_sek=obj["amount_sek"],
        amount_kind=obj["amount_kind"], appeal_status=obj["appeal_status"],
        to_agency=obj["to_agency"], legal_basis=obj.get("legal_basis"),  # absent in facts stored before it
        plan=OperationPlan.model_validate(obj["plan"]) if obj["plan"] else None,
        protected=tuple(obj.get("protected", ())),  # facts stored before the register have none
    )
