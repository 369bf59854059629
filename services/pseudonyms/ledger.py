"""Every batch the service evaluates, in the audit log; and the daily limit it is held to.

A batch is recorded (participant, key, count, time) and the limit checked in one
transaction, under a lock per participant, before anything is evaluated: the answer is sent
only for a batch that is on record, and two concurrent requests cannot both slip under the
limit. Requests refused for the limit are recorded too, at most once a minute per
participant, so a flood is visible without flooding the log.
"""

from __future__ import annotations

import datetime
import hashlib
from typing import Any, Protocol

import asyncpg

from services.audit.store import append

EVALUATION = "pseudonym_evaluation"
REFUSAL = "pseudonym_refusal"
WINDOW = datetime.timedelta(hours=24)
REFUSALS_EVERY = datetime.timedelta(minutes=1)


class RateLimited(Exception):
    """The participant had `used` evaluations in the last 24 hours; `count` more would pass `limit`."""

    def __init__(self, used: int, count: int, limit: int) -> None:
        super().__init__(f"{used} evaluations in the last 24 hours; {count} more would pass the limit of {limit}")
        self.used, self.count, self.limit = used, count, limit


class Ledger(Protocol):
    async def record(self, agency: str, key_id: str, count: int, at: datetime.datetime) -> None:
        """Record a batch about to be served; raise `RateLimited` (recording nothing) past the limit."""
        ...

    async def refused(self, agency: str, key_id: str, reason: str, count: int, at: datetime.datetime) -> None:
        """Record a refused batch of an identified participant (rate-limited in itself)."""
        ...


def _entry(kind: str, agency: str, key_id: str, count: int, at: datetime.datetime, **extra: Any) -> dict[str, Any]:
    return {"kind": kind, "at": at.isoformat(), "channel": "pseudonyms", "count": count,
            "actor": {"agency": agency, "role": "adapter", "user": key_id}, **extra}


def _lock(agency: str) -> int:
    return int.from_bytes(hashlib.sha256(f"pseudonyms:{agency}".encode()).digest()[:8], "big", signed=True)


class AuditLedger:
    """The ledger in the audit log of PostgreSQL (`open` it in the server's event loop)."""

    def __init__(self, daily_limit: int, pool: asyncpg.Pool | None = None) -> None:
        self._pool, self.limit = pool, daily_limit
        self._last_refusal: dict[str, datetime.datetime] = {}

    async def open(self, database_url: str) -> None:
        self._pool = await asyncpg.create_pool(database_url, min_size=1, max_size=4)

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()

    @property
    def pool(self) -> asyncpg.Pool:
        assert self._pool is not None, "the ledger is not open"
        return self._pool

    async def record(self, agency: str, key_id: str, count: int, at: datetime.datetime) -> None:
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", _lock(agency))
            used = await conn.fetchval(
                "SELECT coalesce(sum((entry ->> 'count')::bigint), 0) FROM audit_log"
                " WHERE kind = $1 AND at > $2 AND entry -> 'actor' ->> 'agency' = $3",
                EVALUATION, at - WINDOW, agency)
            if used + count > self.limit:
                raise RateLimited(used, count, self.limit)
            await append(conn, [_entry(EVALUATION, agency, key_id, count, at)])

    async def refused(self, agency: str, key_id: str, reason: str, count: int, at: datetime.datetime) -> None:
        last = self._last_refusal.get(agency)
        if last is not None and at - last < REFUSALS_EVERY:
            return
        self._last_refusal[agency] = at
        async with self.pool.acquire() as conn, conn.transaction():
            await append(conn, [_entry(REFUSAL, agency, key_id, count, at, reason=reason)])
