"""Receipts: what the coordinator made of each record an agency's adapter sent.

For every record it consumes from a participant's `los.events.<code>`, the coordinator
writes one receipt to that participant's own `los.receipts.<code>` (the coordinator alone
writes there, that participant's adapter alone reads it). A receipt names the record by
its topic, partition and offset, and by its event id when the record could be read as an
event; its `status` says what became of it:

- `accepted`: stored; `operation_id` names the operation it joined when the sender takes
  part in that operation (as lead or participant), and is empty for a retraction;
- `parked`: stored, but not (yet) part of an operation the sender takes part in: it names
  no operation and none planned at its premises matches it, or the operation it names is
  not planned yet, or the sender does not take part in it. Planned operations are secret
  (OSL 17 kap.), so a receipt never tells a sender about an operation it does not take part in;
- `duplicate`: an event stored before, sent again; it counts once (its first receipt stands);
- `rejected`: refused, with `reason` (a code of the coordinator's rejections, see
  docs/security.md) and `detail`;
- `joined`: a later receipt for a stored event that has now joined an operation the sender
  takes part in (a plan arrived, or named the sender).

Receipts are published at least once: `seq` (the coordinator's order of writing them)
tells a repeat, and the latest receipt of an event tells its current state.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Final, Literal

from pydantic import AwareDatetime, Field, StringConstraints

from schemas.agencies import AgencyCode
from schemas.base import Contract
from schemas.operation import OperationId

RECEIPT: Final = "se.los.receipt.v1"
Status = Literal["accepted", "parked", "duplicate", "rejected", "joined"]
STATUSES: tuple[Status, ...] = ("accepted", "parked", "duplicate", "rejected", "joined")
MAX_DETAIL = 1000


class Receipt(Contract):
    """One receipt on `los.receipts.<code>` (JSON, no key: the topic has one partition, and
    `seq` orders receipts whatever order they arrive in)."""

    type: Literal["se.los.receipt.v1"] = RECEIPT
    seq: int = Field(ge=1, description="The coordinator's order of writing receipts; a later one supersedes.")
    participant: AgencyCode = Field(description="Whose events topic the record came on.")
    topic: str = Field(description="The events topic the record was read from.")
    partition: int = Field(ge=0)
    offset: int = Field(ge=0)
    event_id: uuid.UUID | None = Field(default=None, description="The record's event id, when it could be read.")
    status: Status
    reason: Annotated[str, StringConstraints(pattern=r"^[a-z_]{1,40}$")] | None = Field(
        default=None, description="Why it was rejected: a rejection reason of the coordinator.")
    detail: Annotated[str, StringConstraints(max_length=MAX_DETAIL)] | None = Field(
        default=None, description="What was wrong, in words.")
    operation_id: OperationId | None = Field(
        default=None, description="The operation the event joined, when the sender takes part in it.")
    at: AwareDatetime = Field(description="When the coordinator wrote the receipt.")
