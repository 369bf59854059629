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
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar
from xml.etree import ElementTree as ET

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

AGENCY = "SOCIAL_INSURANCE"
CATEGORY = Category.SOCIAL_INSURANCE
INSPECTION, DECISION, WITHDRAWN = "kontroll", "beslut", "-makulering"
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
DECISIONS: dict[str, tuple[DecisionKind, AmountKind | None]] = {
    "STOPP": (DecisionKind.STOPPED_PAYMENT, AmountKind.STOPPED),
    "ATERKRAV": (DecisionKind.ATERKRAV, AmountKind.RECOVERED),
    "ANMALAN": (DecisionKind.POLISANMALAN, None),
}
BOOLEANS = {"true": True, "false": False}
_NAMES = {"inspection_ref": "arendenummer", "decision_ref": "arendenummer", "operation_id": "insatsnummer",
          "municipality": "kommun", "legal_reference": "lagrum", "summary": "beskrivning",
          "code": "kod", "count": "antal", "address": "adress", "name": "arbetsgivare"}
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


def _children(element: ET.Element) -> dict[str, str]:
    return {child.tag: (child.text or "").strip() for child in element if len(child) == 0}


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
                 address=native.optional(row, "adress"),
                 industry=_code(INDUSTRIES, row, "verksamhetstyp", "ovrigt"))


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


def _persons(element: ET.Element, ctx: MappingContext) -> list[Person]:
    persons = []
    for index, item in enumerate(element.iterfind("personer/person"), start=1):
        with _within(f"personer/person[{index}]/"):
            row = _children(item)
            persons.append(native.person("personnummer", native.required(row, "personnummer"),
                                         _code(ROLES, row, "roll"), ctx,
                                         protected=_code(BOOLEANS, row, "sekretessmarkering", "false")))
    return persons


def _findings(element: ET.Element, ctx: MappingContext) -> list[Finding]:
    findings = []
    for index, item in enumerate(element.iterfind("iakttagelser/iakttagelse"), start=1):
        with _within(f"iakttagelser/iakttagelse[{index}]/"):
            row = _children(item)
            concerned = [native.person("berorda/personnummer", (e.text or "").strip(), PersonRole.OTHER,
                                       ctx).pseudonym for e in item.iterfind("berorda/personnummer")]
            findings.append(_make(Finding, code=native.required(row, "kod"), category=CATEGORY,
                                  summary=native.required(row, "beskrivning"),
                                  count=native.parse_int(row, "antal", required_=False), persons=concerned))
    return findings


def _decision(row: native.Row) -> dict[str, Any]:
    kind, amount_kind = _code(DECISIONS, row, "beslutstyp")
    amount = native.parse_int(row, "belopp", required_=amount_kind is not None)
    if amount is not None and amount_kind is None:
        raise native.FieldError("belopp", f"a {row['beslutstyp']} has no amount; leave belopp out")
    if amount is not None and amount < 0:
        raise native.FieldError("belopp", f"{amount} is negative; give whole kronor, e.g. 148 600")
    return {"kind": kind, "amount_sek": amount, "amount_kind": amount_kind}


class SocialInsuranceKontroller:
    name = "social-insurance-kontroller"
    agency = AGENCY
    suffix = ".xml"
    description = "Försäkringskassan: benefit checks at LOS premises, stopped payments and återkrav, XML"

    def read(self, path: Path, ctx: MappingContext) -> Iterator[MappingResult]:
        return native.map_records(path, native.read_xml_records(path, "arende"),
                                  lambda element: self._build(element, ctx))

    def _build(self, element: ET.Element, ctx: MappingContext) -> AnyEvent:
        row = _children(element)
        kind = _code({INSPECTION: INSPECTION, DECISION: DECISION}, row, "arendetyp")
        ref, version = _ref(row, "arendenummer"), native.parse_int(row, "version")
        if version is None or version < 1:
            raise native.FieldError("version", "must be 1 or more")
        time = native.parse_datetime(row, "registrerad")
        if _code(BOOLEANS, row, "makulerad", "false"):
            return new_event(EventRetractedV1, EventRetracted(
                retracts=event_id_for(AGENCY, kind, ref, str(version)),
                reason=native.required(row, "makuleringsorsak")),
                agency=AGENCY, event_id=event_id_for(AGENCY, kind + WITHDRAWN, ref, str(version)),
                time=time, system=ctx.system)
        located = native.optional(row, "fastighetsbeteckning") or native.optional(row, "adress")
        common: dict[str, Any] = {
            "operation_id": native.optional(row, "insatsnummer"), "business": _business(row, ctx),
            "premises": _premises(row) if located or kind == INSPECTION else None,
            "supersedes": None if version == 1 else event_id_for(AGENCY, kind, ref, str(version - 1))}
        data: InspectionConducted | DecisionTaken
        if kind == INSPECTION:
            data = _make(InspectionConducted, inspection_ref=ref,
                         conducted_at=native.parse_datetime(row, "tidpunkt"),
                         municipality=native.required(row, "kommun"), persons_present=_persons(element, ctx),
                         findings=_findings(element, ctx), **common)
        else:
            data = _make(DecisionTaken, decision_ref=ref,
                         inspection_ref=native.optional(row, "kontrollarende"),
                         decided_at=native.parse_datetime(row, "tidpunkt"), category=CATEGORY,
                         legal_reference=native.required(row, "lagrum"),
                         summary=native.required(row, "beskrivning"), persons=_persons(element, ctx),
                         appeal_status=_code(APPEALS, row, "overklagande", "ej_overklagat"),
                         **_decision(row), **common)
        event_type = InspectionConductedV1 if kind == INSPECTION else DecisionTakenV1
        return new_event(event_type, data, agency=AGENCY, time=time, system=ctx.system,
                         event_id=event_id_for(AGENCY, kind, ref, str(version)))

    def write(self, events: Sequence[AnyEvent], path: Path, ctx: MappingContext,
              clear_ids: Mapping[str, str]) -> None:
        written = {e.id: _record(e, clear_ids) for e in events
                   if isinstance(e, InspectionConductedV1 | DecisionTakenV1)}
        root = ET.Element("forsakringskassan_los_export")
        for event in events:
            if isinstance(event, EventRetractedV1):
                if event.data.retracts not in written:
                    raise ValueError(f"retraction {event.id}: the retracted event must be in the same export")
                retracted = written[event.data.retracts]
                kind, ref = retracted.findtext("arendetyp", ""), retracted.findtext("arendenummer", "")
                version = retracted.findtext("version", "")
                if event.id != event_id_for(AGENCY, kind + WITHDRAWN, ref, version):
                    raise ValueError(f"retraction {event.id} does not have this format's id")
                _add(ET.SubElement(root, "arende"), arendetyp=kind, arendenummer=ref, version=version,
                     registrerad=event.time.isoformat(), makulerad="true", makuleringsorsak=event.data.reason)
            elif event.id in written:
                root.append(written[event.id])
            else:
                raise ValueError(f"{self.name} cannot hold a {event.type} event")
        ET.indent(root)
        ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


