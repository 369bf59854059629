"""Prometheus metrics of the audit log: entries, per process that writes them (feeds, console),
and the checkpoints the audit server signs."""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Iterable, Mapping
from typing import Any

from prometheus_client import Counter, Gauge

from services.audit.chain import Checkpoint

WRITTEN = Counter("los_audit_entries_written_total", "Audit entries appended to the chain, by kind (counted at "
                  "the append: a transaction that then fails and is retried counts them again)", ["kind"])


def count_written(entries: Iterable[Mapping[str, Any]]) -> None:
    for kind, n in Tally(str(e["kind"]) for e in entries).items():
        WRITTEN.labels(kind).inc(n)
CHECKPOINTS = Counter("los_audit_checkpoints_written_total", "Checkpoints of the chain's head signed, stored and "
                      "published, by chain", ["chain"])
LAST_CHECKPOINT = Gauge("los_audit_last_checkpoint_seq", "The sequence number of the last entry a checkpoint "
                        "this process wrote signs, by chain", ["chain"])


def count_checkpoint(checkpoint: Checkpoint) -> None:
    CHECKPOINTS.labels(checkpoint.chain).inc()
    LAST_CHECKPOINT.labels(checkpoint.chain).set(checkpoint.seq)
