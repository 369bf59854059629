"""The declarative service list (`deploy/services.yaml`): what the local runner starts and
compose declares, with each service's Kafka principal and PostgreSQL login role."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from schemas.agencies import load_agencies
from services.common.kafka_security import principal_part

SERVICES_FILE = Path(__file__).with_name("services.yaml")


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    module: str
    env: tuple[str, ...]
    description: str = ""
    kafka_principal: str | None = None  # may hold `{agency}`: one principal per agency
    kafka_groups: tuple[str, ...] = ()  # consumer-group name prefixes, same expansion
    database_role: str | None = None  # the PostgreSQL role it logs in as; None: no database

    def principals(self) -> dict[str, tuple[str, ...]]:
        """Each Kafka principal of this service and its group prefixes."""
        if self.kafka_principal is None:
            return {}
        if "{agency}" not in self.kafka_principal:
            return {self.kafka_principal: self.kafka_groups}
        return {self.kafka_principal.format(agency=principal_part(code)):
                tuple(g.format(agency=principal_part(code)) for g in self.kafka_groups) for code in load_agencies()}


def load_services(path: Path = SERVICES_FILE) -> list[ServiceSpec]:
    doc = yaml.safe_load(path.read_text())
    return [
        ServiceSpec(name, entry["module"], tuple(entry.get("env", [])), entry.get("description", ""),
                    entry.get("kafka", {}).get("principal"), tuple(entry.get("kafka", {}).get("groups", [])),
                    entry.get("database", {}).get("role"))
        for name, entry in doc["services"].items()
    ]


def database_roles(path: Path = SERVICES_FILE) -> dict[str, str]:
    """Each service that uses the database, and the login role it connects as."""
    return {s.name: s.database_role for s in load_services(path) if s.database_role}
