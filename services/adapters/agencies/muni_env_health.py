"""MUNI_ENV_HEALTH: the miljö- och hälsoskyddsnämnd's control export (livsmedel, miljö), CSV.

Format name `muni-env-health-kontroll`, suffix `.csv`. The environment and health committee's case
system exports food controls (livsmedelskontroll) and environmental supervision (e.g. chemicals
and hazardous waste at car workshops) as one semicolon-separated UTF-8 file (a BOM is tolerated)
with a header row naming the columns below, in any order. One row is one post of a case: a
control visit (`KONTROLL`) or a decision (`BESLUT`). Multi-valued cells separate their values with
`|`; parallel columns (`personnummer`/`personroll`/`sekretessmarkering`,
`avvikelsekod`/`avvikelse`/`antal`) hold the same number of values, position by position.

Columns (name: meaning; allowed values):

- posttyp: `KONTROLL` (control visit with deviations found) or `BESLUT` (decision); required.
- diarienummer: the post's own number, e.g. `MHN-2026-001187` (letters, digits, `-`, `.`, `/`, `_`,
  `:`); required.
- version: 1 for the first registration, 2, 3 ... for each correction; empty means 1.
- makulerad: `J` if the post (this `diarienummer` and `version`) is withdrawn, else `N` or empty.
- makuleringsorsak: why it was withdrawn; required when `makulerad` is `J`.
- registrerad: when the post was registered, `2026-03-14 11:02` (Swedish local time) or ISO 8601
  with offset (`2026-03-14T11:02:00+01:00`); required.
- los_insats: the LOS operation id, e.g. `NKPG-2026-07`; optional.
- kommun: the municipality of the premises; required for `KONTROLL`, not read for `BESLUT`.
- fastighetsbeteckning: e.g. `Norrköping Butängen 1:12`; this or `besoksadress` is required for
  `KONTROLL`.
- besoksadress: street address with postal code and city, e.g. `Butängsgatan 8, 602 23 Norrköping`.
- anlaggningstyp: `BILVERKSTAD`, `BILTVATT`, `TATUERING`, `NAGELSALONG`, `FRISOR`, `RESTAURANG`,
  `KIOSK`, `LIVSMEDELSGROSSIST`, `BYGGARBETSPLATS` or `OVRIGT` (empty: `OVRIGT`).
- organisationsnummer: the operator (NNNNNN-NNNN, Luhn-checked) or a sole trader's personnummer;
  optional.
- verksamhetsutovare: the operator's name; required with `organisationsnummer`.
- personnummer: persons present (`KONTROLL`) or addressed (`BESLUT`), 12 or 10 digits, `|`-separated.
- personroll: per person `AGARE`, `STYRELSELEDAMOT`, `ANSTALLD`, `EJ_REDOVISAD` or `OVRIG`
  (empty: `OVRIG`).
- sekretessmarkering: per person `J` if the person has protected identity, else `N` (empty: `N`).
- kontrolltid: when the control took place (as `registrerad`); required for `KONTROLL`.
- avvikelsekod: `KONTROLL` deviation codes (A-Z, 0-9, `_`), e.g. `BRISTANDE_RENGORING`,
  `TEMPERATUR_KYLFORVARING`, `SPARBARHET_SAKNAS`, `OREGISTRERAD_LIVSMEDELSANLAGGNING`,
  `KEMIKALIER_UTAN_INVALLNING`, `FARLIGT_AVFALL_FORVARING`.
- avvikelse: per deviation, what was found; required for each code.
- antal: per deviation, a count (e.g. kilos of meat of unknown origin, drums) or empty.
- kontrollarende: `BESLUT`: the `diarienummer` of the control it follows; optional.
- beslutstyp: `BESLUT`: `SANKTIONSAVGIFT`, `FORELAGGANDE` or `FORBUD`; required.
- beslutstid: `BESLUT`: when the committee (or its delegate) decided (as `registrerad`); required.
- lagrum: `BESLUT`: the legal ground; empty means the beslutstyp's usual one under the Food Act
  (below). Decisions under the Environmental Code say so here: `MB 26 kap. 9 §` for förelägganden
  and förbud, `MB 30 kap. 1 §` (with förordning (2012:259)) for miljösanktionsavgift.
- beslutstext: `BESLUT`: the decision in brief; required.
- belopp: `BESLUT`: whole kronor, not negative; required for `SANKTIONSAVGIFT`, empty otherwise.
- overklagande: `BESLUT`: `EJ_OVERKLAGAT` (or empty), `OVERKLAGAT`, `FASTSTALLT`, `UPPHAVT` or
  `LAGA_KRAFT`.

Decision types: `SANKTIONSAVGIFT` -> kind sanktionsavgift, amount IMPOSED, "LL 30 §" (livsmedelslagen
(2006:804)); `FORELAGGANDE` -> föreläggande, "LL 22 §"; `FORBUD` -> förbud, "LL 22 §" (e.g. a ban on
selling meat of unknown origin). Findings and decisions are Category.MUNICIPAL_DECISION.

Canonical events: a `KONTROLL` row is an InspectionConductedV1 (id `event_id_for("MUNI_ENV_HEALTH",
"kontroll", diarienummer, version)`), a `BESLUT` row a DecisionTakenV1 (record kind `beslut`). The
event time is `registrerad`. Version n > 1 supersedes version n-1 of the same post. A row with
`makulerad=J` is an EventRetractedV1 (record kind `kontroll.makulering` / `beslut.makulering`)
retracting that `diarienummer` and `version`; its other columns are not read. Personnummer are
pseudonymised on reading and never leave this module in clear.
"""

