"""The audit log in Postgres: append in the caller's transaction, read in order.

Appends to one chain are serialised by a transaction-scoped advisory lock, so concurrent
writers (feeds, console) each extend the head they see and never fork the chain. Because
the append shares the caller's transaction, an audit entry exists exactly when the
disclosure it records was committed.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

import asyncpg

from schemas.canonical import canonical_json
from services.audit.chain import GENESIS, ChainRow, link
from services.audit.metrics import count_written

MAIN = "main"


def _lock_id(chain: str) -> int:
    return int.from_bytes(hashlib.sha256(f"audit:{chain}".encode()).digest()[:8], "big", signed=True)


async def append(conn: asyncpg.Connection, entries: Sequence[Mapping[str, Any]], *, chain: str = MAIN) -> list[int]:
    """Append entries (each with `kind` and `at`) to the chain; the caller owns the transaction."""
    if not entries:
        return []
    await conn.execute("SELECT pg_advisory_xact_lock($1)", _lock_id(chain))
    head = await conn.fetchrow("SELECT seq, hash FROM audit_log WHERE chain = $1 ORDER BY seq DESC LIMIT 1",
                               chain)
    rows = link(head["seq"] if head else 0, bytes(head["hash"]) if head else GENESIS, entries)
    await conn.execute(
        "INSERT INTO audit_log (chain, seq, at, kind, entry, prev_hash, hash)"
        " SELECT $1, * FROM unnest($2::bigint[], $3::timestamptz[], $4::text[], $5::jsonb[], $6::bytea[], $7::bytea[])",
        chain, [r.seq for r in rows], [datetime.datetime.fromisoformat(str(r.entry["at"])) for r in rows],
        [str(r.entry["kind"]) for r in rows], [canonical_json(dict(r.entry)).decode() for r in rows],
        [r.prev_hash for r in rows], [r.hash for r in rows])
    count_written(entries)  # los_audit_entries_written_total
    return [r.seq for r in rows]


async def read_chain(conn: asyncpg.Connection, *, chain: str = MAIN, after: int = 0,
                     batch: int = 5000) -> AsyncIterator[list[ChainRow]]:
    """The chain in order, in batches (a million entries never sit in memory at once)."""
    while True:
        rows = await conn.fetch(
            "SELECT seq, entry::text, prev_hash, hash FROM audit_log WHERE chain = $1 AND seq > $2"
            " ORDER BY seq LIMIT $3", chain, after, batch)
        if not rows:
            return
        yield [ChainRow(r["seq"], json.loads(r["entry"]), bytes(r["prev_hash"]), bytes(r["hash"])) for r in rows]
        after = rows[-1]["seq"]


async def head(conn: asyncpg.Connection, *, chain: str = MAIN) -> tuple[int, bytes]:
    row = await conn.fetchrow("SELECT seq, hash FROM audit_log WHERE chain = $1 ORDER BY seq DESC LIMIT 1", chain)
    return (row["seq"], bytes(row["hash"])) if row else (0, GENESIS)


async def hashes_at(conn: asyncpg.Connection, seqs: list[int], *, chain: str = MAIN) -> dict[int, bytes]:
    rows = await conn.fetch("SELECT seq, hash FROM audit_log WHERE chain = $1 AND seq = ANY($2::bigint[])",
                            chain, seqs)
    return {r["seq"]: bytes(r["hash"]) for r in rows}
