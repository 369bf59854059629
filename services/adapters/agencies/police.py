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

from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar
from uuid import UUID
from xml.etree import ElementTree

from schemas.agencies import load_agencies
from schemas.categories import Category
from schemas.decision import DecisionKind, DecisionTaken
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
from schemas.inspection import InspectionConducted
from schemas.operation import OperationPlan, OperationStatus, Target
from services.adapters.sdk import cases_xml, national, native, posts
from services.adapters.sdk.codes import NATIONAL_APPEALS, TRUE_OR_FALSE, code, code_for
from services.adapters.sdk.mapping import AgencyFormat, MappingContext, MappingResult
from services.adapters.sdk.records import build, each, json_row, xml_row
from services.adapters.sdk.writers import add_present, write_json, write_xml

AGENCY = "POLICE"
PLAN, INSPECTION, DECISION, WITHDRAWN = "insatsplan", "kontroll", "beslut", national.WITHDRAWN
CATEGORY = Category.POLICE_INTELLIGENCE
STATUSES = {"planerad": OperationStatus.PLANNED, "genomford": OperationStatus.EXECUTED,
            "avslutad": OperationStatus.CLOSED, "installd": OperationStatus.CANCELLED}
DECISIONS = {"ANMALAN": DecisionKind.POLISANMALAN, "OVRIGT": DecisionKind.OTHER}
PLAN_NAMES = {"operation_id": "insatsnummer", "title": "rubrik", "municipality": "kommun",
              "participants": "deltagande_myndigheter", "targets": "objekt"}
CASE_NAMES = {"inspection_ref": "referens", "decision_ref": "referens", "operation_id": "insatsnummer",
              "municipality": "kommun", "legal_reference": "lagrum", "summary": "beskrivning"}
ELEMENTS = cases_xml.Elements("post", "posttyp", "referens", "kontrollreferens", "foretagsnamn", CATEGORY,
                              "police findings are police intelligence")
R = TypeVar("R")


# --- shared by both formats --------------------------------------------------------------

def _withdrawal(kind: str, number: str, version: int, row: native.Row, ctx: MappingContext) -> AnyEvent:
    return posts.withdrawal(AGENCY, kind, number, version, row, ctx.system, suffix=WITHDRAWN)


def _known(events: Sequence[AnyEvent], ref_of: Callable[[AnyEvent], tuple[str, str] | None],
           ) -> dict[UUID, national.Key]:
    """(kind, ref, version) of every event in `events` a later retraction may name."""
    known = {}
    for event in events:
        found = ref_of(event)
        if found is not None:
            kind, ref = found
            version = posts.version_in_id(AGENCY, kind, ref, event.id)
            if version is None:
                raise ValueError(f"event {event.id} does not have the id event_id_for({AGENCY!r}, {kind!r}, "
                                 f"{ref!r}, version) this format gives it; it cannot be written as {kind}")
            known[event.id] = (kind, ref, version)
    return known


def _records(events: Sequence[AnyEvent], name: str, ref_of: Callable[[AnyEvent], tuple[str, str] | None],
             written: Callable[[Any, national.Key], R],
             withdrawn: Callable[[EventRetractedV1, national.Key], R]) -> list[R]:
    """The native record of each event, in order, once every event's version is known."""
    known = _known(events, ref_of)
    result = []
    for event in events:
        if isinstance(event, EventRetractedV1):
            result.append(withdrawn(event, national.withdrawn_key(event, known, AGENCY)))
        elif ref_of(event) is not None:
            result.append(written(event, known[event.id]))
        else:
            raise ValueError(f"{name} cannot hold a {event.type} event")
    return result


# --- police-operations --------------------------------------------------------------------

def _agency(value: object, field: str) -> str:
    if not isinstance(value, str) or value not in load_agencies():
        raise native.FieldError(field, f"{value!r} is not an agency code of schemas/agencies.yaml")
    return value


