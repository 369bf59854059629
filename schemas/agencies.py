"""The registry of LOS participants, loaded from `agencies.yaml` (data, not code).

An agency code is upper-case letters, digits and underscores. Whether a code is *known* is
a question for the registry a service was started with, not for the schema: a new agency
joins by adding a registry entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import StringConstraints

REGISTRY_FILE = Path(__file__).with_name("agencies.yaml")

AgencyCode = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9_]{1,31}$")]


@dataclass(frozen=True)
class Agency:
    code: str
    name: str
    kind: Literal["state", "municipal"]
    category: str  # a schemas.categories.Category value


@cache
def load_agencies(path: Path = REGISTRY_FILE) -> dict[str, Agency]:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    agencies: dict[str, Agency] = {}
    for code, entry in doc["agencies"].items():
        kind = entry.get("kind")
        if kind not in ("state", "municipal"):
            raise ValueError(f"{path}: agency {code}: kind must be 'state' or 'municipal'")
        agencies[code] = Agency(code=code, name=str(entry["name"]), kind=kind,
                                category=str(entry.get("category", "record_metadata")))
    return agencies
