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

import datetime
import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar
from uuid import UUID
from xml.etree import ElementTree

from schemas.categories import Category
from schemas.decision import AppealStatus, DecisionKind, DecisionTaken
from schemas.envelope import event_id_for
from schemas.events import AnyEvent, DecisionTakenV1, EventRetractedV1, InspectionConductedV1, new_event
from schemas.inspection import InspectionConducted
from schemas.notification import EventRetracted
from schemas.subjects import Business, Industry, Person, PersonRole
from services.adapters.sdk import native
from services.adapters.sdk.mapping import MappingContext, MappingResult
from services.adapters.sdk.native import FieldError, Row

AGENCY = "FIRE"
CATEGORY = Category.MUNICIPAL_DECISION
POST_TYPES = {"TILLSYNSPROTOKOLL": "tillsyn", "BESLUT": "beslut"}
DECISIONS = {"FORELAGGANDE": DecisionKind.FORELAGGANDE, "FORBUD": DecisionKind.FORBUD}
DEFAULT_LEGAL = "LSO 5 kap. 2 §"
INDUSTRIES = {
    "BILVERKSTAD": Industry.CAR_WORKSHOP, "BILTVATT": Industry.CAR_WASH,
    "TATUERING": Industry.TATTOO_STUDIO, "NAGELSALONG": Industry.NAIL_SALON,
    "FRISOR": Industry.HAIRDRESSER, "RESTAURANG": Industry.RESTAURANT, "KIOSK": Industry.KIOSK,
    "LIVSMEDELSGROSSIST": Industry.FOOD_WHOLESALE, "BYGGARBETSPLATS": Industry.CONSTRUCTION_SITE,
    "OVRIGT": Industry.OTHER,
}
ROLES = {
    "AGARE": PersonRole.OWNER, "STYRELSELEDAMOT": PersonRole.BOARD_MEMBER,
    "ANSTALLD": PersonRole.EMPLOYEE, "EJ_REDOVISAD": PersonRole.UNRECORDED_WORKER,
    "OVRIG": PersonRole.OTHER,
}
APPEALS = {
    "EJ_OVERKLAGAT": AppealStatus.NOT_APPEALED, "OVERKLAGAT": AppealStatus.APPEALED,
    "FASTSTALLT": AppealStatus.UPHELD, "UPPHAVT": AppealStatus.OVERTURNED,
    "LAGA_KRAFT": AppealStatus.FINAL,
}
FIELD_NAMES = {
    "operation_id": "samverkansinsats", "municipality": "kommun",
    "premises.fastighetsbeteckning": "objekt/fastighetsbeteckning", "premises.address": "objekt/adress",
    "findings": "brister/brist/beskrivning", "summary": "beslutstext", "legal_reference": "lagrum",
    "reason": "makuleringsorsak",
}
CODE = re.compile(r"[A-Z0-9_]{2,64}")
REFERENCE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_./:-]{0,63}")
T = TypeVar("T")


def _lookup(given: str, field: str, table: Mapping[str, T], default: str | None = None) -> T:
    value = (given or default or "").upper()
    if value not in table:
        shown = f"{value!r}" if value else "empty"
        raise FieldError(field, f"code is {shown}; expected one of {', '.join(table)}")
    return table[value]


def _ref(row: Row, field: str, *, needed: bool = True) -> str | None:
    value = native.required(row, field) if needed else native.optional(row, field)
    if value is not None and not REFERENCE.fullmatch(value):
        raise FieldError(field, f"{value!r} is not a number of letters, digits and - . / _ : (at most 64)")
    return value


def _flag(value: str, field: str) -> bool:
    if value.lower() in ("true", "1"):
        return True
    if value.lower() in ("", "false", "0"):
        return False
    raise FieldError(field, f"{value!r} is not true or false")


