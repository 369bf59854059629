"""Every agency's native export formats, by format name.

The built-in formats are modules here exposing `FORMATS`, listed in `_MODULES`. An agency's own
adapter package adds its formats through the entry-point group `los.agency_formats`: each entry
point names a list of `AgencyFormat` (or a function returning one), e.g. in its pyproject.toml

    [project.entry-points."los.agency_formats"]
    migration = "los_adapter_migration:FORMATS"

(`python -m services.adapters new <agency>` writes such a package). A format is written for a
*function* (`MUNI_SOCIAL`); each municipality's authority runs it as its own
(`bound(fmt, "MUNI_SOCIAL_0580")`), so its events carry that authority's code and ids.
"""

from __future__ import annotations

import copy
import dataclasses
import importlib
from collections.abc import Iterable
from importlib.metadata import EntryPoint, entry_points

from schemas.agencies import load_registry
from services.adapters.sdk.mapping import AgencyFormat

GROUP = "los.agency_formats"
BUILT_IN = "los-samverkan (built in)"
_MODULES = (
    "police", "tax", "enforcement", "social_insurance", "employment", "work_env",
    "fire", "muni_building", "muni_env_health", "muni_alcohol", "muni_social",
)


class FormatError(ValueError):
    """An installed adapter package's formats cannot be used (cannot be loaded, are not formats,
    or reuse a format name); the message names the packages."""


def all_formats() -> dict[str, AgencyFormat]:
    """The built-in formats and those of every installed adapter package, by name."""
    formats: dict[str, AgencyFormat] = {}
    origins: dict[str, str] = {}

    def add(found: Iterable[AgencyFormat], origin: str) -> None:
        for fmt in found:
            if fmt.name in formats:
                raise FormatError(f"format name {fmt.name!r} is defined twice: by {origins[fmt.name]} and by "
                                  f"{origin}; rename one of them (the name is the CLI's --format)")
            formats[fmt.name], origins[fmt.name] = fmt, origin

    for module_name in _MODULES:
        try:
            module = importlib.import_module(f"{__name__}.{module_name}")
        except ModuleNotFoundError as error:
            if error.name == f"{__name__}.{module_name}":
                continue
            raise
        add(module.FORMATS, BUILT_IN)
    for entry in sorted(entry_points(group=GROUP), key=lambda e: (_package(e), e.name)):
        add(_formats_of(entry), f"package {_package(entry)} (entry point {entry.name} = {entry.value})")
    return formats


def _package(entry: EntryPoint) -> str:
    return entry.dist.name if entry.dist is not None else "?"


def _formats_of(entry: EntryPoint) -> list[AgencyFormat]:
    where = f"entry point {entry.name} = {entry.value} of package {_package(entry)} (group {GROUP})"
    try:
        loaded = entry.load()
        found = loaded() if callable(loaded) else loaded
        formats = list(found)
    except Exception as error:
        raise FormatError(f"{where} cannot be loaded: {type(error).__name__}: {error}") from error
    for fmt in formats:
        missing = [a for a in ("name", "agency", "suffix", "description", "read", "write") if not hasattr(fmt, a)]
        if missing:
            raise FormatError(f"{where}: {fmt!r} is not an AgencyFormat (it has no {', '.join(missing)})")
    return formats


def bound(fmt: AgencyFormat, participant: str) -> AgencyFormat:
    """`fmt` as the adapter of `participant` runs it: events signed, named and numbered as that
    authority's. A national agency's format is its own already. A municipal format names its
    events' agency by `fmt.agency`, or by the `agency` of its `export` (`sdk.municipal.Export`)."""
    if fmt.agency == participant:
        return fmt
    function = load_registry().function_of(participant)
    if function != fmt.agency:
        raise ValueError(f"format {fmt.name} is {fmt.agency}'s; {participant} "
                         f"({function or 'not in the registry'}) cannot run it")
    mine = copy.copy(fmt)
    export = getattr(fmt, "export", None)
    if export is not None:
        mine.export = dataclasses.replace(export, agency=participant)  # type: ignore[attr-defined]
    mine.agency = participant
    return mine


def formats_of(agency: str) -> list[AgencyFormat]:
    """The formats the adapter of the participant `agency` runs."""
    function = load_registry().function_of(agency) or agency
    return [bound(f, agency) for f in all_formats().values() if f.agency == function]


def participants_running(fmt: AgencyFormat) -> list[str]:
    """Every registered participant whose adapter can run `fmt`."""
    return [code for code, agency in load_registry().participants.items() if agency.function == fmt.agency]
