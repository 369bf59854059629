"""Consumer lag as a Prometheus gauge: what Kafka holds beyond the positions kept in Postgres.

A service whose positions live in Postgres (services.common.offsets) reports, every few
seconds and for the partitions assigned to this process, `los_consumer_lag{service, topic,
partition}` = the partition's end offset minus the stored next offset (or minus the log
start when nothing is stored yet). Summed over a consumer group's processes it is the
group's backlog. It asks the subscriber's own consumer for end offsets: no extra client.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import asyncpg
from aiokafka import TopicPartition
from prometheus_client import Gauge

from services.common.offsets import stored_offsets
from services.common.periodic import every

CONSUMER_LAG = Gauge("los_consumer_lag", "Records in Kafka not yet processed: end offset minus the position "
                     "stored in Postgres, per partition assigned to this process", ["service", "topic", "partition"])
INTERVAL = 5.0
log = logging.getLogger(__name__)


async def measure_lag(consumer: Any, pool: asyncpg.Pool, group_id: str) -> dict[tuple[str, int], int]:
    """Lag of each partition `consumer` has assigned now (empty before the first assignment)."""
    assigned = sorted(consumer.assignment(), key=lambda tp: (tp.topic, tp.partition))
    if not assigned:
        return {}
    ends: dict[TopicPartition, int] = await consumer.end_offsets(assigned)
    async with pool.acquire() as conn:
        stored = await stored_offsets(conn, group_id)
    unseen = [tp for tp in assigned if (tp.topic, tp.partition) not in stored]
    starts: dict[TopicPartition, int] = await consumer.beginning_offsets(unseen) if unseen else {}
    return {(tp.topic, tp.partition): max(0, ends[tp] - stored.get((tp.topic, tp.partition), starts.get(tp, 0)))
            for tp in assigned if tp in ends}


class LagReporter:
    """Sets the gauge from `measure_lag`; forgets partitions no longer assigned here."""

    def __init__(self, service: str, group_id: str, consumer_ref: Callable[[], Any],
                 pool_ref: Callable[[], asyncpg.Pool]) -> None:
        self.service, self.group_id = service, group_id
        self.consumer_ref, self.pool_ref = consumer_ref, pool_ref
        self.reported: set[tuple[str, int]] = set()

    async def report_once(self) -> None:
        consumer = self.consumer_ref()
        lag = await measure_lag(consumer, self.pool_ref(), self.group_id) if consumer is not None else {}
        for topic, partition in self.reported - set(lag):
            CONSUMER_LAG.remove(self.service, topic, str(partition))
        for (topic, partition), value in lag.items():
            CONSUMER_LAG.labels(self.service, topic, str(partition)).set(value)
        self.reported = set(lag)


def report_lag(service: str, group_id: str, subscriber: Any, pool_ref: Callable[[], asyncpg.Pool],
               stop: asyncio.Event, *, metrics_port: int | None,
               interval: float = INTERVAL) -> list[asyncio.Task[None]]:
    """Start reporting the lag of `subscriber`'s consumer when metrics are served (else nothing)."""
    if metrics_port is None:
        return []
    reporter = LagReporter(service, group_id, lambda: subscriber.consumer, pool_ref)
    return [asyncio.create_task(every(interval, stop, reporter.report_once, what="measuring consumer lag"))]