def _target(record: object, ctx: MappingContext) -> Target:
    row = json_row(record, "a record")
    return build(Target, {"note": "anteckning"}, premises=national.premises(row),
                 business=national.optional_business(row, "organisationsnummer", "foretagsnamn", ctx),
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
        row = json_row(record, "a record")
        number, revision = posts.record_number(row, "insatsnummer"), posts.version(row, "revision")
        if TRUE_OR_FALSE(row.get("makulerad", ""), "makulerad"):
            return _withdrawal(PLAN, number, revision, row, ctx)
        assert isinstance(record, dict)
        participants = record.get("deltagande_myndigheter")
        if not isinstance(participants, list) or not participants:
            raise native.FieldError("deltagande_myndigheter", "must be a non-empty list of agency codes")
        targets = record.get("objekt", [])
        if not isinstance(targets, list):
            raise native.FieldError("objekt", "must be a list of premises")
        parsed = each(targets, "objekt[{}].", lambda target: _target(target, ctx))
        plan = build(OperationPlan, PLAN_NAMES, operation_id=number, revision=revision,
                     title=native.required(row, "rubrik"), municipality=native.required(row, "kommun"),
                     planned_date=native.parse_date(row, "insatsdatum"),
                     lead_agency=_agency(record.get("ledande_myndighet"), "ledande_myndighet"),
                     participants=[_agency(code, "deltagande_myndigheter") for code in participants],
                     targets=parsed, status=code(STATUSES, row, "status"))
        return new_event(OperationPlannedV1 if revision == 1 else OperationUpdatedV1, plan, agency=AGENCY,
                         event_id=event_id_for(AGENCY, PLAN, number, str(revision)),
                         time=native.parse_datetime(row, "registrerad"), system=ctx.system)

    def write(self, events: Sequence[AnyEvent], path: Path, ctx: MappingContext,
              clear_ids: Mapping[str, str]) -> None:
        records = _records(events, self.name, _plan_ref,
                           lambda event, key: _plan_record(event, key, clear_ids), _withdrawn_plan)
        write_json(path, {"insatsplaner": records})


def _plan_ref(event: AnyEvent) -> tuple[str, str] | None:
    if isinstance(event, OperationPlannedV1 | OperationUpdatedV1):
        return PLAN, event.data.operation_id
    return None


def _withdrawn_plan(event: EventRetractedV1, key: national.Key) -> dict[str, object]:
    _, number, revision = key
    return {"insatsnummer": number, "revision": revision, "registrerad": event.time.isoformat(),
            "makulerad": True, "makuleringsorsak": event.data.reason}


def _plan_record(event: OperationPlannedV1 | OperationUpdatedV1, key: national.Key,
                 clear_ids: Mapping[str, str]) -> dict[str, object]:
    plan = event.data
    if key[2] != plan.revision or isinstance(event, OperationPlannedV1) != (plan.revision == 1):
        raise ValueError(f"event {event.id}: id, type and revision do not agree")
    return {"insatsnummer": plan.operation_id, "revision": plan.revision,
            "registrerad": event.time.isoformat(), "rubrik": plan.title, "kommun": plan.municipality,
            "insatsdatum": plan.planned_date.isoformat(), "ledande_myndighet": plan.lead_agency,
            "deltagande_myndigheter": plan.participants, "status": code_for(STATUSES, plan.status),
            "objekt": [_target_record(t, clear_ids) for t in plan.targets]}


def _target_record(target: Target, clear_ids: Mapping[str, str]) -> dict[str, str]:
    record = cases_xml.premises_fields(target.premises) | cases_xml.business_fields(target.business,
                                                                                    "foretagsnamn", clear_ids)
    return record | ({"anteckning": target.note} if target.note else {})


# --- police-cases -------------------------------------------------------------------------

class PoliceCases:
    name = "police-cases"
    agency = AGENCY
    suffix = ".xml"
    description = "Polisen: inspections and decisions (polisanmälan) at LOS premises, XML <post> records"

    def read(self, path: Path, ctx: MappingContext) -> Iterator[MappingResult]:
        return native.map_records(path, native.read_xml_records(path, "post", root="polisen_los_arenden"),
                                  lambda element: self._build(element, ctx))

    def _build(self, element: ElementTree.Element, ctx: MappingContext) -> AnyEvent:
        row = xml_row(element)
        kind = native.required(row, "posttyp")
        if kind not in (INSPECTION, DECISION):
            raise native.FieldError("posttyp", f"{kind!r} is not kontroll or beslut")
        ref, version = posts.record_number(row, "referens"), posts.version(row)
        if TRUE_OR_FALSE(row.get("makulerad", ""), "makulerad"):
            return _withdrawal(kind, ref, version, row, ctx)
        persons = cases_xml.persons(element, ctx, TRUE_OR_FALSE)
        common: dict[str, Any] = {
            "operation_id": native.optional(row, "insatsnummer"),
            "business": national.optional_business(row, "organisationsnummer", "foretagsnamn", ctx),
            "supersedes": posts.supersedes(AGENCY, kind, ref, version)}
        data: InspectionConducted | DecisionTaken
        if kind == INSPECTION:
            findings = cases_xml.findings(element, CATEGORY, ctx)
            data = build(InspectionConducted, CASE_NAMES, inspection_ref=ref,
                         conducted_at=native.parse_datetime(row, "tidpunkt"),
                         municipality=native.required(row, "kommun"), premises=national.premises(row),
                         persons_present=persons, findings=findings, **common)
        else:
            has_premises = native.optional(row, "fastighetsbeteckning") or native.optional(row, "adress")
            data = build(DecisionTaken, CASE_NAMES, decision_ref=ref,
                         inspection_ref=native.optional(row, "kontrollreferens"),
                         decided_at=native.parse_datetime(row, "tidpunkt"),
                         kind=code(DECISIONS, row, "beslutstyp"), category=CATEGORY,
                         legal_reference=native.required(row, "lagrum"),
                         summary=native.required(row, "beskrivning"),
                         premises=national.premises(row) if has_premises else None, persons=persons,
                         appeal_status=code(NATIONAL_APPEALS, row, "overklagande", "ej_overklagat"), **common)
        return new_event(InspectionConductedV1 if kind == INSPECTION else DecisionTakenV1, data,
                         agency=AGENCY, event_id=event_id_for(AGENCY, kind, ref, str(version)),
                         time=native.parse_datetime(row, "registrerad"), system=ctx.system)

    def write(self, events: Sequence[AnyEvent], path: Path, ctx: MappingContext,
              clear_ids: Mapping[str, str]) -> None:
        root = ElementTree.Element("polisen_los_arenden")
        root.extend(_records(events, self.name, _case_ref, lambda event, key: _case(event, key, clear_ids),
                             lambda event, key: cases_xml.withdrawn(event, key, ELEMENTS)))
        write_xml(path, root)


def _case_ref(event: AnyEvent) -> tuple[str, str] | None:
    if isinstance(event, InspectionConductedV1):
        return INSPECTION, event.data.inspection_ref
    if isinstance(event, DecisionTakenV1):
        return DECISION, event.data.decision_ref
    return None


def _case(event: InspectionConductedV1 | DecisionTakenV1, key: national.Key,
          clear_ids: Mapping[str, str]) -> ElementTree.Element:
    kind, ref, version = key
    data = event.data
    if data.supersedes != posts.supersedes(AGENCY, kind, ref, version):
        raise ValueError(f"event {event.id}: supersedes must be version {version - 1} of {ref}")
    post = cases_xml.case(event, key, ELEMENTS, clear_ids)
    if isinstance(data, InspectionConducted):
        return post
    if data.category != CATEGORY or data.amount_sek is not None:
        raise ValueError(f"event {event.id}: a police decision is police intelligence without amount")
    add_present(post, beslutstyp=code_for(DECISIONS, data.kind), lagrum=data.legal_reference,
                beskrivning=data.summary, overklagande=code_for(NATIONAL_APPEALS, data.appeal_status))
    return post


FORMATS: list[AgencyFormat] = [PoliceOperations(), PoliceCases()]
