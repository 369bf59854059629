"""Building blocks for agency formats: reading native files with line numbers, turning
native identifiers into canonical ones, and collecting errors per record.

A mapping function raises `FieldError` (or lets pydantic raise) for a bad record;
`map_records` turns that into a `RecordError` naming file, line and field, and goes on.
A reader raises `FileError` for what is wrong with the file as a whole (a CSV header without a
required column, a JSON file without its list of records, an XML file with another root
element), before it yields any record: that is one error, and no record of the file is mapped.
"""

from __future__ import annotations

import csv
import datetime
import json
import re
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any
from xml.etree import ElementTree
from xml.parsers import expat

from pydantic import ValidationError

from schemas.events import AnyEvent
from schemas.identifiers import (
    IdentifierError,
    parse_organisationsnummer,
    parse_personnummer,
)
from schemas.subjects import Business, Person, PersonRole
from services.adapters.sdk.mapping import (
    Mapped,
    MappingContext,
    MappingResult,
    RecordError,
    clip,
    errors_from_validation,
)


class FieldError(ValueError):
    """A native field that cannot be mapped; `field` is its native name."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class FileError(FieldError):
    """The file as a whole cannot be mapped; `line` is 1 for its header, else 0."""

    def __init__(self, field: str, message: str, line: int = 0) -> None:
        super().__init__(field, message)
        self.line = line


Row = Mapping[str, str]
DIGITS = re.compile(r"\d[\d\s+-]{4,}\d")  # what may be a personnummer, never echoed in an error


def read_csv(path: Path, *, delimiter: str = ";",
             required: Collection[str] = ()) -> Iterator[tuple[int, dict[str, str], str]]:
    """Rows of a semicolon-separated UTF-8 export (as Swedish systems write them) with their
    1-based line number (the header is line 1) and raw text.

    The header is checked before any row is read: a column of `required` missing from it, a
    column named twice or no header at all is one `FileError` naming the columns and the header
    found, and no row is yielded."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle, delimiter=delimiter)
        check_header(reader.fieldnames, required, delimiter)
        for row in reader:
            raw = delimiter.join("" if v is None else str(v) for v in row.values())
            yield reader.line_num, {k: (v or "").strip() for k, v in row.items() if k}, raw


def check_header(found: Sequence[str] | None, required: Collection[str], delimiter: str = ";") -> None:
    """Raise one `FileError` (line 1) for a header that lacks a required column or names one twice."""
    if not found:
        if required:
            raise FileError("-", "the file is empty: it has no header line", line=1)
        return
    shown = clip(DIGITS.sub("<digits>", delimiter.join(found)), 1000)  # a record taken for a header
    missing = [column for column in required if column not in found]
    if missing:
        which = "column" if len(missing) == 1 else "columns"
        raise FileError(", ".join(missing), f"the header has no {which} {', '.join(missing)}; the header found is "
                        f"{shown!r}. No record of the file is mapped", line=1)
    twice = sorted({column for column in found if found.count(column) > 1})
    if twice:
        raise FileError(", ".join(twice), f"the header names {', '.join(twice)} more than once; the header found is "
                        f"{shown!r}. No record of the file is mapped", line=1)


