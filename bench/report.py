"""The results table and its JSON."""

from __future__ import annotations

import json
import platform
from dataclasses import asdict, dataclass, field
from pathlib import Path

from rich.console import Console
from rich.table import Table


@dataclass
class Result:
    name: str
    value: float
    unit: str
    target: str = ""
    ratio: str = ""  # to a raw limit, where one applies
    note: str = ""


@dataclass
class Report:
    size: str
    results: list[Result] = field(default_factory=list)

    def add(self, result: Result) -> Result:
        self.results.append(result)
        return result

    def print(self, console: Console) -> None:
        table = Table(title=f"LOS benchmarks ({self.size}) on {platform.node() or 'this machine'}")
        for column in ("measure", "value", "unit", "target", "of raw limit", "note"):
            table.add_column(column, justify="right" if column in ("value",) else "left")
        for r in self.results:
            table.add_row(r.name, f"{r.value:,.1f}", r.unit, r.target, r.ratio, r.note)
        console.print(table)

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"size": self.size, "python": platform.python_version(),
                                    "cpus": __import__("os").cpu_count(),
                                    "results": [asdict(r) for r in self.results]}, indent=2))
