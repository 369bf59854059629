"""Arbetsmiljöverket: workplace inspections at LOS premises and their decisions (JSON).

Format "work-env-inspektioner" (.json, UTF-8): the inspection system's LOS export,
`{"inspektioner": [<record>, ...]}`; errors give a record's 1-based position as its line.
Elements of a record:

    posttyp              "inspektion" (a workplace inspection) or "beslut" (a decision)
    diarienummer         the record's number, e.g. "2026/018734" (A-Z, 0-9, _ . / : -)
    version              1, or 2, 3 ... for a correction, which replaces the version before it
    registrerad          when this version was registered: "2026-03-14T15:30:00+01:00", without an
                         offset Swedish local time; the event time
    makulerad            true withdraws version `version` of the record (then only posttyp,
                         diarienummer, version, registrerad and makuleringsorsak are read)
    insatsnummer         the LOS operation, e.g. "NKPG-2026-07", if any
    inspektion           beslut: the diarienummer of the inspection it follows, if any
    tidpunkt             when the inspection took place / the decision was taken
    kommun               inspektion: the municipality (required)
    arbetsstalle         the workplace: {fastighetsbeteckning, adress (at least one), verksamhetstyp:
                         bilverkstad, biltvatt, tatueringsstudio, nagelsalong, frisor, restaurang,
                         kiosk, livsmedelsgrossist, byggarbetsplats or ovrigt (default)};
                         required for inspektion, optional for beslut
    arbetsgivare         the employer, optional: {organisationsnummer (a sole trader's personnummer
                         is accepted), namn}
    personer             persons met or concerned: [{personnummer (12 or 10 digits), roll (agare,
                         styrelseledamot, anstalld, ej_registrerad, ovrig), sekretessmarkering}]
    brister              inspektion findings: [{kod (A-Z, 0-9, _; e.g. BILLYFT_EJ_BESIKTIGAD,
                         KEMIKALIER_FORVARAS_FEL, PERSONALUTRYMMEN_SAKNAS, ARBETSTID_OREDOVISAD),
                         beskrivning, antal (optional, >= 0), personnummer: [persons concerned]}]
    beslutstyp           beslut: FORBUD (e.g. using a car lift, AML 7 kap. 7 §), FORELAGGANDE
                         (AML 7 kap. 7 §; a vite is stated in beskrivning) or SANKTIONSAVGIFT
                         (AML 8 kap. 5 §; belopp required)
    belopp               beslut: the sanktionsavgift in whole kronor, a JSON integer >= 0
    lagrum               beslut: the legal ground, e.g. "AML 7 kap. 7 §"
    beskrivning          beslut: the decision in brief
    overklagande         beslut: ej_overklagat (default), overklagat, faststallt, upphavt, laga_kraft

inspektion maps to InspectionConductedV1, beslut to DecisionTakenV1 (a sanktionsavgift is an
IMPOSED amount), all Category.WORK_ENVIRONMENT. Ids: `event_id_for("WORK_ENV", posttyp,
diarienummer, version)`; a version > 1 supersedes version - 1; a withdrawn record maps to
EventRetractedV1 with id `event_id_for("WORK_ENV", posttyp + "-makulering", diarienummer,
version)`. Personnummer leave this module only as pseudonyms. `write` produces this format
from events with these ids (a retraction with the event it retracts); what it cannot express
raises ValueError.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from schemas.categories import Category
from schemas.decision import AmountKind, AppealStatus, DecisionKind, DecisionTaken
from schemas.envelope import event_id_for
from schemas.events import AnyEvent, DecisionTakenV1, EventRetractedV1, InspectionConductedV1, new_event
from schemas.identifiers import IdentifierError, parse_personnummer
from schemas.inspection import Finding, InspectionConducted
from schemas.notification import EventRetracted
from schemas.subjects import Business, Industry, Person, PersonRole, Premises
from services.adapters.sdk import native
from services.adapters.sdk.mapping import AgencyFormat, MappingContext, MappingResult

AGENCY = "WORK_ENV"
INSPECTION, DECISION, WITHDRAWN = "inspektion", "beslut", "-makulering"
CATEGORY = Category.WORK_ENVIRONMENT
INDUSTRIES = {"bilverkstad": Industry.CAR_WORKSHOP, "biltvatt": Industry.CAR_WASH,
              "tatueringsstudio": Industry.TATTOO_STUDIO, "nagelsalong": Industry.NAIL_SALON,
              "frisor": Industry.HAIRDRESSER, "restaurang": Industry.RESTAURANT, "kiosk": Industry.KIOSK,
              "livsmedelsgrossist": Industry.FOOD_WHOLESALE,
              "byggarbetsplats": Industry.CONSTRUCTION_SITE, "ovrigt": Industry.OTHER}
ROLES = {"agare": PersonRole.OWNER, "styrelseledamot": PersonRole.BOARD_MEMBER,
         "anstalld": PersonRole.EMPLOYEE, "ej_registrerad": PersonRole.UNRECORDED_WORKER,
         "ovrig": PersonRole.OTHER}
APPEALS = {"ej_overklagat": AppealStatus.NOT_APPEALED, "overklagat": AppealStatus.APPEALED,
           "faststallt": AppealStatus.UPHELD, "upphavt": AppealStatus.OVERTURNED,
           "laga_kraft": AppealStatus.FINAL}
DECISIONS: dict[str, tuple[DecisionKind, AmountKind | None, bool]] = {  # kind, amount kind, required
    "FORBUD": (DecisionKind.FORBUD, None, False),
    "FORELAGGANDE": (DecisionKind.FORELAGGANDE, None, False),
    "SANKTIONSAVGIFT": (DecisionKind.SANKTIONSAVGIFT, AmountKind.IMPOSED, True),
}
_NAMES = {"inspection_ref": "diarienummer", "decision_ref": "diarienummer", "operation_id": "insatsnummer",
          "municipality": "kommun", "legal_reference": "lagrum", "summary": "beskrivning",
          "code": "kod", "count": "antal", "address": "adress", "name": "namn"}
_M = TypeVar("_M", bound=BaseModel)
_V = TypeVar("_V")


def _make(model: type[_M], **values: Any) -> _M:
    """Build a contract model; its first validation error names the native element."""
    try:
        return model(**values)
    except ValidationError as error:
        first = error.errors(include_input=False, include_url=False)[0]
        key = str(first["loc"][0]) if first["loc"] else "-"
        raise native.FieldError(_NAMES.get(key, key), first["msg"]) from None


@contextmanager
def _within(prefix: str) -> Iterator[None]:
    try:
        yield
    except native.FieldError as error:
        raise native.FieldError(prefix + error.field, error.message) from None


def _flat(record: object) -> dict[str, str]:
    if not isinstance(record, dict):
        raise native.FieldError("-", "must be a JSON object")
    return {k: "" if v is None else str(v).lower() if isinstance(v, bool) else str(v)
            for k, v in record.items() if not isinstance(v, list | dict)}


def _list(record: Mapping[str, Any], field: str) -> list[Any]:
    value = record.get(field) or []
    if not isinstance(value, list):
        raise native.FieldError(field, "must be a JSON list")
    return value


def _code(table: Mapping[str, _V], row: native.Row, field: str, default: str = "") -> _V:
    value = native.optional(row, field) or default
    if value not in table:
        raise native.FieldError(field, f"{value or 'empty'!r} is not one of {', '.join(table)}")
    return table[value]


def _key(table: Mapping[str, _V], value: _V) -> str:
    for key, known in table.items():
        if known == value:
            return key
    raise ValueError(f"{value!r} has no code in this format (codes: {', '.join(table)})")


def _ref(row: native.Row, field: str) -> str:
    value = native.required(row, field)
    if not (value[0].isalnum() and value.isascii() and len(value) <= 64
            and all(c.isalnum() or c in "_./:-" for c in value)):
        raise native.FieldError(field, f"{value!r} is not a record number (A-Z, 0-9, _ . / : -)")
    return value


def _premises(record: object) -> Premises:
    row = _flat(record)
    if not native.optional(row, "fastighetsbeteckning") and not native.optional(row, "adress"):
        raise native.FieldError("fastighetsbeteckning", "fastighetsbeteckning or adress is required")
    return _make(Premises, fastighetsbeteckning=native.optional(row, "fastighetsbeteckning"),
                 address=native.optional(row, "adress"),
                 industry=_code(INDUSTRIES, row, "verksamhetstyp", "ovrigt"))


def _business(record: object, ctx: MappingContext) -> Business:
    row = _flat(record)
    identity, name = native.required(row, "organisationsnummer"), native.required(row, "namn")
    try:
        return native.business("organisationsnummer", identity, name, ctx)
    except native.FieldError:
        digits = identity.replace("-", "").replace("+", "")
        if (len(digits) == 12 and digits[:2] != "16") or (len(digits) == 10 and digits[2:4] < "20"):
            try:  # a sole trader's personnummer: say what is wrong without repeating it
                parse_personnummer(identity, today=ctx.today)
            except IdentifierError as error:
                raise native.FieldError("organisationsnummer", f"sole trader's {error}") from None
        raise


def _persons(record: Mapping[str, Any], ctx: MappingContext) -> list[Person]:
    persons = []
    for index, item in enumerate(_list(record, "personer")):
        with _within(f"personer[{index}]."):
            row = _flat(item)
            protected = _code({"true": True, "false": False}, row, "sekretessmarkering", "false")
            persons.append(native.person("personnummer", native.required(row, "personnummer"),
                                         _code(ROLES, row, "roll"), ctx, protected=protected))
    return persons


def _findings(record: Mapping[str, Any], ctx: MappingContext) -> list[Finding]:
    findings = []
    for index, item in enumerate(_list(record, "brister")):
        with _within(f"brister[{index}]."):
            row = _flat(item)
            concerned = [native.person("personnummer", str(n), PersonRole.OTHER, ctx).pseudonym
                         for n in _list(item, "personnummer")]
            findings.append(_make(Finding, code=native.required(row, "kod"), category=CATEGORY,
                                  summary=native.required(row, "beskrivning"),
                                  count=native.parse_int(row, "antal", required_=False), persons=concerned))
    return findings


def _decision(row: native.Row) -> dict[str, Any]:
    kind, amount_kind, needed = _code(DECISIONS, row, "beslutstyp")
    amount = native.parse_int(row, "belopp", required_=needed)
    if amount is not None and amount_kind is None:
        raise native.FieldError("belopp", f"a {row['beslutstyp']} has no amount; leave belopp out")
    if amount is not None and amount < 0:
        raise native.FieldError("belopp", f"{amount} is negative; give the fee in whole kronor")
    return {"kind": kind, "amount_sek": amount, "amount_kind": None if amount is None else amount_kind}


class WorkEnvInspektioner:
    name = "work-env-inspektioner"
    agency = AGENCY
    suffix = ".json"
    description = "Arbetsmiljöverket: LOS workplace inspections, förbud, förelägganden, sanktionsavgifter"

    def read(self, path: Path, ctx: MappingContext) -> Iterator[MappingResult]:
        return native.map_records(path, native.read_json_records(path, "inspektioner"),
                                  lambda record: self._build(record, ctx))

    def _build(self, record: Any, ctx: MappingContext) -> AnyEvent:
        row = _flat(record)
        kind = _code({INSPECTION: INSPECTION, DECISION: DECISION}, row, "posttyp")
        ref, version = _ref(row, "diarienummer"), native.parse_int(row, "version")
        if version is None or version < 1:
            raise native.FieldError("version", "must be 1 or more")
        time = native.parse_datetime(row, "registrerad")
        if _code({"true": True, "false": False}, row, "makulerad", "false"):
            return new_event(EventRetractedV1, EventRetracted(
                retracts=event_id_for(AGENCY, kind, ref, str(version)),
                reason=native.required(row, "makuleringsorsak")),
                agency=AGENCY, event_id=event_id_for(AGENCY, kind + WITHDRAWN, ref, str(version)),
                time=time, system=ctx.system)
        with _within("arbetsstalle."):
            premises = None if record.get("arbetsstalle") is None else _premises(record["arbetsstalle"])
        with _within("arbetsgivare."):
            employer = None if record.get("arbetsgivare") is None else _business(record["arbetsgivare"], ctx)
        common: dict[str, Any] = {
            "operation_id": native.optional(row, "insatsnummer"), "business": employer,
            "premises": premises, "supersedes": None if version == 1 else event_id_for(
                AGENCY, kind, ref, str(version - 1))}
        data: InspectionConducted | DecisionTaken
        if kind == INSPECTION:
            if premises is None:
                raise native.FieldError("arbetsstalle", "is required for an inspektion")
            data = _make(InspectionConducted, inspection_ref=ref,
                         conducted_at=native.parse_datetime(row, "tidpunkt"),
                         municipality=native.required(row, "kommun"), persons_present=_persons(record, ctx),
                         findings=_findings(record, ctx), **common)
        else:
            data = _make(DecisionTaken, decision_ref=ref, inspection_ref=native.optional(row, "inspektion"),
                         decided_at=native.parse_datetime(row, "tidpunkt"), category=CATEGORY,
                         legal_reference=native.required(row, "lagrum"),
                         summary=native.required(row, "beskrivning"), persons=_persons(record, ctx),
                         appeal_status=_code(APPEALS, row, "overklagande", "ej_overklagat"),
                         **_decision(row), **common)
        event_type = InspectionConductedV1 if kind == INSPECTION else DecisionTakenV1
        return new_event(event_type, data, agency=AGENCY, time=time, system=ctx.system,
                         event_id=event_id_for(AGENCY, kind, ref, str(version)))

    def write(self, events: Sequence[AnyEvent], path: Path, ctx: MappingContext,
              clear_ids: Mapping[str, str]) -> None:
        written = {e.id: _record(e, clear_ids) for e in events
                   if isinstance(e, InspectionConductedV1 | DecisionTakenV1)}
        records = []
        for event in events:
            if isinstance(event, EventRetractedV1):
                if event.data.retracts not in written:
                    raise ValueError(f"retraction {event.id}: the retracted event must be in the same export")
                retracted = written[event.data.retracts]
                kind, ref, version = retracted["posttyp"], retracted["diarienummer"], retracted["version"]
                if event.id != event_id_for(AGENCY, f"{kind}{WITHDRAWN}", str(ref), str(version)):
                    raise ValueError(f"retraction {event.id} does not have this format's id")
                records.append({"posttyp": kind, "diarienummer": ref, "version": version,
                                "registrerad": event.time.isoformat(), "makulerad": True,
                                "makuleringsorsak": event.data.reason})
            elif event.id in written:
                records.append(written[event.id])
            else:
                raise ValueError(f"{self.name} cannot hold a {event.type} event")
        path.write_text(json.dumps({"inspektioner": records}, ensure_ascii=False, indent=2) + "\n",
                        encoding="utf-8")


def _clear(pseudonym: str, clear_ids: Mapping[str, str]) -> str:
    if pseudonym not in clear_ids:
        raise ValueError(f"clear_ids has no personnummer for {pseudonym}")
    return f"{clear_ids[pseudonym][:8]}-{clear_ids[pseudonym][8:]}"


def _record(event: InspectionConductedV1 | DecisionTakenV1, clear_ids: Mapping[str, str]) -> dict[str, Any]:
    data = event.data
    if isinstance(data, InspectionConducted):
        kind, ref = INSPECTION, data.inspection_ref
    else:
        kind, ref = DECISION, data.decision_ref
    version = next((v for v in range(1, 10_001) if event_id_for(AGENCY, kind, ref, str(v)) == event.id), 0)
    if not version or data.supersedes != (None if version == 1 else event_id_for(AGENCY, kind, ref,
                                                                                  str(version - 1))):
        raise ValueError(f"event {event.id}: id or supersedes differ from event_id_for({AGENCY!r}, "
                         f"{kind!r}, {ref!r}, version) and version - 1 of this format")
    record: dict[str, Any] = {"posttyp": kind, "diarienummer": ref, "version": version,
                              "registrerad": event.time.isoformat(), "insatsnummer": data.operation_id}
    if data.premises is not None:
        record["arbetsstalle"] = {"fastighetsbeteckning": data.premises.fastighetsbeteckning,
                           "adress": data.premises.address,
                           "verksamhetstyp": _key(INDUSTRIES, data.premises.industry)}
    if data.business is not None:
        record["arbetsgivare"] = {"organisationsnummer": data.business.orgnr or _clear(
            data.business.sole_trader or "", clear_ids), "namn": data.business.name}
    people = data.persons_present if isinstance(data, InspectionConducted) else data.persons
    record["personer"] = [{"personnummer": _clear(p.pseudonym, clear_ids), "roll": _key(ROLES, p.role),
                           "sekretessmarkering": p.protected_identity} for p in people]
    if isinstance(data, InspectionConducted):
        if any(f.category != CATEGORY for f in data.findings):
            raise ValueError(f"event {event.id}: Arbetsmiljöverket's findings are of category {CATEGORY}")
        record |= {"tidpunkt": data.conducted_at.isoformat(), "kommun": data.municipality,
                   "brister": [{"kod": f.code, "beskrivning": f.summary, "antal": f.count,
                                     "personnummer": [_clear(p, clear_ids) for p in f.persons]}
                                    for f in data.findings]}
    else:
        code = _key({k: v[0] for k, v in DECISIONS.items()}, data.kind)
        if data.category != CATEGORY or data.amount_kind not in (None, DECISIONS[code][1]):
            raise ValueError(f"event {event.id}: a {code} is work-environment data, "
                             f"amount {DECISIONS[code][1]}")
        record |= {"inspektion": data.inspection_ref, "tidpunkt": data.decided_at.isoformat(),
                   "beslutstyp": code, "belopp": data.amount_sek, "lagrum": data.legal_reference,
                   "beskrivning": data.summary, "overklagande": _key(APPEALS, data.appeal_status)}
    return record


FORMATS: list[AgencyFormat] = [WorkEnvInspektioner()]
