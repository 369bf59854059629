"""The coordinator's Kafka side: one FastStream batch subscriber over every agency topic.

Acknowledgement is MANUAL: nothing is committed by FastStream. The position of each
partition lives in Postgres (see service.py); on every assignment the consumer seeks
there, or to the beginning of a partition the database has never seen. A batch is
retried until Postgres takes it (a database restart stalls intake, it never skips).

Rejected records are stored with the batch and sent to the dead-letter topic by a relay
(dead_letters.py), never on this path: Kafka refusing a dead letter cannot stall intake.

Two batches are in flight at most: batch n+1 is checked (in the checker's worker process)
while batch n is being stored, and n+1 is stored only after n, so positions and state are
written in order. At shutdown the batch being stored finishes (or is left unstored, and
then nothing after it is stored) before the pool closes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
from faststream import AckPolicy
from faststream.kafka import KafkaBroker, KafkaMessage

from schemas.signing import KeyRegistry
from services.common.offsets import SeekToStoredOffsets
from services.common.retry import Halted, in_transaction_until_stored
from services.coordinator.checker import Checker
from services.coordinator.fact_cache import FactCache
from services.coordinator.metrics import ACCEPTED, DUPLICATES, REJECTED
from services.coordinator.ports import Clock, IncomingRecord
from services.coordinator.service import BatchOutcome, Settings, store_batch
from services.coordinator.tracing import traced_store

log = logging.getLogger(__name__)


async def _raw(msg: Any) -> None:
    """No decoding: the service parses the bytes itself and rejects what is malformed."""
    return None


class Intake:
    """The batch pipeline of one coordinator process: check, then store in order."""

    def __init__(self, settings: Settings, pool_ref: Callable[[], asyncpg.Pool],
                 registry_ref: Callable[[], KeyRegistry], clock: Clock, stop: asyncio.Event,
                 checker: Checker, subscriber: Any) -> None:
        self.settings, self.pool_ref, self.registry_ref = settings, pool_ref, registry_ref
        self.clock, self.stop, self.checker = clock, stop, checker
        self.subscriber = subscriber  # FastStream's, whose consumer the lag report asks
        self.cache = FactCache()
        self.halted = False
        self._storing: asyncio.Task[None] | None = None

    async def on_batch(self, msg: KafkaMessage) -> None:
        if self.halted:
            return  # a batch was left unstored at shutdown: store nothing after it
        raw = msg.raw_message
        kafka_records = raw if isinstance(raw, tuple | list) else (raw,)
        records = [IncomingRecord(r.topic, r.partition, r.offset, r.key, r.value) for r in kafka_records]
        checked, rejected = await self.checker.check(records, self.registry_ref())
        await self.drain()  # the previous batch is stored before this one is
        if self.halted:
            return
        work = traced_store(  # per-event spans when tracing is on; else the lambda itself
            kafka_records, checked, rejected,
            lambda conn: store_batch(conn, records, checked, rejected, self.settings, self.clock, self.cache))
        self._storing = asyncio.create_task(self._store(msg, work))

    async def _store(self, msg: KafkaMessage,
                     work: Callable[[asyncpg.Connection], Awaitable[BatchOutcome]]) -> None:
        try:
            outcome = await in_transaction_until_stored(
                self.pool_ref, work, self.stop)
        except Halted:
            self.halted = True
            log.warning("shutting down with an unstored batch; it is read again on restart")
            return
        ACCEPTED.inc(outcome.accepted)
        DUPLICATES.inc(outcome.duplicates)
        for r in outcome.rejected:  # the checker's and the ownership rules'
            REJECTED.labels(r.reason).inc()
        try:
            await msg.ack()  # informational: shows lag; positions come from Postgres
        except Exception:
            log.debug("committing Kafka offsets failed; harmless", exc_info=True)

    async def drain(self) -> None:
        """Wait until the batch being stored is stored (or halted)."""
        if self._storing is not None:
            storing, self._storing = self._storing, None
            await storing


def register(broker: KafkaBroker, *, topics: list[str], settings: Settings, batch_size: int,
             pool_ref: Callable[[], asyncpg.Pool], registry_ref: Callable[[], KeyRegistry],
             clock: Clock, stop: asyncio.Event, checker: Checker | None = None) -> Intake:
    listener = SeekToStoredOffsets(pool_ref, settings.group_id)
    subscriber = broker.subscriber(
        *topics, group_id=settings.group_id, batch=True, max_records=batch_size,
        ack_policy=AckPolicy.MANUAL, auto_offset_reset="earliest", listener=listener,
        decoder=_raw, max_partition_fetch_bytes=4 * 1024 * 1024,
        batch_timeout_ms=20,  # FastStream sleeps this long after an empty poll: keep it short
    )
    listener.subscriber = subscriber
    intake = Intake(settings, pool_ref, registry_ref, clock, stop,
                    checker or Checker(settings, workers=0), subscriber)
    subscriber(intake.on_batch)
    return intake
