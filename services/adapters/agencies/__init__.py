"""Every agency's native export formats, by format name.

Adding an agency's format: a module here exposing `FORMATS`, listed in `_MODULES`. A format
is written for a *function* (`MUNI_SOCIAL`); each municipality's authority runs it as its own
(`bound(fmt, "MUNI_SOCIAL_0580")`), so its events carry that authority's code and ids.
"""

from __future__ import annotations

import copy
import dataclasses
import importlib

from schemas.agencies import load_registry
from services.adapters.sdk.mapping import AgencyFormat

_MODULES = (
    "police", "tax", "enforcement", "social_insurance", "employment", "work_env",
    "fire", "muni_building", "muni_env_health", "muni_alcohol", "muni_social",
)


def all_formats() -> dict[str, AgencyFormat]:
    formats: dict[str, AgencyFormat] = {}
    for module_name in _MODULES:
        try:
            module = importlib.import_module(f"{__name__}.{module_name}")
        except ModuleNotFoundError as error:
            if error.name == f"{__name__}.{module_name}":
                continue
            raise
        for fmt in module.FORMATS:
            if fmt.name in formats:
                raise ValueError(f"format name {fmt.name!r} is defined twice")
            formats[fmt.name] = fmt
    return formats


def bound(fmt: AgencyFormat, participant: str) -> AgencyFormat:
    """`fmt` as the adapter of `participant` runs it: events signed, named and numbered as that
    authority's. A national agency's format is its own already."""
    if fmt.agency == participant:
        return fmt
    function = load_registry().function_of(participant)
    export = getattr(fmt, "export", None)
    if function != fmt.agency or export is None:
        raise ValueError(f"format {fmt.name} is {fmt.agency}'s; {participant} "
                         f"({function or 'not in the registry'}) cannot run it")
    mine = copy.copy(fmt)
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
