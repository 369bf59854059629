"""Consumer positions kept in Postgres, next to the state they produced.

A service that turns Kafka records into database state stores each partition's next
offset in the same transaction (`store_offsets`) and, on every partition assignment,
seeks to the stored position (`SeekToStoredOffsets`), or to the beginning of a partition
it has never stored. Kafka's committed offsets then serve only to show lag.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

import asyncpg
from aiokafka import ConsumerRebalanceListener, TopicPartition

from services.common.clock import SYSTEM_CLOCK, Clock
from services.common.retry import Backoff, until_done

log = logging.getLogger(__name__)
POSITIONS_BACKOFF = Backoff(initial=0.2, maximum=5.0)

TABLE = """CREATE TABLE IF NOT EXISTS consumer_offsets (
    group_id text NOT NULL, topic text NOT NULL, partition integer NOT NULL, next_offset bigint NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (group_id, topic, partition))"""


async def store_offsets(conn: asyncpg.Connection, group_id: str, positions: Iterable[tuple[str, int, int]]) -> None:
    """Store (topic, partition, offset) of records just processed; never moves backwards."""
    highest: dict[tuple[str, int], int] = defaultdict(lambda: -1)
    for topic, partition, offset in positions:
        highest[(topic, partition)] = max(highest[(topic, partition)], offset)
    await conn.executemany(
        """INSERT INTO consumer_offsets (group_id, topic, partition, next_offset) VALUES ($1, $2, $3, $4)
           ON CONFLICT (group_id, topic, partition) DO UPDATE
           SET next_offset = GREATEST(consumer_offsets.next_offset, EXCLUDED.next_offset), updated_at = now()""",
        [(group_id, t, p, o + 1) for (t, p), o in sorted(highest.items())])


async def stored_offsets(conn: asyncpg.Connection, group_id: str) -> dict[tuple[str, int], int]:
    rows = await conn.fetch("SELECT topic, partition, next_offset FROM consumer_offsets WHERE group_id = $1",
                            group_id)
    return {(r["topic"], r["partition"]): r["next_offset"] for r in rows}


class SeekToStoredOffsets(ConsumerRebalanceListener):  # type: ignore[misc]
    """Rebalance listener for a FastStream subscriber: set `.subscriber` after creating it."""

    def __init__(self, pool_ref: Callable[[], asyncpg.Pool], group_id: str, clock: Clock = SYSTEM_CLOCK) -> None:
        self.pool_ref, self.group_id, self.clock = pool_ref, group_id, clock
        self.subscriber: Any = None

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        return None

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        """aiokafka hands out the new assignment before it calls this, and its fetcher would
        start from Kafka's committed offsets while Postgres is asked: so the partitions are
        paused first (before anything else can run), positioned, then resumed. A paused
        partition is neither fetched nor returned."""
        consumer = self.subscriber.consumer
        consumer.pause(*assigned)
        stored = await self._stored()
        for tp in assigned:
            offset = stored.get((tp.topic, tp.partition))
            if offset is None:
                await consumer.seek_to_beginning(tp)
            else:
                consumer.seek(tp, offset)
        consumer.resume(*(tp for tp in assigned if tp in consumer.assignment()))
        log.info("assigned %d partitions; positions from Postgres", len(assigned))

    async def _stored(self) -> dict[tuple[str, int], int]:
        """The stored positions, however long the database takes: partitions stay paused
        meanwhile, since any other position could skip or repeat records."""

        async def read() -> dict[tuple[str, int], int]:
            async with self.pool_ref().acquire() as conn:
                return await stored_offsets(conn, self.group_id)

        return await until_done(read, what="reading stored positions", backoff=POSITIONS_BACKOFF, clock=self.clock)
