"""The declarative topic list (`deploy/topics.yaml`) expanded for the agency registry.

Every way of running the system (local runner, compose, tests) creates topics from here.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import yaml

from schemas.agencies import load_agencies
from services.common.kafka_security import principal_part

TOPICS_FILE = Path(__file__).with_name("topics.yaml")


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    replication_factor: int
    min_insync_replicas: int
    cleanup_policy: str
    retention_ms: int
    description: str = ""
    agency: str | None = None
    configs: dict[str, str] = field(default_factory=dict)
    writers: tuple[str, ...] = ()  # Kafka principals allowed to produce here
    readers: tuple[str, ...] = ()  # and to consume

    def for_cluster(self, brokers: int) -> TopicSpec:
        """The same topic on a smaller cluster: replication and min ISR capped to its size."""
        rf = min(self.replication_factor, brokers)
        return replace(self, replication_factor=rf, min_insync_replicas=min(self.min_insync_replicas, rf))

    @property
    def topic_configs(self) -> dict[str, str]:
        return {
            "cleanup.policy": self.cleanup_policy,
            "retention.ms": str(self.retention_ms),
            "min.insync.replicas": str(self.min_insync_replicas),
        }


def load_topics(path: Path = TOPICS_FILE) -> list[TopicSpec]:
    doc = yaml.safe_load(path.read_text())
    defaults = doc.get("defaults", {})
    codes = load_agencies()

    def principals(names: object, agency: str | None) -> tuple[str, ...]:
        """`{agency}` is the topic's own agency, or every agency for a shared topic (in a
        principal's form: `adapter-muni-social-0580`)."""
        found: list[str] = []
        for name in names if isinstance(names, list) else []:
            if "{agency}" not in name:
                found.append(name)
            else:
                found += [name.format(agency=principal_part(c)) for c in ([agency] if agency else codes)]
        return tuple(found)

    def spec(entry: dict[str, object], name: str, agency: str | None) -> TopicSpec:
        merged = {**defaults, **entry}
        partitions = merged["partitions"]
        if isinstance(partitions, dict):  # per kind of participant: a municipal function sends little
            partitions = partitions[codes[agency].kind if agency else "state"]
        return TopicSpec(
            name=name,
            partitions=int(str(partitions)),
            replication_factor=int(merged["replication_factor"]),
            min_insync_replicas=int(merged["min_insync_replicas"]),
            cleanup_policy=str(merged["cleanup_policy"]),
            retention_ms=int(merged.get("retention_ms", 604800000)),
            description=str(merged.get("description", "")),
            agency=agency,
            writers=principals(merged.get("writers"), agency),
            readers=principals(merged.get("readers"), agency),
        )

    specs = []
    for code in codes:
        for entry in doc.get("per_agency", []):
            specs.append(spec(entry, entry["name"].format(agency=code.lower()), code))
    for entry in doc.get("topics", []):
        specs.append(spec(entry, entry["name"], None))
    names = [s.name for s in specs]
    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        raise ValueError(f"{path}: topics declared twice: {sorted(duplicates)}")
    return specs
