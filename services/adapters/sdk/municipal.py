"""What the municipal case systems' exports (rescue service, building, environment and health,
alcohol licensing, social services) have in common, whatever their file type.

Each row, element or object is a post of a case: a type code (`TILLSYN`, `BESLUT` ...), a number,
an optional version (empty: 1), `makulerad` and `registrerad`; then the LOS operation, the
premises, the business and the persons. Codes are upper case (`codes.MUNICIPAL_*`), a withdrawn
post becomes an EventRetractedV1 with id `event_id_for(agency, kind + ".makulering", number,
version)`, and every mapping error names the native field. An `Export` says what one format calls
these fields; the format modules keep the rest.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar
from uuid import UUID

from schemas.categories import Category
from schemas.decision import AmountKind
from schemas.envelope import Envelope, event_id_for
from schemas.events import (
    AnyData,
    AnyEvent,
    DecisionTakenV1,
    EventRetractedV1,
    InspectionConductedV1,
    NotificationSentV1,
    new_event,
)
from schemas.inspection import InspectionConducted
from schemas.subjects import Business, Industry, Person
from services.adapters.sdk import native, posts
from services.adapters.sdk.codes import (
    MUNICIPAL_APPEALS,
    MUNICIPAL_INDUSTRIES,
    MUNICIPAL_ROLES,
    TRUE_OR_FALSE,
    YesNo,
    upper_code,
)
from services.adapters.sdk.mapping import MappingContext
from services.adapters.sdk.native import FieldError, Row
from services.adapters.sdk.posts import NUMBER_OF_64

CODE = re.compile(r"[A-Z0-9_]{2,64}")
WITHDRAWN = ".makulering"
DECISION, NOTIFICATION = "beslut", "underrattelse"
Key = tuple[str, str, int]  # a written post: record kind, number, version
R = TypeVar("R")


@dataclass(frozen=True)
class Export:
    """What one municipal format calls the fields every post has. Prefixes locate nested
    fields in the flattened record (`objekt/` in XML, `plats.` in JSON, none in CSV)."""

    agency: str
    category: Category  # of every finding and decision
    what: str  # the export in writers' error messages, e.g. "tillsyn"
    types: Mapping[str, str]  # post type code -> record kind
    inspection: str  # the record kind of an inspection, e.g. "tillsyn"
    visited: str  # when the inspection took place
    follows: str  # a decision's reference to the inspection it follows
    type_field: str = "posttyp"
    number_field: str = "arendenummer"
    operation_field: str = "samverkansinsats"
    yes_no: YesNo = TRUE_OR_FALSE
    premises: str = ""
    address: str = "adress"
    industry: str = "verksamhetstyp"
    industries: Mapping[str, Industry] = field(default_factory=lambda: MUNICIPAL_INDUSTRIES)
    business: str = ""
    business_name: str = "namn"

    def identify(self, event: AnyEvent) -> tuple[str, str, UUID | None] | None:
        """(record kind, number, supersedes) of an event written as a post of this export."""
        if isinstance(event, InspectionConductedV1):
            return self.inspection, event.data.inspection_ref, event.data.supersedes
        if isinstance(event, DecisionTakenV1):
            return DECISION, event.data.decision_ref, event.data.supersedes
        if isinstance(event, NotificationSentV1) and NOTIFICATION in self.types.values():
            return NOTIFICATION, event.data.notification_ref, event.data.supersedes
        return None


@dataclass(frozen=True)
class Post:
    """The identity of a post as read, and what it maps to."""

    export: Export
    kind: str
    number: str
    version: int
    registered: datetime.datetime
    withdrawn: bool

    @classmethod
    def read(cls, row: Row, export: Export) -> Post:
        kind = upper_code(export.types, row.get(export.type_field, ""), export.type_field)
        number = posts.record_number(row, export.number_field, says=NUMBER_OF_64)
        version, registered = posts.version_or_first(row), native.parse_datetime(row, "registrerad")
        withdrawn = export.yes_no(row.get("makulerad", ""), "makulerad")
        return cls(export, kind, number, version, registered, withdrawn)

    def withdrawal(self, row: Row, ctx: MappingContext) -> AnyEvent:
        return posts.withdrawal(self.export.agency, self.kind, self.number, self.version, row, ctx.system,
                                suffix=WITHDRAWN)

    def common(self, row: Row, ctx: MappingContext) -> dict[str, Any]:
        """The LOS operation, the business and the version replaced."""
        return {"operation_id": native.optional(row, self.export.operation_field),
                "business": business(row, self.export, ctx),
                "supersedes": posts.supersedes(self.export.agency, self.kind, self.number, self.version)}

    def event(self, event_type: type[Envelope], data: AnyData, ctx: MappingContext) -> AnyEvent:
        return new_event(event_type, data, agency=self.export.agency, system=ctx.system, time=self.registered,
                         event_id=event_id_for(self.export.agency, self.kind, self.number, str(self.version)))

    def inspection(self, row: Row, ctx: MappingContext, common: dict[str, Any],
                   persons: Callable[[], list[Person]], findings: Callable[[], list[Any]]) -> AnyEvent:
        data = InspectionConducted.model_validate({
            **common, "inspection_ref": self.number,
            "conducted_at": native.parse_datetime(row, self.export.visited),
            "municipality": native.required(row, "kommun"),
            "premises": premises(row, self.export, needed=True), "persons_present": persons(),
            "findings": findings()})
        return self.event(InspectionConductedV1, data, ctx)

    def decision_head(self, row: Row) -> dict[str, Any]:
        """A decision's number, the inspection it follows and when it was taken."""
        return {"decision_ref": self.number,
                "inspection_ref": posts.optional_number(row, self.export.follows, says=NUMBER_OF_64),
                "decided_at": native.parse_datetime(row, "beslutstid")}

    def decision_tail(self, row: Row, persons: Callable[[], list[Person]]) -> dict[str, Any]:
        """A decision's premises, the persons it concerns and its appeal status."""
        return {"premises": premises(row, self.export, needed=False), "persons": persons(),
                "appeal_status": upper_code(MUNICIPAL_APPEALS, row.get("overklagande", ""), "overklagande",
                                            "EJ_OVERKLAGAT")}


