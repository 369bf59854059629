"""MUNI_SOCIAL: the socialtjänst's LOS export (observations, återkrav, FUT notices), JSON.

Format name `muni-social-los`, suffix `.json`. The social services' case system exports, for the
LOS collaboration only, one UTF-8 JSON object `{"exportinfo": {...}, "poster": [...]}`; `exportinfo`
is informative and not read. Each element of `poster` is one document, in registration order: an
observation made when social workers took part in a joint inspection (`IAKTTAGELSE`), a decision
(`BESLUT`), or a notice to another agency (`UNDERRATTELSE`). This is client data under OSL 26 kap.:
everything maps to Category.SOCIAL_SERVICES. Error messages name fields by dotted path
(`arbetsgivare.organisationsnummer`, `personer.personnummer`) and the document by its 1-based
position in `poster`. Fields (strings unless said otherwise; absent, `null` and `""` mean the same):

- posttyp: `IAKTTAGELSE`, `BESLUT` or `UNDERRATTELSE`; required.
- dokumentnummer: the document's own number, e.g. `SOC-2026-0117` (letters, digits, `-`, `.`, `/`,
  `_`, `:`); required.
- version: integer, 1 for the first registration, 2, 3 ... for each correction; absent means 1.
- makulerad: boolean, `true` if the document (this `dokumentnummer` and `version`) is withdrawn.
- makuleringsorsak: why it was withdrawn; required when `makulerad` is `true`.
- registrerad: when the document was registered (for a notice: sent), ISO 8601 with offset
  (`2026-03-20T10:15:00+01:00`) or Swedish local time (`2026-03-20 10:15`); required.
- samverkansinsats: the LOS operation id, e.g. `NKPG-2026-07`; optional.
- kommun: the municipality of the premises; required for `IAKTTAGELSE`, not read otherwise.
- plats: object with `fastighetsbeteckning` and/or `adress` (one required for `IAKTTAGELSE`) and
  `verksamhetstyp`: `BILVERKSTAD`, `BILTVATT`, `TATUERING`, `NAGELSALONG`, `FRISOR`, `RESTAURANG`,
  `KIOSK`, `LIVSMEDELSGROSSIST`, `BYGGARBETSPLATS` or `OVRIGT` (absent: `OVRIGT`).
- arbetsgivare: object with `organisationsnummer` (NNNNNN-NNNN, Luhn-checked, or a sole trader's
  personnummer) and `namn` (required with it): the business at the premises; optional.
- besokstid: `IAKTTAGELSE`: when the inspection took place; required.
- personer: list of `{"personnummer": "...", "roll": "...", "sekretessmarkering": false}`: persons
  met (`IAKTTAGELSE`), the person a decision concerns, or whom a notice is about. `personnummer` 12
  or 10 digits (or samordningsnummer), required; `roll` `AGARE`, `STYRELSELEDAMOT`, `ANSTALLD`,
  `EJ_REDOVISAD` or `OVRIG` (absent: `OVRIG`); `sekretessmarkering` boolean, `true` for a person
  with protected identity (these must never be revealed).
- iakttagelser: `IAKTTAGELSE`: list of `{"kod", "beskrivning", "antal", "personnummer"}`: `kod` A-Z,
  0-9, `_` (e.g. `BEHOV_AV_STOD` a person who needs help, `MISSTANKT_EXPLOATERING` suspected labour
  exploitation, `ARBETE_UNDER_BISTAND` a person receiving ekonomiskt bistånd found working,
  `BOENDE_I_LOKAL` persons living on the premises), `beskrivning` required, `antal` optional
  count, `personnummer` optional list of the persons it concerns.
- besoksreferens: `BESLUT`: the `dokumentnummer` of the observation it follows; optional.
- beslutstyp: `BESLUT`: `ATERKRAV` or `POLISANMALAN`; required.
- beslutstid: `BESLUT`: when the social welfare committee (or its delegate) decided; required.
- lagrum: `BESLUT`: legal ground; absent means the beslutstyp's usual one (below).
- beslutstext: `BESLUT`: the decision in brief; required.
- belopp: `BESLUT`: integer, whole kronor, not negative; required for `ATERKRAV`, absent otherwise.
- overklagande: `BESLUT`: `EJ_OVERKLAGAT` (absent), `OVERKLAGAT`, `FASTSTALLT`, `UPPHAVT`, `LAGA_KRAFT`.
- mottagare: `UNDERRATTELSE`: the receiving agency by its name in schemas/agencies.yaml (e.g.
  `Försäkringskassan`, `Arbetsförmedlingen`, `Skatteverket`) or its LOS code; required.
- lagstod: `UNDERRATTELSE`: the provision obliging the notice; absent means "Lag (2008:206) 3 §"
  (FUT: a benefit seems wrongly paid).
- meddelande: `UNDERRATTELSE`: what the recipient is told; required.

Decision types: `ATERKRAV` -> kind återkrav of ekonomiskt bistånd wrongly paid, amount RECOVERED,
"SoL 9 kap. 1 §"; `POLISANMALAN` -> polisanmälan of suspected bidragsbrott, "Bidragsbrottslag
(2007:612) 6 §".

Canonical events: an `IAKTTAGELSE` is an InspectionConductedV1 (id `event_id_for("MUNI_SOCIAL",
"iakttagelse", dokumentnummer, version)`), a `BESLUT` a DecisionTakenV1 (record kind `beslut`), an
`UNDERRATTELSE` a NotificationSentV1 (record kind `underrattelse`). The event time is `registrerad`.
Version n > 1 supersedes version n-1 of the same document. A `makulerad` document is an
EventRetractedV1 (record kind `<kind>.makulering`) retracting that `dokumentnummer` and `version`;
its other fields are not read. Personnummer are pseudonymised on reading and never leave this module
in clear.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar
from uuid import UUID

from schemas.agencies import load_agencies
from schemas.categories import Category
from schemas.decision import AmountKind, AppealStatus, DecisionKind, DecisionTaken
from schemas.envelope import event_id_for
from schemas.events import (
    AnyEvent,
    DecisionTakenV1,
    EventRetractedV1,
    InspectionConductedV1,
    NotificationSentV1,
    new_event,
)
from schemas.inspection import InspectionConducted
from schemas.notification import EventRetracted, NotificationSent
from schemas.subjects import Business, Industry, Person, PersonRole
from services.adapters.sdk import native
from services.adapters.sdk.mapping import MappingContext, MappingResult
from services.adapters.sdk.native import FieldError, Row

AGENCY = "MUNI_SOCIAL"
CATEGORY = Category.SOCIAL_SERVICES
FUT = "Lag (2008:206) 3 §"
POST_TYPES = {"IAKTTAGELSE": "iakttagelse", "BESLUT": "beslut", "UNDERRATTELSE": "underrattelse"}
DECISIONS: dict[str, tuple[DecisionKind, AmountKind | None, str]] = {
    "ATERKRAV": (DecisionKind.ATERKRAV, AmountKind.RECOVERED, "SoL 9 kap. 1 §"),
    "POLISANMALAN": (DecisionKind.POLISANMALAN, None, "Bidragsbrottslag (2007:612) 6 §"),
}
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
    "premises.fastighetsbeteckning": "plats.fastighetsbeteckning", "premises.address": "plats.adress",
    "findings": "iakttagelser.beskrivning", "legal_reference": "lagrum", "legal_basis": "lagstod",
    "reason": "makuleringsorsak",
}
SUMMARY_FIELDS = {"beslut": "beslutstext", "underrattelse": "meddelande"}
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


def _recipient(row: Row) -> str:
    given = native.required(row, "mottagare")
    agencies = {code: code for code in load_agencies()}
    agencies |= {agency.name.casefold(): code for code, agency in load_agencies().items()}
    code = agencies.get(given) or agencies.get(given.casefold())
    if code is None or code == AGENCY:
        raise FieldError("mottagare", f"{given!r} is not another LOS agency of schemas/agencies.yaml")
    return code


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
    fastighet = native.optional(row, "plats.fastighetsbeteckning")
    address = native.optional(row, "plats.adress")
    if fastighet is None and address is None:
        if needed:
            raise FieldError("plats.fastighetsbeteckning", "fastighetsbeteckning or adress is required")
        return None
    return {"fastighetsbeteckning": fastighet, "address": address,
            "industry": _lookup(row.get("plats.verksamhetstyp", ""), "plats.verksamhetstyp", INDUSTRIES,
                                "OVRIGT")}


def _business(row: Row, ctx: MappingContext) -> Business | None:
    identity = native.optional(row, "arbetsgivare.organisationsnummer")
    if identity is None:
        return None
    return native.business("arbetsgivare.organisationsnummer", identity,
                           native.required(row, "arbetsgivare.namn"), ctx)


def _build(record: Any, ctx: MappingContext) -> AnyEvent:
    if not isinstance(record, dict):
        raise FieldError("-", "a document must be a JSON object")
    row = _texts(record)
    kind = _lookup(row.get("posttyp", ""), "posttyp", POST_TYPES)
    ref = str(_ref(row, "dokumentnummer"))
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
    if kind == "iakttagelse":
        inspection = InspectionConducted.model_validate({
            **common, "inspection_ref": ref, "conducted_at": native.parse_datetime(row, "besokstid"),
            "municipality": native.required(row, "kommun"), "premises": _premises(row, needed=True),
            "persons_present": _persons(record, ctx), "findings": _findings(record, ctx)})
        return new_event(InspectionConductedV1, inspection, agency=AGENCY, system=ctx.system,
                         time=registered, event_id=event_id)
    summary = native.required(row, SUMMARY_FIELDS[kind])
    if len(summary) > 2000:
        raise FieldError(SUMMARY_FIELDS[kind], f"is {len(summary)} characters, at most 2000")
    if kind == "underrattelse":
        notice = NotificationSent.model_validate({
            **common, "notification_ref": ref, "to_agency": _recipient(row),
            "legal_basis": row.get("lagstod") or FUT, "category": CATEGORY, "summary": summary,
            "premises": _premises(row, needed=False), "persons": _persons(record, ctx)})
        return new_event(NotificationSentV1, notice, agency=AGENCY, system=ctx.system, time=registered,
                         event_id=event_id)
    decision_kind, amount_kind, legal = _lookup(row.get("beslutstyp", ""), "beslutstyp", DECISIONS)
    amount = native.parse_int(row, "belopp", required_=amount_kind is not None)
    if amount is not None and amount < 0:
        raise FieldError("belopp", f"{amount} is negative")
    if amount is not None and amount_kind is None:
        raise FieldError("belopp", f"a {row['beslutstyp'].upper()} carries no amount")
    decision = DecisionTaken.model_validate({
        **common, "decision_ref": ref, "inspection_ref": _ref(row, "besoksreferens", needed=False),
        "decided_at": native.parse_datetime(row, "beslutstid"), "kind": decision_kind,
        "category": CATEGORY, "legal_reference": row.get("lagrum") or legal, "summary": summary,
        "amount_sek": amount, "amount_kind": amount_kind if amount is not None else None,
        "premises": _premises(row, needed=False), "persons": _persons(record, ctx),
        "appeal_status": _lookup(row.get("overklagande", ""), "overklagande", APPEALS, "EJ_OVERKLAGAT")})
    return new_event(DecisionTakenV1, decision, agency=AGENCY, system=ctx.system, time=registered,
                     event_id=event_id)


# --- writing -------------------------------------------------------------------------------------


def _key(table: Mapping[str, T], value: T) -> str:
    return next(code for code, item in table.items() if item == value)


def _post(event: AnyEvent) -> tuple[str, str, UUID | None] | None:
    """(record kind, dokumentnummer, supersedes) of an event this format writes as a document."""
    if isinstance(event, InspectionConductedV1):
        return "iakttagelse", event.data.inspection_ref, event.data.supersedes
    if isinstance(event, DecisionTakenV1):
        return "beslut", event.data.decision_ref, event.data.supersedes
    if isinstance(event, NotificationSentV1):
        return "underrattelse", event.data.notification_ref, event.data.supersedes
    return None


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
        return {"posttyp": _key(POST_TYPES, kind), "dokumentnummer": ref, "version": version,
                "makulerad": True, "makuleringsorsak": event.data.reason, "registrerad": _when(event.time)}
    if not isinstance(event, InspectionConductedV1 | DecisionTakenV1 | NotificationSentV1):
        raise ValueError(f"{event.type} has no place in {AGENCY}'s LOS export")
    data = event.data
    if not isinstance(data, InspectionConducted) and data.category != CATEGORY:
        raise ValueError(f"{event.id}: everything in this format is {CATEGORY}, not {data.category}")
    kind, ref, version = posts[event.id]
    persons = data.persons_present if isinstance(data, InspectionConducted) else data.persons
    record: dict[str, Any] = {
        "posttyp": _key(POST_TYPES, kind), "dokumentnummer": ref, "version": version, "makulerad": False,
        "registrerad": _when(event.time), "samverkansinsats": data.operation_id,
        "plats": None if data.premises is None else _present({
            "fastighetsbeteckning": data.premises.fastighetsbeteckning, "adress": data.premises.address,
            "verksamhetstyp": _key(INDUSTRIES, data.premises.industry)}),
        "arbetsgivare": None if data.business is None else {
            "organisationsnummer": data.business.orgnr or _clear(data.business.sole_trader, clear_ids),
            "namn": data.business.name},
        "personer": [{"personnummer": _clear(p.pseudonym, clear_ids), "roll": _key(ROLES, p.role),
                      "sekretessmarkering": p.protected_identity} for p in persons],
    }
    if isinstance(data, InspectionConducted):
        if any(f.category != CATEGORY for f in data.findings):
            raise ValueError(f"{event.id}: findings here are {CATEGORY}")
        return _present({**record, "kommun": data.municipality, "besokstid": _when(data.conducted_at),
                         "iakttagelser": [_present({
                             "kod": f.code, "beskrivning": f.summary, "antal": f.count,
                             "personnummer": [_clear(p, clear_ids) for p in f.persons]})
                             for f in data.findings]})
    if isinstance(data, NotificationSent):
        return _present({**record, "mottagare": load_agencies()[data.to_agency].name,
                         "lagstod": data.legal_basis, "meddelande": data.summary})
    code = next((c for c, (k, a, _) in DECISIONS.items()
                 if k == data.kind and a == data.amount_kind), None)
    if code is None:
        raise ValueError(f"{event.id}: a {data.kind} decision with amount kind {data.amount_kind} "
                         "has no beslutstyp in this format")
    return _present({**record, "besoksreferens": data.inspection_ref, "beslutstyp": code,
                     "beslutstid": _when(data.decided_at), "lagrum": data.legal_reference,
                     "beslutstext": data.summary, "belopp": data.amount_sek,
                     "overklagande": _key(APPEALS, data.appeal_status)})


class LosExportJson:
    name = "muni-social-los"
    agency = AGENCY
    suffix = ".json"
    description = "Socialtjänsten's case system: LOS observations, återkrav and FUT notices, JSON"

    def read(self, path: Path, ctx: MappingContext) -> Iterator[MappingResult]:
        return native.map_records(path, native.read_json_records(path, "poster"),
                                  lambda record: _build(record, ctx), FIELD_NAMES)

    def write(self, events: Sequence[AnyEvent], path: Path, ctx: MappingContext,
              clear_ids: Mapping[str, str]) -> None:
        posts: dict[UUID, tuple[str, str, int]] = {}
        for event in events:
            if event.losagency != AGENCY:
                raise ValueError(f"{event.id} is {event.losagency}'s, not {AGENCY}'s")
            post = _post(event)
            if post is not None:
                kind, ref, supersedes = post
                posts[event.id] = (kind, ref, _version_of(kind, ref, event.id, supersedes))
        document = {"exportinfo": _present({"system": ctx.system}),
                    "poster": [_record(event, posts, clear_ids) for event in events]}
        path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


FORMATS = [LosExportJson()]
