"""The registered vocabularies: information categories and decision kinds.

Both are open, registered sets (`vocabulary.yaml`), not enums compiled into the contracts: the
`.v2` event types carry a category or decision kind as a registered code, so a participant
that joins with a matter of its own (Migrationsverket's migration cases, its `utvisning`)
registers it as data. The compatibility rule of a vocabulary is its own: a published value is
never removed or renamed (`published/vocabulary.json`, kept by a test). The `.v1` types keep
their closed enums, which are the vocabulary as it was published with them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, StringConstraints

from schemas.yaml_lines import ConfigurationError, line_of, load_with_lines

VOCABULARY_FILE = Path(__file__).with_name("vocabulary.yaml")
VOCABULARY_KEY = "x-los-vocabulary"
CATEGORY_PATTERN = r"^[a-z][a-z0-9_]{1,39}$"
DECISION_KIND_PATTERN = r"^[a-zåäö][a-zåäö0-9_]{1,39}$"

CategoryCode = Annotated[str, StringConstraints(pattern=CATEGORY_PATTERN), Field(
    description="An information category registered in schemas/vocabulary.yaml.",
    json_schema_extra={VOCABULARY_KEY: "categories"})]
DecisionKindCode = Annotated[str, StringConstraints(pattern=DECISION_KIND_PATTERN), Field(
    description="A decision kind registered in schemas/vocabulary.yaml.",
    json_schema_extra={VOCABULARY_KEY: "decision_kinds"})]


@dataclass(frozen=True, eq=False)  # one per file, compared and hashed by identity
class Vocabulary:
    categories: Mapping[str, str]  # code -> name shown to people
    decision_kinds: Mapping[str, str]
    source: str = "vocabulary.yaml"

    def category_name(self, code: str) -> str:
        return self.categories.get(code, code)

    def decision_kind_name(self, code: str) -> str:
        return self.decision_kinds.get(code, code)

    @classmethod
    def from_document(cls, doc: Any, lines: dict[tuple[str, ...], int], source: str) -> Vocabulary:
        def fail(at: tuple[str, ...], what: str) -> ConfigurationError:
            return ConfigurationError(f"{source}:{line_of(lines, at)}: {'.'.join(at) or 'top level'}: {what}")

        if not isinstance(doc, dict):
            raise fail((), "expected `categories:` and `decision_kinds:`")
        found: dict[str, dict[str, str]] = {}
        for section, pattern in (("categories", CATEGORY_PATTERN), ("decision_kinds", DECISION_KIND_PATTERN)):
            entries = doc.get(section)
            if not isinstance(entries, dict) or not entries:
                raise fail((section,), "expected a mapping of code -> {name: ...}")
            found[section] = {}
            for code, entry in entries.items():
                at = (section, str(code))
                if not re.match(pattern, str(code)):
                    raise fail(at, f"{code!r} is not a code of the form {pattern}")
                if not isinstance(entry, dict) or not str(entry.get("name", "")).strip():
                    raise fail(at, "needs a `name` for people to read")
                found[section][str(code)] = str(entry["name"])
        return cls(found["categories"], found["decision_kinds"], source)


_in_use: dict[str, Path] = {"vocabulary": VOCABULARY_FILE}


def use_vocabulary_file(path: Path) -> None:
    """Make this process use the vocabulary at `path` (see schemas.agencies.use_data_files)."""
    _in_use["vocabulary"] = path
    load_vocabulary()


def load_vocabulary(path: Path | None = None) -> Vocabulary:
    return _load_vocabulary(path or _in_use["vocabulary"])


@cache
def _load_vocabulary(path: Path) -> Vocabulary:
    doc, lines = load_with_lines(path)
    return Vocabulary.from_document(doc, lines, str(path))