def premises(row: Row, export: Export, *, needed: bool) -> dict[str, Any] | None:
    prefix = export.premises
    fastighet = native.optional(row, prefix + "fastighetsbeteckning")
    address = native.optional(row, prefix + export.address)
    if fastighet is None and address is None:
        if needed:
            raise FieldError(prefix + "fastighetsbeteckning",
                             f"fastighetsbeteckning or {export.address} is required")
        return None
    industry = prefix + export.industry
    return {"fastighetsbeteckning": fastighet, "address": address,
            "industry": upper_code(export.industries, row.get(industry, ""), industry, "OVRIGT")}


def business(row: Row, export: Export, ctx: MappingContext) -> Business | None:
    identity = native.optional(row, export.business + "organisationsnummer")
    if identity is None:
        return None
    return native.business(export.business + "organisationsnummer", identity,
                           native.required(row, export.business + export.business_name), ctx)


def person(row: Row, export: Export, ctx: MappingContext, prefix: str = "", *, role: str = "roll",
           given: bool = True) -> Person:
    """A person of `prefix` + personnummer, role and sekretessmarkering (`given`: the number is
    required, else an empty one is reported as not a personnummer)."""
    number, role, secret = prefix + "personnummer", prefix + role, prefix + "sekretessmarkering"
    return native.person(number, native.required(row, number) if given else row.get(number, ""),
                         upper_code(MUNICIPAL_ROLES, row.get(role, ""), role, "OVRIG"), ctx,
                         protected=export.yes_no(row.get(secret, ""), secret))


def finding_code(code: str, field: str) -> str:
    if not CODE.fullmatch(code):
        raise FieldError(field, f"{code!r} is not a code of A-Z, 0-9 and _")
    return code


def amount(row: Row, amount_kind: AmountKind | None) -> int | None:
    """A decision's belopp in whole kronor: required with an amount kind, else not allowed."""
    value = native.parse_int(row, "belopp", required_=amount_kind is not None)
    if value is not None and value < 0:
        raise FieldError("belopp", f"{value} is negative")
    if value is not None and amount_kind is None:
        raise FieldError("belopp", f"a {row['beslutstyp'].upper()} carries no amount")
    return value


def count(row: Row, field: str) -> int | None:
    number = native.parse_int(row, field, required_=False)
    if number is not None and number < 0:
        raise FieldError(field, f"{number} is negative")
    return number


# --- writing -------------------------------------------------------------------------------------


def index(events: Sequence[AnyEvent], export: Export) -> dict[UUID, Key]:
    """(record kind, number, version) of every post among `events`; every event must be the
    export's agency's and carry the id and supersedes of its version."""
    found: dict[UUID, Key] = {}
    for event in events:
        if event.losagency != export.agency:
            raise ValueError(f"{event.id} is {event.losagency}'s, not {export.agency}'s")
        post = export.identify(event)
        if post is not None:
            kind, number, replaced = post
            found[event.id] = (kind, number, _version(export.agency, kind, number, event.id, replaced))
    return found


def _version(agency: str, kind: str, number: str, event_id: UUID, replaced: UUID | None) -> int:
    version = posts.version_in_id(agency, kind, number, event_id, most=999)
    if version is None:
        raise ValueError(f"event {event_id} is not event_id_for({agency!r}, {kind!r}, {number!r}, version)")
    if replaced != posts.supersedes(agency, kind, number, version):
        raise ValueError(f"event {event_id}: version {version} of {number} must supersede version "
                         f"{version - 1} exactly (and version 1 nothing)")
    return version


def records(events: Sequence[AnyEvent], export: Export, written: Callable[[Any, Key], R],
            withdrawn: Callable[[EventRetractedV1, Key], R]) -> Iterator[R]:
    """The native record of each event, in order: `written` of a post, `withdrawn` of a retraction
    (which must retract a post among the events). The events are checked (`index`) at once."""
    found = index(events, export)
    return (_record(event, found, export, written, withdrawn) for event in events)


def _record(event: AnyEvent, found: Mapping[UUID, Key], export: Export, written: Callable[[Any, Key], R],
            withdrawn: Callable[[EventRetractedV1, Key], R]) -> R:
    if isinstance(event, EventRetractedV1):
        if event.data.retracts not in found:
            raise ValueError(f"{event.id} retracts {event.data.retracts}, which is not among the events")
        kind, number, version = found[event.data.retracts]
        if event.id != event_id_for(export.agency, kind + WITHDRAWN, number, str(version)):
            raise ValueError(f"{event.id} is not the id of a makulering of {number} version {version}")
        return withdrawn(event, found[event.data.retracts])
    if export.identify(event) is None:
        raise ValueError(f"{event.type} has no place in {export.agency}'s {export.what} export")
    return written(event, found[event.id])


def clear(pseudonym: str | None, clear_ids: Mapping[str, str]) -> str:
    """The 12-digit personnummer a pseudonym was made from."""
    if pseudonym is None or pseudonym not in clear_ids:
        raise ValueError("a pseudonym in the events has no personnummer in clear_ids")
    return clear_ids[pseudonym]


def identity(owner: Business, clear_ids: Mapping[str, str]) -> str:
    """The organisationsnummer, or a sole trader's personnummer."""
    return owner.orgnr or clear(owner.sole_trader, clear_ids)
