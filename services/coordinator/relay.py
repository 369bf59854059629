"""Relays queued record changes (the `record_changes` table) to `los.records.changes`.

The changes are written in the same transaction as the records (a transactional outbox),
so a change is never announced for a record that was not stored, nor lost if the process
dies: the relay sends what is unpublished, in order, and marks it afterwards.

Each change goes out with the operation's record as stored when it is sent, which is the
record of that change or a later one: consumers want the latest state of an operation,
and reading it here keeps the large record out of the change queue."""

from __future__ import annotations

import asyncio
import logging

import asyncpg
import orjson
from faststream.kafka import KafkaBroker

from schemas.topics import RECORD_CHANGES
from services.common.periodic import every

log = logging.getLogger(__name__)


async def relay_once(pool: asyncpg.Pool, broker: KafkaBroker, *, limit: int = 500) -> int:
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT c.seq, c.operation_id, c.change::text, o.record::text FROM record_changes c"
            " JOIN operations o USING (operation_id) WHERE c.published_at IS NULL ORDER BY c.seq LIMIT $1", limit)
        sending = []
        for row in rows:  # sent together, acknowledged before any is marked
            change = orjson.loads(row["change"])
            change["seq"] = row["seq"]
            change["record"] = orjson.Fragment(row["record"])  # the stored JSON as it is
            sending.append(await broker.publish(orjson.dumps(change), topic=RECORD_CHANGES,
                                                key=row["operation_id"].encode(), no_confirm=True,
                                                headers={"content-type": "application/json"}))
        await asyncio.gather(*sending)
        if rows:
            await conn.execute("UPDATE record_changes SET published_at = now() WHERE seq = ANY($1::bigint[])",
                               [r["seq"] for r in rows])
    return len(rows)


async def relay_forever(pool: asyncpg.Pool, broker: KafkaBroker, stop: asyncio.Event,
                        interval: float = 0.1) -> None:
    async def drain() -> None:  # Kafka or Postgres away: the changes wait in the table
        while await relay_once(pool, broker):
            pass

    await every(interval, stop, drain, what="relaying record changes")