from __future__ import annotations

import csv
import datetime
import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar
from uuid import UUID

from schemas.categories import Category
from schemas.decision import AmountKind, AppealStatus, DecisionKind, DecisionTaken
from schemas.envelope import event_id_for
from schemas.events import AnyEvent, DecisionTakenV1, EventRetractedV1, InspectionConductedV1, new_event
from schemas.inspection import InspectionConducted
from schemas.notification import EventRetracted
from schemas.subjects import Business, Industry, Person, PersonRole
from services.adapters.sdk import native
from services.adapters.sdk.mapping import MappingContext, MappingResult
from services.adapters.sdk.native import FieldError, Row

AGENCY = "MUNI_ENV_HEALTH"
CATEGORY = Category.MUNICIPAL_DECISION
COLUMNS = (
    "posttyp", "diarienummer", "version", "makulerad", "makuleringsorsak", "registrerad",
    "los_insats", "kommun", "fastighetsbeteckning", "besoksadress", "anlaggningstyp",
    "organisationsnummer", "verksamhetsutovare", "personnummer", "personroll", "sekretessmarkering",
    "kontrolltid", "avvikelsekod", "avvikelse", "antal", "kontrollarende", "beslutstyp",
    "beslutstid", "lagrum", "beslutstext", "belopp", "overklagande",
)
POST_TYPES = {"KONTROLL": "kontroll", "BESLUT": "beslut"}
DECISIONS: dict[str, tuple[DecisionKind, AmountKind | None, str]] = {
    "SANKTIONSAVGIFT": (DecisionKind.SANKTIONSAVGIFT, AmountKind.IMPOSED, "LL 30 §"),
    "FORELAGGANDE": (DecisionKind.FORELAGGANDE, None, "LL 22 §"),
    "FORBUD": (DecisionKind.FORBUD, None, "LL 22 §"),
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
    "operation_id": "los_insats",
    "municipality": "kommun", "premises.fastighetsbeteckning": "fastighetsbeteckning",
    "premises.address": "besoksadress", "premises": "fastighetsbeteckning", "findings": "avvikelse",
    "summary": "beslutstext", "legal_reference": "lagrum", "reason": "makuleringsorsak",
}
T = TypeVar("T")
CODE = re.compile(r"[A-Z0-9_]{2,64}")
REFERENCE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_./:-]{0,63}")


def _code(row: Row, field: str, table: Mapping[str, T], default: str | None = None) -> T:
    return _lookup(row.get(field, ""), field, table, default)


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
    if value.upper() in ("J", "JA"):
        return True
    if value.upper() in ("", "N", "NEJ"):
        return False
    raise FieldError(field, f"{value!r} is not J or N")


def _list(row: Row, field: str) -> list[str]:
    value = row.get(field, "")
    return [part.strip() for part in value.split("|")] if value else []


def _parallel(row: Row, main: str, *others: str) -> list[list[str]]:
    """Values of `main` with the value at the same position in each of `others` ('' if empty)."""
    values = _list(row, main)
    columns = [_list(row, other) for other in others]
    for other, column in zip(others, columns, strict=True):
        if column and len(column) != len(values):
            raise FieldError(other, f"has {len(column)} values but {main} has {len(values)}")
    return [[value, *(column[i] if column else "" for column in columns)] for i, value in enumerate(values)]


