"""Write an agency's adapter package from the template: every `__TOKEN__` in `template/` is
replaced by what the registry says of the participant; `package/` becomes the Python package.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from schemas.agencies import Registry, load_registry
from schemas.categories import Category

TEMPLATE = Path(__file__).with_name("template")
FORMAT_NAME = re.compile(r"[a-z0-9][a-z0-9-]{1,62}")
SUFFIX = ".tmpl"


class ScaffoldError(ValueError):
    """The package cannot be written as asked; the message says what to do instead."""


@dataclass(frozen=True)
class Written:
    folder: Path
    agency: str  # the participant
    format_name: str


def scaffold(participant: str, out: Path | None = None, name: str | None = None, *,
             taken: Collection[str] = (), registry: Registry | None = None) -> Written:
    """Write the package of `participant` (a code of schemas/agencies.yaml) into `out`
    (default `./los-adapter-<participant lower>`), its format named `name` (default
    `<participant>-export`), which must not be one of the format names `taken`."""
    known = registry or load_registry()
    code = participant.strip().upper()
    agency = known.participants.get(code)
    if agency is None:
        raise ScaffoldError(_not_a_participant(code, known))
    lower = code.lower()
    format_name = name or f"{lower.replace('_', '-')}-export"
    if not FORMAT_NAME.fullmatch(format_name):
        raise ScaffoldError(f"format name {format_name!r}: lower-case letters, digits and -, 2 to 63 of them")
    if format_name in taken:
        raise ScaffoldError(f"a format named {format_name!r} is installed already; choose another with --name")
    folder = out or Path(f"los-adapter-{lower}")
    if folder.exists() and any(folder.iterdir()):
        raise ScaffoldError(f"{folder} exists and is not empty; choose another folder with --out")
    package = f"los_adapter_{lower}"
    tokens = {
        "__PARTICIPANT__": code, "__AGENCY__": agency.function, "__AUTHORITY__": agency.name,
        "__CATEGORY__": Category(agency.category).name, "__CATEGORY_VALUE__": agency.category,
        "__FORMAT__": format_name, "__PACKAGE__": package, "__DIST__": f"los-adapter-{lower.replace('_', '-')}",
        "__ENTRY__": lower, "__SAMPLE__": f"{format_name}.csv",
        "__AGENCY_OPTION__": "" if code == agency.function else f" --agency {code}",
        "__AGENCY_ARGS__": "" if code == agency.function else f', "--agency", "{code}"',
    }
    for source in sorted(p for p in TEMPLATE.rglob(f"*{SUFFIX}")):
        relative = source.relative_to(TEMPLATE).as_posix().removesuffix(SUFFIX)
        relative = relative.replace("package/", f"src/{package}/", 1).replace("sample.csv", tokens["__SAMPLE__"])
        relative = ".gitignore" if relative == "gitignore" else relative
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(_filled(source.read_text(encoding="utf-8"), tokens), encoding="utf-8")
    return Written(folder, code, format_name)


def _filled(text: str, tokens: dict[str, str]) -> str:
    for token, value in tokens.items():
        text = text.replace(token, value)
    return text


def _not_a_participant(code: str, registry: Registry) -> str:
    running = sorted(c for c, a in registry.participants.items() if a.function == code)
    if running:
        return (f"{code} is a function that several authorities carry out; name the one whose adapter this is, "
                f"one of {', '.join(running)}")
    return (f"{code} is not a participant of schemas/agencies.yaml, the registry every service goes by. "
            "A national agency joins as a function under `functions:` (its name, `level: national` and the "
            "information categories it may originate, from schemas/categories.py) and its code under "
            "`national:`; a municipality's committee as <FUNCTION>_<kommunkod> under `municipalities:`. "
            "See docs/topics.md, 'Adding a participant'. Participants now: the national agencies "
            + ", ".join(sorted(c for c, a in registry.participants.items() if a.kind == "state"))
            + f" and {sum(a.kind == 'municipal' for a in registry.participants.values())} municipal or joint "
            "authorities, e.g. MUNI_SOCIAL_0580")
