"""The JSON shape of the ground truth (what `TruthAccumulator.truth()` returns)."""

from __future__ import annotations

from typing import TypedDict


class Amounts(TypedDict):
    imposed: int
    recovered: int
    stopped: int


class OperationTruth(TypedDict):
    municipality: str
    planned_date: str  # YYYY-MM-DD, of the highest revision
    status: str
    lead_agency: str
    participants: list[str]  # sorted
    revision: int
    premises_visited: list[str]  # sorted premises keys with at least one effective inspection
    visits: int  # distinct (premises key, local date of conducted_at) of effective inspections
    inspections_by_agency: dict[str, int]  # only agencies with a count above zero, likewise below
    findings_by_agency: dict[str, int]
    decisions_by_agency: dict[str, int]
    decisions_by_kind: dict[str, int]
    amounts_sek: Amounts
    notifications: int


class Subjects(TypedDict):
    """Who and what each operation's effective inspections, decisions and notices name (plan
    targets alone do not count). Persons: present at an inspection, named in a finding, or
    addressed by a decision or notice."""

    businesses: dict[str, list[str]]  # orgnr or sole trader's pseudonym -> sorted operation ids
    premises: dict[str, list[str]]  # premises_key -> sorted operation ids
    persons: dict[str, list[str]]  # pseudonym -> sorted operation ids


class PeriodResult(TypedDict):
    premises_visited: int
    visits: int
    sanctions: int  # effective decisions with an imposed amount
    amounts: Amounts


class GroundTruth(TypedDict):
    seed: int
    operations: dict[str, OperationTruth]
    subjects: Subjects
    signals: list[str]
    results: dict[str, dict[str, PeriodResult]]  # municipality -> "YYYY-MM" -> result
    event_count: int
    event_ids: list[str] | None  # sorted; None when the accumulator was told not to keep them
    events_by_type: dict[str, int]
