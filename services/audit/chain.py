"""Hashing and verifying the audit chain: pure functions, one canonical byte form.

Entry n's hash is sha256(hash of entry n-1 || canonical_json(entry n)); the first entry
follows GENESIS. Entries hold digests of sensitive values, never the values, so erasing
personal data elsewhere never breaks the chain. Verification names the first entry
whose hash does not follow, and checks the chain against signed checkpoints, which is
how a deleted tail (or a rewritten chain) is found: the database alone cannot prove it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from schemas.canonical import canonical_json
from schemas.signing import b64, unb64

GENESIS = bytes(32)


def entry_hash(prev_hash: bytes, entry: Mapping[str, Any]) -> bytes:
    return hashlib.sha256(prev_hash + canonical_json(dict(entry))).digest()


@dataclass(frozen=True)
class ChainRow:
    seq: int  # 1, 2, 3 ... without gaps
    entry: Mapping[str, Any]
    prev_hash: bytes
    hash: bytes


def link(head_seq: int, head_hash: bytes, entries: Iterable[Mapping[str, Any]]) -> list[ChainRow]:
    """The rows that append `entries` after the head (seq, hash)."""
    rows, prev, seq = [], head_hash, head_seq
    for entry in entries:
        seq += 1
        digest = entry_hash(prev, entry)
        rows.append(ChainRow(seq, entry, prev, digest))
        prev = digest
    return rows


@dataclass(frozen=True)
class Verification:
    ok: bool
    checked: int
    head_seq: int
    head_hash: bytes
    broken_at: int | None = None
    reason: str = ""


class ChainVerifier:
    """Feed rows in order (any number of calls); `result()` tells the first broken entry."""

    def __init__(self, prev_seq: int = 0, prev_hash: bytes = GENESIS) -> None:
        self.seq, self.hash, self.checked = prev_seq, prev_hash, 0
        self.broken: tuple[int, str] | None = None

    def feed(self, rows: Iterable[ChainRow]) -> None:
        for row in rows:
            if self.broken is not None:
                return
            if row.seq != self.seq + 1:
                self.broken = (self.seq + 1, f"entry {self.seq + 1} is missing (next present is {row.seq})")
            elif row.prev_hash != self.hash:
                self.broken = (row.seq, f"entry {row.seq} does not point at entry {self.seq}'s hash")
            elif entry_hash(self.hash, row.entry) != row.hash:
                self.broken = (row.seq, f"entry {row.seq} was changed: its content does not match its hash")
            else:
                self.seq, self.hash = row.seq, row.hash
                self.checked += 1

    def result(self) -> Verification:
        if self.broken is not None:
            return Verification(False, self.checked, self.seq, self.hash, self.broken[0], self.broken[1])
        return Verification(True, self.checked, self.seq, self.hash)


def verify_chain(rows: Iterable[ChainRow]) -> Verification:
    verifier = ChainVerifier()
    verifier.feed(rows)
    return verifier.result()


@dataclass(frozen=True)
class Checkpoint:
    """A signed chain head, published to Kafka so every agency holds a copy."""

    chain: str
    seq: int
    hash: bytes
    at: str
    key_id: str
    signature: str = ""

    def payload(self) -> dict[str, Any]:
        return {"chain": self.chain, "seq": self.seq, "hash": self.hash.hex(), "at": self.at,
                "key_id": self.key_id}

    def to_json(self) -> dict[str, Any]:
        return {**self.payload(), "signature": self.signature}

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> Checkpoint:
        return cls(str(obj["chain"]), int(obj["seq"]), bytes.fromhex(str(obj["hash"])), str(obj["at"]),
                   str(obj["key_id"]), str(obj.get("signature", "")))


def sign_checkpoint(checkpoint: Checkpoint, key: Ed25519PrivateKey) -> Checkpoint:
    signature = b64(key.sign(canonical_json(checkpoint.payload())))
    return Checkpoint(checkpoint.chain, checkpoint.seq, checkpoint.hash, checkpoint.at, checkpoint.key_id,
                      signature)


def checkpoint_signed_by(checkpoint: Checkpoint, public_key: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(unb64(checkpoint.signature),
                                                              canonical_json(checkpoint.payload()))
    except (InvalidSignature, ValueError):
        return False
    return True


def check_against_checkpoints(hashes: Mapping[int, bytes], head_seq: int,
                              checkpoints: Iterable[Checkpoint]) -> list[str]:
    """Problems found by comparing the database's chain with signed checkpoints.

    `hashes` maps seq -> stored hash for the sequence numbers the checkpoints name."""
    problems = []
    for cp in sorted(checkpoints, key=lambda c: c.seq):
        if cp.seq > head_seq:
            problems.append(f"checkpoint at entry {cp.seq} ({cp.at}) is beyond the database's last entry "
                            f"{head_seq}: entries {head_seq + 1}..{cp.seq} were deleted")
        elif hashes.get(cp.seq) != cp.hash:
            problems.append(f"entry {cp.seq} differs from the signed checkpoint of {cp.at}: "
                            "the chain was rewritten")
    return problems
