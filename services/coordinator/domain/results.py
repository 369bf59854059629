"""Results per period and municipality, as LOS reports them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from services.coordinator.domain.records import AMOUNT_KINDS, OperationRecord


@dataclass
class PeriodResult:
    municipality: str
    period: str  # YYYY-MM of the planned date
    operations: int = 0
    premises_visited: int = 0
    visits: int = 0
    sanctions: int = 0
    decisions: int = 0
    amounts_sek: dict[str, int] = field(default_factory=lambda: dict.fromkeys(AMOUNT_KINDS, 0))


def period_results(records: Iterable[OperationRecord]) -> list[PeriodResult]:
    table: dict[tuple[str, str], PeriodResult] = {}
    for r in records:
        key = (r.municipality, f"{r.planned_date:%Y-%m}")
        row = table.setdefault(key, PeriodResult(*key))
        row.operations += 1
        row.premises_visited += len(r.premises_visited)
        row.visits += r.visits
        row.sanctions += r.sanctions
        row.decisions += sum(r.decisions_by_agency.values())
        for kind in AMOUNT_KINDS:
            row.amounts_sek[kind] += r.amounts_sek[kind]
    return [table[k] for k in sorted(table)]
