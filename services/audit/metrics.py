"""Prometheus metrics of the audit log, per process that writes it (feeds, console)."""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Iterable, Mapping
from typing import Any

from prometheus_client import Counter

WRITTEN = Counter("los_audit_entries_written_total", "Audit entries appended to the chain, by kind (counted at "
                  "the append: a transaction that then fails and is retried counts them again)", ["kind"])


def count_written(entries: Iterable[Mapping[str, Any]]) -> None:
    for kind, n in Tally(str(e["kind"]) for e in entries).items():
        WRITTEN.labels(kind).inc(n)
