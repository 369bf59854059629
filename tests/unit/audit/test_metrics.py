"""The audit server's checkpoint metrics: how many it wrote, and the entry the last one signs."""

from __future__ import annotations

from prometheus_client import REGISTRY

from services.audit.chain import Checkpoint
from services.audit.metrics import count_checkpoint


def sample(name: str, chain: str) -> float:
    return REGISTRY.get_sample_value(name, {"chain": chain}) or 0.0


def test_each_checkpoint_is_counted_and_the_last_signed_entry_kept() -> None:
    chain = "metrics-test"
    before = sample("los_audit_checkpoints_written_total", chain)
    for seq in (40, 95):
        count_checkpoint(Checkpoint(chain, seq, b"\0" * 32, "2026-05-02T10:00:00+00:00", "COORDINATOR-1"))
    assert sample("los_audit_checkpoints_written_total", chain) == before + 2
    assert sample("los_audit_last_checkpoint_seq", chain) == 95
