"""The audit chain proves its own integrity: a changed entry, a missing entry and a deleted
tail are each found and named."""

from __future__ import annotations

from dataclasses import replace

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.audit.chain import (
    GENESIS,
    Checkpoint,
    check_against_checkpoints,
    checkpoint_signed_by,
    link,
    sign_checkpoint,
    verify_chain,
)

ENTRIES = [{"kind": "disclosure", "at": f"2026-04-14T08:{i:02d}:00+00:00", "owner": "TAX", "recipient": "POLICE",
            "digest": f"{i:064x}", "basis": "Lag (2016:774) 2 §"} for i in range(10)]


def test_an_untouched_chain_verifies() -> None:
    rows = link(0, GENESIS, ENTRIES)
    result = verify_chain(rows)
    assert result.ok and result.checked == 10 and result.head_seq == 10


def test_appending_continues_from_the_head() -> None:
    first = link(0, GENESIS, ENTRIES[:4])
    rest = link(first[-1].seq, first[-1].hash, ENTRIES[4:])
    assert verify_chain(first + rest).ok
    assert [r.hash for r in first + rest] == [r.hash for r in link(0, GENESIS, ENTRIES)]


def test_a_changed_entry_is_named() -> None:
    rows = link(0, GENESIS, ENTRIES)
    rows[6] = replace(rows[6], entry={**rows[6].entry, "recipient": "FIRE_RTOG"})
    result = verify_chain(rows)
    assert not result.ok and result.broken_at == 7 and "was changed" in result.reason
    assert result.checked == 6


def test_a_removed_entry_in_the_middle_is_named() -> None:
    rows = link(0, GENESIS, ENTRIES)
    del rows[3]
    result = verify_chain(rows)
    assert result.broken_at == 4 and "missing" in result.reason


def test_rehashing_after_a_change_is_caught_by_the_checkpoints() -> None:
    key = Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    honest = link(0, GENESIS, ENTRIES)
    checkpoint = sign_checkpoint(Checkpoint("main", 8, honest[7].hash, "2026-04-14T09:00:00+00:00", "C-1"), key)
    assert checkpoint_signed_by(checkpoint, public)
    forged = link(0, GENESIS, [*ENTRIES[:2], {**ENTRIES[2], "basis": "none"}, *ENTRIES[3:]])
    assert verify_chain(forged).ok  # a consistent rewrite: the chain alone cannot tell
    problems = check_against_checkpoints({8: forged[7].hash}, 10, [checkpoint])
    assert problems == ["entry 8 differs from the signed checkpoint of 2026-04-14T09:00:00+00:00: "
                        "the chain was rewritten"]


def test_a_deleted_tail_is_caught_by_the_checkpoints() -> None:
    key = Ed25519PrivateKey.generate()
    rows = link(0, GENESIS, ENTRIES)
    checkpoint = sign_checkpoint(Checkpoint("main", 10, rows[9].hash, "2026-04-14T09:00:00+00:00", "C-1"), key)
    assert verify_chain(rows[:7]).ok  # the remaining prefix is consistent
    problems = check_against_checkpoints({}, 7, [checkpoint])
    assert problems and "entries 8..10 were deleted" in problems[0]


def test_a_forged_checkpoint_signature_fails() -> None:
    key, other = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    public = other.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    checkpoint = sign_checkpoint(Checkpoint("main", 1, b"x" * 32, "2026-04-14T09:00:00+00:00", "C-1"), key)
    assert not checkpoint_signed_by(checkpoint, public)