def read_json_records(path: Path, key: str) -> Iterator[tuple[int, dict[str, Any], str]]:
    """Records of a JSON export `{"<key>": [...]}`; the 'line' is the record's 1-based index.
    A file without that list is one `FileError`."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    records = doc.get(key) if isinstance(doc, dict) else None
    if not isinstance(records, list):
        raise FileError(key, f"the file must be a JSON object with a list {key!r}")
    for index, record in enumerate(records, start=1):
        yield index, record, json.dumps(record, ensure_ascii=False)


def read_xml_records(path: Path, tag: str, *,
                     root: str | None = None) -> Iterator[tuple[int, ElementTree.Element, str]]:
    """Elements `<tag>` of an XML export, in document order, with their source line numbers.
    A file that is not well-formed, or whose root element is not `root`, is one `FileError`."""
    data = path.read_bytes()
    lines: list[int] = []
    expat_parser = expat.ParserCreate()

    def start(name: str, attrs: dict[str, str]) -> None:
        if name == tag:
            lines.append(expat_parser.CurrentLineNumber)

    expat_parser.StartElementHandler = start
    try:
        expat_parser.Parse(data, True)
    except (expat.ExpatError, LookupError, ValueError) as error:  # LookupError: an unknown declared encoding
        raise FileError("-", f"the file is not well-formed XML: {error}") from error
    document = ElementTree.fromstring(data)
    if root is not None and document.tag != root:
        raise FileError(document.tag, f"the root element is <{document.tag}>, expected <{root}>: "
                                      "this is not an export of this format")
    for line, element in zip(lines, document.iter(tag), strict=True):
        yield line, element, ElementTree.tostring(element, encoding="unicode")


def required(row: Row, field: str) -> str:
    if field not in row:
        raise FieldError(field, "is required but missing from the export (no such column or element)")
    value = row.get(field, "")
    if not value:
        raise FieldError(field, "is required but empty")
    return value


def optional(row: Row, field: str) -> str | None:
    return row.get(field) or None


def parse_int(row: Row, field: str, *, required_: bool = True) -> int | None:
    value = row.get(field, "").replace(" ", "").replace("\u00a0", "")
    if not value:
        if required_:
            raise FieldError(field, "is required but empty")
        return None
    try:
        return int(value)
    except ValueError as error:
        raise FieldError(field, f"{value!r} is not a whole number") from error


def parse_date(row: Row, field: str) -> datetime.date:
    value = required(row, field)
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as error:
        raise FieldError(field, f"{value!r} is not a date like 2026-03-14") from error


def parse_datetime(row: Row, field: str) -> datetime.datetime:
    """A local Swedish timestamp ('2026-03-14 09:30' or ISO with offset) made timezone-aware."""
    value = required(row, field)
    try:
        parsed = datetime.datetime.fromisoformat(value)
    except ValueError as error:
        raise FieldError(field, f"{value!r} is not a time like 2026-03-14T09:30:00+01:00") from error
    if parsed.tzinfo is None:
        from zoneinfo import ZoneInfo

        parsed = parsed.replace(tzinfo=ZoneInfo("Europe/Stockholm"))
    return parsed


def person(field: str, personnummer: str, role: PersonRole, ctx: MappingContext,
           *, protected: bool = False) -> Person:
    """A person from a clear personnummer: pseudonymised here, the number goes no further."""
    try:
        pnr = parse_personnummer(personnummer, today=ctx.today)
    except IdentifierError as error:
        raise FieldError(field, str(error)) from error
    return Person(pseudonym=ctx.pseudonyms.of(pnr), role=role,
                  protected_identity=protected)


def business(field: str, identity: str, name: str, ctx: MappingContext) -> Business:
    """A business by organisationsnummer, or a sole trader by the owner's personnummer."""
    try:
        return Business(orgnr=parse_organisationsnummer(identity), name=name)
    except IdentifierError as org_error:
        digits = "".join(ch for ch in identity if ch.isdigit())
        looks_personal = len(digits) in (10, 12) and int(digits[-8:-6]) < 20
        try:
            pnr = parse_personnummer(identity, today=ctx.today)
        except IdentifierError as pnr_error:
            # a mistyped personnummer must not reach logs: only its parser's message, which omits it
            raise FieldError(field, str(pnr_error) if looks_personal else str(org_error)) from pnr_error
        return Business(sole_trader=ctx.pseudonyms.of(pnr), name=name)


def map_records(
    path: Path,
    records: Iterable[tuple[int, Any, str]],
    build: Callable[[Any], AnyEvent],
    field_names: Mapping[str, str] | None = None,
) -> Iterator[MappingResult]:
    """Apply `build` to each record; a failure becomes a RecordError and the loop goes on.
    What is wrong with the file as a whole is one RecordError with `whole_file` set."""
    name = str(path)
    try:
        for line, record, raw in records:
            try:
                yield Mapped(line, build(record))
            except FieldError as error:
                yield RecordError(name, line, error.field, error.message, clip(raw))
            except ValidationError as error:
                yield from errors_from_validation(name, line, clip(raw), error, field_names)
    except FieldError as error:  # the file as a whole cannot be mapped
        line = error.line if isinstance(error, FileError) else 0
        yield RecordError(name, line, error.field, error.message, "", whole_file=True)
    except (ValueError, ElementTree.ParseError, UnicodeDecodeError, csv.Error) as error:
        yield RecordError(name, 0, "-", f"the file cannot be read: {error}", "", whole_file=True)