def _add(parent: ET.Element, **values: str | None) -> None:
    for tag, value in values.items():
        if value:
            ET.SubElement(parent, tag).text = value


def _clear(pseudonym: str, clear_ids: Mapping[str, str]) -> str:
    if pseudonym not in clear_ids:
        raise ValueError(f"clear_ids has no personnummer for {pseudonym}")
    return f"{clear_ids[pseudonym][:8]}-{clear_ids[pseudonym][8:]}"


def _record(event: InspectionConductedV1 | DecisionTakenV1, clear_ids: Mapping[str, str]) -> ET.Element:
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
    record = ET.Element("arende")
    _add(record, arendetyp=kind, arendenummer=ref, version=str(version), registrerad=event.time.isoformat(),
         insatsnummer=data.operation_id)
    people: list[Person]
    if isinstance(data, InspectionConducted):
        _add(record, tidpunkt=data.conducted_at.isoformat(), kommun=data.municipality)
        people = data.persons_present
    else:
        _add(record, kontrollarende=data.inspection_ref, tidpunkt=data.decided_at.isoformat())
        people = data.persons
    if data.premises is not None:
        _add(record, fastighetsbeteckning=data.premises.fastighetsbeteckning, adress=data.premises.address,
             verksamhetstyp=_key(INDUSTRIES, data.premises.industry))
    if data.business is not None:
        _add(record, organisationsnummer=data.business.orgnr or _clear(data.business.sole_trader or "",
                                                                       clear_ids),
             arbetsgivare=data.business.name)
    listing = ET.SubElement(record, "personer") if people else record
    for person in people:
        _add(ET.SubElement(listing, "person"), personnummer=_clear(person.pseudonym, clear_ids),
             roll=_key(ROLES, person.role), sekretessmarkering=str(person.protected_identity).lower())
    if isinstance(data, InspectionConducted):
        findings = ET.SubElement(record, "iakttagelser") if data.findings else record
        for finding in data.findings:
            if finding.category != CATEGORY:
                raise ValueError(f"event {event.id}: Försäkringskassan's findings are {CATEGORY}")
            item = ET.SubElement(findings, "iakttagelse")
            _add(item, kod=finding.code, beskrivning=finding.summary,
                 antal=None if finding.count is None else str(finding.count))
            concerned = ET.SubElement(item, "berorda") if finding.persons else item
            for pseudonym in finding.persons:
                ET.SubElement(concerned, "personnummer").text = _clear(pseudonym, clear_ids)
    else:
        code = _key({k: v[0] for k, v in DECISIONS.items()}, data.kind)
        if data.category != CATEGORY or data.amount_kind != DECISIONS[code][1]:
            raise ValueError(f"event {event.id}: a {code} is {CATEGORY} data, amount {DECISIONS[code][1]}")
        _add(record, beslutstyp=code, belopp=None if data.amount_sek is None else str(data.amount_sek),
             lagrum=data.legal_reference, beskrivning=data.summary,
             overklagande=_key(APPEALS, data.appeal_status))
    return record


FORMATS: list[AgencyFormat] = [SocialInsuranceKontroller()]
