"""The supervision CSV of the municipal committees' case systems (the building committee's
tillsyn, the environment and health committee's kontroll): one semicolon-separated row per post,
a site visit or a decision, multi-valued cells separated by `|`, and parallel columns (persons,
observations) holding one value per position. The agency modules document each export and
give its column names, decision types and legal grounds.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from schemas.decision import AmountKind, DecisionKind, DecisionTaken
from schemas.events import AnyEvent, DecisionTakenV1, EventRetractedV1, InspectionConductedV1
from schemas.inspection import InspectionConducted
from schemas.subjects import Person
from services.adapters.sdk import municipal, native, writers
from services.adapters.sdk.codes import MUNICIPAL_APPEALS, MUNICIPAL_ROLES, code_for, upper_code
from services.adapters.sdk.mapping import MappingContext, MappingResult
from services.adapters.sdk.native import FieldError, Row

Decisions = Mapping[str, tuple[DecisionKind, AmountKind | None, str]]  # beslutstyp -> kind, amount, lagrum


@dataclass(eq=False)  # compared and hashed by identity, like every other format
class TillsynCsv:
    """One committee's export; `export` names the fields every municipal post has."""

    name: str
    description: str
    export: municipal.Export
    decisions: Decisions
    observed: tuple[str, str, str]  # the columns of an observation's code and text, its noun in errors
    summary: str  # the column of a decision's text
    suffix: str = ".csv"
    agency: str = field(init=False)
    columns: tuple[str, ...] = field(init=False)  # in the order the case systems write them
    required_columns: tuple[str, ...] = field(init=False)  # the header must name each (cells may be empty)
    field_names: dict[str, str] = field(init=False)  # contract field -> column, for validation errors

    def __post_init__(self) -> None:
        export = self.export
        self.agency = export.agency
        self.columns = (
            "posttyp", export.number_field, "version", "makulerad", "makuleringsorsak", "registrerad",
            export.operation_field, "kommun", "fastighetsbeteckning", export.address, export.industry,
            "organisationsnummer", export.business_name, "personnummer", "personroll", "sekretessmarkering",
            export.visited, *self.observed[:2], "antal", export.follows, "beslutstyp", "beslutstid", "lagrum",
            self.summary, "belopp", "overklagande")
        self.required_columns = self.columns
        self.field_names = {
            "operation_id": export.operation_field, "municipality": "kommun",
            "premises": "fastighetsbeteckning", "premises.fastighetsbeteckning": "fastighetsbeteckning",
            "premises.address": export.address, "findings": self.observed[1], "summary": self.summary,
            "legal_reference": "lagrum", "reason": "makuleringsorsak"}

    def read(self, path: Path, ctx: MappingContext) -> Iterator[MappingResult]:
        return native.map_records(path, native.read_csv(path, required=self.required_columns),
                                  lambda row: self._build(row, ctx), self.field_names)

    def write(self, events: Sequence[AnyEvent], path: Path, ctx: MappingContext,
              clear_ids: Mapping[str, str]) -> None:
        rows = municipal.records(events, self.export, lambda event, key: self._row(event, key, clear_ids),
                                 self._withdrawn)
        writers.write_csv(path, self.columns, rows)

    # --- reading ---------------------------------------------------------------------------------

    def _build(self, row: Row, ctx: MappingContext) -> AnyEvent:
        post = municipal.Post.read(row, self.export)
        if post.withdrawn:
            return post.withdrawal(row, ctx)
        common = post.common(row, ctx)
        if post.kind == self.export.inspection:
            return post.inspection(row, ctx, common, lambda: self._persons(row, ctx),
                                   lambda: self._findings(row))
        kind, amount_kind, legal = upper_code(self.decisions, row.get("beslutstyp", ""), "beslutstyp")
        amount = municipal.amount(row, amount_kind)
        decision = DecisionTaken.model_validate({
            **common, **post.decision_head(row), "kind": kind, "category": self.export.category,
            "legal_reference": row.get("lagrum") or legal, "summary": native.required(row, self.summary),
            "amount_sek": amount, "amount_kind": amount_kind if amount is not None else None,
            **post.decision_tail(row, lambda: self._persons(row, ctx))})
        return post.event(DecisionTakenV1, decision, ctx)

    def _persons(self, row: Row, ctx: MappingContext) -> list[Person]:
        columns = ("personnummer", "personroll", "sekretessmarkering")
        return [municipal.person(dict(zip(columns, values, strict=True)), self.export, ctx, role="personroll",
                                 given=False) for values in _parallel(row, *columns)]

    def _findings(self, row: Row) -> list[dict[str, Any]]:
        code_column, text_column, noun = self.observed
        findings = []
        for code, summary, count in _parallel(row, code_column, text_column, "antal"):
            municipal.finding_code(code, code_column)
            if not summary:
                raise FieldError(text_column, f"{noun} {code} has no description")
            findings.append({"code": code, "category": self.export.category, "summary": summary,
                             "count": municipal.count({"antal": count}, "antal")})
        return findings

    # --- writing ---------------------------------------------------------------------------------

    def _withdrawn(self, event: EventRetractedV1, key: municipal.Key) -> dict[str, str]:
        kind, number, version = key
        return {**dict.fromkeys(self.columns, ""), "registrerad": event.time.isoformat(),
                "posttyp": code_for(self.export.types, kind), self.export.number_field: number,
                "version": str(version), "makulerad": "J", "makuleringsorsak": event.data.reason}

    def _row(self, event: InspectionConductedV1 | DecisionTakenV1, key: municipal.Key,
             clear_ids: Mapping[str, str]) -> dict[str, str]:
        export, data = self.export, event.data
        kind, number, version = key
        row = {**dict.fromkeys(self.columns, ""), "registrerad": event.time.isoformat(),
               "posttyp": code_for(export.types, kind), export.number_field: number, "version": str(version),
               "makulerad": "N", export.operation_field: data.operation_id or ""}
        if data.premises is not None:
            row |= {"fastighetsbeteckning": data.premises.fastighetsbeteckning or "",
                    export.address: data.premises.address or "",
                    export.industry: code_for(export.industries, data.premises.industry)}
        if data.business is not None:
            row |= {"organisationsnummer": municipal.identity(data.business, clear_ids),
                    export.business_name: data.business.name}
        persons = data.persons_present if isinstance(data, InspectionConducted) else data.persons
        numbers = [municipal.clear(p.pseudonym, clear_ids) for p in persons]
        row |= {"personnummer": _joined(numbers, "personnummer"),
                "personroll": "|".join(code_for(MUNICIPAL_ROLES, p.role) for p in persons),
                "sekretessmarkering": "|".join("J" if p.protected_identity else "N" for p in persons)}
        if isinstance(data, InspectionConducted):
            if any(f.category != export.category or f.persons for f in data.findings):
                raise ValueError(f"{event.id}: findings here are {export.category} and name no persons")
            code_column, text_column, _ = self.observed
            return {**row, "kommun": data.municipality, export.visited: data.conducted_at.isoformat(),
                    code_column: _joined([f.code for f in data.findings], code_column),
                    text_column: _joined([f.summary for f in data.findings], text_column),
                    "antal": "|".join("" if f.count is None else str(f.count) for f in data.findings)}
        code = next((c for c, (k, a, _) in self.decisions.items()
                     if k == data.kind and a == data.amount_kind), None)
        if code is None or data.category != export.category:
            raise ValueError(f"{event.id}: a {data.kind} decision with amount kind {data.amount_kind} "
                             f"in {data.category} has no beslutstyp in this format")
        return {**row, export.follows: data.inspection_ref or "", "beslutstyp": code,
                "beslutstid": data.decided_at.isoformat(), "lagrum": data.legal_reference,
                self.summary: data.summary, "belopp": "" if data.amount_sek is None else str(data.amount_sek),
                "overklagande": code_for(MUNICIPAL_APPEALS, data.appeal_status)}


def _parallel(row: Row, main: str, *others: str) -> list[list[str]]:
    """Values of `main` with the value at the same position in each of `others` ('' if empty)."""
    values = _list(row, main)
    columns = [_list(row, other) for other in others]
    for other, column in zip(others, columns, strict=True):
        if column and len(column) != len(values):
            raise FieldError(other, f"has {len(column)} values but {main} has {len(values)}")
    return [[value, *(column[i] if column else "" for column in columns)] for i, value in enumerate(values)]


def _list(row: Row, field: str) -> list[str]:
    value = row.get(field, "")
    return [part.strip() for part in value.split("|")] if value else []


def _joined(values: Sequence[str], field: str) -> str:
    if any("|" in value for value in values):
        raise ValueError(f"{field}: a value contains '|', the list separator of this format")
    return "|".join(values)
