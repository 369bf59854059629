"""Arbetsförmedlingen: checks of employments with wage subsidies at LOS premises (CSV).

Format "employment-stodkontroller" (.csv): the control unit's LOS export, UTF-8 (a BOM is
allowed), semicolon-separated, one header line, one record per line (errors give the file
line). Employment support data (OSL 28 kap. 11 §, unverified). Columns:

    posttyp               KONTROLL (a check at the workplace) or BESLUT (a decision)
    arendenummer          the record's number, e.g. "AF-2026/0031877" (A-Z, 0-9, _ . / : -)
    version               1, or 2, 3 ... for a correction, which replaces the version before it
    registrerad           when this version was registered: "2026-03-14T15:30:00+01:00", without
                          an offset Swedish local time; the event time
    makulerad             J withdraws version `version` of the record (then only posttyp,
                          arendenummer, version, registrerad and makuleringsorsak are read); N or
                          empty otherwise
    makuleringsorsak      why the record was withdrawn
    insatsnummer          the LOS operation, e.g. "NKPG-2026-07", if any
    kontrollarende        BESLUT: the arendenummer of the check it follows, if any
    tidpunkt              when the check was made / the decision taken, as registrerad
    kommun                KONTROLL: the municipality (required)
    organisationsnummer   the employer receiving the support (a sole trader by personnummer) ...
    arbetsgivare          ... and its name; both empty if unknown
    fastighetsbeteckning  the workplace, e.g. "Norrköping Verkstaden 3:7" ...
    adress                ... and/or "Mekanikergatan 7, 602 38 Norrköping" (KONTROLL: one required)
    bransch               bilverkstad, biltvatt, tatueringsstudio, nagelsalong, frisor, restaurang,
                          kiosk, livsmedelsgrossist, byggarbetsplats, ovrigt (default)
    personer              persons met (KONTROLL) or concerned (BESLUT), "|"-separated entries
                          "personnummer:roll" or "personnummer:roll:sekretess" (sekretessmarkering);
                          roll: agare, styrelseledamot, anstalld, ej_registrerad, ovrig
    avvikelse             KONTROLL: what was found, empty if nothing: LONESTOD_FELAKTIGT_UTBETALT
                          (support paid for work not done or wages not paid), OKLAR_ANSTALLNING
                          (the employment cannot be confirmed), ARBETSTAGARE_EJ_PA_PLATS
    avvikelsebeskrivning  KONTROLL: the finding in words (required with avvikelse)
    antal                 KONTROLL: how many employments it concerns
    berorda               KONTROLL: the employees' personnummer, "|"-separated
    beslutstyp            BESLUT: ATERKRAV (recovery of wage subsidy paid, belopp required) or
                          STOPP (payments stopped before payout, belopp required)
    belopp                BESLUT: whole kronor, e.g. "184 000"
    lagrum                BESLUT: the legal ground as the agency writes it, e.g. "Förordning
                          (2018:43) om stöd för nystartsjobb" (not verified here)
    beslutstext           BESLUT: the decision in brief
    overklagande          BESLUT: ej_overklagat (default), overklagat, faststallt, upphavt, laga_kraft

KONTROLL maps to InspectionConductedV1 with at most one finding, BESLUT to DecisionTakenV1
(ATERKRAV: återkrav, amount RECOVERED; STOPP: stopped payment, amount STOPPED), all
Category.EMPLOYMENT_SUPPORT. Ids: `event_id_for("EMPLOYMENT", "kontroll" | "beslut",
arendenummer, version)`; a version > 1 supersedes version - 1; a withdrawn record maps to
EventRetractedV1 with id `event_id_for("EMPLOYMENT", "kontroll-makulering" |
"beslut-makulering", arendenummer, version)`. Personnummer leave this module only as
pseudonyms. `write` produces this format from events with these ids (a retraction with the
event it retracts); what it cannot express (two findings in one check) raises ValueError.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Mapping, Sequence
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

AGENCY = "EMPLOYMENT"
CATEGORY = Category.EMPLOYMENT_SUPPORT
INSPECTION, DECISION, WITHDRAWN = "kontroll", "beslut", "-makulering"
KINDS = {"KONTROLL": INSPECTION, "BESLUT": DECISION}
COLUMNS = ("posttyp", "arendenummer", "version", "registrerad", "makulerad", "makuleringsorsak",
           "insatsnummer", "kontrollarende", "tidpunkt", "kommun", "organisationsnummer", "arbetsgivare",
           "fastighetsbeteckning", "adress", "bransch", "personer", "avvikelse", "avvikelsebeskrivning",
           "antal", "berorda", "beslutstyp", "belopp", "lagrum", "beslutstext", "overklagande")
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
DEVIATIONS = ("LONESTOD_FELAKTIGT_UTBETALT", "OKLAR_ANSTALLNING", "ARBETSTAGARE_EJ_PA_PLATS")
DECISIONS: dict[str, tuple[DecisionKind, AmountKind | None]] = {
    "ATERKRAV": (DecisionKind.ATERKRAV, AmountKind.RECOVERED),
    "STOPP": (DecisionKind.STOPPED_PAYMENT, AmountKind.STOPPED),
}
_NAMES = {"inspection_ref": "arendenummer", "decision_ref": "arendenummer", "operation_id": "insatsnummer",
          "municipality": "kommun", "legal_reference": "lagrum", "summary": "beslutstext",
          "code": "avvikelse", "count": "antal", "address": "adress"}
_M = TypeVar("_M", bound=BaseModel)
_V = TypeVar("_V")


def _make(model: type[_M], **values: Any) -> _M:
    """Build a contract model; its first validation error names the native column."""
    try:
        return model(**values)
    except ValidationError as error:
        first = error.errors(include_input=False, include_url=False)[0]
        key = str(first["loc"][0]) if first["loc"] else "-"
        raise native.FieldError(_NAMES.get(key, key), first["msg"]) from None


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


def _premises(row: native.Row) -> Premises:
    if not native.optional(row, "fastighetsbeteckning") and not native.optional(row, "adress"):
        raise native.FieldError("fastighetsbeteckning", "fastighetsbeteckning or adress is required")
    return _make(Premises, fastighetsbeteckning=native.optional(row, "fastighetsbeteckning"),
                 address=native.optional(row, "adress"), industry=_code(INDUSTRIES, row, "bransch", "ovrigt"))


def _business(row: native.Row, ctx: MappingContext) -> Business | None:
    identity = native.optional(row, "organisationsnummer")
    if identity is None:
        return None
    try:
        return native.business("organisationsnummer", identity, native.required(row, "arbetsgivare"), ctx)
    except native.FieldError as error:
        digits = identity.replace("-", "").replace("+", "")
        personal = (len(digits) == 12 and digits[:2] != "16") or (len(digits) == 10 and digits[2:4] < "20")
        if error.field == "organisationsnummer" and personal:
            try:  # a sole trader's personnummer: say what is wrong without repeating it
                parse_personnummer(identity, today=ctx.today)
            except IdentifierError as pnr_error:
                raise native.FieldError("organisationsnummer", f"sole trader's {pnr_error}") from None
        raise


def _persons(row: native.Row, ctx: MappingContext) -> list[Person]:
    persons = []
    for index, entry in enumerate(filter(None, (native.optional(row, "personer") or "").split("|")), 1):
        pnr, _, rest = entry.strip().partition(":")
        role, _, mark = rest.partition(":")
        if role not in ROLES or mark not in ("", "sekretess"):
            raise native.FieldError(f"personer[{index}]", "expected personnummer:roll or "
                                    f"personnummer:roll:sekretess, roll one of {', '.join(ROLES)}")
        persons.append(native.person(f"personer[{index}]", pnr, ROLES[role], ctx, protected=bool(mark)))
    return persons


def _finding(row: native.Row, ctx: MappingContext) -> list[Finding]:
    code = native.optional(row, "avvikelse")
    if code is None:
        return []
    if code not in DEVIATIONS:
        raise native.FieldError("avvikelse", f"{code!r} is not one of {', '.join(DEVIATIONS)}")
    numbers = filter(None, (native.optional(row, "berorda") or "").split("|"))
    persons = [native.person("berorda", n.strip(), PersonRole.EMPLOYEE, ctx).pseudonym
               for n in numbers]
    return [_make(Finding, code=code, category=CATEGORY,
                  summary=native.required(row, "avvikelsebeskrivning"),
                  count=native.parse_int(row, "antal", required_=False), persons=persons)]


def _decision(row: native.Row) -> dict[str, Any]:
    kind, amount_kind = _code(DECISIONS, row, "beslutstyp")
    amount = native.parse_int(row, "belopp", required_=amount_kind is not None)
    if amount is not None and amount_kind is None:
        raise native.FieldError("belopp", f"a {row['beslutstyp']} has no amount; leave belopp empty")
    if amount is not None and amount < 0:
        raise native.FieldError("belopp", f"{amount} is negative; give whole kronor, e.g. 184 000")
    return {"kind": kind, "amount_sek": amount, "amount_kind": amount_kind}


class EmploymentStodkontroller:
    name = "employment-stodkontroller"
    agency = AGENCY
    suffix = ".csv"
    description = "Arbetsförmedlingen: checks of subsidised employments, återkrav and stopped payments, CSV"

    def read(self, path: Path, ctx: MappingContext) -> Iterator[MappingResult]:
        return native.map_records(path, native.read_csv(path), lambda row: self._build(row, ctx))

    def _build(self, row: native.Row, ctx: MappingContext) -> AnyEvent:
        kind = _code(KINDS, row, "posttyp")
        ref, version = _ref(row, "arendenummer"), native.parse_int(row, "version")
        if version is None or version < 1:
            raise native.FieldError("version", "must be 1 or more")
        time = native.parse_datetime(row, "registrerad")
        if _code({"J": True, "N": False}, row, "makulerad", "N"):
            return new_event(EventRetractedV1, EventRetracted(
                retracts=event_id_for(AGENCY, kind, ref, str(version)),
                reason=native.required(row, "makuleringsorsak")),
                agency=AGENCY, event_id=event_id_for(AGENCY, kind + WITHDRAWN, ref, str(version)),
                time=time, system=ctx.system)
        common: dict[str, Any] = {
            "operation_id": native.optional(row, "insatsnummer"), "business": _business(row, ctx),
            "supersedes": None if version == 1 else event_id_for(AGENCY, kind, ref, str(version - 1))}
        data: InspectionConducted | DecisionTaken
        if kind == INSPECTION:
            data = _make(InspectionConducted, inspection_ref=ref,
                         conducted_at=native.parse_datetime(row, "tidpunkt"),
                         municipality=native.required(row, "kommun"), premises=_premises(row),
                         persons_present=_persons(row, ctx), findings=_finding(row, ctx), **common)
        else:
            located = native.optional(row, "fastighetsbeteckning") or native.optional(row, "adress")
            data = _make(DecisionTaken, decision_ref=ref,
                         inspection_ref=native.optional(row, "kontrollarende"),
                         decided_at=native.parse_datetime(row, "tidpunkt"), category=CATEGORY,
                         legal_reference=native.required(row, "lagrum"),
                         summary=native.required(row, "beslutstext"),
                         premises=_premises(row) if located else None,
                         persons=_persons(row, ctx), **_decision(row),
                         appeal_status=_code(APPEALS, row, "overklagande", "ej_overklagat"), **common)
        event_type = InspectionConductedV1 if kind == INSPECTION else DecisionTakenV1
        return new_event(event_type, data, agency=AGENCY,
                         event_id=event_id_for(AGENCY, kind, ref, str(version)), time=time, system=ctx.system)

    def write(self, events: Sequence[AnyEvent], path: Path, ctx: MappingContext,
              clear_ids: Mapping[str, str]) -> None:
        written = {e.id: _row(e, clear_ids) for e in events
                   if isinstance(e, InspectionConductedV1 | DecisionTakenV1)}
        rows = []
        for event in events:
            if isinstance(event, EventRetractedV1):
                if event.data.retracts not in written:
                    raise ValueError(f"retraction {event.id}: the retracted event must be in the same export")
                retracted = written[event.data.retracts]
                ref, version = retracted["arendenummer"], retracted["version"]
                kind = KINDS[retracted["posttyp"]]
                if event.id != event_id_for(AGENCY, kind + WITHDRAWN, ref, version):
                    raise ValueError(f"retraction {event.id} does not have this format's id")
                rows.append({"posttyp": retracted["posttyp"], "arendenummer": ref, "version": version,
                             "registrerad": event.time.isoformat(), "makulerad": "J",
                             "makuleringsorsak": event.data.reason})
            elif event.id in written:
                rows.append(written[event.id])
            else:
                raise ValueError(f"{self.name} cannot hold a {event.type} event")
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, COLUMNS, delimiter=";", lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)


def _version_of(event: InspectionConductedV1 | DecisionTakenV1, kind: str, ref: str) -> int:
    version = next((v for v in range(1, 10_001) if event_id_for(AGENCY, kind, ref, str(v)) == event.id), 0)
    data = event.data
    if not version or data.supersedes != (None if version == 1 else event_id_for(AGENCY, kind, ref,
                                                                                  str(version - 1))):
        raise ValueError(f"event {event.id}: id or supersedes differ from event_id_for({AGENCY!r}, "
                         f"{kind!r}, {ref!r}, version) and version - 1 of this format")
    return version


def _clear(pseudonym: str, clear_ids: Mapping[str, str]) -> str:
    if pseudonym not in clear_ids:
        raise ValueError(f"clear_ids has no personnummer for {pseudonym}")
    return f"{clear_ids[pseudonym][:8]}-{clear_ids[pseudonym][8:]}"


def _row(event: InspectionConductedV1 | DecisionTakenV1, clear_ids: Mapping[str, str]) -> dict[str, str]:
    data = event.data
    kind, ref = (INSPECTION, data.inspection_ref) if isinstance(data, InspectionConducted) else (
        DECISION, data.decision_ref)
    row = {"posttyp": _key(KINDS, kind), "arendenummer": ref, "version": str(_version_of(event, kind, ref)),
           "registrerad": event.time.isoformat(), "makulerad": "N", "insatsnummer": data.operation_id or ""}
    if data.business is not None:
        row["organisationsnummer"] = data.business.orgnr or _clear(data.business.sole_trader or "", clear_ids)
        row["arbetsgivare"] = data.business.name
    if data.premises is not None:
        row |= {"fastighetsbeteckning": data.premises.fastighetsbeteckning or "",
                "adress": data.premises.address or "", "bransch": _key(INDUSTRIES, data.premises.industry)}
    people = data.persons_present if isinstance(data, InspectionConducted) else data.persons
    row["personer"] = "|".join(f"{_clear(p.pseudonym, clear_ids)}:{_key(ROLES, p.role)}"
                               + (":sekretess" if p.protected_identity else "") for p in people)
    if isinstance(data, InspectionConducted):
        row |= {"tidpunkt": data.conducted_at.isoformat(), "kommun": data.municipality}
        if len(data.findings) > 1 or any(f.category != CATEGORY for f in data.findings):
            raise ValueError(f"event {event.id}: a check has at most one finding, of employment support")
        for finding in data.findings:
            row |= {"avvikelse": finding.code, "avvikelsebeskrivning": finding.summary,
                    "antal": "" if finding.count is None else str(finding.count),
                    "berorda": "|".join(_clear(p, clear_ids) for p in finding.persons)}
    else:
        code = _key({k: v[0] for k, v in DECISIONS.items()}, data.kind)
        if data.category != CATEGORY or (data.amount_sek is not None
                                             and data.amount_kind != DECISIONS[code][1]):
            raise ValueError(f"event {event.id}: a {code} is employment support data "
                             f"with amount kind {DECISIONS[code][1]}")
        row |= {"kontrollarende": data.inspection_ref or "", "tidpunkt": data.decided_at.isoformat(),
                "beslutstyp": code, "belopp": "" if data.amount_sek is None else str(data.amount_sek),
                "lagrum": data.legal_reference, "beslutstext": data.summary,
                "overklagande": _key(APPEALS, data.appeal_status)}
    return row


FORMATS: list[AgencyFormat] = [EmploymentStodkontroller()]
