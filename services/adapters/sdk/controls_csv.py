"""The controls CSV of the national agencies' control units (Skatteverket's personalliggare
controls, Arbetsförmedlingen's checks of subsidised employments): one semicolon-separated row per
record, a control (`KONTROLL`, at most one deviation) or a decision (`BESLUT`), the persons met
as `|`-separated `personnummer:roll[:sekretess]` entries. The agency modules document each export
and give its column names, codes and decision types.
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
from schemas.subjects import Person, PersonRole
from services.adapters.sdk import national, native, writers
from services.adapters.sdk.codes import (
    NATIONAL_APPEALS,
    NATIONAL_INDUSTRIES,
    NATIONAL_ROLES,
    ONE_OF_J_N,
    code,
    code_for,
)
from services.adapters.sdk.mapping import MappingContext, MappingResult
from services.adapters.sdk.native import FieldError, Row
from services.adapters.sdk.records import build

INSPECTION, DECISION = "kontroll", "beslut"
KINDS = {"KONTROLL": INSPECTION, "BESLUT": DECISION}


@dataclass(eq=False)  # compared and hashed by identity, like every other format
class ControlsCsv:
    """One agency's export; the fields name its columns and say what it may hold."""

    name: str
    description: str
    agency: str
    number: str  # the column of a record's number
    category: Category
    deviations: tuple[str, ...]  # the codes of `avvikelse`
    decisions: Mapping[str, tuple[DecisionKind, AmountKind | None]]  # beslutstyp -> kind, amount kind
    follows: str  # a decision's column for the control it follows
    business_name: str  # the column of the business's name
    persons: str  # the column of the persons met or concerned
    concerned: tuple[str, PersonRole]  # the column of the persons a deviation concerns, their role
    example: str  # an amount as the agency writes it, for errors
    one_finding: str  # writers' error for a control with more than one finding
    data: str  # what the agency's data is called in writers' errors
    suffix: str = ".csv"
    export: national.Export = field(init=False)
    columns: tuple[str, ...] = field(init=False)  # in the order the control systems write them
    required_columns: tuple[str, ...] = field(init=False)  # the header must name each (cells may be empty)
    names: dict[str, str] = field(init=False)  # contract field -> column, for validation errors

    def __post_init__(self) -> None:
        number = self.number
        self.export = national.Export(self.agency, KINDS, number, yes_no=ONE_OF_J_N)
        self.columns = (
            "posttyp", number, "version", "registrerad", "makulerad", "makuleringsorsak", "insatsnummer",
            self.follows, "tidpunkt", "kommun", "organisationsnummer", self.business_name,
            "fastighetsbeteckning", "adress", "bransch", self.persons, "avvikelse", "avvikelsebeskrivning",
            "antal", self.concerned[0], "beslutstyp", "belopp", "lagrum", "beslutstext", "overklagande")
        self.required_columns = self.columns
        self.names = {"inspection_ref": number, "decision_ref": number, "operation_id": "insatsnummer",
                      "municipality": "kommun", "legal_reference": "lagrum", "summary": "beslutstext",
                      "code": "avvikelse", "count": "antal", "address": "adress"}

    def read(self, path: Path, ctx: MappingContext) -> Iterator[MappingResult]:
        return native.map_records(path, native.read_csv(path, required=self.required_columns),
                                  lambda row: self._build(row, ctx))

    def write(self, events: Sequence[AnyEvent], path: Path, ctx: MappingContext,
              clear_ids: Mapping[str, str]) -> None:
        rows = national.records(events, self.name, self.agency, lambda event: self._row(event, clear_ids),
                                self._withdrawn)
        writers.write_csv(path, self.columns, rows)

    # --- reading ---------------------------------------------------------------------------------

    def _build(self, row: Row, ctx: MappingContext) -> AnyEvent:
        record = national.Record.read(row, self.export)
        if record.withdrawn:
            return record.withdrawal(row, ctx)
        common: dict[str, Any] = {
            "operation_id": native.optional(row, "insatsnummer"),
            "business": national.optional_business(row, "organisationsnummer", self.business_name, ctx),
            "supersedes": record.supersedes}
        data: InspectionConducted | DecisionTaken
        if record.kind == INSPECTION:
            data = build(InspectionConducted, self.names, inspection_ref=record.number,
                         conducted_at=native.parse_datetime(row, "tidpunkt"),
                         municipality=native.required(row, "kommun"),
                         premises=national.premises(row, "bransch"), persons_present=self._persons(row, ctx),
                         findings=self._finding(row, ctx), **common)
            return record.event(InspectionConductedV1, data, ctx)
        located = native.optional(row, "fastighetsbeteckning") or native.optional(row, "adress")
        data = build(DecisionTaken, self.names, decision_ref=record.number,
                     inspection_ref=native.optional(row, self.follows),
                     decided_at=native.parse_datetime(row, "tidpunkt"), category=self.category,
                     legal_reference=native.required(row, "lagrum"),
                     summary=native.required(row, "beslutstext"),
                     premises=national.premises(row, "bransch") if located else None,
                     persons=self._persons(row, ctx),
                     **national.decision(row, self.decisions, leave="empty",
                                         negative=f"give whole kronor, {self.example}"),
                     appeal_status=code(NATIONAL_APPEALS, row, "overklagande", "ej_overklagat"), **common)
        return record.event(DecisionTakenV1, data, ctx)

    def _persons(self, row: Row, ctx: MappingContext) -> list[Person]:
        persons = []
        for index, entry in enumerate(filter(None, (native.optional(row, self.persons) or "").split("|")), 1):
            number, _, rest = entry.strip().partition(":")
            role, _, mark = rest.partition(":")
            if role not in NATIONAL_ROLES or mark not in ("", "sekretess"):
                raise FieldError(f"{self.persons}[{index}]", "expected personnummer:roll or "
                                 f"personnummer:roll:sekretess, roll one of {', '.join(NATIONAL_ROLES)}")
            persons.append(native.person(f"{self.persons}[{index}]", number, NATIONAL_ROLES[role], ctx,
                                         protected=bool(mark)))
        return persons

    def _finding(self, row: Row, ctx: MappingContext) -> list[Finding]:
        deviation = native.optional(row, "avvikelse")
        if deviation is None:
            return []
        if deviation not in self.deviations:
            raise FieldError("avvikelse", f"{deviation!r} is not one of {', '.join(self.deviations)}")
        column, role = self.concerned
        numbers = filter(None, (native.optional(row, column) or "").split("|"))
        concerned = [native.person(column, number.strip(), role, ctx).pseudonym for number in numbers]
        return [build(Finding, self.names, code=deviation, category=self.category,
                      summary=native.required(row, "avvikelsebeskrivning"),
                      count=native.parse_int(row, "antal", required_=False), persons=concerned)]

    # --- writing ---------------------------------------------------------------------------------

    def _withdrawn(self, event: EventRetractedV1, key: national.Key) -> dict[str, str]:
        kind, number, version = key
        return {"posttyp": code_for(KINDS, kind), self.number: number, "version": str(version),
                "registrerad": event.time.isoformat(), "makulerad": "J",
                "makuleringsorsak": event.data.reason}

    def _row(self, event: national.Case,
             clear_ids: Mapping[str, str]) -> tuple[national.Key, dict[str, str]]:
        key = national.case_key(event, self.agency, INSPECTION)
        kind, number, version = key
        data = event.data
        row = {"posttyp": code_for(KINDS, kind), self.number: number, "version": str(version),
               "registrerad": event.time.isoformat(), "makulerad": "N",
               "insatsnummer": data.operation_id or ""}
        if data.business is not None:
            row |= {"organisationsnummer": national.identity(data.business, clear_ids),
                    self.business_name: data.business.name}
        if data.premises is not None:
            row |= {"fastighetsbeteckning": data.premises.fastighetsbeteckning or "",
                    "adress": data.premises.address or "",
                    "bransch": code_for(NATIONAL_INDUSTRIES, data.premises.industry)}
        people = data.persons_present if isinstance(data, InspectionConducted) else data.persons
        row[self.persons] = "|".join(
            f"{national.clear(p.pseudonym, clear_ids)}:{code_for(NATIONAL_ROLES, p.role)}"
            + (":sekretess" if p.protected_identity else "") for p in people)
        if isinstance(data, InspectionConducted):
            row |= {"tidpunkt": data.conducted_at.isoformat(), "kommun": data.municipality}
            if len(data.findings) > 1 or any(f.category != self.category for f in data.findings):
                raise ValueError(f"event {event.id}: {self.one_finding}")
            for finding in data.findings:
                row |= {"avvikelse": finding.code, "avvikelsebeskrivning": finding.summary,
                        "antal": "" if finding.count is None else str(finding.count),
                        self.concerned[0]: "|".join(national.clear(p, clear_ids) for p in finding.persons)}
            return key, row
        decision = code_for({k: v[0] for k, v in self.decisions.items()}, data.kind)
        amount_kind = self.decisions[decision][1]
        if data.category != self.category or (data.amount_sek is not None
                                              and data.amount_kind != amount_kind):
            raise ValueError(f"event {event.id}: a {decision} is {self.data} with amount kind {amount_kind}")
        row |= {self.follows: data.inspection_ref or "", "tidpunkt": data.decided_at.isoformat(),
                "beslutstyp": decision, "belopp": "" if data.amount_sek is None else str(data.amount_sek),
                "lagrum": data.legal_reference, "beslutstext": data.summary,
                "overklagande": code_for(NATIONAL_APPEALS, data.appeal_status)}
        return key, row
