"""Every published event type, and the one way to parse one from bytes.

A type name carries its version (`se.los.inspection.conducted.v1`). A published version
never changes shape (tests/unit/schemas/test_compatibility.py keeps it so); a breaking
change is a new type version, published alongside the old one for a transition period.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Annotated, Literal, TypeAlias

from pydantic import Field, TypeAdapter

from schemas.decision import DecisionTaken, DecisionTakenRegistered
from schemas.envelope import Envelope, dataschema_for, source_for
from schemas.inspection import InspectionConducted, InspectionConductedRegistered
from schemas.notification import EventRetracted, NotificationSent, NotificationSentRegistered
from schemas.operation import OperationPlan


class OperationPlannedV1(Envelope):
    """A lead agency planned a joint operation: targets, date, participants."""

    TYPE = "se.los.operation.planned.v1"
    type: Literal["se.los.operation.planned.v1"] = "se.los.operation.planned.v1"
    data: OperationPlan


class OperationUpdatedV1(Envelope):
    """The plan changed (targets, date, participants) or the operation moved on (status)."""

    TYPE = "se.los.operation.updated.v1"
    type: Literal["se.los.operation.updated.v1"] = "se.los.operation.updated.v1"
    data: OperationPlan


class InspectionConductedV1(Envelope):
    """An agency inspected premises and records what it found."""

    TYPE = "se.los.inspection.conducted.v1"
    type: Literal["se.los.inspection.conducted.v1"] = "se.los.inspection.conducted.v1"
    data: InspectionConducted


class DecisionTakenV1(Envelope):
    """An agency took a decision under its own law (fee, ban, recovery, police report...)."""

    TYPE = "se.los.decision.taken.v1"
    type: Literal["se.los.decision.taken.v1"] = "se.los.decision.taken.v1"
    data: DecisionTaken


class NotificationSentV1(Envelope):
    """An agency notified another (underrättelse), e.g. of a benefit that seems wrongly paid."""

    TYPE = "se.los.notification.sent.v1"
    type: Literal["se.los.notification.sent.v1"] = "se.los.notification.sent.v1"
    data: NotificationSent


class EventRetractedV1(Envelope):
    """An agency withdrew one of its earlier events."""

    TYPE = "se.los.event.retracted.v1"
    type: Literal["se.los.event.retracted.v1"] = "se.los.event.retracted.v1"
    data: EventRetracted


class InspectionConductedV2(Envelope):
    """An agency inspected premises; its findings' categories are registered codes
    (schemas/vocabulary.yaml), so a participant's own category needs no new contract."""

    TYPE = "se.los.inspection.conducted.v2"
    type: Literal["se.los.inspection.conducted.v2"] = "se.los.inspection.conducted.v2"
    data: InspectionConductedRegistered


class DecisionTakenV2(Envelope):
    """An agency took a decision; its kind and category are registered codes."""

    TYPE = "se.los.decision.taken.v2"
    type: Literal["se.los.decision.taken.v2"] = "se.los.decision.taken.v2"
    data: DecisionTakenRegistered


class NotificationSentV2(Envelope):
    """An agency notified another; the notice's category is a registered code."""

    TYPE = "se.los.notification.sent.v2"
    type: Literal["se.los.notification.sent.v2"] = "se.los.notification.sent.v2"
    data: NotificationSentRegistered


EVENT_TYPES: tuple[type[Envelope], ...] = (
    OperationPlannedV1, OperationUpdatedV1, InspectionConductedV1, DecisionTakenV1,
    NotificationSentV1, EventRetractedV1, InspectionConductedV2, DecisionTakenV2, NotificationSentV2,
)
TYPES_BY_NAME: dict[str, type[Envelope]] = {t.TYPE: t for t in EVENT_TYPES}

AnyEvent: TypeAlias = Annotated[
    OperationPlannedV1 | OperationUpdatedV1 | InspectionConductedV1 | DecisionTakenV1
    | NotificationSentV1 | EventRetractedV1 | InspectionConductedV2 | DecisionTakenV2 | NotificationSentV2,
    Field(discriminator="type"),
]
_ADAPTER: TypeAdapter[AnyEvent] = TypeAdapter(AnyEvent)

AnyData: TypeAlias = OperationPlan | InspectionConducted | DecisionTaken | NotificationSent | EventRetracted


def parse_event(raw: bytes | str, *, strict: bool = False) -> AnyEvent:
    """Parse and validate one event; raises pydantic.ValidationError naming what is wrong.

    `strict`: every value has the JSON type of the contract's JSON Schema (a time is a string,
    never a number of seconds; a count is a number, never `true`), as a received event must."""
    return _ADAPTER.validate_json(raw, strict=strict)


def parse_event_obj(obj: object) -> AnyEvent:
    return _ADAPTER.validate_python(obj)


def new_event(
    event_type: type[Envelope],
    data: AnyData,
    *,
    agency: str,
    event_id: uuid.UUID,
    time: datetime.datetime,
    system: str | None = None,
    subject: str | None = None,
    traceparent: str | None = None,
) -> AnyEvent:
    """Build an unsigned event of `event_type` (sign it with `schemas.signing.sign_event`)."""
    return parse_event_obj({
        "id": event_id, "source": source_for(agency, system), "type": event_type.TYPE,
        "time": time, "subject": subject, "dataschema": dataschema_for(event_type.TYPE),
        "losagency": agency, "traceparent": traceparent, "data": data.model_dump(mode="json"),
    })


def event_json(event: AnyEvent) -> dict[str, object]:
    """The event as the plain JSON value that is signed and sent."""
    return event.model_dump(mode="json")


def to_bytes(event_obj: dict[str, object]) -> bytes:
    """Wire bytes of a (signed) JSON event: its canonical form."""
    from schemas.canonical import canonical_json

    return canonical_json(event_obj)


def categories_of(data: object) -> list[str]:
    """The information categories an event's items claim: each finding's, a decision's, a
    notice's (what the coordinator's intake holds against the sender's registered ones)."""
    if isinstance(data, InspectionConducted):
        return [str(f.category) for f in data.findings]
    if isinstance(data, DecisionTaken | NotificationSent):
        return [str(data.category)]
    return []
