"""The registry of LOS participants, loaded from `agencies.yaml` (data, not code).

A participant is one authority: a national agency, one function of one municipality
(`MUNI_SOCIAL_0580` is Linköping's social services, a different authority from Norrköping's
`MUNI_SOCIAL_0581`), or a joint authority serving several municipalities. Its code is an
`AgencyCode`; whether a code is *known* is a question for the registry a service was
started with, not for the schema, so a new participant joins by a registry entry.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import StringConstraints

from schemas.vocabulary import Vocabulary, load_vocabulary, use_vocabulary_file
from schemas.yaml_lines import ConfigurationError, line_of, load_with_lines

REGISTRY_FILE = Path(__file__).with_name("agencies.yaml")

AgencyCode = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9_]{1,31}$")]
KOMMUNKOD = re.compile(r"^[0-2][0-9]{3}$")
_CODE = re.compile(r"^[A-Z][A-Z0-9_]{1,31}$")
_in_use: dict[str, Path] = {"registry": REGISTRY_FILE}


class RegistryError(ConfigurationError):
    """The registry file cannot be used; the message names the file, the line and the entry."""


def use_data_files(registry: Path | None = None, vocabulary: Path | None = None) -> None:
    """Make this process use these registry and vocabulary files (its settings name them, at
    the entry point) and check them now, so a mistake stops the start, not a feed later."""
    if vocabulary is not None:
        use_vocabulary_file(vocabulary)
    if registry is not None:
        _in_use["registry"] = registry
    load_registry()


@dataclass(frozen=True)
class Agency:
    """One participant (authority)."""

    code: str
    name: str  # the authority, e.g. "Linköpings kommun, socialnämnden"
    kind: Literal["state", "municipal"]
    function: str  # what the disclosure policy names, e.g. MUNI_SOCIAL
    categories: tuple[str, ...]  # schemas.categories.Category values it may originate
    municipality: str | None = None  # kommunkod of a municipal function
    municipalities: tuple[str, ...] = ()  # the municipalities it serves (kommunkoder)
    region: str | None = None

    @property
    def category(self) -> str:
        """The category of what it records when nothing more specific is said."""
        return self.categories[0]


@dataclass(frozen=True)
class Function:
    code: str
    name: str
    level: Literal["national", "municipal"]
    categories: tuple[str, ...]


def load_registry(path: Path | None = None) -> Registry:
    """The registry this process uses (or the one at `path`), checked against the vocabulary."""
    return _load_registry(path or _in_use["registry"], load_vocabulary())


@cache
def _load_registry(path: Path, vocabulary: Vocabulary) -> Registry:
    try:
        doc, lines = load_with_lines(path)
    except ConfigurationError as error:
        raise RegistryError(str(error)) from error
    return Registry.from_document(doc, str(path), lines, vocabulary)


def load_agencies(path: Path | None = None) -> dict[str, Agency]:
    """Every participant by code."""
    return load_registry(path).participants


@dataclass(frozen=True)
class Registry:
    functions: Mapping[str, Function]
    participants: dict[str, Agency]
    municipality_names: Mapping[str, str]

    def function_of(self, code: str) -> str | None:
        agency = self.participants.get(code)
        return agency.function if agency else None

    def serving(self, function: str, kommunkod: str) -> str | None:
        """The participant carrying out `function` in the municipality `kommunkod`, if any
        (a national agency serves every municipality)."""
        for agency in self.participants.values():
            if agency.function == function and (agency.kind == "state" or kommunkod in agency.municipalities):
                return agency.code
        return None

    @classmethod
    def from_document(cls, doc: Any, source: str, lines: dict[tuple[str, ...], int] | None = None,
                      vocabulary: Vocabulary | None = None) -> Registry:
        known = vocabulary or load_vocabulary()

        def fail(where: str, what: str) -> RegistryError:
            line = line_of(lines or {}, tuple(where.split(".")))
            return RegistryError(f"{source}:{line}: {where}: {what}")

        if not isinstance(doc, dict) or not isinstance(doc.get("functions"), dict):
            raise fail("top level", "expected `functions:`, `national:`, `municipalities:` and `joint:`")
        functions: dict[str, Function] = {}
        for code, entry in doc["functions"].items():
            if not _CODE.match(str(code)) or not isinstance(entry, dict):
                raise fail(f"functions.{code}", "a code of upper-case letters, digits and _ with a mapping")
            level = entry.get("level")
            if level not in ("national", "municipal"):
                raise fail(f"functions.{code}", "level must be 'national' or 'municipal'")
            categories = entry.get("categories")
            if not isinstance(categories, list) or not categories:
                raise fail(f"functions.{code}", "categories must list at least one information category")
            unknown = [c for c in categories if c not in known.categories]
            if unknown:
                raise fail(f"functions.{code}.categories", f"unknown categories {unknown}: register them in"
                                                           f" {known.source} (known: {', '.join(known.categories)})")
            functions[code] = Function(code, str(entry.get("name", code)), level, tuple(map(str, categories)))
        participants: dict[str, Agency] = {}

        def add(agency: Agency, where: str) -> None:
            if not _CODE.match(agency.code):
                raise fail(where, f"the participant code {agency.code!r} is not of the form [A-Z][A-Z0-9_]{{1,31}}")
            if agency.code in participants:
                raise fail(where, f"participant {agency.code} is defined twice")
            participants[agency.code] = agency

        def function(code: object, where: str, level: str) -> Function:
            found = functions.get(str(code))
            if found is None:
                raise fail(where, f"unknown function {code!r}; known: {', '.join(functions)}")
            if found.level != level:
                raise fail(where, f"{code} is a {found.level} function")
            return found

        for code in doc.get("national") or []:
            f = function(code, f"national.{code}", "national")
            add(Agency(f.code, f.name, "state", f.code, f.categories), f"national.{code}")
        municipalities = doc.get("municipalities") or {}
        names = {str(k): str(v.get("name", k)) for k, v in municipalities.items() if isinstance(v, dict)}
        joint = doc.get("joint") or {}
        for code, entry in joint.items():
            where = f"joint.{code}"
            if not isinstance(entry, dict):
                raise fail(where, "expected a mapping with function, name and municipalities")
            f = function(entry.get("function"), where, "municipal")
            served = tuple(str(m) for m in entry.get("municipalities") or [])
            unknown = [m for m in served if m not in names]
            if not served or unknown:
                raise fail(where, f"municipalities must name registered kommunkoder (unknown: {unknown})")
            add(Agency(str(code), str(entry.get("name", code)), "municipal", f.code, f.categories,
                       municipalities=served), where)
        for kommunkod, entry in municipalities.items():
            kommunkod = str(kommunkod)
            where = f"municipalities.{kommunkod}"
            if not KOMMUNKOD.match(kommunkod) or not isinstance(entry, dict):
                raise fail(where, "a four-digit kommunkod (quoted, e.g. \"0580\") with a mapping")
            authority = str(entry.get("authority") or f"{names[kommunkod]} kommun")
            rescue = entry.get("rescue")
            if rescue is not None and (rescue not in joint or participants[str(rescue)].function != "FIRE"
                                       or kommunkod not in participants[str(rescue)].municipalities):
                raise fail(where, f"rescue {rescue!r} must be a joint FIRE authority serving {kommunkod}")
            for code in entry.get("functions") or []:
                f = function(code, f"{where}.functions", "municipal")
                if f.code == "FIRE" and rescue is not None:
                    raise fail(where, "FIRE is served by the joint rescue authority named in `rescue`")
                add(Agency(f"{f.code}_{kommunkod}", f"{authority}, {f.name}", "municipal", f.code, f.categories,
                           municipality=kommunkod, municipalities=(kommunkod,), region=entry.get("region")),
                    f"{where}.functions")
        return cls(functions, participants, names)