def _texts(element: ElementTree.Element, prefix: str = "") -> dict[str, str]:
    """Leaf children as 'path/tag' -> stripped text; `personer` and `brister` are read apart."""
    texts: dict[str, str] = {}
    for child in element:
        if child.tag in ("personer", "brister"):
            continue
        if len(child):
            texts.update(_texts(child, f"{prefix}{child.tag}/"))
        else:
            texts[prefix + child.tag] = (child.text or "").strip()
    return texts


def _persons(element: ElementTree.Element, ctx: MappingContext) -> list[Person]:
    persons = []
    for item in element.iterfind("personer/person"):
        row = {f"personer/person/{k}": v for k, v in _texts(item).items()}
        persons.append(native.person(
            "personer/person/personnummer", native.required(row, "personer/person/personnummer"),
            _lookup(row.get("personer/person/roll", ""), "personer/person/roll", ROLES, "OVRIG"), ctx,
            protected=_flag(row.get("personer/person/sekretessmarkering", ""),
                            "personer/person/sekretessmarkering")))
    return persons


def _findings(element: ElementTree.Element) -> list[dict[str, Any]]:
    findings = []
    for item in element.iterfind("brister/brist"):
        row = {f"brister/brist/{k}": v for k, v in _texts(item).items()}
        code = row.get("brister/brist/kod", "")
        if not CODE.fullmatch(code):
            raise FieldError("brister/brist/kod", f"{code!r} is not a code of A-Z, 0-9 and _")
        count = native.parse_int(row, "brister/brist/antal", required_=False)
        if count is not None and count < 0:
            raise FieldError("brister/brist/antal", f"{count} is negative")
        findings.append({"code": code, "category": CATEGORY, "count": count,
                         "summary": native.required(row, "brister/brist/beskrivning")})
    return findings


def _premises(row: Row, *, needed: bool) -> dict[str, Any] | None:
    fastighet = native.optional(row, "objekt/fastighetsbeteckning")
    address = native.optional(row, "objekt/adress")
    if fastighet is None and address is None:
        if needed:
            raise FieldError("objekt/fastighetsbeteckning", "fastighetsbeteckning or adress is required")
        return None
    return {"fastighetsbeteckning": fastighet, "address": address,
            "industry": _lookup(row.get("objekt/verksamhetstyp", ""), "objekt/verksamhetstyp",
                                INDUSTRIES, "OVRIGT")}


def _business(row: Row, ctx: MappingContext) -> Business | None:
    identity = native.optional(row, "verksamhetsutovare/organisationsnummer")
    if identity is None:
        return None
    return native.business("verksamhetsutovare/organisationsnummer", identity,
                           native.required(row, "verksamhetsutovare/namn"), ctx)


