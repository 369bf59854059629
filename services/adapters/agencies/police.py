"""Polisen: LOS operation plans (JSON) and case records from inspections (XML).

Format "police-operations" (.json, UTF-8) is the planning system's export of insatsplaner:
`{"insatsplaner": [<plan>, ...]}`, each plan the whole plan as it stands at one revision
(OSL 18 kap. 1 § and 17 kap. 1 §). Errors give a plan's 1-based position as its line.

    insatsnummer            the operation id chosen by Polisen, e.g. "NKPG-2026-07" (A-Z, 0-9, -)
    revision                1 for the first plan, +1 for every change
    registrerad             when this revision was registered: ISO 8601 "2026-03-02T10:15:00+01:00",
                            without an offset Swedish local time; the event time
    rubrik                  title of the operation
    kommun                  municipality where it takes place
    insatsdatum             planned day, YYYY-MM-DD
    ledande_myndighet       the lead agency's LOS code (schemas/agencies.yaml), usually "POLICE"
    deltagande_myndigheter  list of the participating agencies' LOS codes, none twice
    status                  planerad | genomford | avslutad | installd
    objekt                  the premises to visit, each an object with fastighetsbeteckning and/or
                            adress (at least one), verksamhetstyp (default ovrigt), optionally
                            organisationsnummer (a sole trader's personnummer is accepted) with
                            foretagsnamn, and anteckning (a short note)
    makulerad               true withdraws revision `revision`; then only insatsnummer, revision,
                            registrerad and makuleringsorsak (the reason) are read

A plan maps to OperationPlannedV1 (revision 1) or OperationUpdatedV1 (revision > 1) with id
`event_id_for("POLICE", "insatsplan", insatsnummer, revision)`; a withdrawn plan to
EventRetractedV1 of that event, id `event_id_for("POLICE", "insatsplan-makulering", ...)`.

Format "police-cases" (.xml, UTF-8) is the case system's export of what Polisen did at the
premises: root <polisen_los_arenden>, one <post> per record (errors give its line), children:

    posttyp                 kontroll (an inspection: crime suspicions, inre utlänningskontroll
                            under UtlL 9 kap. 9 §) or beslut (a decision)
    referens                the record's number, e.g. "5000-K48213-26"
    version                 1, or 2, 3 ... for a correction, which replaces the version before it
    registrerad             when this version was registered (the event time), as above
    makulerad               true withdraws version `version` of the record; then only posttyp,
                            referens, version, registrerad and makuleringsorsak are read
    insatsnummer            the LOS operation, if any
    kontrollreferens        beslut: the referens of the inspection it follows, if any
    tidpunkt                when the inspection was carried out / the decision taken
    kommun                  municipality (kontroll: required)
    fastighetsbeteckning, adress, verksamhetstyp
                            the premises (kontroll: required; beslut: optional)
    organisationsnummer, foretagsnamn
                            the business, optional (a sole trader by personnummer)
    personer/person         persons concerned: personnummer (12 or 10 digits), roll (agare,
                            styrelseledamot, anstalld, ej_registrerad, ovrig), sekretessmarkering
                            (true/false: protected identity)
    iakttagelser/iakttagelse
                            kontroll findings: kod (A-Z, 0-9, _; e.g. MISSTANKT_HALERI,
                            UTLL_ARBETSTILLSTAND_SAKNAS), beskrivning, antal (optional, >= 0),
                            berorda/personnummer (the persons it concerns)
    beslutstyp              beslut: ANMALAN (polisanmälan) or OVRIGT (beslag, avvisning ...)
    lagrum                  beslut: the legal ground, e.g. "BrB 9 kap. 6 §", "UtlL 20 kap. 5 §"
    beskrivning             beslut: the decision in brief
    overklagande            beslut: ej_overklagat (default), overklagat, faststallt, upphavt,
                            laga_kraft

kontroll maps to InspectionConductedV1, beslut to DecisionTakenV1, both police intelligence
(Category.POLICE_INTELLIGENCE), id `event_id_for("POLICE", posttyp, referens, version)`; a
version > 1 supersedes version - 1; a withdrawn record maps to EventRetractedV1, id
`event_id_for("POLICE", posttyp + "-makulering", referens, version)`. Personnummer leave this
module only as pseudonyms. verksamhetstyp (both formats): bilverkstad, biltvatt,
tatueringsstudio, nagelsalong, frisor, restaurang, kiosk, livsmedelsgrossist, byggarbetsplats,
ovrigt.

`write` produces both formats from events with the ids above; a retraction must come with the
event it retracts. An event the format cannot express exactly raises ValueError.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar
from uuid import UUID
from xml.etree import ElementTree as ET

from pydantic import BaseModel, ValidationError

from schemas.agencies import load_agencies
from schemas.categories import Category
from schemas.decision import AppealStatus, DecisionKind, DecisionTaken
from schemas.envelope import event_id_for
from schemas.events import (
    AnyEvent,
    DecisionTakenV1,
    EventRetractedV1,
    InspectionConductedV1,
    OperationPlannedV1,
    OperationUpdatedV1,
    new_event,
)
from schemas.identifiers import IdentifierError, parse_personnummer
from schemas.inspection import Finding, InspectionConducted
from schemas.notification import EventRetracted
from schemas.operation import OperationPlan, OperationStatus, Target
from schemas.subjects import Business, Industry, Person, PersonRole, Premises
from services.adapters.sdk import native
from services.adapters.sdk.mapping import AgencyFormat, MappingContext, MappingResult

AGENCY = "POLICE"
PLAN, INSPECTION, DECISION, WITHDRAWN = "insatsplan", "kontroll", "beslut", "-makulering"
INDUSTRIES = {"bilverkstad": Industry.CAR_WORKSHOP, "biltvatt": Industry.CAR_WASH,
              "tatueringsstudio": Industry.TATTOO_STUDIO, "nagelsalong": Industry.NAIL_SALON,
              "frisor": Industry.HAIRDRESSER, "restaurang": Industry.RESTAURANT, "kiosk": Industry.KIOSK,
              "livsmedelsgrossist": Industry.FOOD_WHOLESALE,
              "byggarbetsplats": Industry.CONSTRUCTION_SITE, "ovrigt": Industry.OTHER}
ROLES = {"agare": PersonRole.OWNER, "styrelseledamot": PersonRole.BOARD_MEMBER,
         "anstalld": PersonRole.EMPLOYEE, "ej_registrerad": PersonRole.UNRECORDED_WORKER,
         "ovrig": PersonRole.OTHER}
STATUSES = {"planerad": OperationStatus.PLANNED, "genomford": OperationStatus.EXECUTED,
            "avslutad": OperationStatus.CLOSED, "installd": OperationStatus.CANCELLED}
APPEALS = {"ej_overklagat": AppealStatus.NOT_APPEALED, "overklagat": AppealStatus.APPEALED,
           "faststallt": AppealStatus.UPHELD, "upphavt": AppealStatus.OVERTURNED,
           "laga_kraft": AppealStatus.FINAL}
DECISIONS = {"ANMALAN": DecisionKind.POLISANMALAN, "OVRIGT": DecisionKind.OTHER}
_M = TypeVar("_M", bound=BaseModel)
_V = TypeVar("_V")


# --- shared by both formats --------------------------------------------------------------

def _make(model: type[_M], names: Mapping[str, str], **values: Any) -> _M:
    """Build a contract model; its first validation error names the native field."""
    try:
        return model(**values)
    except ValidationError as error:
        first = error.errors(include_input=False, include_url=False)[0]
        key = str(first["loc"][0]) if first["loc"] else "-"
        raise native.FieldError(names.get(key, key), first["msg"]) from None


@contextmanager
def _within(prefix: str) -> Iterator[None]:
    try:
        yield
    except native.FieldError as error:
        raise native.FieldError(prefix + error.field, error.message) from None


def _code(table: Mapping[str, _V], row: native.Row, field: str, default: str | None = None) -> _V:
    value = native.optional(row, field) or default or ""
    if value not in table:
        raise native.FieldError(field, f"{value or 'empty'!r} is not one of {', '.join(table)}")
    return table[value]


def _key(table: Mapping[str, _V], value: _V) -> str:
    for key, known in table.items():
        if known == value:
            return key
    raise ValueError(f"{value!r} has no code in this format (codes: {', '.join(table)})")


def _flag(row: native.Row, field: str) -> bool:
    value = native.optional(row, field) or "false"
    if value not in ("true", "false"):
        raise native.FieldError(field, f"{value!r} is not true or false")
    return value == "true"


def _premises(row: native.Row) -> Premises:
    if not native.optional(row, "fastighetsbeteckning") and not native.optional(row, "adress"):
        raise native.FieldError("fastighetsbeteckning", "fastighetsbeteckning or adress is required")
    return _make(Premises, {"address": "adress"},
                 fastighetsbeteckning=native.optional(row, "fastighetsbeteckning"),
                 address=native.optional(row, "adress"),
                 industry=_code(INDUSTRIES, row, "verksamhetstyp", "ovrigt"))


def _business(row: native.Row, ctx: MappingContext) -> Business | None:
    identity = native.optional(row, "organisationsnummer")
    if identity is None:
        return None
    name = native.required(row, "foretagsnamn")
    try:
        return native.business("organisationsnummer", identity, name, ctx)
    except native.FieldError:
        digits = identity.replace("-", "").replace("+", "")
        if (len(digits) == 12 and not digits.startswith("16")) or (len(digits) == 10 and digits[2:4] < "20"):
            try:
                parse_personnummer(identity, today=ctx.today)
            except IdentifierError as error:  # this message does not repeat the number
                raise native.FieldError("organisationsnummer", f"sole trader's {error}") from None
        raise


def _person(element: ET.Element, ctx: MappingContext) -> Person:
    row = _children(element)
    return native.person("personnummer", native.required(row, "personnummer"),
                         _code(ROLES, row, "roll"), ctx,
                         protected=_flag(row, "sekretessmarkering"))


def _ref(row: native.Row, field: str) -> str:
    value = native.required(row, field)
    native_ok = value[:1].isalnum() and all(c.isalnum() or c in "_./:-" for c in value)
    if not native_ok or len(value) > 64 or not value.isascii():
        raise native.FieldError(field, f"{value!r} is not a record number (A-Z, 0-9, _ . / : -)")
    return value


def _version(row: native.Row, field: str) -> int:
    version = native.parse_int(row, field)
    if version is None or version < 1:
        raise native.FieldError(field, "must be 1 or more")
    return version


def _version_of(event: AnyEvent, kind: str, ref: str) -> int:
    for version in range(1, 10_001):
        if event_id_for(AGENCY, kind, ref, str(version)) == event.id:
            return version
    raise ValueError(f"event {event.id} does not have the id event_id_for({AGENCY!r}, {kind!r}, "
                     f"{ref!r}, version) this format gives it; it cannot be written as {kind}")


def _clear(pseudonym: str, clear_ids: Mapping[str, str]) -> str:
    if pseudonym not in clear_ids:
        raise ValueError(f"clear_ids has no personnummer for {pseudonym}")
    pnr = clear_ids[pseudonym]
    return f"{pnr[:8]}-{pnr[8:]}"


def _retraction(kind: str, ref: str, version: int, row: native.Row, ctx: MappingContext) -> AnyEvent:
    return new_event(EventRetractedV1, EventRetracted(
        retracts=event_id_for(AGENCY, kind, ref, str(version)),
        reason=native.required(row, "makuleringsorsak")),
        agency=AGENCY, event_id=event_id_for(AGENCY, kind + WITHDRAWN, ref, str(version)),
        time=native.parse_datetime(row, "registrerad"), system=ctx.system)


def _written(events: Sequence[AnyEvent], ref_of: Callable[[AnyEvent], tuple[str, str] | None],
             ) -> dict[UUID, tuple[str, str, int]]:
    """(kind, ref, version) of every event in `events` a later retraction may name."""
    known = {}
    for event in events:
        found = ref_of(event)
        if found is not None:
            known[event.id] = (*found, _version_of(event, *found))
    return known


def _retracted(event: AnyEvent, known: Mapping[UUID, tuple[str, str, int]]) -> tuple[str, str, int]:
    assert isinstance(event, EventRetractedV1)
    if event.data.retracts not in known:
        raise ValueError(f"retraction {event.id}: the retracted event must be in the same export")
    kind, ref, version = known[event.data.retracts]
    if event.id != event_id_for(AGENCY, kind + WITHDRAWN, ref, str(version)):
        raise ValueError(f"retraction {event.id} does not have this format's id")
    return kind, ref, version


# --- police-operations --------------------------------------------------------------------

def _flat(record: object) -> dict[str, str]:
    if not isinstance(record, dict):
        raise native.FieldError("-", "a record must be a JSON object")
    return {k: "" if v is None else str(v).lower() if isinstance(v, bool) else str(v)
            for k, v in record.items() if not isinstance(v, list | dict)}


def _agency(value: object, field: str) -> str:
    if not isinstance(value, str) or value not in load_agencies():
        raise native.FieldError(field, f"{value!r} is not an agency code of schemas/agencies.yaml")
    return value


def _target(record: object, ctx: MappingContext) -> Target:
    row = _flat(record)
    return _make(Target, {"note": "anteckning"}, premises=_premises(row), business=_business(row, ctx),
                 note=native.optional(row, "anteckning"))


class PoliceOperations:
    name = "police-operations"
    agency = AGENCY
    suffix = ".json"
    description = "Polisen: insatsplaner for LOS operations, one JSON object per plan revision"

    def read(self, path: Path, ctx: MappingContext) -> Iterator[MappingResult]:
        return native.map_records(path, native.read_json_records(path, "insatsplaner"),
                                  lambda record: self._build(record, ctx))

    def _build(self, record: object, ctx: MappingContext) -> AnyEvent:
        row = _flat(record)
        number, revision = _ref(row, "insatsnummer"), _version(row, "revision")
        if _flag(row, "makulerad"):
            return _retraction(PLAN, number, revision, row, ctx)
        assert isinstance(record, dict)
        participants = record.get("deltagande_myndigheter")
        if not isinstance(participants, list) or not participants:
            raise native.FieldError("deltagande_myndigheter", "must be a non-empty list of agency codes")
        targets = record.get("objekt", [])
        if not isinstance(targets, list):
            raise native.FieldError("objekt", "must be a list of premises")
        parsed = []
        for index, target in enumerate(targets):
            with _within(f"objekt[{index}]."):
                parsed.append(_target(target, ctx))
        plan = _make(OperationPlan, {"operation_id": "insatsnummer", "title": "rubrik",
                                     "municipality": "kommun", "participants": "deltagande_myndigheter",
                                     "targets": "objekt"},
                     operation_id=number, revision=revision, title=native.required(row, "rubrik"),
                     municipality=native.required(row, "kommun"),
                     planned_date=native.parse_date(row, "insatsdatum"),
                     lead_agency=_agency(record.get("ledande_myndighet"), "ledande_myndighet"),
                     participants=[_agency(code, "deltagande_myndigheter") for code in participants],
                     targets=parsed, status=_code(STATUSES, row, "status"))
        return new_event(OperationPlannedV1 if revision == 1 else OperationUpdatedV1, plan, agency=AGENCY,
                         event_id=event_id_for(AGENCY, PLAN, number, str(revision)),
                         time=native.parse_datetime(row, "registrerad"), system=ctx.system)

    def write(self, events: Sequence[AnyEvent], path: Path, ctx: MappingContext,
              clear_ids: Mapping[str, str]) -> None:
        plans = (OperationPlannedV1, OperationUpdatedV1)
        known = _written(events, lambda e: (PLAN, e.data.operation_id) if isinstance(e, plans) else None)
        records: list[dict[str, object]] = []
        for event in events:
            if isinstance(event, EventRetractedV1):
                _, number, revision = _retracted(event, known)
                records.append({"insatsnummer": number, "revision": revision,
                                "registrerad": event.time.isoformat(), "makulerad": True,
                                "makuleringsorsak": event.data.reason})
            elif isinstance(event, plans):
                plan = event.data
                if known[event.id][2] != plan.revision or isinstance(event, OperationPlannedV1) != (
                        plan.revision == 1):
                    raise ValueError(f"event {event.id}: id, type and revision do not agree")
                records.append({
                    "insatsnummer": plan.operation_id, "revision": plan.revision,
                    "registrerad": event.time.isoformat(), "rubrik": plan.title, "kommun": plan.municipality,
                    "insatsdatum": plan.planned_date.isoformat(), "ledande_myndighet": plan.lead_agency,
                    "deltagande_myndigheter": plan.participants, "status": _key(STATUSES, plan.status),
                    "objekt": [_target_record(t, clear_ids) for t in plan.targets]})
            else:
                raise ValueError(f"{self.name} cannot hold a {event.type} event")
        path.write_text(json.dumps({"insatsplaner": records}, ensure_ascii=False, indent=2) + "\n",
                        encoding="utf-8")


def _target_record(target: Target, clear_ids: Mapping[str, str]) -> dict[str, str]:
    record = _premises_record(target.premises) | _business_record(target.business, clear_ids)
    return record | ({"anteckning": target.note} if target.note else {})


def _premises_record(premises: Premises) -> dict[str, str]:
    record = {"fastighetsbeteckning": premises.fastighetsbeteckning, "adress": premises.address,
              "verksamhetstyp": _key(INDUSTRIES, premises.industry)}
    return {k: v for k, v in record.items() if v}


def _business_record(business: Business | None, clear_ids: Mapping[str, str]) -> dict[str, str]:
    if business is None:
        return {}
    identity = business.orgnr or _clear(business.sole_trader or "", clear_ids)
    return {"organisationsnummer": identity, "foretagsnamn": business.name}


# --- police-cases -------------------------------------------------------------------------

def _children(element: ET.Element) -> dict[str, str]:
    return {child.tag: (child.text or "").strip() for child in element if len(child) == 0}


_CASE_NAMES = {"inspection_ref": "referens", "decision_ref": "referens", "operation_id": "insatsnummer",
               "municipality": "kommun", "legal_reference": "lagrum", "summary": "beskrivning"}


def _finding(element: ET.Element, ctx: MappingContext) -> Finding:
    row = _children(element)
    concerned = [native.person("berorda/personnummer", (e.text or "").strip(), PersonRole.OTHER, ctx)
                 for e in element.iterfind("berorda/personnummer")]
    return _make(Finding, {"code": "kod", "summary": "beskrivning", "count": "antal"},
                 code=native.required(row, "kod"), category=Category.POLICE_INTELLIGENCE,
                 summary=native.required(row, "beskrivning"),
                 count=native.parse_int(row, "antal", required_=False),
                 persons=[p.pseudonym for p in concerned])


class PoliceCases:
    name = "police-cases"
    agency = AGENCY
    suffix = ".xml"
    description = "Polisen: inspections and decisions (polisanmälan) at LOS premises, XML <post> records"

    def read(self, path: Path, ctx: MappingContext) -> Iterator[MappingResult]:
        return native.map_records(path, native.read_xml_records(path, "post"),
                                  lambda element: self._build(element, ctx))

    def _build(self, element: ET.Element, ctx: MappingContext) -> AnyEvent:
        row = _children(element)
        kind = native.required(row, "posttyp")
        if kind not in (INSPECTION, DECISION):
            raise native.FieldError("posttyp", f"{kind!r} is not kontroll or beslut")
        ref, version = _ref(row, "referens"), _version(row, "version")
        if _flag(row, "makulerad"):
            return _retraction(kind, ref, version, row, ctx)
        persons = []
        for index, item in enumerate(element.iterfind("personer/person"), start=1):
            with _within(f"personer/person[{index}]/"):
                persons.append(_person(item, ctx))
        supersedes = None if version == 1 else event_id_for(AGENCY, kind, ref, str(version - 1))
        common: dict[str, Any] = {"operation_id": native.optional(row, "insatsnummer"),
                                  "business": _business(row, ctx), "supersedes": supersedes}
        data: InspectionConducted | DecisionTaken
        if kind == INSPECTION:
            findings = []
            for index, item in enumerate(element.iterfind("iakttagelser/iakttagelse"), start=1):
                with _within(f"iakttagelser/iakttagelse[{index}]/"):
                    findings.append(_finding(item, ctx))
            data = _make(InspectionConducted, _CASE_NAMES, inspection_ref=ref,
                         conducted_at=native.parse_datetime(row, "tidpunkt"),
                         municipality=native.required(row, "kommun"), premises=_premises(row),
                         persons_present=persons, findings=findings, **common)
        else:
            has_premises = native.optional(row, "fastighetsbeteckning") or native.optional(row, "adress")
            data = _make(DecisionTaken, _CASE_NAMES, decision_ref=ref,
                         inspection_ref=native.optional(row, "kontrollreferens"),
                         decided_at=native.parse_datetime(row, "tidpunkt"),
                         kind=_code(DECISIONS, row, "beslutstyp"), category=Category.POLICE_INTELLIGENCE,
                         legal_reference=native.required(row, "lagrum"),
                         summary=native.required(row, "beskrivning"),
                         premises=_premises(row) if has_premises else None, persons=persons,
                         appeal_status=_code(APPEALS, row, "overklagande", "ej_overklagat"), **common)
        return new_event(InspectionConductedV1 if kind == INSPECTION else DecisionTakenV1, data,
                         agency=AGENCY, event_id=event_id_for(AGENCY, kind, ref, str(version)),
                         time=native.parse_datetime(row, "registrerad"), system=ctx.system)

    def write(self, events: Sequence[AnyEvent], path: Path, ctx: MappingContext,
              clear_ids: Mapping[str, str]) -> None:
        known = _written(events, _case_ref)
        root = ET.Element("polisen_los_arenden")
        for event in events:
            post = ET.SubElement(root, "post")
            if isinstance(event, EventRetractedV1):
                kind, ref, version = _retracted(event, known)
                _add(post, posttyp=kind, referens=ref, version=str(version),
                     registrerad=event.time.isoformat(), makulerad="true",
                     makuleringsorsak=event.data.reason)
            elif isinstance(event, InspectionConductedV1 | DecisionTakenV1):
                _write_case(post, event, known[event.id], clear_ids)
            else:
                raise ValueError(f"{self.name} cannot hold a {event.type} event")
        ET.indent(root)
        ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


def _case_ref(event: AnyEvent) -> tuple[str, str] | None:
    if isinstance(event, InspectionConductedV1):
        return INSPECTION, event.data.inspection_ref
    if isinstance(event, DecisionTakenV1):
        return DECISION, event.data.decision_ref
    return None


def _add(parent: ET.Element, **values: str | None) -> None:
    for tag, value in values.items():
        if value:
            ET.SubElement(parent, tag).text = value


def _write_case(post: ET.Element, event: InspectionConductedV1 | DecisionTakenV1,
                known: tuple[str, str, int], clear_ids: Mapping[str, str]) -> None:
    kind, ref, version = known
    data = event.data
    expected = None if version == 1 else event_id_for(AGENCY, kind, ref, str(version - 1))
    if data.supersedes != expected:
        raise ValueError(f"event {event.id}: supersedes must be version {version - 1} of {ref}")
    _add(post, posttyp=kind, referens=ref, version=str(version), registrerad=event.time.isoformat(),
         insatsnummer=data.operation_id)
    people: list[Person]
    if isinstance(data, InspectionConducted):
        _add(post, tidpunkt=data.conducted_at.isoformat(), kommun=data.municipality)
        people = data.persons_present
    else:
        _add(post, kontrollreferens=data.inspection_ref, tidpunkt=data.decided_at.isoformat())
        people = data.persons
    _add(post, **(_premises_record(data.premises) if data.premises else {}))
    _add(post, **_business_record(data.business, clear_ids))
    if people:
        listing = ET.SubElement(post, "personer")
        for person in people:
            _add(ET.SubElement(listing, "person"), personnummer=_clear(person.pseudonym, clear_ids),
                 roll=_key(ROLES, person.role), sekretessmarkering=str(person.protected_identity).lower())
    if isinstance(data, InspectionConducted):
        findings = ET.SubElement(post, "iakttagelser") if data.findings else None
        for finding in data.findings:
            if finding.category != Category.POLICE_INTELLIGENCE:
                raise ValueError(f"event {event.id}: police findings are police intelligence")
            item = ET.SubElement(findings, "iakttagelse")  # type: ignore[arg-type]
            _add(item, kod=finding.code, beskrivning=finding.summary,
                 antal=None if finding.count is None else str(finding.count))
            concerned = ET.SubElement(item, "berorda") if finding.persons else item
            for pseudonym in finding.persons:
                ET.SubElement(concerned, "personnummer").text = _clear(pseudonym, clear_ids)
    else:
        if data.category != Category.POLICE_INTELLIGENCE or data.amount_sek is not None:
            raise ValueError(f"event {event.id}: a police decision is police intelligence without amount")
        _add(post, beslutstyp=_key(DECISIONS, data.kind), lagrum=data.legal_reference,
             beskrivning=data.summary, overklagande=_key(APPEALS, data.appeal_status))


FORMATS: list[AgencyFormat] = [PoliceOperations(), PoliceCases()]
