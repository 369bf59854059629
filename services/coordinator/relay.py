"""Relays queued record changes (the `record_changes` table) to `los.records.changes`.

The changes are written in the same transaction as the records (a transactional outbox),
so a change is never announced for a record that was not stored, nor lost if the process
dies: the relay sends what is unpublished, in order, and marks it afterwards."""

from __future__ import annotations

import asyncio
import json
import logging

import asyncpg
from faststream.kafka import KafkaBroker

from schemas.topics import RECORD_CHANGES
from services.common.periodic import every
from services.common.telemetry import continued

log = logging.getLogger(__name__)


async def relay_once(pool: asyncpg.Pool, broker: KafkaBroker, *, limit: int = 500) -> int:
    async with pool.acquire() as conn:
        rows = await conn.fetch("SELECT seq, operation_id, change::text, traceparent FROM record_changes"
                                " WHERE published_at IS NULL ORDER BY seq LIMIT $1", limit)
        for row in rows:
            change = json.loads(row["change"])
            change["seq"] = row["seq"]
            with continued(row["traceparent"]):  # the publish span joins the trace of the change's event
                await broker.publish(json.dumps(change).encode(), topic=RECORD_CHANGES,
                                     key=row["operation_id"].encode(),
                                     headers={"content-type": "application/json"})
        if rows:
            await conn.execute("UPDATE record_changes SET published_at = now() WHERE seq = ANY($1::bigint[])",
                               [r["seq"] for r in rows])
    return len(rows)


async def relay_forever(pool: asyncpg.Pool, broker: KafkaBroker, stop: asyncio.Event,
                        interval: float = 0.5) -> None:
    async def drain() -> None:  # Kafka or Postgres away: the changes wait in the table
        while await relay_once(pool, broker):
            pass

    await every(interval, stop, drain, what="relaying record changes")
