"""Relays queued record changes (the `record_changes` table) to `los.records.changes`.

The changes are written in the same transaction as the records (a transactional outbox),
so a change is never announced for a record that was not stored, nor lost if the process
dies: the relay sends what is unpublished, in order, and marks it afterwards. Several
coordinator processes relay side by side; each takes the rows it sends with
`FOR UPDATE SKIP LOCKED`, so no change is sent twice by two of them.

Each change goes out with the operation's record as stored when it is sent: consumers
want the latest state of an operation, and reading it here keeps the large record out of
the queue. The same operation is announced at most once per `min_interval` seconds; the
changes queued meanwhile are carried by the next announcement (`carried_by` names it).
Under a steady stream this bounds the feeds' work by the number of active operations,
not by how often the coordinator commits.
"""

from __future__ import annotations

import asyncio
import logging
import time

import asyncpg
import orjson
from faststream.kafka import KafkaBroker

from schemas.topics import RECORD_CHANGES
from services.common.periodic import every
from services.common.telemetry import continued

log = logging.getLogger(__name__)


class Relay:
    def __init__(self, pool: asyncpg.Pool, broker: KafkaBroker, *, min_interval: float = 5.0,
                 limit: int = 500) -> None:
        self.pool, self.broker, self.min_interval, self.limit = pool, broker, min_interval, limit
        self._announced: dict[str, float] = {}  # operation -> when it was last announced (monotonic)

    def _due(self, operation: str, now: float) -> bool:
        return now - self._announced.get(operation, -self.min_interval) >= self.min_interval

    async def once(self) -> int:
        """Announce the operations that are due; return how many messages were sent."""
        async with self.pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(
                "SELECT seq, operation_id, change::text, traceparent FROM record_changes WHERE published_at IS NULL"
                " ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED", self.limit)
            now = time.monotonic()
            latest = {r["operation_id"]: r for r in rows}  # the last queued change of each operation
            due = sorted((r for op, r in latest.items() if self._due(op, now)), key=lambda r: r["seq"])
            if not due:
                return 0
            records = {r["operation_id"]: r["record"] for r in await conn.fetch(
                "SELECT operation_id, record::text FROM operations WHERE operation_id = ANY($1::text[])",
                [r["operation_id"] for r in due])}
            traced = {r["operation_id"]: r["traceparent"] for r in rows if r["traceparent"]}
            sending = []
            for row in due:  # sent together, acknowledged before any is marked
                change = orjson.loads(row["change"])
                change["seq"] = row["seq"]
                change["record"] = orjson.Fragment(records[row["operation_id"]])  # the stored JSON as it is
                with continued(traced.get(row["operation_id"])):  # the publish joins the trace of the change's event
                    sending.append(await self.broker.publish(
                        orjson.dumps(change), topic=RECORD_CHANGES, key=row["operation_id"].encode(),
                        no_confirm=True, headers={"content-type": "application/json"}))
            await asyncio.gather(*sending)
            carrier = {r["operation_id"]: r["seq"] for r in due}
            carried = [(r["seq"], carrier[r["operation_id"]]) for r in rows if r["operation_id"] in carrier]
            await conn.execute(
                "UPDATE record_changes c SET published_at = now(), carried_by = NULLIF(u.carrier, u.seq)"
                " FROM unnest($1::bigint[], $2::bigint[]) AS u(seq, carrier) WHERE c.seq = u.seq",
                [seq for seq, _ in carried], [by for _, by in carried])
        for operation in carrier:
            self._announced[operation] = now
        if len(self._announced) > 10_000:  # forget operations quiet for longer than the interval
            self._announced = {op: t for op, t in self._announced.items() if now - t < self.min_interval}
        return len(due)


async def relay_forever(relay: Relay, stop: asyncio.Event, interval: float = 0.1) -> None:
    async def drain() -> None:  # Kafka or Postgres away: the changes wait in the table
        while await relay.once():
            pass

    await every(interval, stop, drain, what="relaying record changes")
