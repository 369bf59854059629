"""The scenario's records: what each agency registered, before it becomes a canonical event.

The ground truth is computed from these records (truth.py), the events are made from them
(`to_event`); each record knows its event id, made with `event_id_for` exactly as the agency's
native format makes it (record kind, reference, version).
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass
from typing import TypeAlias

from schemas.categories import Category
from schemas.decision import AmountKind, AppealStatus, DecisionKind, DecisionTaken
from schemas.envelope import dataschema_for, event_id_for, source_for
from schemas.events import (
    AnyData,
    AnyEvent,
    DecisionTakenV1,
    EventRetractedV1,
    InspectionConductedV1,
    NotificationSentV1,
    OperationPlannedV1,
    OperationUpdatedV1,
)
from schemas.inspection import Finding, InspectionConducted
from schemas.notification import EventRetracted, NotificationSent
from schemas.operation import OperationPlan
from schemas.operation import Target as PlanTarget
from schemas.subjects import Business, Person, PersonRole, Premises
from services.adapters.simulator.catalogue import profile
from services.adapters.simulator.planning import Operation, PlanState
from services.adapters.simulator.world import Company, Resident, Site

PLAN_KIND = "insatsplan"  # the police planning system's record kind

Presence: TypeAlias = tuple[Resident, PersonRole]


@dataclass(frozen=True, eq=False)
class PlanRecord:
    operation: Operation
    state: PlanState

    @property
    def agency(self) -> str:
        return self.operation.lead

    @property
    def time(self) -> datetime.datetime:
        return self.state.registered

    @property
    def event_id(self) -> uuid.UUID:
        return event_id_for(self.agency, PLAN_KIND, self.operation.op_id, str(self.state.revision))


@dataclass(frozen=True)
class FindingRecord:
    code: str
    category: Category
    summary: str
    count: int | None
    persons: tuple[Resident, ...]  # empty where the agency's format names no persons


@dataclass(frozen=True, eq=False)
class InspectionRecord:
    agency: str
    ref: str
    version: int
    operation: Operation  # the operation it belongs to, whether or not recorded
    operation_id: str | None  # as recorded: None when the agency left it out
    conducted_at: datetime.datetime
    time: datetime.datetime
    site: Site
    premises: Premises  # as this agency spells it
    company: Company | None
    present: tuple[Presence, ...]
    findings: tuple[FindingRecord, ...]

    @property
    def event_id(self) -> uuid.UUID:
        return _id(self.agency, profile(self.agency).inspection_kind, self.ref, self.version)

    @property
    def supersedes(self) -> uuid.UUID | None:
        return _previous(self.agency, profile(self.agency).inspection_kind, self.ref, self.version)


@dataclass(frozen=True, eq=False)
class DecisionRecord:
    agency: str
    ref: str
    version: int
    operation: Operation
    operation_id: str | None
    inspection_ref: str | None
    decided_at: datetime.datetime
    time: datetime.datetime
    kind: DecisionKind
    category: Category
    legal_reference: str
    summary: str
    amount: int | None
    amount_kind: AmountKind | None
    company: Company | None
    site: Site
    premises: Premises | None
    persons: tuple[Presence, ...]
    appeal_status: AppealStatus = AppealStatus.NOT_APPEALED

    @property
    def event_id(self) -> uuid.UUID:
        return _id(self.agency, profile(self.agency).decision_kind, self.ref, self.version)

    @property
    def supersedes(self) -> uuid.UUID | None:
        return _previous(self.agency, profile(self.agency).decision_kind, self.ref, self.version)


@dataclass(frozen=True, eq=False)
class NotificationRecord:
    agency: str
    ref: str
    operation: Operation
    to_agency: str
    legal_basis: str
    category: Category
    summary: str
    company: Company | None
    site: Site
    persons: tuple[Presence, ...]
    time: datetime.datetime

    @property
    def event_id(self) -> uuid.UUID:
        return _id(self.agency, profile(self.agency).notification_kind, self.ref, 1)


@dataclass(frozen=True, eq=False)
class RetractionRecord:
    """An agency withdraws one of its own inspection or decision records."""

    target: InspectionRecord | DecisionRecord
    reason: str
    time: datetime.datetime

    @property
    def agency(self) -> str:
        return self.target.agency

    @property
    def operation(self) -> Operation:
        return self.target.operation

    @property
    def event_id(self) -> uuid.UUID:
        found = profile(self.agency)
        kind = found.inspection_kind if isinstance(self.target, InspectionRecord) else found.decision_kind
        return _id(self.agency, kind + found.withdrawn, self.target.ref, self.target.version)


Record: TypeAlias = PlanRecord | InspectionRecord | DecisionRecord | NotificationRecord | RetractionRecord


def _id(agency: str, kind: str, ref: str, version: int) -> uuid.UUID:
    return event_id_for(agency, kind, ref, str(version))


def _previous(agency: str, kind: str, ref: str, version: int) -> uuid.UUID | None:
    return None if version == 1 else _id(agency, kind, ref, version - 1)


def _persons(present: tuple[Presence, ...]) -> list[Person]:
    return [Person(pseudonym=r.pseudonym, role=role, protected_identity=r.protected) for r, role in present]


def _business(company: Company | None) -> Business | None:
    return None if company is None else company.business


def _event(kind: type[AnyEvent], data: AnyData, agency: str, event_id: uuid.UUID,
           time: datetime.datetime) -> AnyEvent:
    """What `schemas.events.new_event` builds, without its JSON round trip: `data` is a
    validated contract model already (tests check the two agree)."""
    return kind(id=event_id, source=source_for(agency), type=kind.TYPE, time=time,
                dataschema=dataschema_for(kind.TYPE), losagency=agency, data=data)


def to_event(record: Record) -> AnyEvent:
    """The canonical event of a record (unsigned)."""
    data: OperationPlan | InspectionConducted | DecisionTaken | NotificationSent | EventRetracted
    if isinstance(record, PlanRecord):
        state, operation = record.state, record.operation
        data = OperationPlan(
            operation_id=operation.op_id, revision=state.revision, title=operation.title,
            municipality=operation.town.name, planned_date=state.planned_date, lead_agency=operation.lead,
            participants=list(state.participants), status=state.status,
            targets=[PlanTarget(premises=t.site.premises, business=t.company.business, note=t.note)
                     for t in state.targets])
        kind = OperationPlannedV1 if state.revision == 1 else OperationUpdatedV1
        return _event(kind, data, record.agency, record.event_id, record.time)
    if isinstance(record, InspectionRecord):
        data = InspectionConducted(
            inspection_ref=record.ref, operation_id=record.operation_id, conducted_at=record.conducted_at,
            municipality=record.site.town.name, premises=record.premises, business=_business(record.company),
            persons_present=_persons(record.present), supersedes=record.supersedes,
            findings=[Finding(code=f.code, category=f.category, summary=f.summary, count=f.count,
                              persons=[r.pseudonym for r in f.persons]) for f in record.findings])
        return _event(InspectionConductedV1, data, record.agency, record.event_id, record.time)
    if isinstance(record, DecisionRecord):
        data = DecisionTaken(
            decision_ref=record.ref, operation_id=record.operation_id, inspection_ref=record.inspection_ref,
            decided_at=record.decided_at, kind=record.kind, category=record.category,
            legal_reference=record.legal_reference, summary=record.summary, amount_sek=record.amount,
            amount_kind=record.amount_kind, business=_business(record.company), premises=record.premises,
            persons=_persons(record.persons), appeal_status=record.appeal_status,
            supersedes=record.supersedes)
        return _event(DecisionTakenV1, data, record.agency, record.event_id, record.time)
    if isinstance(record, NotificationRecord):
        data = NotificationSent(
            notification_ref=record.ref, to_agency=record.to_agency, legal_basis=record.legal_basis,
            operation_id=record.operation.op_id, category=record.category, summary=record.summary,
            business=_business(record.company), premises=record.site.premises,
            persons=_persons(record.persons))
        return _event(NotificationSentV1, data, record.agency, record.event_id, record.time)
    data = EventRetracted(retracts=record.target.event_id, reason=record.reason)
    return _event(EventRetractedV1, data, record.agency, record.event_id, record.time)