def _build(element: ElementTree.Element, ctx: MappingContext) -> AnyEvent:
    row = _texts(element)
    kind = _lookup(row.get("handlingstyp", ""), "handlingstyp", POST_TYPES)
    ref = str(_ref(row, "diarienummer"))
    version = native.parse_int(row, "version", required_=False)
    version = 1 if version is None else version
    if version < 1:
        raise FieldError("version", "versions start at 1")
    registered = native.parse_datetime(row, "registrerad")
    if _flag(row.get("makulerad", ""), "makulerad"):
        retracted = EventRetracted.model_validate({
            "retracts": event_id_for(AGENCY, kind, ref, str(version)),
            "reason": native.required(row, "makuleringsorsak")})
        return new_event(EventRetractedV1, retracted, agency=AGENCY, system=ctx.system, time=registered,
                         event_id=event_id_for(AGENCY, f"{kind}.makulering", ref, str(version)))
    common = {"operation_id": native.optional(row, "samverkansinsats"), "business": _business(row, ctx),
              "supersedes": event_id_for(AGENCY, kind, ref, str(version - 1)) if version > 1 else None}
    event_id = event_id_for(AGENCY, kind, ref, str(version))
    if kind == "tillsyn":
        inspection = InspectionConducted.model_validate({
            **common, "inspection_ref": ref, "conducted_at": native.parse_datetime(row, "tillsynstid"),
            "municipality": native.required(row, "kommun"), "premises": _premises(row, needed=True),
            "persons_present": _persons(element, ctx), "findings": _findings(element)})
        return new_event(InspectionConductedV1, inspection, agency=AGENCY, system=ctx.system,
                         time=registered, event_id=event_id)
    decision = DecisionTaken.model_validate({
        **common, "decision_ref": ref, "inspection_ref": _ref(row, "tillsynsdiarienummer", needed=False),
        "decided_at": native.parse_datetime(row, "beslutstid"),
        "kind": _lookup(row.get("beslutstyp", ""), "beslutstyp", DECISIONS), "category": CATEGORY,
        "legal_reference": row.get("lagrum") or DEFAULT_LEGAL,
        "summary": native.required(row, "beslutstext"),
        "premises": _premises(row, needed=False), "persons": _persons(element, ctx),
        "appeal_status": _lookup(row.get("overklagande", ""), "overklagande", APPEALS, "EJ_OVERKLAGAT")})
    return new_event(DecisionTakenV1, decision, agency=AGENCY, system=ctx.system, time=registered,
                     event_id=event_id)


# --- writing -------------------------------------------------------------------------------------


def _key(table: Mapping[str, T], value: T) -> str:
    return next(code for code, item in table.items() if item == value)


def _version_of(kind: str, ref: str, event_id: UUID, supersedes: UUID | None) -> int:
    for version in range(1, 1000):
        if event_id_for(AGENCY, kind, ref, str(version)) == event_id:
            if supersedes != (event_id_for(AGENCY, kind, ref, str(version - 1)) if version > 1 else None):
                raise ValueError(f"event {event_id}: version {version} of {ref} must supersede version "
                                 f"{version - 1} exactly (and version 1 nothing)")
            return version
    raise ValueError(f"event {event_id} is not event_id_for({AGENCY!r}, {kind!r}, {ref!r}, version)")


def _clear(pseudonym: str | None, clear_ids: Mapping[str, str]) -> str:
    if pseudonym is None or pseudonym not in clear_ids:
        raise ValueError("a pseudonym in the events has no personnummer in clear_ids")
    return clear_ids[pseudonym]


def _add(parent: ElementTree.Element, tag: str, text: str | None) -> ElementTree.Element:
    child = ElementTree.SubElement(parent, tag)
    child.text = text
    return child


def _add_all(parent: ElementTree.Element, pairs: Sequence[tuple[str, str | None]]) -> None:
    for tag, text in pairs:
        if text:
            _add(parent, tag, text)


def _when(moment: datetime.datetime) -> str:
    return moment.isoformat()


