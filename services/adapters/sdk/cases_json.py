"""The JSON case exports of national agencies that visit LOS premises themselves (Kronofogden's
förrättningar, Arbetsmiljöverket's inspections): `{"<records>": [...]}`, one object per record, an
inspection or a decision, with nested objects for the premises and the business and lists of
persons and findings; errors name nested elements by path (`personer[1].personnummer`). The agency
modules document each export and give its element names and decision types.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from schemas.categories import Category
from schemas.decision import AmountKind, DecisionKind, DecisionTaken
from schemas.events import AnyEvent, DecisionTakenV1, EventRetractedV1, InspectionConductedV1
from schemas.inspection import Finding, InspectionConducted
from schemas.subjects import Business, Person, PersonRole
from services.adapters.sdk import national, native, writers
from services.adapters.sdk.codes import (
    NATIONAL_APPEALS,
    NATIONAL_INDUSTRIES,
    NATIONAL_ROLES,
    ONE_OF_TRUE_FALSE,
    code,
    code_for,
)
from services.adapters.sdk.mapping import MappingContext, MappingResult
from services.adapters.sdk.native import FieldError
from services.adapters.sdk.records import build, each, json_list, json_row, within

DECISION = "beslut"


@dataclass(eq=False)  # compared and hashed by identity, like every other format
class CasesJson:
    """One agency's export; the fields name its elements and say what it may hold."""

    name: str
    description: str
    agency: str
    number: str  # the element of a record's number
    category: Category
    records: str  # the member holding the list of records
    inspection: tuple[str, str]  # the record kind of an inspection, with its article: ("kartlaggning", "a")
    premises: str  # the element of the premises
    business: tuple[str, str]  # the element of the business, the element of its identity number
    findings: str  # the element of an inspection's findings
    follows: str  # a decision's element for the inspection it follows
    decisions: Mapping[str, tuple[DecisionKind, AmountKind | None, bool]]  # kind, amount kind, belopp needed
    negative: str  # what to give instead of a negative belopp
    who: str  # the agency as writers' errors name it, e.g. "Kronofogden"
    data: str  # what the agency's data is called in writers' errors
    suffix: str = ".json"
    export: national.Export = field(init=False)
    names: dict[str, str] = field(init=False)  # contract field -> element, for validation errors

    def __post_init__(self) -> None:
        number, (inspection, _) = self.number, self.inspection
        self.export = national.Export(self.agency, {inspection: inspection, DECISION: DECISION}, number)
        self.names = {"inspection_ref": number, "decision_ref": number, "operation_id": "insatsnummer",
                      "municipality": "kommun", "legal_reference": "lagrum", "summary": "beskrivning",
                      "code": "kod", "count": "antal", "address": "adress", "name": "namn"}

    def read(self, path: Path, ctx: MappingContext) -> Iterator[MappingResult]:
        return native.map_records(path, native.read_json_records(path, self.records),
                                  lambda record: self._build(record, ctx))

    def write(self, events: Sequence[AnyEvent], path: Path, ctx: MappingContext,
              clear_ids: Mapping[str, str]) -> None:
        records = national.records(events, self.name, self.agency,
                                   lambda event: self._record(event, clear_ids), self._withdrawn)
        writers.write_json(path, {self.records: records})

    # --- reading ---------------------------------------------------------------------------------

    def _build(self, record: Any, ctx: MappingContext) -> AnyEvent:
        row = json_row(record)
        case = national.Record.read(row, self.export)
        if case.withdrawn:
            return case.withdrawal(row, ctx)
        with within(f"{self.premises}."):
            place = record.get(self.premises)
            premises = None if place is None else national.premises(json_row(place))
        owner, _ = self.business
        with within(f"{owner}."):
            business = None if record.get(owner) is None else self._business(record[owner], ctx)
        common: dict[str, Any] = {"operation_id": native.optional(row, "insatsnummer"), "business": business,
                                  "premises": premises, "supersedes": case.supersedes}
        data: InspectionConducted | DecisionTaken
        inspection, article = self.inspection
        if case.kind == inspection:
            if premises is None:
                raise FieldError(self.premises, f"is required for {article} {inspection}")
            data = build(InspectionConducted, self.names, inspection_ref=case.number,
                         conducted_at=native.parse_datetime(row, "tidpunkt"),
                         municipality=native.required(row, "kommun"),
                         persons_present=self._persons(record, ctx), findings=self._findings(record, ctx),
                         **common)
            return case.event(InspectionConductedV1, data, ctx)
        data = build(DecisionTaken, self.names, decision_ref=case.number,
                     inspection_ref=native.optional(row, self.follows),
                     decided_at=native.parse_datetime(row, "tidpunkt"), category=self.category,
                     legal_reference=native.required(row, "lagrum"),
                     summary=native.required(row, "beskrivning"), persons=self._persons(record, ctx),
                     appeal_status=code(NATIONAL_APPEALS, row, "overklagande", "ej_overklagat"),
                     **national.decision(row, self.decisions, leave="out", negative=self.negative), **common)
        return case.event(DecisionTakenV1, data, ctx)

    def _business(self, record: object, ctx: MappingContext) -> Business:
        row = json_row(record)
        _, number = self.business
        identity, name = native.required(row, number), native.required(row, "namn")
        return national.business(number, identity, name, ctx)

    def _persons(self, record: Mapping[str, Any], ctx: MappingContext) -> list[Person]:
        def person(item: object) -> Person:
            row = json_row(item)
            protected = ONE_OF_TRUE_FALSE(row.get("sekretessmarkering", ""), "sekretessmarkering")
            return native.person("personnummer", native.required(row, "personnummer"),
                                 code(NATIONAL_ROLES, row, "roll"), ctx, protected=protected)

        return each(json_list(record, "personer"), "personer[{}].", person)

    def _findings(self, record: Mapping[str, Any], ctx: MappingContext) -> list[Finding]:
        def finding(item: Any) -> Finding:
            row = json_row(item)
            concerned = [native.person("personnummer", str(number), PersonRole.OTHER, ctx).pseudonym
                         for number in json_list(item, "personnummer")]
            return national.finding(row, self.category, concerned)

        return each(json_list(record, self.findings), self.findings + "[{}].", finding)

    # --- writing ---------------------------------------------------------------------------------

    def _withdrawn(self, event: EventRetractedV1, key: national.Key) -> dict[str, Any]:
        kind, number, version = key
        return {"posttyp": kind, self.number: number, "version": version,
                "registrerad": event.time.isoformat(), "makulerad": True,
                "makuleringsorsak": event.data.reason}

    def _record(self, event: national.Case,
                clear_ids: Mapping[str, str]) -> tuple[national.Key, dict[str, Any]]:
        key = national.case_key(event, self.agency, self.inspection[0])
        kind, number, version = key
        data = event.data
        record: dict[str, Any] = {"posttyp": kind, self.number: number, "version": version,
                                  "registrerad": event.time.isoformat(), "insatsnummer": data.operation_id}
        if data.premises is not None:
            record[self.premises] = {"fastighetsbeteckning": data.premises.fastighetsbeteckning,
                                     "adress": data.premises.address,
                                     "verksamhetstyp": code_for(NATIONAL_INDUSTRIES, data.premises.industry)}
        if data.business is not None:
            owner, identity = self.business
            record[owner] = {identity: national.identity(data.business, clear_ids),
                             "namn": data.business.name}
        people = data.persons_present if isinstance(data, InspectionConducted) else data.persons
        record["personer"] = [{"personnummer": national.clear(p.pseudonym, clear_ids),
                               "roll": code_for(NATIONAL_ROLES, p.role),
                               "sekretessmarkering": p.protected_identity} for p in people]
        if isinstance(data, InspectionConducted):
            if any(f.category != self.category for f in data.findings):
                raise ValueError(f"event {event.id}: {self.who}'s findings are of category {self.category}")
            record |= {"tidpunkt": data.conducted_at.isoformat(), "kommun": data.municipality,
                       self.findings: [{"kod": f.code, "beskrivning": f.summary, "antal": f.count,
                                        "personnummer": [national.clear(p, clear_ids) for p in f.persons]}
                                       for f in data.findings]}
            return key, record
        decision = code_for({k: v[0] for k, v in self.decisions.items()}, data.kind)
        amount_kind = self.decisions[decision][1]
        if data.category != self.category or data.amount_kind not in (None, amount_kind):
            raise ValueError(f"event {event.id}: a {decision} is {self.data}, amount {amount_kind}")
        record |= {self.follows: data.inspection_ref, "tidpunkt": data.decided_at.isoformat(),
                   "beslutstyp": decision, "belopp": data.amount_sek, "lagrum": data.legal_reference,
                   "beskrivning": data.summary,
                   "overklagande": code_for(NATIONAL_APPEALS, data.appeal_status)}
        return key, record
