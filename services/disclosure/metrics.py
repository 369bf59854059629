"""Prometheus metrics of the disclosure feeds: each item decided for each agency's feed."""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Iterable, Mapping
from typing import Any

from prometheus_client import Counter

DECISIONS = Counter("los_disclosure_decisions_total", "Items of a record decided for an agency's feed, "
                    "by recipient agency and outcome (disclosed or withheld)", ["recipient", "outcome"])


def count_decisions(entries: Iterable[Mapping[str, Any]]) -> None:
    """Count the feed's decisions from their audit entries (kind disclosure or denial)."""
    tally = Tally((str(e["recipient"]), "disclosed" if e["kind"] == "disclosure" else "withheld") for e in entries)
    for (recipient, outcome), n in tally.items():
        DECISIONS.labels(recipient, outcome).inc(n)
