"""docs/adapters.md, "Clients known to work", names the versions the tests run: the pinned
confluent-kafka and aiokafka, the librdkafka confluent-kafka bundles, and the broker's and Java
client's Kafka version."""

from __future__ import annotations

import re
from pathlib import Path

import confluent_kafka

REPO = Path(__file__).parents[3]


def _section() -> str:
    text = (REPO / "docs" / "adapters.md").read_text(encoding="utf-8")
    match = re.search(r"^## Clients known to work$(.*?)(?=^## |\Z)", text, re.S | re.M)
    assert match, "docs/adapters.md has no '## Clients known to work' section"
    return match.group(1)


def _pinned(package: str) -> str:
    match = re.search(rf"^{re.escape(package)}==(\S+)", (REPO / "requirements.txt").read_text(), re.M)
    assert match, f"requirements.txt pins no {package}"
    return match.group(1)


def test_the_documented_client_versions_are_those_tested() -> None:
    section = _section()
    kafka = re.search(r"<kafka\.version>([^<]+)<", (REPO / "deploy" / "local" / "pom.xml").read_text())
    java = re.search(r"<kafka\.version>([^<]+)<", (REPO / "examples" / "java-adapter" / "pom.xml").read_text())
    assert kafka and java
    expected = {
        "confluent-kafka": _pinned("confluent-kafka"),
        "its librdkafka": confluent_kafka.libversion()[0],
        "aiokafka": _pinned("aiokafka"),
        "the broker": kafka.group(1),
        "the Java client": java.group(1),
    }
    missing = {what: version for what, version in expected.items() if version not in section}
    assert not missing, f"docs/adapters.md, 'Clients known to work', does not name: {missing}"
    row = f"confluent-kafka (Python) | {expected['confluent-kafka']}, librdkafka {expected['its librdkafka']}"
    assert row in section, f"docs/adapters.md has no row '{row}'"
