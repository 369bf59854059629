"""What the national agencies' LOS exports (Polisen's case records, Skatteverket, Kronofogden,
Försäkringskassan, Arbetsförmedlingen, Arbetsmiljöverket) have in common, whatever their file type.

A record has a type (`kontroll`, `beslut` ...), a number, a version that is always given,
`registrerad` and `makulerad`; a withdrawn version becomes an EventRetractedV1 with id
`event_id_for(agency, kind + "-makulering", number, version)`. Codes are lower case
(`codes.NATIONAL_*`), a sole trader's bad personnummer is reported as such, and a contract model's
first validation error names the native field. Writers check ids against the versions they
recover and write personnummer as `YYYYMMDD-NNNN`.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from uuid import UUID

from schemas.categories import Category
from schemas.envelope import Envelope, event_id_for
from schemas.events import (
    AnyData,
    AnyEvent,
    DecisionTakenV1,
    EventRetractedV1,
    InspectionConductedV1,
    new_event,
)
from schemas.identifiers import IdentifierError, parse_personnummer
from schemas.inspection import Finding, InspectionConducted
from schemas.subjects import Business, Person, Premises
from services.adapters.sdk import native, posts
from services.adapters.sdk.codes import NATIONAL_INDUSTRIES, NATIONAL_ROLES, ONE_OF_TRUE_FALSE, YesNo, code
from services.adapters.sdk.mapping import MappingContext
from services.adapters.sdk.native import FieldError, Row
from services.adapters.sdk.records import build

WITHDRAWN = "-makulering"
FINDING_NAMES = {"code": "kod", "summary": "beskrivning", "count": "antal"}
Key = tuple[str, str, int]  # a written record: kind, number, version
Case = InspectionConductedV1 | DecisionTakenV1
R = TypeVar("R")


@dataclass(frozen=True)
class Export:
    """What one national format calls the fields every record has."""

    agency: str
    kinds: Mapping[str, str]  # type code -> record kind
    number_field: str
    type_field: str = "posttyp"
    yes_no: YesNo = ONE_OF_TRUE_FALSE  # how `makulerad` is spelt


@dataclass(frozen=True)
class Record:
    """The identity of a record as read."""

    export: Export
    kind: str
    number: str
    version: int
    time: datetime.datetime
    withdrawn: bool

    @classmethod
    def read(cls, row: Row, export: Export) -> Record:
        kind = code(export.kinds, row, export.type_field)
        number, version = posts.record_number(row, export.number_field), posts.version(row)
        return cls(export, kind, number, version, native.parse_datetime(row, "registrerad"),
                   export.yes_no(row.get("makulerad", ""), "makulerad"))

    @property
    def supersedes(self) -> UUID | None:
        return posts.supersedes(self.export.agency, self.kind, self.number, self.version)

    def withdrawal(self, row: Row, ctx: MappingContext) -> AnyEvent:
        return posts.withdrawal(self.export.agency, self.kind, self.number, self.version, row, ctx.system,
                                suffix=WITHDRAWN)

    def event(self, event_type: type[Envelope], data: AnyData, ctx: MappingContext) -> AnyEvent:
        return new_event(event_type, data, agency=self.export.agency, time=self.time, system=ctx.system,
                         event_id=event_id_for(self.export.agency, self.kind, self.number, str(self.version)))


def business(field: str, identity: str, name: str, ctx: MappingContext) -> Business:
    """`native.business`, but a sole trader's personnummer that is wrong says so (without
    repeating the number)."""
    try:
        return native.business(field, identity, name, ctx)
    except FieldError:
        digits = identity.replace("-", "").replace("+", "")
        if (len(digits) == 12 and digits[:2] != "16") or (len(digits) == 10 and digits[2:4] < "20"):
            try:
                parse_personnummer(identity, today=ctx.today)
            except IdentifierError as error:
                raise FieldError(field, f"sole trader's {error}") from None
        raise


def optional_business(row: Row, field: str, name: str, ctx: MappingContext) -> Business | None:
    identity = native.optional(row, field)
    if identity is None:
        return None
    return business(field, identity, native.required(row, name), ctx)


def premises(row: Row, industry: str = "verksamhetstyp") -> Premises:
    """The premises: fastighetsbeteckning and/or adress, and the industry (default ovrigt)."""
    if not native.optional(row, "fastighetsbeteckning") and not native.optional(row, "adress"):
        raise FieldError("fastighetsbeteckning", "fastighetsbeteckning or adress is required")
    return build(Premises, {"address": "adress"},
                 fastighetsbeteckning=native.optional(row, "fastighetsbeteckning"),
                 address=native.optional(row, "adress"),
                 industry=code(NATIONAL_INDUSTRIES, row, industry, "ovrigt"))


def person(row: Row, ctx: MappingContext, yes_no: YesNo = ONE_OF_TRUE_FALSE) -> Person:
    """A person of a nested record with personnummer, roll and sekretessmarkering."""
    return native.person("personnummer", native.required(row, "personnummer"),
                         code(NATIONAL_ROLES, row, "roll"), ctx,
                         protected=yes_no(row.get("sekretessmarkering", ""), "sekretessmarkering"))


def finding(row: Row, category: Category, concerned: list[str]) -> Finding:
    """A finding of a nested record with kod, beskrivning, antal; `concerned` are pseudonyms."""
    return build(Finding, FINDING_NAMES, code=native.required(row, "kod"), category=category,
                 summary=native.required(row, "beskrivning"),
                 count=native.parse_int(row, "antal", required_=False), persons=concerned)


def decision(row: Row, decisions: Mapping[str, tuple[Any, ...]], *, leave: str,
             negative: str) -> dict[str, Any]:
    """A decision's kind and belopp (whole kronor) by its beslutstyp: `decisions` maps each to
    (kind, amount kind) or (kind, amount kind, belopp required); without a third item belopp is
    required with an amount kind. `leave` says how to give no amount ("out", "empty"),
    `negative` what to give instead of a negative one."""
    kind, amount_kind, *required = code(decisions, row, "beslutstyp")
    value = native.parse_int(row, "belopp", required_=required[0] if required else amount_kind is not None)
    if value is not None and amount_kind is None:
        raise FieldError("belopp", f"a {row['beslutstyp']} has no amount; leave belopp {leave}")
    if value is not None and value < 0:
        raise FieldError("belopp", f"{value} is negative; {negative}")
    return {"kind": kind, "amount_sek": value, "amount_kind": None if value is None else amount_kind}


# --- writing -------------------------------------------------------------------------------------


def case_key(event: Case, agency: str, inspection: str, decision: str = "beslut") -> Key:
    """(kind, number, version) of an inspection or decision; its id and supersedes must be those
    this format gives that version."""
    data = event.data
    kind, number = ((inspection, data.inspection_ref) if isinstance(data, InspectionConducted)
                    else (decision, data.decision_ref))
    version = posts.version_in_id(agency, kind, number, event.id)
    if version is None or data.supersedes != posts.supersedes(agency, kind, number, version):
        raise ValueError(f"event {event.id}: id or supersedes differ from event_id_for({agency!r}, "
                         f"{kind!r}, {number!r}, version) and version - 1 of this format")
    return kind, number, version


def withdrawn_key(event: EventRetractedV1, known: Mapping[UUID, Key], agency: str) -> Key:
    """The record a retraction withdraws, which must be among the events written."""
    if event.data.retracts not in known:
        raise ValueError(f"retraction {event.id}: the retracted event must be in the same export")
    kind, number, version = known[event.data.retracts]
    if event.id != event_id_for(agency, kind + WITHDRAWN, number, str(version)):
        raise ValueError(f"retraction {event.id} does not have this format's id")
    return kind, number, version


def records(events: Sequence[AnyEvent], name: str, agency: str, written: Callable[[Case], tuple[Key, R]],
            withdrawn: Callable[[EventRetractedV1, Key], R]) -> list[R]:
    """The native record of each event, in order: `written` of every inspection and decision
    (made first), `withdrawn` of a retraction."""
    cases = {e.id: written(e) for e in events if isinstance(e, InspectionConductedV1 | DecisionTakenV1)}
    keys = {event_id: key for event_id, (key, _) in cases.items()}
    result = []
    for event in events:
        if isinstance(event, EventRetractedV1):
            result.append(withdrawn(event, withdrawn_key(event, keys, agency)))
        elif event.id in cases:
            result.append(cases[event.id][1])
        else:
            raise ValueError(f"{name} cannot hold a {event.type} event")
    return result


def clear(pseudonym: str, clear_ids: Mapping[str, str]) -> str:
    """The personnummer a pseudonym was made from, as `YYYYMMDD-NNNN`."""
    if pseudonym not in clear_ids:
        raise ValueError(f"clear_ids has no personnummer for {pseudonym}")
    return f"{clear_ids[pseudonym][:8]}-{clear_ids[pseudonym][8:]}"


def identity(owner: Business, clear_ids: Mapping[str, str]) -> str:
    """The organisationsnummer, or a sole trader's personnummer."""
    return owner.orgnr or clear(owner.sole_trader or "", clear_ids)
