"""What the agency format tests share: each format's sample export, read with a fixed mapping
context, the personnummer it holds and where its records start; broken copies of a sample; and
the check that a broken record is quarantined alone, naming its line and native field."""

from __future__ import annotations

import csv
import datetime
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from schemas.events import AnyEvent
from services.adapters.agencies import all_formats
from services.adapters.sdk.mapping import (
    AgencyFormat,
    Mapped,
    MappingContext,
    MappingResult,
    RecordError,
    events_of,
)
from services.common.pseudonyms import LocalPseudonymiser

SAMPLE_DIR = Path(__file__).parents[3] / "services/adapters/agencies/samples"
KEY, TODAY = b"k" * 32, datetime.date(2026, 6, 1)
PSEUDONYMS = LocalPseudonymiser(KEY)


@dataclass
class Sample:
    """The sample export of one format (`samples/<format name><suffix>`)."""

    name: str  # the format's
    system: str  # the native system named in the events' source
    clear: Sequence[str]  # every personnummer in the sample, 12 digits
    lines: Sequence[int]  # the line of each record (CSV row, JSON position, XML start tag)
    format: AgencyFormat = field(init=False)
    path: Path = field(init=False)
    ctx: MappingContext = field(init=False)
    clear_ids: dict[str, str] = field(init=False)  # pseudonym -> personnummer, for writing

    def __post_init__(self) -> None:
        self.format = all_formats()[self.name]
        self.path = SAMPLE_DIR / f"{self.name}{self.format.suffix}"
        self.ctx = MappingContext(pseudonyms=PSEUDONYMS, today=TODAY, system=self.system)
        self.clear_ids = {self.psn(pnr): pnr for pnr in self.clear}

    def psn(self, pnr: str) -> str:
        return PSEUDONYMS.of(pnr)

    def read(self, path: Path | None = None) -> list[MappingResult]:
        return list(self.format.read(path or self.path, self.ctx))

    def events(self) -> list[AnyEvent]:
        """The sample's events; every record maps."""
        results = self.read()
        assert [r for r in results if isinstance(r, RecordError)] == []
        assert [r.line for r in results] == list(self.lines)
        return events_of(results)

    def write(self, events: Sequence[AnyEvent], path: Path, clear_ids: dict[str, str] | None = None) -> Path:
        self.format.write(events, path, self.ctx, self.clear_ids if clear_ids is None else clear_ids)
        return path

    def assert_quarantined(self, path: Path, line: int, field: str, message: str,
                           hidden: Sequence[str] = ()) -> RecordError:
        """Reading `path` quarantines the record at `line` alone, naming `field` and saying
        `message` (but none of the digits `hidden`), and maps every other record."""
        results = self.read(path)
        errors = [r for r in results if isinstance(r, RecordError)]
        assert [(e.file, e.line, e.field) for e in errors] == [(str(path), line, field)], errors
        assert message in errors[0].message
        for digits in hidden:
            assert digits not in errors[0].message
        assert [r.line for r in results if isinstance(r, Mapped)] == [n for n in self.lines if n != line]
        return errors[0]

    # --- broken copies ---------------------------------------------------------------------------

    def with_cell(self, tmp_path: Path, line: int, column: str, value: str) -> Path:
        """The CSV sample with one cell replaced, the lines otherwise as they are."""
        lines = self.path.read_text(encoding="utf-8").splitlines()
        header, cells = lines[0].split(";"), lines[line - 1].split(";")
        cells[header.index(column)] = value
        lines[line - 1] = ";".join(cells)
        return _written(tmp_path / f"bad{self.format.suffix}", "\n".join(lines) + "\n")

    def rows(self) -> list[dict[str, str]]:
        """The CSV sample's rows by column."""
        with self.path.open(encoding="utf-8") as handle:
            return list(csv.DictReader(handle, delimiter=";"))

    def with_value(self, tmp_path: Path, line: int, keys: Sequence[str | int], value: Any, *,
                   none_deletes: bool = True) -> Path:
        """The JSON sample with the member at `keys` of the record at `line` replaced (None: left
        out, unless `none_deletes` is false: null)."""
        doc = self.document()
        target = next(v for v in doc.values() if isinstance(v, list))[line - 1]
        for key in keys[:-1]:
            target = target[key]
        if value is None and none_deletes:
            del target[keys[-1]]
        else:
            target[keys[-1]] = value
        return _written(tmp_path / "bad.json", json.dumps(doc, ensure_ascii=False))

    def document(self) -> dict[str, Any]:
        """The JSON sample as parsed."""
        doc: dict[str, Any] = json.loads(self.path.read_text(encoding="utf-8"))
        return doc

    def replaced(self, tmp_path: Path, old: str, new: str) -> Path:
        """The sample with the first `old` replaced by `new`."""
        text = self.path.read_text(encoding="utf-8")
        assert old in text
        return _written(tmp_path / f"bad{self.format.suffix}", text.replace(old, new, 1))


def write_rows(path: Path, rows: list[dict[str, str]], drop: str | None = None) -> Path:
    """A CSV export of `rows`, without the column `drop`."""
    columns = [c for c in rows[0] if c != drop]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, delimiter=";", extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def _written(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


POLICE = ["198503149810", "197711239835", "199206309859", "198809129862"]
SAMPLES = {sample.name: sample for sample in (
    Sample("police-operations", "polis-los", POLICE, range(1, 7)),
    Sample("police-cases", "polis-los", POLICE, [3, 49, 70, 86, 99, 119, 166]),
    Sample("tax-personalliggare", "skv-kontroll",
           ["197711239835", "199206309859", "198809129862", "199001019828", "198503149810", "200102289840",
            "197402179878"], range(2, 12)),
    Sample("enforcement-forrattningar", "kfm-los",
           ["197711239835", "198503149810", "199512059883"], range(1, 8)),
    Sample("social-insurance-kontroller", "fk-kontroll",
           ["197402179878", "198809129862"], [3, 47, 67, 88, 107, 127, 148]),
    Sample("employment-stodkontroller", "af-kontroll",
           ["197711239835", "196811039897", "198306069801", "199001019828", "200102289840"], range(2, 10)),
    Sample("work-env-inspektioner", "av-inspektion",
           ["197711239835", "199206309859", "200102289840", "199512059883"], range(1, 8)),
    Sample("fire-tillsyn", "rtj-tillsyn",
           ["198503122387", "199507309871"], [4, 55, 77, 101, 129, 150, 168, 193]),
    Sample("muni-building-tillsyn", "byggr",
           ["198503122387", "198912243212", "199507309871", "197711234562"], range(2, 10)),
    Sample("muni-env-health-kontroll", "ecos",
           ["200202287892", "199212311113", "196805053458"], range(2, 11)),
    Sample("muni-alcohol-tillsyn", "alkohol",
           ["200202287892", "197402144443", "198807073336"], range(1, 10)),
    Sample("muni-social-los", "soc-los",
           ["199507309871", "198912243212", "199001614560", "198311186541", "197711234562"], range(1, 10)),
)}
