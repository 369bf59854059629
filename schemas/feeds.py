"""What an agency receives on its own feed `los.feed.<agency>`: one message per changed
operation, holding that agency's view of the operation record.

The disclosure service (`services.disclosure.feeds`) builds every view with the enforcement
point, so a view holds only what the disclosure rules let that agency see: an item it may
not see is left out, or replaced by a marker (`withheld`, `category`, `provision`) where the
rules let its existence be known; persons appear in the agency's own pseudonyms.

The message itself is strict: its fields are fixed and checked. The view is typed loosely,
like the record it is cut from: the fields below are always there, an item of the timeline
has `at`, `agency`, `kind` and `event_id` and whatever of its content was disclosed, and a
later version may add fields (readers must ignore what they do not know).

Kafka binding: the record key is the operation id (UTF-8), so one operation's views arrive in
order on one partition; header `content-type: application/json`. A view is sent only when it
differs from the last one sent to this agency: a change of the record that this agency may
not see sends it nothing. The same view may still arrive twice (the disclosure service sends
a batch again after a crash, with the same `change_seq`): `python -m services.adapters feed`
drops it.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from schemas.agencies import AgencyCode
from schemas.base import Contract
from schemas.operation import OperationId, OperationStatus

FEED_CONTENT_TYPE = "application/json"
FEED_SCHEMA_ID = "urn:los:schema:feed:operation.view"

PolicyLabel = Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^\s]+\+[0-9a-f]{12}$", max_length=200), Field(
    description="The disclosure policy that decided the view, `id@version+digest` (digest: the first 12 hex"
                " digits of the SHA-256 of the policy's canonical form).")]


class _Open(BaseModel):
    """A disclosed shape: known fields checked, further ones kept (a newer version may add some)."""

    model_config = ConfigDict(frozen=True, extra="allow", hide_input_in_errors=True)


class TimelineItem(_Open):
    """One event of the operation as the agency may see it. Besides these fields, what was
    disclosed of it: `findings` (inspections) or `detail` (decisions, notices), `ref`,
    `premises`, `business`, `persons`; a finding or detail the agency may only know exists is
    `{"withheld": true, "category": ..., "provision": ...}`."""

    at: AwareDatetime = Field(description="When it happened.")
    agency: AgencyCode = Field(description="The agency whose event it is.")
    kind: Annotated[str, StringConstraints(min_length=1, max_length=40)] = Field(
        description="`inspection`, `decision`, `notification`, ...")
    event_id: uuid.UUID = Field(description="The event's id: the same item in every view and every agency's feed.")


class OperationView(_Open):
    """One agency's view of one operation record, after the disclosure rules."""

    operation_id: OperationId
    revision: int = Field(ge=1, description="The plan revision the record reflects.")
    title: str = Field(description="The operation's title, from the plan.")
    municipality: str = Field(description="The municipality of the operation, from the plan.")
    planned_date: datetime.date = Field(description="The day the operation is planned for.")
    status: OperationStatus = Field(description="Where the operation stands.")
    lead_agency: AgencyCode = Field(description="The agency that leads the operation.")
    participants: list[AgencyCode] = Field(description="The agencies taking part.")
    targets: list[str] = Field(description="The planned premises, by their correlation key.")
    timeline: list[TimelineItem] = Field(description="What the agency may see of each event, in time order.")
    inspections_by_agency: dict[str, int] = Field(description="Counts of the visible inspections only.")
    decisions_by_kind: dict[str, int] = Field(description="Counts of the visible decisions only.")
    amounts_sek: dict[str, int] = Field(description="Sums of the visible amounts only, by kind.")
    premises_visited: list[str] = Field(description="Premises of the visible inspections, by their correlation key.")
    withheld_items: int = Field(ge=0, description="Items whose existence only may be known.")


class OperationViewMessage(Contract):
    """What the disclosure rules let one agency see of one shared operation, sent on the
    agency's own feed whenever the operation's record changes."""

    TYPE: ClassVar[str] = "operation.view"
    type: Literal["operation.view"] = Field(description="What the message is; the only kind a feed carries today.")
    operation_id: OperationId
    change_seq: int = Field(ge=1, description=(
        "This agency's views of the operation, counted: one more than the view sent before it (views"
        " sent before this count was kept continue from the platform's change number they carried),"
        " so it tells nothing of changes this agency may not see; a view sent again keeps it. A view"
        " with a lower `change_seq` than one already received for the operation is older."))
    policy: PolicyLabel
    view: OperationView

    @model_validator(mode="after")
    def _same_operation(self) -> OperationViewMessage:
        if self.view.operation_id != self.operation_id:
            raise ValueError(f"the view is of operation {self.view.operation_id}, the message of {self.operation_id}")
        return self


def feed_message_json(operation_id: str, change_seq: int | None, policy: str, view: dict[str, Any]) -> dict[str, Any]:
    """The JSON of an `OperationViewMessage`, as the disclosure service sends it. Not validated
    here (that would put a schema check on the disclosure path); the contract tests hold what
    the enforcement point makes to the model."""
    return {"type": OperationViewMessage.TYPE, "operation_id": operation_id, "change_seq": change_seq,
            "policy": policy, "view": view}


def parse_feed_message(raw: bytes | str) -> OperationViewMessage:
    """Parse and validate one feed message; raises pydantic.ValidationError naming what is wrong."""
    return OperationViewMessage.model_validate_json(raw)


def feed_json_schema() -> dict[str, Any]:
    """The JSON Schema of a feed message."""
    return OperationViewMessage.model_json_schema()
