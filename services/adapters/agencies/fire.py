"""FIRE: Räddningstjänsten's fire-safety supervision export (tillsyn enligt LSO), XML.

Format name `fire-tillsyn`, suffix `.xml`. The rescue service's supervision system exports UTF-8
XML: a root `<tillsynsexport>` holding, in registration order, one `<handling>` element per
document of a supervision case: an inspection report (`TILLSYNSPROTOKOLL`) or a decision
(`BESLUT`). No namespace. Children of `<handling>` (error messages name them by path, e.g.
`objekt/fastighetsbeteckning` or `personer/person/personnummer`):

- handlingstyp: `TILLSYNSPROTOKOLL` or `BESLUT`; required.
- diarienummer: the document's own number, e.g. `RTJ-2026-0412` (letters, digits, `-`, `.`, `/`,
  `_`, `:`); required.
- version: 1 for the first registration, 2, 3 ... for each correction; absent or empty means 1.
- makulerad: `true` if the document (this `diarienummer` and `version`) is withdrawn, else `false`
  or absent.
- makuleringsorsak: why it was withdrawn; required when `makulerad` is `true`.
- registrerad: when the document was registered, ISO 8601 with offset (`2026-03-14T11:30:00+01:00`)
  or Swedish local time (`2026-03-14 11:30`); required.
- samverkansinsats: the LOS operation id, e.g. `NKPG-2026-07`; optional.
- kommun: the municipality of the building; required for `TILLSYNSPROTOKOLL`, not read for `BESLUT`.
- objekt: the supervised building: `fastighetsbeteckning` (e.g. `Norrköping Sandgatan 2:14`) and/or
  `adress` (e.g. `Sandgatan 14 B, 602 22 Norrköping`), one of them required for
  `TILLSYNSPROTOKOLL`; `verksamhetstyp` one of `BILVERKSTAD`, `BILTVATT`, `TATUERING`,
  `NAGELSALONG`, `FRISOR`, `RESTAURANG`, `KIOSK`, `LIVSMEDELSGROSSIST`, `BYGGARBETSPLATS`,
  `OVRIGT` (absent: `OVRIGT`).
- verksamhetsutovare: the owner or user responsible for fire safety (LSO 2 kap. 2 §):
  `organisationsnummer` (NNNNNN-NNNN, Luhn-checked, or a sole trader's personnummer) and `namn`
  (required with it); optional.
- tillsynstid: `TILLSYNSPROTOKOLL`: when the inspection took place; required.
- personer: zero or more `<person>` with `personnummer` (12 or 10 digits), `roll` (`AGARE`,
  `STYRELSELEDAMOT`, `ANSTALLD`, `EJ_REDOVISAD` or `OVRIG`; absent: `OVRIG`) and
  `sekretessmarkering` (`true` for protected identity, else `false` or absent): persons present
  at the inspection, or those a decision is addressed to.
- brister: `TILLSYNSPROTOKOLL`: zero or more `<brist>` with `kod` (A-Z, 0-9, `_`, e.g.
  `UTRYMNINGSVAG_BLOCKERAD`, `BRANDCELLSGRANS_BRISTER`, `BRANDLARM_SAKNAS`, `SBA_SAKNAS`,
  `BRANDFARLIG_VARA_FORVARING`, `OVERNATTNING_I_LOKAL`), `beskrivning` (required) and `antal`
  (optional count, e.g. gas cylinders).
- tillsynsdiarienummer: `BESLUT`: the inspection report it follows; optional.
- beslutstyp: `BESLUT`: `FORELAGGANDE` or `FORBUD`; required.
- beslutstid: `BESLUT`: when the decision was taken; required.
- lagrum: `BESLUT`: the legal ground; absent means "LSO 5 kap. 2 §" (lagen (2003:778) om skydd mot
  olyckor). Decisions about flammable goods cite "LBE 25 §" (lagen (2010:1011) om brandfarliga och
  explosiva varor).
- beslutstext: `BESLUT`: the decision in brief; required. A vite (LSO 5 kap. 2 §) is stated here: it
  is not imposed by the decision, so it carries no amount.
- overklagande: `BESLUT`: `EJ_OVERKLAGAT` (absent), `OVERKLAGAT`, `FASTSTALLT`, `UPPHAVT`, `LAGA_KRAFT`.

Canonical events: a `TILLSYNSPROTOKOLL` is an InspectionConductedV1 (id `event_id_for("FIRE",
"tillsyn", diarienummer, version)`), a `BESLUT` a DecisionTakenV1 (record kind `beslut`; kind
föreläggande or förbud). Findings and decisions are Category.MUNICIPAL_DECISION. The event time is
`registrerad`. Version n > 1 supersedes version n-1 of the same document. A `makulerad` document is an
EventRetractedV1 (record kind `tillsyn.makulering` / `beslut.makulering`) retracting that
`diarienummer` and `version`; its other children are not read. Personnummer are pseudonymised on
reading and never leave this module in clear.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from schemas.categories import Category
from schemas.decision import DecisionKind, DecisionTaken
from schemas.events import AnyEvent, DecisionTakenV1, EventRetractedV1, InspectionConductedV1
from schemas.inspection import InspectionConducted
from schemas.subjects import Person
from services.adapters.sdk import municipal, native
from services.adapters.sdk.codes import (
    MUNICIPAL_APPEALS,
    MUNICIPAL_INDUSTRIES,
    MUNICIPAL_ROLES,
    TRUE_FALSE_1_OR_0,
    code_for,
    upper_code,
)
from services.adapters.sdk.mapping import AgencyFormat, MappingContext, MappingResult
from services.adapters.sdk.municipal import Export, Key, Post
from services.adapters.sdk.records import xml_paths
from services.adapters.sdk.writers import add, add_present, write_xml

AGENCY = "FIRE"
CATEGORY = Category.MUNICIPAL_DECISION
POST_TYPES = {"TILLSYNSPROTOKOLL": "tillsyn", "BESLUT": "beslut"}
DECISIONS = {"FORELAGGANDE": DecisionKind.FORELAGGANDE, "FORBUD": DecisionKind.FORBUD}
DEFAULT_LEGAL = "LSO 5 kap. 2 §"
FIELD_NAMES = {
    "operation_id": "samverkansinsats", "municipality": "kommun",
    "premises.fastighetsbeteckning": "objekt/fastighetsbeteckning", "premises.address": "objekt/adress",
    "findings": "brister/brist/beskrivning", "summary": "beslutstext", "legal_reference": "lagrum",
    "reason": "makuleringsorsak",
}
EXPORT = Export(AGENCY, CATEGORY, "tillsyn", POST_TYPES, inspection="tillsyn", visited="tillsynstid",
                follows="tillsynsdiarienummer", type_field="handlingstyp", number_field="diarienummer",
                yes_no=TRUE_FALSE_1_OR_0, premises="objekt/", business="verksamhetsutovare/")
APART = ("personer", "brister")  # lists of sub-records, read apart


def _build(element: ElementTree.Element, ctx: MappingContext, export: Export) -> AnyEvent:
    row = xml_paths(element, apart=APART)
    post = Post.read(row, export)
    if post.withdrawn:
        return post.withdrawal(row, ctx)
    common = post.common(row, ctx)
    if post.kind == export.inspection:
        return post.inspection(row, ctx, common, lambda: _persons(element, ctx, export), lambda: _findings(element))
    decision = DecisionTaken.model_validate({
        **common, **post.decision_head(row),
        "kind": upper_code(DECISIONS, row.get("beslutstyp", ""), "beslutstyp"), "category": CATEGORY,
        "legal_reference": row.get("lagrum") or DEFAULT_LEGAL, "summary": native.required(row, "beslutstext"),
        **post.decision_tail(row, lambda: _persons(element, ctx, export))})
    return post.event(DecisionTakenV1, decision, ctx)


def _persons(element: ElementTree.Element, ctx: MappingContext, export: Export) -> list[Person]:
    prefix = "personer/person/"
    return [municipal.person(xml_paths(item, prefix, apart=APART), export, ctx, prefix)
            for item in element.iterfind("personer/person")]


def _findings(element: ElementTree.Element) -> list[dict[str, Any]]:
    findings = []
    for item in element.iterfind("brister/brist"):
        row = xml_paths(item, "brister/brist/", apart=APART)
        code = municipal.finding_code(row.get("brister/brist/kod", ""), "brister/brist/kod")
        findings.append({"code": code, "category": CATEGORY,
                         "count": municipal.count(row, "brister/brist/antal"),
                         "summary": native.required(row, "brister/brist/beskrivning")})
    return findings


# --- writing -------------------------------------------------------------------------------------


def _withdrawn(event: EventRetractedV1, key: Key) -> ElementTree.Element:
    kind, number, version = key
    handling = ElementTree.Element("handling")
    add_present(handling, handlingstyp=code_for(POST_TYPES, kind), diarienummer=number, version=str(version),
                makulerad="true", makuleringsorsak=event.data.reason, registrerad=event.time.isoformat())
    return handling


def _element(event: InspectionConductedV1 | DecisionTakenV1, key: Key,
             clear_ids: Mapping[str, str]) -> ElementTree.Element:
    kind, number, version = key
    handling, data = ElementTree.Element("handling"), event.data
    add_present(handling, handlingstyp=code_for(POST_TYPES, kind), diarienummer=number, version=str(version),
                makulerad="false", registrerad=event.time.isoformat(), samverkansinsats=data.operation_id)
    if isinstance(data, InspectionConducted):
        add(handling, "kommun", data.municipality)
    if data.premises is not None:
        add_present(add(handling, "objekt"), fastighetsbeteckning=data.premises.fastighetsbeteckning,
                    adress=data.premises.address,
                    verksamhetstyp=code_for(MUNICIPAL_INDUSTRIES, data.premises.industry))
    if data.business is not None:
        owner = add(handling, "verksamhetsutovare")
        add(owner, "organisationsnummer", municipal.identity(data.business, clear_ids))
        add(owner, "namn", data.business.name)
    persons = data.persons_present if isinstance(data, InspectionConducted) else data.persons
    if persons:
        listing = add(handling, "personer")
        for person in persons:
            item = add(listing, "person")
            add(item, "personnummer", municipal.clear(person.pseudonym, clear_ids))
            add(item, "roll", code_for(MUNICIPAL_ROLES, person.role))
            add(item, "sekretessmarkering", "true" if person.protected_identity else "false")
    if isinstance(data, InspectionConducted):
        add(handling, "tillsynstid", data.conducted_at.isoformat())
        if any(f.category != CATEGORY or f.persons for f in data.findings):
            raise ValueError(f"{event.id}: findings here are {CATEGORY} and name no persons")
        if data.findings:
            listing = add(handling, "brister")
            for finding in data.findings:
                item = add(listing, "brist")
                add(item, "kod", finding.code)
                add(item, "beskrivning", finding.summary)
                if finding.count is not None:
                    add(item, "antal", str(finding.count))
        return handling
    if data.category != CATEGORY or data.kind not in DECISIONS.values() or data.amount_sek is not None:
        raise ValueError(f"{event.id}: a {data.kind} decision in {data.category} with amount "
                         f"{data.amount_sek} has no place in this format")
    add_present(handling, tillsynsdiarienummer=data.inspection_ref, beslutstyp=code_for(DECISIONS, data.kind),
                beslutstid=data.decided_at.isoformat(), lagrum=data.legal_reference, beslutstext=data.summary,
                overklagande=code_for(MUNICIPAL_APPEALS, data.appeal_status))
    return handling


class TillsynXml:
    name = "fire-tillsyn"
    agency = AGENCY
    export = EXPORT
    suffix = ".xml"
    description = "Räddningstjänsten's supervision system: LSO inspection reports and decisions, XML"

    def read(self, path: Path, ctx: MappingContext) -> Iterator[MappingResult]:
        return native.map_records(path, native.read_xml_records(path, "handling", root="tillsynsexport"),
                                  lambda element: _build(element, ctx, self.export), FIELD_NAMES)

    def write(self, events: Sequence[AnyEvent], path: Path, ctx: MappingContext,
              clear_ids: Mapping[str, str]) -> None:
        root = ElementTree.Element("tillsynsexport")
        root.extend(list(municipal.records(events, self.export, lambda event, key: _element(event, key, clear_ids),
                                           _withdrawn)))
        write_xml(path, root)


FORMATS: list[AgencyFormat] = [TillsynXml()]