def _premises(row: Row, *, needed: bool) -> dict[str, Any] | None:
    fastighet, address = native.optional(row, "fastighetsbeteckning"), native.optional(row, "besoksadress")
    if fastighet is None and address is None:
        if needed:
            raise FieldError("fastighetsbeteckning", "fastighetsbeteckning or besoksadress is required")
        return None
    return {"fastighetsbeteckning": fastighet, "address": address,
            "industry": _code(row, "anlaggningstyp", INDUSTRIES, "OVRIGT")}


def _business(row: Row, ctx: MappingContext) -> Business | None:
    identity = native.optional(row, "organisationsnummer")
    if identity is None:
        return None
    return native.business("organisationsnummer", identity, native.required(row, "verksamhetsutovare"), ctx)


def _persons(row: Row, ctx: MappingContext) -> list[Person]:
    return [native.person("personnummer", pnr, _lookup(role, "personroll", ROLES, "OVRIG"), ctx,
                          protected=_flag(secret, "sekretessmarkering"))
            for pnr, role, secret in _parallel(row, "personnummer", "personroll", "sekretessmarkering")]


def _findings(row: Row) -> list[dict[str, Any]]:
    findings = []
    for code, summary, count in _parallel(row, "avvikelsekod", "avvikelse", "antal"):
        if not CODE.fullmatch(code):
            raise FieldError("avvikelsekod", f"{code!r} is not a code of A-Z, 0-9 and _")
        if not summary:
            raise FieldError("avvikelse", f"deviation {code} has no description")
        number = native.parse_int({"antal": count}, "antal", required_=False)
        if number is not None and number < 0:
            raise FieldError("antal", f"{number} is negative")
        findings.append({"code": code, "category": CATEGORY, "summary": summary, "count": number})
    return findings


def _build(row: Row, ctx: MappingContext) -> AnyEvent:
    kind = _code(row, "posttyp", POST_TYPES)
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
    common = {"operation_id": native.optional(row, "los_insats"), "business": _business(row, ctx),
              "supersedes": event_id_for(AGENCY, kind, ref, str(version - 1)) if version > 1 else None}
    event_id = event_id_for(AGENCY, kind, ref, str(version))
    if kind == "kontroll":
        inspection = InspectionConducted.model_validate({
            **common, "inspection_ref": ref, "conducted_at": native.parse_datetime(row, "kontrolltid"),
            "municipality": native.required(row, "kommun"), "premises": _premises(row, needed=True),
            "persons_present": _persons(row, ctx), "findings": _findings(row)})
        return new_event(InspectionConductedV1, inspection, agency=AGENCY, system=ctx.system,
                         time=registered, event_id=event_id)
    decision_kind, amount_kind, legal = _code(row, "beslutstyp", DECISIONS)
    amount = native.parse_int(row, "belopp", required_=amount_kind is not None)
    if amount is not None and (amount_kind is None or amount < 0):
        raise FieldError("belopp", f"{amount} is negative" if amount < 0
                         else f"a {row['beslutstyp'].upper()} carries no amount")
    decision = DecisionTaken.model_validate({
        **common, "decision_ref": ref, "inspection_ref": _ref(row, "kontrollarende", needed=False),
        "decided_at": native.parse_datetime(row, "beslutstid"), "kind": decision_kind,
        "category": CATEGORY, "legal_reference": row.get("lagrum") or legal,
        "summary": native.required(row, "beslutstext"), "amount_sek": amount,
        "amount_kind": amount_kind if amount is not None else None, "premises": _premises(row, needed=False),
        "persons": _persons(row, ctx), "appeal_status": _code(row, "overklagande", APPEALS, "EJ_OVERKLAGAT")})
    return new_event(DecisionTakenV1, decision, agency=AGENCY, system=ctx.system, time=registered,
                     event_id=event_id)


# --- writing -------------------------------------------------------------------------------------


def _key(table: Mapping[str, T], value: T) -> str:
    return next(code for code, item in table.items() if item == value)


def _when(moment: datetime.datetime) -> str:
    return moment.isoformat()


def _joined(values: Sequence[str], field: str) -> str:
    if any("|" in value for value in values):
        raise ValueError(f"{field}: a value contains '|', the list separator of this format")
    return "|".join(values)


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


