"""What a sender is told about each record it sent (`schemas/receipts.py`), in plain data.

Every record consumed from `los.events.<code>` gets one receipt for the participant `<code>`:
the owner of the topic, whatever the record claims, so a forged event never reaches the
receipts of the participant it names. A receipt tells the sender nothing it did not send or
may not know:

- an operation is named only when the sender takes part in it (lead or participant); an
  event that joined an operation the sender does not take part in is `parked`, exactly as
  if no such operation existed (planned operations are secret, OSL 17 kap.);
- a rejection by an ownership rule rests on what another participant stored (who leads an
  operation, who sent an event); its receipt keeps the reason but a fixed detail that names
  neither that participant nor anything of its event or operation. The rejections table
  keeps the full detail for the operators.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Collection, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from schemas.receipts import MAX_DETAIL
from schemas.topics import agency_of_events_topic

# the detail a sender gets for a refusal that rests on another participant's state
WITHHELD_DETAIL: Mapping[str, str] = {
    "not_plan_owner": "only an operation's lead agency plans it or changes its plan",
    "foreign_correction": "an agency corrects only events it sent itself",
    "foreign_retraction": "an agency retracts only events it sent itself",
    "not_retractable": "this event cannot be retracted (a plan changes by a new revision)",
    "conflicting_id": "the event id is already taken by a different event",
}
_NO_EVENT = frozenset({"empty", "oversized", "malformed_json", "not_an_event"})
OPERATION_KINDS = frozenset({"inspection", "decision", "notification"})  # the kinds that join operations
K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class Taking:
    """Who takes part in a planned operation."""

    lead: str
    participants: frozenset[str]

    def includes(self, agency: str) -> bool:
        return agency == self.lead or agency in self.participants


@dataclass(frozen=True)
class ReceiptRow:
    """One row of the receipts outbox."""

    participant: str
    topic: str
    partition: int
    offset: int
    event_id: str | None
    status: str
    reason: str | None = None
    detail: str | None = None
    operation_id: str | None = None


def rejected(topic: str, partition: int, offset: int, reason: str, detail: str,
             raw: bytes | None) -> ReceiptRow | None:
    """The receipt of a refused record (None for a record on no events topic)."""
    participant = agency_of_events_topic(topic)
    if participant is None:
        return None
    told = WITHHELD_DETAIL.get(reason, detail)[:MAX_DETAIL]
    event_id = None if reason in _NO_EVENT else event_id_of(raw)
    return ReceiptRow(participant, topic, partition, offset, event_id, "rejected", reason, told)


def stored(topic: str, partition: int, offset: int, event_id: str, kind: str, operation_id: str | None,
           operations: Mapping[str, Taking]) -> ReceiptRow | None:
    """The receipt of an event stored now: `operation_id` is the operation it belongs to after
    this batch (the plan's own for a plan), `operations` the planned ones among them."""
    participant = agency_of_events_topic(topic)
    if participant is None:
        return None
    if kind not in OPERATION_KINDS:  # a plan is its lead's (the ownership rules saw to it); a retraction joins none
        return ReceiptRow(participant, topic, partition, offset, event_id, "accepted",
                          operation_id=operation_id if kind == "plan" else None)
    taking = operations.get(operation_id) if operation_id else None
    if taking is None or not taking.includes(participant):
        return ReceiptRow(participant, topic, partition, offset, event_id, "parked")
    return ReceiptRow(participant, topic, partition, offset, event_id, "accepted", operation_id=operation_id)


def duplicate(topic: str, partition: int, offset: int, event_id: str) -> ReceiptRow | None:
    participant = agency_of_events_topic(topic)
    return None if participant is None else ReceiptRow(participant, topic, partition, offset, event_id, "duplicate")


def sort_checked(checked: Sequence[tuple[K, str]], inserted: Collection[str], replaced: Collection[K],
                 refused: Collection[K]) -> tuple[list[tuple[K, str]], list[tuple[K, str]]]:
    """Split the records that passed intake, (record, event id) in the order consumed, into
    those stored now (the first of each inserted id, and those replacing a stored event) and
    the duplicates (any other repeat of an id). Records `refused` since (ownership rules,
    conflicting ids) have a rejection's receipt instead and are in neither list."""
    stored, duplicates, seen = [], [], set()
    for record, event_id in checked:
        if record in refused:
            continue
        first = event_id not in seen
        seen.add(event_id)
        if (first and event_id in inserted) or record in replaced:
            stored.append((record, event_id))
        else:
            duplicates.append((record, event_id))
    return stored, duplicates


def event_id_of(raw: bytes | None) -> str | None:
    """The `id` of a record that is a JSON object with a UUID there, else None."""
    try:
        obj = json.loads(raw or b"")
        return str(uuid.UUID(obj["id"])) if isinstance(obj, dict) and isinstance(obj.get("id"), str) else None
    except (ValueError, UnicodeDecodeError):
        return None
