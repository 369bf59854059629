"""MUNI_ALCOHOL: the municipality's alcohol-licensing supervision export (serveringstillstånd), JSON.

Format name `muni-alcohol-tillsyn`, suffix `.json`. The licensing unit's case system exports one
UTF-8 JSON object `{"exportinfo": {...}, "arenden": [...]}`; `exportinfo` (system, municipality,
time of export) is informative and not read. Each element of `arenden` is one post of a case: a
supervision visit (`TILLSYN`) or a decision (`BESLUT`), in registration order. Error messages name
fields by dotted path (`tillstandshavare.organisationsnummer`, `iakttagelser.kod`) and the record by
its 1-based position in `arenden`. Fields (strings unless said otherwise; absent, `null` and `""`
mean the same):

- typ: `TILLSYN` or `BESLUT`; required.
- arendenummer: the post's own number, e.g. `ALK-2026-0031` (letters, digits, `-`, `.`, `/`, `_`,
  `:`); required.
- version: integer, 1 for the first registration, 2, 3 ... for each correction; absent means 1.
- makulerad: boolean, `true` if the post (this `arendenummer` and `version`) is withdrawn.
- makuleringsorsak: why it was withdrawn; required when `makulerad` is `true`.
- registrerad: when the post was registered, ISO 8601 with offset (`2026-03-14T22:40:00+01:00`) or
  Swedish local time (`2026-03-14 22:40`); required.
- samverkansinsats: the LOS operation id, e.g. `NKPG-2026-07`; optional.
- kommun: the municipality of the premises; required for `TILLSYN`, not read for `BESLUT`.
- serveringsstalle: object with `fastighetsbeteckning` (e.g. `Norrköping Butängen 1:12`) and/or
  `adress` (e.g. `Butängsgatan 8, 602 23 Norrköping`), one of them required for `TILLSYN`, and
  `verksamhetstyp`: `RESTAURANG`, `KIOSK`, `BILVERKSTAD`, `BILTVATT`, `TATUERING`, `NAGELSALONG`,
  `FRISOR`, `LIVSMEDELSGROSSIST`, `BYGGARBETSPLATS` or `OVRIGT` (absent: `OVRIGT`).
- tillstandshavare: object with `organisationsnummer` (NNNNNN-NNNN, Luhn-checked, or a sole
  trader's personnummer) and `namn` (required with it): the licence holder, or whoever runs the
  place when it has no licence; optional.
- tillsynstid: `TILLSYN`: when the visit took place; required.
- personer: list of objects `{"personnummer": "...", "roll": "...", "sekretessmarkering": false}`:
  persons present at the visit, or those a decision concerns (e.g. persons with significant
  influence, PBI). `personnummer` 12 or 10 digits, required; `roll` `AGARE`, `STYRELSELEDAMOT`,
  `ANSTALLD`, `EJ_REDOVISAD` or `OVRIG` (absent: `OVRIG`); `sekretessmarkering` boolean, `true`
  for protected identity.
- iakttagelser: `TILLSYN`: list of objects `{"kod", "beskrivning", "antal", "personnummer"}`: `kod`
  A-Z, 0-9, `_` (e.g. `SERVERING_UTAN_TILLSTAND`, `SERVERING_UTANFOR_TILLSTAND`, `BERUSADE_GASTER`,
  `SMUGGELALKOHOL`, `INGEN_SERVERINGSANSVARIG`, `BRISTANDE_MATUTBUD`), `beskrivning` required,
  `antal` an optional count (e.g. bottles), `personnummer` an optional list of the persons the
  observation concerns.
- tillsynsarende: `BESLUT`: the `arendenummer` of the visit it follows; optional.
- beslutstyp: `BESLUT`: `VARNING`, `ATERKALLELSE` or `POLISANMALAN`; required.
- beslutstid: `BESLUT`: when the decision was taken; required.
- lagrum: `BESLUT`: the legal ground; absent means the beslutstyp's usual one (below).
- motivering: `BESLUT`: the decision and its reasons in brief; required.
- overklagande: `BESLUT`: `EJ_OVERKLAGAT` (absent), `OVERKLAGAT`, `FASTSTALLT`, `UPPHAVT`, `LAGA_KRAFT`.

Decision types (alkohollagen (2010:1622)): `VARNING` -> kind varning, "AL 9 kap. 17 §";
`ATERKALLELSE` -> återkallelse of the licence, "AL 9 kap. 18 §"; `POLISANMALAN` -> polisanmälan of
unlicensed serving, "AL 11 kap. 1 §". None carries an amount. Findings and decisions are
Category.MUNICIPAL_DECISION.

Canonical events: a `TILLSYN` is an InspectionConductedV1 (id `event_id_for("MUNI_ALCOHOL",
"tillsyn", arendenummer, version)`), a `BESLUT` a DecisionTakenV1 (record kind `beslut`). The event
time is `registrerad`. Version n > 1 supersedes version n-1 of the same post. A `makulerad` post is
an EventRetractedV1 (record kind `tillsyn.makulering` / `beslut.makulering`) retracting that
`arendenummer` and `version`; its other fields are not read. Personnummer are pseudonymised on
reading and never leave this module in clear.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar
from uuid import UUID

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

AGENCY = "MUNI_ALCOHOL"
CATEGORY = Category.MUNICIPAL_DECISION
POST_TYPES = {"TILLSYN": "tillsyn", "BESLUT": "beslut"}
DECISIONS: dict[str, tuple[DecisionKind, str]] = {
    "VARNING": (DecisionKind.VARNING, "AL 9 kap. 17 §"),
    "ATERKALLELSE": (DecisionKind.ATERKALLELSE, "AL 9 kap. 18 §"),
    "POLISANMALAN": (DecisionKind.POLISANMALAN, "AL 11 kap. 1 §"),
}
INDUSTRIES = {
    "RESTAURANG": Industry.RESTAURANT, "KIOSK": Industry.KIOSK, "BILVERKSTAD": Industry.CAR_WORKSHOP,
    "BILTVATT": Industry.CAR_WASH, "TATUERING": Industry.TATTOO_STUDIO,
    "NAGELSALONG": Industry.NAIL_SALON, "FRISOR": Industry.HAIRDRESSER,
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
    "premises.fastighetsbeteckning": "serveringsstalle.fastighetsbeteckning",
    "premises.address": "serveringsstalle.adress", "findings": "iakttagelser.beskrivning",
    "summary": "motivering", "legal_reference": "lagrum", "reason": "makuleringsorsak",
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


def _texts(record: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    """Scalars as 'path.key' -> text (booleans 'true'/'false'); lists are read apart."""
    texts: dict[str, str] = {}
    for key, value in record.items():
        if isinstance(value, dict):
            texts.update(_texts(value, f"{prefix}{key}."))
        elif isinstance(value, bool):
            texts[prefix + key] = "true" if value else "false"
        elif value is not None and not isinstance(value, list):
            texts[prefix + key] = str(value).strip()
    return texts


def _items(record: Mapping[str, Any], field: str) -> list[Any]:
    value = record.get(field) or []
    if not isinstance(value, list) or not all(isinstance(item, dict | str) for item in value):
        raise FieldError(field, "must be a list")
    return value


def _flag(value: str, field: str) -> bool:
    if value in ("true", "false", ""):
        return value == "true"
    raise FieldError(field, f"{value!r} is not true or false")


def _ref(row: Row, field: str, *, needed: bool = True) -> str | None:
    value = native.required(row, field) if needed else native.optional(row, field)
    if value is not None and not REFERENCE.fullmatch(value):
        raise FieldError(field, f"{value!r} is not a number of letters, digits and - . / _ : (at most 64)")
    return value


def _persons(record: Mapping[str, Any], ctx: MappingContext) -> list[Person]:
    persons = []
    for item in _items(record, "personer"):
        row = {f"personer.{k}": v for k, v in _texts(item if isinstance(item, dict) else {}).items()}
        persons.append(native.person(
            "personer.personnummer", native.required(row, "personer.personnummer"),
            _lookup(row.get("personer.roll", ""), "personer.roll", ROLES, "OVRIG"), ctx,
            protected=_flag(row.get("personer.sekretessmarkering", ""), "personer.sekretessmarkering")))
    return persons


def _findings(record: Mapping[str, Any], ctx: MappingContext) -> list[dict[str, Any]]:
    findings = []
    for item in _items(record, "iakttagelser"):
        item = item if isinstance(item, dict) else {}
        row = {f"iakttagelser.{k}": v for k, v in _texts(item).items()}
        code = row.get("iakttagelser.kod", "")
        if not CODE.fullmatch(code):
            raise FieldError("iakttagelser.kod", f"{code!r} is not a code of A-Z, 0-9 and _")
        count = native.parse_int(row, "iakttagelser.antal", required_=False)
        if count is not None and count < 0:
            raise FieldError("iakttagelser.antal", f"{count} is negative")
        concerned = [native.person("iakttagelser.personnummer", str(pnr), PersonRole.OTHER, ctx).pseudonym
                     for pnr in _items(item, "personnummer")]
        findings.append({"code": code, "category": CATEGORY, "count": count, "persons": concerned,
                         "summary": native.required(row, "iakttagelser.beskrivning")})
    return findings


def _premises(row: Row, *, needed: bool) -> dict[str, Any] | None:
    fastighet = native.optional(row, "serveringsstalle.fastighetsbeteckning")
    address = native.optional(row, "serveringsstalle.adress")
    if fastighet is None and address is None:
        if needed:
            raise FieldError("serveringsstalle.fastighetsbeteckning",
                             "fastighetsbeteckning or adress is required")
        return None
    return {"fastighetsbeteckning": fastighet, "address": address,
            "industry": _lookup(row.get("serveringsstalle.verksamhetstyp", ""),
                                "serveringsstalle.verksamhetstyp", INDUSTRIES, "OVRIGT")}


def _business(row: Row, ctx: MappingContext) -> Business | None:
    identity = native.optional(row, "tillstandshavare.organisationsnummer")
    if identity is None:
        return None
    return native.business("tillstandshavare.organisationsnummer", identity,
                           native.required(row, "tillstandshavare.namn"), ctx)


def _build(record: Any, ctx: MappingContext) -> AnyEvent:
    if not isinstance(record, dict):
        raise FieldError("-", "a post must be a JSON object")
    row = _texts(record)
    kind = _lookup(row.get("typ", ""), "typ", POST_TYPES)
    ref = str(_ref(row, "arendenummer"))
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
            "persons_present": _persons(record, ctx), "findings": _findings(record, ctx)})
        return new_event(InspectionConductedV1, inspection, agency=AGENCY, system=ctx.system,
                         time=registered, event_id=event_id)
    decision_kind, legal = _lookup(row.get("beslutstyp", ""), "beslutstyp", DECISIONS)
    decision = DecisionTaken.model_validate({
        **common, "decision_ref": ref, "inspection_ref": _ref(row, "tillsynsarende", needed=False),
        "decided_at": native.parse_datetime(row, "beslutstid"), "kind": decision_kind,
        "category": CATEGORY, "legal_reference": row.get("lagrum") or legal,
        "summary": native.required(row, "motivering"), "premises": _premises(row, needed=False),
        "persons": _persons(record, ctx),
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


def _when(moment: datetime.datetime) -> str:
    return moment.isoformat()


def _present(record: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in record.items() if value not in (None, "", [], {})}


def _record(event: AnyEvent, posts: Mapping[UUID, tuple[str, str, int]],
            clear_ids: Mapping[str, str]) -> dict[str, Any]:
    if isinstance(event, EventRetractedV1):
        if event.data.retracts not in posts:
            raise ValueError(f"{event.id} retracts {event.data.retracts}, which is not among the events")
        kind, ref, version = posts[event.data.retracts]
        if event.id != event_id_for(AGENCY, f"{kind}.makulering", ref, str(version)):
            raise ValueError(f"{event.id} is not the id of a makulering of {ref} version {version}")
        return {"typ": _key(POST_TYPES, kind), "arendenummer": ref, "version": version, "makulerad": True,
                "makuleringsorsak": event.data.reason, "registrerad": _when(event.time)}
    if not isinstance(event, InspectionConductedV1 | DecisionTakenV1):
        raise ValueError(f"{event.type} has no place in {AGENCY}'s tillsyn export")
    data = event.data
    kind, ref, version = posts[event.id]
    persons = data.persons_present if isinstance(data, InspectionConducted) else data.persons
    record: dict[str, Any] = {
        "typ": _key(POST_TYPES, kind), "arendenummer": ref, "version": version, "makulerad": False,
        "registrerad": _when(event.time), "samverkansinsats": data.operation_id,
        "serveringsstalle": None if data.premises is None else _present({
            "fastighetsbeteckning": data.premises.fastighetsbeteckning, "adress": data.premises.address,
            "verksamhetstyp": _key(INDUSTRIES, data.premises.industry)}),
        "tillstandshavare": None if data.business is None else {
            "organisationsnummer": data.business.orgnr or _clear(data.business.sole_trader, clear_ids),
            "namn": data.business.name},
        "personer": [{"personnummer": _clear(p.pseudonym, clear_ids), "roll": _key(ROLES, p.role),
                      "sekretessmarkering": p.protected_identity} for p in persons],
    }
    if isinstance(data, InspectionConducted):
        if any(f.category != CATEGORY for f in data.findings):
            raise ValueError(f"{event.id}: findings here are {CATEGORY}")
        return _present({**record, "kommun": data.municipality, "tillsynstid": _when(data.conducted_at),
                         "iakttagelser": [_present({
                             "kod": f.code, "beskrivning": f.summary, "antal": f.count,
                             "personnummer": [_clear(p, clear_ids) for p in f.persons]})
                             for f in data.findings]})
    code = next((c for c, (k, _) in DECISIONS.items() if k == data.kind), None)
    if code is None or data.category != CATEGORY or data.amount_sek is not None:
        raise ValueError(f"{event.id}: a {data.kind} decision in {data.category} with amount "
                         f"{data.amount_sek} has no place in this format")
    return _present({**record, "tillsynsarende": data.inspection_ref, "beslutstyp": code,
                     "beslutstid": _when(data.decided_at), "lagrum": data.legal_reference,
                     "motivering": data.summary, "overklagande": _key(APPEALS, data.appeal_status)})


class TillsynJson:
    name = "muni-alcohol-tillsyn"
    agency = AGENCY
    suffix = ".json"
    description = "The municipality's alcohol-licensing case system: visits and AL decisions, JSON"

    def read(self, path: Path, ctx: MappingContext) -> Iterator[MappingResult]:
        return native.map_records(path, native.read_json_records(path, "arenden"),
                                  lambda record: _build(record, ctx), FIELD_NAMES)

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
        document = {"exportinfo": _present({"system": ctx.system}),
                    "arenden": [_record(event, posts, clear_ids) for event in events]}
        path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


FORMATS = [TillsynJson()]