def _row(event: AnyEvent, posts: Mapping[UUID, tuple[str, str, int]],
         clear_ids: Mapping[str, str]) -> dict[str, str]:
    row = dict.fromkeys(COLUMNS, "")
    row["registrerad"] = _when(event.time)
    if isinstance(event, EventRetractedV1):
        if event.data.retracts not in posts:
            raise ValueError(f"{event.id} retracts {event.data.retracts}, which is not among the events")
        kind, ref, version = posts[event.data.retracts]
        if event.id != event_id_for(AGENCY, f"{kind}.makulering", ref, str(version)):
            raise ValueError(f"{event.id} is not the id of a makulering of {ref} version {version}")
        return {**row, "posttyp": _key(POST_TYPES, kind), "diarienummer": ref, "version": str(version),
                "makulerad": "J", "makuleringsorsak": event.data.reason}
    if not isinstance(event, InspectionConductedV1 | DecisionTakenV1):
        raise ValueError(f"{event.type} has no place in {AGENCY}'s kontroll export")
    data = event.data
    kind, ref, version = posts[event.id]
    row.update(posttyp=_key(POST_TYPES, kind), diarienummer=ref, version=str(version), makulerad="N",
               los_insats=data.operation_id or "")
    premises = data.premises
    if premises is not None:
        row.update(fastighetsbeteckning=premises.fastighetsbeteckning or "",
                   besoksadress=premises.address or "", anlaggningstyp=_key(INDUSTRIES, premises.industry))
    if data.business is not None:
        identity = data.business.orgnr or _clear(data.business.sole_trader, clear_ids)
        row.update(organisationsnummer=identity, verksamhetsutovare=data.business.name)
    persons = data.persons_present if isinstance(data, InspectionConducted) else data.persons
    row.update(personnummer=_joined([_clear(p.pseudonym, clear_ids) for p in persons], "personnummer"),
               personroll="|".join(_key(ROLES, p.role) for p in persons),
               sekretessmarkering="|".join("J" if p.protected_identity else "N" for p in persons))
    if isinstance(data, InspectionConducted):
        if any(f.category != CATEGORY or f.persons for f in data.findings):
            raise ValueError(f"{event.id}: findings here are {CATEGORY} and name no persons")
        return {**row, "kommun": data.municipality, "kontrolltid": _when(data.conducted_at),
                "avvikelsekod": _joined([f.code for f in data.findings], "avvikelsekod"),
                "avvikelse": _joined([f.summary for f in data.findings], "avvikelse"),
                "antal": "|".join("" if f.count is None else str(f.count) for f in data.findings)}
    code = next((c for c, (k, a, _) in DECISIONS.items()
                 if k == data.kind and a == data.amount_kind), None)
    if code is None or data.category != CATEGORY:
        raise ValueError(f"{event.id}: a {data.kind} decision with amount kind {data.amount_kind} "
                         f"in {data.category} has no beslutstyp in this format")
    return {**row, "kontrollarende": data.inspection_ref or "", "beslutstyp": code,
            "beslutstid": _when(data.decided_at), "lagrum": data.legal_reference,
            "beslutstext": data.summary, "belopp": "" if data.amount_sek is None else str(data.amount_sek),
            "overklagande": _key(APPEALS, data.appeal_status)}


class KontrollCsv:
    name = "muni-env-health-kontroll"
    agency = AGENCY
    suffix = ".csv"
    description = "Miljö- och hälsoskyddsnämnden's case system: food and chemicals controls, semicolon CSV"

    def read(self, path: Path, ctx: MappingContext) -> Iterator[MappingResult]:
        return native.map_records(path, native.read_csv(path), lambda row: _build(row, ctx), FIELD_NAMES)

    def write(self, events: Sequence[AnyEvent], path: Path, ctx: MappingContext,
              clear_ids: Mapping[str, str]) -> None:
        posts: dict[UUID, tuple[str, str, int]] = {}
        for event in events:
            if event.losagency != AGENCY:
                raise ValueError(f"{event.id} is {event.losagency}'s, not {AGENCY}'s")
            if isinstance(event, InspectionConductedV1):
                ref, kind = event.data.inspection_ref, "kontroll"
            elif isinstance(event, DecisionTakenV1):
                ref, kind = event.data.decision_ref, "beslut"
            else:
                continue
            posts[event.id] = (kind, ref, _version_of(kind, ref, event.id, event.data.supersedes))
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=COLUMNS, delimiter=";", lineterminator="\n")
            writer.writeheader()
            writer.writerows(_row(event, posts, clear_ids) for event in events)


FORMATS = [KontrollCsv()]
