"""The contract between an agency's native export format and the canonical events.

An agency module reads one export file and yields, record by record, either a `Mapped`
event (unsigned; the SDK signs and publishes it) or a `RecordError` that names the file,
line and field and what is wrong. A bad record never stops the others: the SDK puts it in
quarantine with its reason and goes on. What is wrong with the file as a whole (a header without
a required column) is one `RecordError` with `whole_file` set, and then nothing of the file is
stored.

Each module can also *write* its native format from canonical events (`write`): the
scenario simulator uses that to produce realistic export files, and the round-trip tests
(`read(write(events)) == events`) keep both directions honest.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from pydantic import ValidationError

from schemas.events import AnyEvent
from services.common.pseudonyms import Pseudonymiser


@dataclass(frozen=True)
class MappingContext:
    """What a mapping needs besides the file: never read from the environment inside."""

    pseudonyms: Pseudonymiser  # personnummer -> pseudonym: the pseudonym service's client, in an adapter
    today: datetime.date  # reference date for 10-digit personnummer
    system: str | None = None  # the native system's name, goes into the event source


@dataclass(frozen=True)
class Mapped:
    line: int  # 1-based line (CSV row incl. header, JSON array index + 1, XML element line)
    event: AnyEvent


@dataclass(frozen=True)
class RecordError:
    file: str
    line: int
    field: str  # the native field name, or "-" for the whole record
    message: str  # what is wrong and, where possible, what a correct value looks like
    raw: str  # the record as read (kept in quarantine for review)
    whole_file: bool = False  # the file as a whole cannot be mapped (line 1: its header; 0: the file)

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: field {self.field}: {self.message}"


MappingResult = Mapped | RecordError


class AgencyFormat(Protocol):
    """One native export format of one agency. Modules in services/adapters/agencies
    implement it; an agency may have several (the police export plans and cases apart)."""

    name: str  # unique, e.g. "tax-personalliggare"; the CLI's --format
    agency: str  # the agency code in schemas/agencies.yaml
    suffix: str  # ".csv", ".json" or ".xml"
    description: str  # one line: which system exports this and how
    # A CSV format also names the columns its header must have (`required_columns`), which the
    # SDK's reader checks before any row (`native.read_csv(path, required=...)`).

    def read(self, path: Path, ctx: MappingContext) -> Iterator[MappingResult]:
        """Map every record of `path`, in file order."""
        ...

    def write(self, events: Sequence[AnyEvent], path: Path, ctx: MappingContext,
              clear_ids: Mapping[str, str]) -> None:
        """Write events of this agency as a native export file (simulator, round-trip tests).

        Native formats carry clear personnummer; `clear_ids` maps each pseudonym in the
        events back to the 12-digit personnummer it was made from."""
        ...


def errors_from_validation(file: str, line: int, raw: str, error: ValidationError,
                           field_names: Mapping[str, str] | None = None) -> list[RecordError]:
    """One `RecordError` per pydantic error, naming the native field where known.

    `field_names` maps a canonical path prefix (e.g. "data.business.orgnr") to the native
    column it came from."""
    names = field_names or {}
    result = []
    for item in error.errors(include_input=False, include_url=False):
        path = ".".join(str(p) for p in item["loc"])
        native = next((names[k] for k in sorted(names, key=len, reverse=True)
                       if path == k or path.startswith(k + ".")), path or "-")
        result.append(RecordError(file, line, native, item["msg"], raw))
    return result


def clip(text: str, limit: int = 2000) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def events_of(results: Iterable[MappingResult]) -> list[AnyEvent]:
    return [r.event for r in results if isinstance(r, Mapped)]
