"""Every agency's native export formats, by format name.

Adding an agency's format: a module here exposing `FORMATS`, listed in `_MODULES`.
"""

from __future__ import annotations

import importlib

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


def formats_of(agency: str) -> list[AgencyFormat]:
    return [f for f in all_formats().values() if f.agency == agency]
