"""Writing native export files (simulator, round-trip tests): the files themselves, with the
same encoding and layout as the agencies' systems produce, and small builders for their records.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any
from xml.etree import ElementTree


def write_csv(path: Path, columns: Sequence[str], rows: Iterable[Mapping[str, str]]) -> None:
    """A semicolon-separated UTF-8 file with a header; a row's missing columns are empty."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, columns, delimiter=";", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def write_json(path: Path, document: Mapping[str, Any]) -> None:
    """An indented UTF-8 JSON file, non-ASCII letters as they are."""
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def write_xml(path: Path, root: ElementTree.Element) -> None:
    """An indented UTF-8 XML file with a declaration."""
    ElementTree.indent(root)
    ElementTree.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


def add(parent: ElementTree.Element, tag: str, text: str | None = None) -> ElementTree.Element:
    """A child element, empty if `text` is None (e.g. a container for others)."""
    child = ElementTree.SubElement(parent, tag)
    child.text = text
    return child


def add_present(parent: ElementTree.Element, **values: str | None) -> None:
    """A child element for each value given (empty values are left out), in order."""
    for tag, value in values.items():
        if value:
            add(parent, tag, value)


def present(record: dict[str, Any]) -> dict[str, Any]:
    """A JSON object without its empty members (null, "", [], {})."""
    return {key: value for key, value in record.items() if value not in (None, "", [], {})}
