"""YAML read with the line of every mapping key, so that a configuration error names the
file and the line a person must fix, not only a path through the document."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

Path_ = tuple[str, ...]


class ConfigurationError(ValueError):
    """A data file (registry, vocabulary, policy) that cannot be used; says where and what."""


def load_with_lines(path: Path) -> tuple[Any, dict[Path_, int]]:
    """The document and, for every mapping key, its 1-based line (key path -> line)."""
    try:
        text = path.read_text(encoding="utf-8")
        node = yaml.compose(text)
        data = yaml.safe_load(text)
    except (OSError, yaml.YAMLError) as error:
        raise ConfigurationError(f"{path}: cannot read it: {error}") from error
    lines: dict[Path_, int] = {}

    def walk(item: Any, at: Path_) -> None:
        if isinstance(item, yaml.MappingNode):
            for key, value in item.value:
                here = (*at, str(key.value))
                lines[here] = key.start_mark.line + 1
                walk(value, here)
        elif isinstance(item, yaml.SequenceNode):
            for index, value in enumerate(item.value):
                here = (*at, str(index))
                lines[here] = value.start_mark.line + 1
                walk(value, here)

    if node is not None:
        walk(node, ())
    return data, lines


def line_of(lines: dict[Path_, int], at: Path_) -> int:
    """The line of `at`, or of its nearest ancestor that has one (1 for the document)."""
    while at and at not in lines:
        at = at[:-1]
    return lines.get(at, 1)