def _element(event: AnyEvent, posts: Mapping[UUID, tuple[str, str, int]],
             clear_ids: Mapping[str, str]) -> ElementTree.Element:
    handling = ElementTree.Element("handling")
    if isinstance(event, EventRetractedV1):
        if event.data.retracts not in posts:
            raise ValueError(f"{event.id} retracts {event.data.retracts}, which is not among the events")
        kind, ref, version = posts[event.data.retracts]
        if event.id != event_id_for(AGENCY, f"{kind}.makulering", ref, str(version)):
            raise ValueError(f"{event.id} is not the id of a makulering of {ref} version {version}")
        _add_all(handling, [("handlingstyp", _key(POST_TYPES, kind)), ("diarienummer", ref),
                            ("version", str(version)), ("makulerad", "true"),
                            ("makuleringsorsak", event.data.reason), ("registrerad", _when(event.time))])
        return handling
    if not isinstance(event, InspectionConductedV1 | DecisionTakenV1):
        raise ValueError(f"{event.type} has no place in {AGENCY}'s tillsyn export")
    data = event.data
    kind, ref, version = posts[event.id]
    _add_all(handling, [("handlingstyp", _key(POST_TYPES, kind)), ("diarienummer", ref),
                        ("version", str(version)), ("makulerad", "false"), ("registrerad", _when(event.time)),
                        ("samverkansinsats", data.operation_id)])
    if isinstance(data, InspectionConducted):
        _add(handling, "kommun", data.municipality)
    if data.premises is not None:
        objekt = _add(handling, "objekt", None)
        _add_all(objekt, [("fastighetsbeteckning", data.premises.fastighetsbeteckning),
                          ("adress", data.premises.address),
                          ("verksamhetstyp", _key(INDUSTRIES, data.premises.industry))])
    if data.business is not None:
        owner = _add(handling, "verksamhetsutovare", None)
        identity = data.business.orgnr or _clear(data.business.sole_trader, clear_ids)
        _add(owner, "organisationsnummer", identity)
        _add(owner, "namn", data.business.name)
    persons = data.persons_present if isinstance(data, InspectionConducted) else data.persons
    if persons:
        listing = _add(handling, "personer", None)
        for person in persons:
            item = _add(listing, "person", None)
            _add(item, "personnummer", _clear(person.pseudonym, clear_ids))
            _add(item, "roll", _key(ROLES, person.role))
            _add(item, "sekretessmarkering", "true" if person.protected_identity else "false")
    if isinstance(data, InspectionConducted):
        _add(handling, "tillsynstid", _when(data.conducted_at))
        if any(f.category != CATEGORY or f.persons for f in data.findings):
            raise ValueError(f"{event.id}: findings here are {CATEGORY} and name no persons")
        if data.findings:
            listing = _add(handling, "brister", None)
            for finding in data.findings:
                item = _add(listing, "brist", None)
                _add(item, "kod", finding.code)
                _add(item, "beskrivning", finding.summary)
                if finding.count is not None:
                    _add(item, "antal", str(finding.count))
        return handling
    if data.category != CATEGORY or data.kind not in DECISIONS.values() or data.amount_sek is not None:
        raise ValueError(f"{event.id}: a {data.kind} decision in {data.category} with amount "
                         f"{data.amount_sek} has no place in this format")
    _add_all(handling, [("tillsynsdiarienummer", data.inspection_ref),
                        ("beslutstyp", _key(DECISIONS, data.kind)), ("beslutstid", _when(data.decided_at)),
                        ("lagrum", data.legal_reference), ("beslutstext", data.summary),
                        ("overklagande", _key(APPEALS, data.appeal_status))])
    return handling


class TillsynXml:
    name = "fire-tillsyn"
    agency = AGENCY
    suffix = ".xml"
    description = "Räddningstjänsten's supervision system: LSO inspection reports and decisions, XML"

    def read(self, path: Path, ctx: MappingContext) -> Iterator[MappingResult]:
        return native.map_records(path, native.read_xml_records(path, "handling"),
                                  lambda element: _build(element, ctx), FIELD_NAMES)

    def write(self, events: Sequence[AnyEvent], path: Path, ctx: MappingContext,
              clear_ids: Mapping[str, str]) -> None:
        posts: dict[UUID, tuple[str, str, int]] = {}
        for event in events:
            if event.losagency != AGENCY:
                raise ValueError(f"{event.id} is {event.losagency}'s, not {AGENCY}'s")
            if isinstance(event, InspectionConductedV1):
                ref, kind = event.data.inspection_ref, "tillsyn"
            elif isinstance(event, DecisionTakenV1):
                ref, kind = event.data.decision_ref, "beslut"
            else:
                continue
            posts[event.id] = (kind, ref, _version_of(kind, ref, event.id, event.data.supersedes))
        root = ElementTree.Element("tillsynsexport")
        root.extend([_element(event, posts, clear_ids) for event in events])
        ElementTree.indent(root)
        ElementTree.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


FORMATS = [TillsynXml()]
