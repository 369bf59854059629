"""Flags events parked too long: they name (or sit at) an operation nobody has planned."""

from __future__ import annotations

import asyncio
import datetime
import logging

import asyncpg

from services.common.periodic import every
from services.coordinator.ports import Clock

log = logging.getLogger(__name__)


async def flag_parked(pool: asyncpg.Pool, older_than_seconds: int, clock: Clock) -> int:
    cutoff = clock.now() - datetime.timedelta(seconds=older_than_seconds)
    async with pool.acquire() as conn:
        result = await conn.execute(
            """INSERT INTO review_items (kind, key, detail)
               SELECT 'parked_overdue', e.event_id::text,
                      'event of ' || e.agency || ' waits for operation '
                      || coalesce(e.explicit_operation, '(none inferred)') || ' since ' || e.received_at
               FROM events e
               WHERE e.kind IN ('inspection', 'decision', 'notification') AND e.received_at < $1
                 AND (e.operation_id IS NULL
                      OR NOT EXISTS (SELECT 1 FROM operations o WHERE o.operation_id = e.operation_id))
               ON CONFLICT (kind, key) DO NOTHING""", cutoff)
    return int(result.split()[-1])


async def flag_parked_forever(pool: asyncpg.Pool, older_than_seconds: int, stop: asyncio.Event,
                              clock: Clock, interval: float = 30.0) -> None:
    await every(interval, stop, lambda: flag_parked(pool, older_than_seconds, clock), what="flagging parked events")
