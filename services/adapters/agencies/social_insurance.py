"""Försäkringskassan: benefit checks at LOS premises, stopped payments and återkrav (XML).

Format "social-insurance-kontroller" (.xml, UTF-8): the control function's LOS export, root
<forsakringskassan_los_export> with one <arende> per record (errors give its line). Social
insurance data, secret under OSL 28 kap. 1 §. Children of <arende>:

    arendetyp            kontroll (persons met at the premises checked against benefits paid) or
                         beslut (a decision)
    arendenummer         the record's number, e.g. "FK-2026-4471902" (A-Z, 0-9, _ . / : -)
    version              1, or 2, 3 ... for a correction, which replaces the version before it
    registrerad          when this version was registered: "2026-03-14T15:30:00+01:00", without an
                         offset Swedish local time; the event time
    makulerad            true withdraws version `version` of the record (then only arendetyp,
                         arendenummer, version, registrerad and makuleringsorsak are read)
    insatsnummer         the LOS operation, e.g. "NKPG-2026-07", if any
    kontrollarende       beslut: the arendenummer of the check it follows, if any
    tidpunkt             when the check was made / the decision taken
    kommun               kontroll: the municipality (required)
    fastighetsbeteckning, adress, verksamhetstyp
                         the premises (kontroll: fastighetsbeteckning or adress required);
                         verksamhetstyp: bilverkstad, biltvatt, tatueringsstudio, nagelsalong,
                         frisor, restaurang, kiosk, livsmedelsgrossist, byggarbetsplats, ovrigt
    organisationsnummer, arbetsgivare
                         the employer, optional (a sole trader by personnummer)
    personer/person      persons concerned: personnummer (12 or 10 digits), roll (agare,
                         styrelseledamot, anstalld, ej_registrerad, ovrig), sekretessmarkering
                         (true/false)
    iakttagelser/iakttagelse
                         kontroll findings: kod (A-Z, 0-9, _; e.g. ERSATTNING_UTAN_RATT,
                         ARBETE_UNDER_SJUKPENNING, FELAKTIGT_BOSTADSBIDRAG), beskrivning, antal
                         (optional, >= 0), berorda/personnummer (the persons it concerns)
    beslutstyp           beslut: STOPP (payments stopped before payout, belopp required, e.g.
                         "SFB 110 kap. 52 §"), ATERKRAV (återkrav, belopp required, "SFB 108 kap.
                         2 §") or ANMALAN (polisanmälan of bidragsbrott, no belopp)
    belopp               beslut: whole kronor, e.g. "148 600"
    lagrum               beslut: the legal ground
    beskrivning          beslut: the decision in brief
    overklagande         beslut: ej_overklagat (default), overklagat, faststallt, upphavt, laga_kraft

kontroll maps to InspectionConductedV1, beslut to DecisionTakenV1 (STOPP: stopped payment,
amount STOPPED; ATERKRAV: återkrav, amount RECOVERED; ANMALAN: polisanmälan), all
Category.SOCIAL_INSURANCE. Ids: `event_id_for("SOCIAL_INSURANCE", arendetyp, arendenummer,
version)`; a version > 1 supersedes version - 1; a withdrawn record maps to EventRetractedV1
with id `event_id_for("SOCIAL_INSURANCE", arendetyp + "-makulering", arendenummer, version)`.
Personnummer leave this module only as pseudonyms. `write` produces this format from events
with these ids (a retraction with the event it retracts); what it cannot express raises
ValueError.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from schemas.categories import Category
from schemas.decision import AmountKind, DecisionKind, DecisionTaken
from schemas.events import AnyEvent, DecisionTakenV1, InspectionConductedV1
from schemas.inspection import InspectionConducted
from services.adapters.sdk import cases_xml, national, native
from services.adapters.sdk.codes import NATIONAL_APPEALS, code, code_for
from services.adapters.sdk.mapping import AgencyFormat, MappingContext, MappingResult
from services.adapters.sdk.records import build, xml_row
from services.adapters.sdk.writers import add_present, write_xml

AGENCY = "SOCIAL_INSURANCE"
CATEGORY = Category.SOCIAL_INSURANCE
INSPECTION, DECISION = "kontroll", "beslut"
DECISIONS: dict[str, tuple[DecisionKind, AmountKind | None]] = {
    "STOPP": (DecisionKind.STOPPED_PAYMENT, AmountKind.STOPPED),
    "ATERKRAV": (DecisionKind.ATERKRAV, AmountKind.RECOVERED),
    "ANMALAN": (DecisionKind.POLISANMALAN, None),
}
EXPORT = national.Export(AGENCY, {INSPECTION: INSPECTION, DECISION: DECISION}, number_field="arendenummer",
                         type_field="arendetyp")
ELEMENTS = cases_xml.Elements("arende", "arendetyp", "arendenummer", "kontrollarende", "arbetsgivare",
                              CATEGORY, f"Försäkringskassan's findings are {CATEGORY}")
_NAMES = {"inspection_ref": "arendenummer", "decision_ref": "arendenummer", "operation_id": "insatsnummer",
          "municipality": "kommun", "legal_reference": "lagrum", "summary": "beskrivning",
          "code": "kod", "count": "antal", "address": "adress", "name": "arbetsgivare"}


def _build(element: ElementTree.Element, ctx: MappingContext) -> AnyEvent:
    row = xml_row(element)
    record = national.Record.read(row, EXPORT)
    if record.withdrawn:
        return record.withdrawal(row, ctx)
    located = native.optional(row, "fastighetsbeteckning") or native.optional(row, "adress")
    common: dict[str, Any] = {
        "operation_id": native.optional(row, "insatsnummer"),
        "business": national.optional_business(row, "organisationsnummer", "arbetsgivare", ctx),
        "premises": national.premises(row) if located or record.kind == INSPECTION else None,
        "supersedes": record.supersedes}
    if record.kind == INSPECTION:
        inspection = build(InspectionConducted, _NAMES, inspection_ref=record.number,
                           conducted_at=native.parse_datetime(row, "tidpunkt"),
                           municipality=native.required(row, "kommun"),
                           persons_present=cases_xml.persons(element, ctx),
                           findings=cases_xml.findings(element, CATEGORY, ctx), **common)
        return record.event(InspectionConductedV1, inspection, ctx)
    decision = build(DecisionTaken, _NAMES, decision_ref=record.number,
                     inspection_ref=native.optional(row, "kontrollarende"),
                     decided_at=native.parse_datetime(row, "tidpunkt"), category=CATEGORY,
                     legal_reference=native.required(row, "lagrum"),
                     summary=native.required(row, "beskrivning"),
                     persons=cases_xml.persons(element, ctx),
                     appeal_status=code(NATIONAL_APPEALS, row, "overklagande", "ej_overklagat"),
                     **national.decision(row, DECISIONS, leave="out",
                                         negative="give whole kronor, e.g. 148 600"),
                     **common)
    return record.event(DecisionTakenV1, decision, ctx)


class SocialInsuranceKontroller:
    name = "social-insurance-kontroller"
    agency = AGENCY
    suffix = ".xml"
    description = "Försäkringskassan: benefit checks at LOS premises, stopped payments and återkrav, XML"

    def read(self, path: Path, ctx: MappingContext) -> Iterator[MappingResult]:
        return native.map_records(path, native.read_xml_records(path, "arende", root="forsakringskassan_los_export"),
                                  lambda element: _build(element, ctx))

    def write(self, events: Sequence[AnyEvent], path: Path, ctx: MappingContext,
              clear_ids: Mapping[str, str]) -> None:
        root = ElementTree.Element("forsakringskassan_los_export")
        root.extend(national.records(events, self.name, AGENCY, lambda event: _record(event, clear_ids),
                                     lambda event, key: cases_xml.withdrawn(event, key, ELEMENTS)))
        write_xml(path, root)


def _record(event: national.Case, clear_ids: Mapping[str, str]) -> tuple[national.Key, ElementTree.Element]:
    key = national.case_key(event, AGENCY, INSPECTION)
    record, data = cases_xml.case(event, key, ELEMENTS, clear_ids), event.data
    if isinstance(data, InspectionConducted):
        return key, record
    code = code_for({k: v[0] for k, v in DECISIONS.items()}, data.kind)
    if data.category != CATEGORY or data.amount_kind != DECISIONS[code][1]:
        raise ValueError(f"event {event.id}: a {code} is {CATEGORY} data, amount {DECISIONS[code][1]}")
    add_present(record, beslutstyp=code, belopp=None if data.amount_sek is None else str(data.amount_sek),
                lagrum=data.legal_reference, beskrivning=data.summary,
                overklagande=code_for(NATIONAL_APPEALS, data.appeal_status))
    return key, record


FORMATS: list[AgencyFormat] = [SocialInsuranceKontroller()]
