"""Skatteverket: personalliggare and kassaregister controls and their decisions (CSV).

Format "tax-personalliggare" (.csv): the control system's LOS export, UTF-8 (a BOM is allowed),
semicolon-separated, one header line, one record per line (errors give the file line). The
data is tax data, secret under OSL 27 kap. 1 §. Columns:

    posttyp               KONTROLL (a control at the premises) or BESLUT (a decision)
    diarienummer          the record's number, e.g. "PL-2026-0417" (A-Z, 0-9, _ . / : -)
    version               1, or 2, 3 ... for a correction, which replaces the version before it
    registrerad           when this version was registered: "2026-03-14T15:30:00+01:00", without
                          an offset Swedish local time; the event time
    makulerad             J withdraws version `version` of the record (then only posttyp,
                          diarienummer, version, registrerad and makuleringsorsak are read); N or
                          empty otherwise
    makuleringsorsak      why the record was withdrawn
    insatsnummer          the LOS operation, e.g. "NKPG-2026-07", if any
    kontrollnummer        BESLUT: the diarienummer of the control it follows, if any
    tidpunkt              when the control was made / the decision taken, as registrerad
    kommun                KONTROLL: the municipality (required)
    organisationsnummer   the business (a sole trader by the owner's personnummer) ...
    foretagsnamn          ... and its name; both empty if unknown
    fastighetsbeteckning  the premises, e.g. "Norrköping Verkstaden 3:7" ...
    adress                ... and/or "Mekanikergatan 7, 602 38 Norrköping" (KONTROLL: one required)
    bransch               bilverkstad, biltvatt, tatueringsstudio, nagelsalong, frisor, restaurang,
                          kiosk, livsmedelsgrossist, byggarbetsplats, ovrigt (default)
    personal              persons met (KONTROLL) or concerned (BESLUT), "|"-separated entries
                          "personnummer:roll" or "personnummer:roll:sekretess" (sekretessmarkering);
                          roll: agare, styrelseledamot, anstalld, ej_registrerad, ovrig
    avvikelse             KONTROLL: the deviation found, empty if none: PERSONALLIGGARE_SAKNAS,
                          PERSONALLIGGARE_BRISTER (persons at work not recorded),
                          KASSAREGISTER_SAKNAS, KASSAREGISTER_FEL, EJ_REGISTRERAD_ARBETSGIVARE
    avvikelsebeskrivning  KONTROLL: the deviation in words (required with avvikelse)
    antal                 KONTROLL: how many persons were at work without being recorded
    ej_registrerade       KONTROLL: their personnummer, "|"-separated (may be fewer than antal)
    beslutstyp            BESLUT: KONTROLLAVGIFT (belopp required), FORELAGGANDE, BROTTSANMALAN
    belopp                BESLUT: whole kronor, e.g. "17 500"; a personalliggare kontrollavgift is
                          12 500 kr plus 2 500 kr per unrecorded person (SFL 50 kap. 3 §), a
                          kassaregister kontrollavgift 10 000 kr (SFL 50 kap. 1 §)
    lagrum                BESLUT: the legal ground, e.g. "SFL 50 kap. 3 §", "SkBrL 17 §"
    beslutstext           BESLUT: the decision in brief
    overklagande          BESLUT: ej_overklagat (default), overklagat, faststallt, upphavt, laga_kraft

KONTROLL maps to InspectionConductedV1 with at most one finding (Category.TAX), BESLUT to
DecisionTakenV1 (Category.TAX; a kontrollavgift is an IMPOSED amount, a brottsanmälan a
polisanmälan). Ids: `event_id_for("TAX", "kontroll" | "beslut", diarienummer, version)`; a
version > 1 supersedes version - 1; a withdrawn record maps to EventRetractedV1 with id
`event_id_for("TAX", "kontroll-makulering" | "beslut-makulering", diarienummer, version)`.
Personnummer leave this module only as pseudonyms.

`write` produces this format from events with these ids; a retraction must come with the event
it retracts. An event the format cannot express exactly (two findings in one control, a
finding of another category) raises ValueError.
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

AGENCY = "TAX"
INSPECTION, DECISION, WITHDRAWN = "kontroll", "beslut", "-makulering"
KINDS = {"KONTROLL": INSPECTION, "BESLUT": DECISION}
COLUMNS = ("posttyp", "diarienummer", "version", "registrerad", "makulerad", "makuleringsorsak",
           "insatsnummer", "kontrollnummer", "tidpunkt", "kommun", "organisationsnummer", "foretagsnamn",
           "fastighetsbeteckning", "adress", "bransch", "personal", "avvikelse", "avvikelsebeskrivning",
           "antal", "ej_registrerade", "beslutstyp", "belopp", "lagrum", "beslutstext", "overklagande")
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
DEVIATIONS = ("PERSONALLIGGARE_SAKNAS", "PERSONALLIGGARE_BRISTER", "KASSAREGISTER_SAKNAS",
              "KASSAREGISTER_FEL", "EJ_REGISTRERAD_ARBETSGIVARE")
DECISIONS: dict[str, tuple[DecisionKind, AmountKind | None]] = {
    "KONTROLLAVGIFT": (DecisionKind.KONTROLLAVGIFT, AmountKind.IMPOSED),
    "FORELAGGANDE": (DecisionKind.FORELAGGANDE, None),
    "BROTTSANMALAN": (DecisionKind.POLISANMALAN, None),
}
_NAMES = {"inspection_ref": "diarienummer", "decision_ref": "diarienummer", "operation_id": "insatsnummer",
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
        return native.business("organisationsnummer", identity, native.required(row, "foretagsnamn"), ctx)
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
    for index, entry in enumerate(filter(None, (native.optional(row, "personal") or "").split("|")), 1):
        pnr, _, rest = entry.strip().partition(":")
        role, _, mark = rest.partition(":")
        if role not in ROLES or mark not in ("", "sekretess"):
            raise native.FieldError(f"personal[{index}]", "expected personnummer:roll or "
                                    f"personnummer:roll:sekretess, roll one of {', '.join(ROLES)}")
        persons.append(native.person(f"personal[{index}]", pnr, ROLES[role], ctx, protected=bool(mark)))
    return persons


def _finding(row: native.Row, ctx: MappingContext) -> list[Finding]:
    code = native.optional(row, "avvikelse")
    if code is None:
        return []
    if code not in DEVIATIONS:
        raise native.FieldError("avvikelse", f"{code!r} is not one of {', '.join(DEVIATIONS)}")
    numbers = filter(None, (native.optional(row, "ej_registrerade") or "").split("|"))
    persons = [native.person("ej_registrerade", n.strip(), PersonRole.UNRECORDED_WORKER, ctx).pseudonym
               for n in numbers]
    return [_make(Finding, code=code, category=Category.TAX,
                  summary=native.required(row, "avvikelsebeskrivning"),
                  count=native.parse_int(row, "antal", required_=False), persons=persons)]


def _decision(row: native.Row) -> dict[str, Any]:
    kind, amount_kind = _code(DECISIONS, row, "beslutstyp")
    amount = native.parse_int(row, "belopp", required_=amount_kind is not None)
    if amount is not None and amount_kind is None:
        raise native.FieldError("belopp", f"a {row['beslutstyp']} has no amount; leave belopp empty")
    if amount is not None and amount < 0:
        raise native.FieldError("belopp", f"{amount} is negative; give whole kronor, e.g. 17 500")
    return {"kind": kind, "amount_sek": amount, "amount_kind": amount_kind}


class TaxPersonalliggare:
    name = "tax-personalliggare"
    agency = AGENCY
    suffix = ".csv"
    description = "Skatteverket: personalliggare/kassaregister controls and kontrollavgift decisions, CSV"

    def read(self, path: Path, ctx: MappingContext) -> Iterator[MappingResult]:
        return native.map_records(path, native.read_csv(path), lambda row: self._build(row, ctx))

    def _build(self, row: native.Row, ctx: MappingContext) -> AnyEvent:
        kind = _code(KINDS, row, "posttyp")
        ref, version = _ref(row, "diarienummer"), native.parse_int(row, "version")
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
                         inspection_ref=native.optional(row, "kontrollnummer"),
                         decided_at=native.parse_datetime(row, "tidpunkt"), category=Category.TAX,
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
                ref, version = retracted["diarienummer"], retracted["version"]
                kind = KINDS[retracted["posttyp"]]
                if event.id != event_id_for(AGENCY, kind + WITHDRAWN, ref, version):
                    raise ValueError(f"retraction {event.id} does not have this format's id")
                rows.append({"posttyp": retracted["posttyp"], "diarienummer": ref, "version": version,
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
    row = {"posttyp": _key(KINDS, kind), "diarienummer": ref, "version": str(_version_of(event, kind, ref)),
           "registrerad": event.time.isoformat(), "makulerad": "N", "insatsnummer": data.operation_id or ""}
    if data.business is not None:
        row["organisationsnummer"] = data.business.orgnr or _clear(data.business.sole_trader or "", clear_ids)
        row["foretagsnamn"] = data.business.name
    if data.premises is not None:
        row |= {"fastighetsbeteckning": data.premises.fastighetsbeteckning or "",
                "adress": data.premises.address or "", "bransch": _key(INDUSTRIES, data.premises.industry)}
    people = data.persons_present if isinstance(data, InspectionConducted) else data.persons
    row["personal"] = "|".join(f"{_clear(p.pseudonym, clear_ids)}:{_key(ROLES, p.role)}"
                               + (":sekretess" if p.protected_identity else "") for p in people)
    if isinstance(data, InspectionConducted):
        row |= {"tidpunkt": data.conducted_at.isoformat(), "kommun": data.municipality}
        if len(data.findings) > 1 or any(f.category != Category.TAX for f in data.findings):
            raise ValueError(f"event {event.id}: a tax control has at most one finding, of category tax")
        for finding in data.findings:
            row |= {"avvikelse": finding.code, "avvikelsebeskrivning": finding.summary,
                    "antal": "" if finding.count is None else str(finding.count),
                    "ej_registrerade": "|".join(_clear(p, clear_ids) for p in finding.persons)}
    else:
        code = _key({k: v[0] for k, v in DECISIONS.items()}, data.kind)
        if data.category != Category.TAX or (data.amount_sek is not None
                                             and data.amount_kind != DECISIONS[code][1]):
            raise ValueError(f"event {event.id}: a {code} is tax data with amount kind {DECISIONS[code][1]}")
        row |= {"kontrollnummer": data.inspection_ref or "", "tidpunkt": data.decided_at.isoformat(),
                "beslutstyp": code, "belopp": "" if data.amount_sek is None else str(data.amount_sek),
                "lagrum": data.legal_reference, "beslutstext": data.summary,
                "overklagande": _key(APPEALS, data.appeal_status)}
    return row


FORMATS: list[AgencyFormat] = [TaxPersonalliggare()]
