"""Results per month and municipality, counted only over what the enforcement point showed.

Each operation contributes its *view* (not its record): a withheld decision adds no
kronor, an inspection whose findings are all withheld adds no visited premises. The
numbers a viewer sees can therefore never be used to work out a withheld amount.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any
from zoneinfo import ZoneInfo

STOCKHOLM = ZoneInfo("Europe/Stockholm")
COLUMNS = {"municipality": "Kommun", "period": "Månad", "operations": "Operationer",
           "premises_visited": "Besökta lokaler", "visits": "Besök", "sanctions": "Sanktioner",
           "imposed_sek": "Påfört (kr)", "recovered_sek": "Återkrävt eller indrivet (kr)",
           "stopped_sek": "Stoppade utbetalningar (kr)"}


@dataclass
class ResultRow:
    municipality: str
    period: str  # YYYY-MM of the planned date
    operations: int = 0
    premises_visited: int = 0
    visits: int = 0
    sanctions: int = 0
    imposed_sek: int = 0
    recovered_sek: int = 0
    stopped_sek: int = 0


def _local_day(at: str) -> datetime.date:
    return datetime.datetime.fromisoformat(at).astimezone(STOCKHOLM).date()


def add_view(table: dict[tuple[str, str], ResultRow], view: dict[str, Any]) -> None:
    """Fold one visible operation view into the table."""
    key = (view["municipality"], view["planned_date"][:7])
    row = table.setdefault(key, ResultRow(*key))
    inspections = [e for e in view["timeline"] if e["kind"] == "inspection" and e.get("premises")]
    row.operations += 1
    row.premises_visited += len(view["premises_visited"])
    row.visits += len({(e["premises"], _local_day(e["at"])) for e in inspections})
    row.sanctions += sum(1 for e in view["timeline"] if e["kind"] == "decision"
                         and not e.get("detail",
                                       {}).get("withheld") and e["detail"].get("amount_kind") == "imposed")
    row.imposed_sek += view["amounts_sek"]["imposed"]
    row.recovered_sek += view["amounts_sek"]["recovered"]
    row.stopped_sek += view["amounts_sek"]["stopped"]


def ordered(table: dict[tuple[str, str], ResultRow]) -> list[ResultRow]:
    return [table[k] for k in sorted(table, key=lambda k: (k[1], k[0]))]


COUNTS = ("operations", "premises_visited", "visits", "sanctions", "imposed_sek", "recovered_sek",
          "stopped_sek")


def _add(into: ResultRow, row: ResultRow) -> None:
    for name in COUNTS:
        setattr(into, name, getattr(into, name) + getattr(row, name))


def by_month(rows: Iterable[ResultRow]) -> list[ResultRow]:
    """All municipalities together, per month (what the charts draw)."""
    months: dict[str, ResultRow] = {}
    for r in rows:
        _add(months.setdefault(r.period, ResultRow("Alla", r.period)), r)
    return [months[k] for k in sorted(months)]


def total(rows: Iterable[ResultRow]) -> ResultRow:
    whole = ResultRow("Alla", "Totalt")
    for r in rows:
        _add(whole, r)
    return whole


def to_csv(rows: Iterable[ResultRow]) -> str:
    """Semicolon-separated with Swedish headings: what Excel in Sweden opens as columns."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(COLUMNS), delimiter=";")
    writer.writerow(COLUMNS)
    for r in rows:
        writer.writerow(asdict(r))
    return out.getvalue()
