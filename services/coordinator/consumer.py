"""The coordinator's Kafka side: one FastStream batch subscriber over every agency topic.

Acknowledgement is MANUAL: nothing is committed by FastStream. The position of each
partition lives in Postgres (see service.py); on every assignment the consumer seeks
there, or to the beginning of a partition the database has never seen. A batch is
retried until Postgres takes it (a database restart stalls intake, it never skips).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import asyncpg
from faststream import AckPolicy
from faststream.kafka import KafkaBroker, KafkaMessage

from schemas.signing import KeyRegistry
from services.common.offsets import SeekToStoredOffsets
from services.common.retry import Halted, in_transaction_until_stored
from services.coordinator.dead_letters import KafkaDeadLetters
from services.coordinator.fact_cache import FactCache
from services.coordinator.metrics import ACCEPTED, DUPLICATES, REJECTED
from services.coordinator.ports import Clock, IncomingRecord
from services.coordinator.service import Settings, check_records, store_batch
from services.coordinator.tracing import traced_store

log = logging.getLogger(__name__)


async def _raw(msg: Any) -> None:
    """No decoding: the service parses the bytes itself and rejects what is malformed."""
    return None


def register(broker: KafkaBroker, *, topics: list[str], settings: Settings, batch_size: int,
             pool_ref: Callable[[], asyncpg.Pool], registry_ref: Callable[[], KeyRegistry],
             clock: Clock, stop: asyncio.Event) -> Any:
    listener = SeekToStoredOffsets(pool_ref, settings.group_id)
    dead_letters = KafkaDeadLetters(broker)
    subscriber = broker.subscriber(
        *topics, group_id=settings.group_id, batch=True, max_records=batch_size,
        ack_policy=AckPolicy.MANUAL, auto_offset_reset="earliest", listener=listener,
        decoder=_raw, max_partition_fetch_bytes=4 * 1024 * 1024,
    )
    listener.subscriber = subscriber

    halted = False
    cache = FactCache()

    @subscriber
    async def on_batch(msg: KafkaMessage) -> None:
        nonlocal halted
        if halted:
            return  # a batch was left unstored at shutdown: store nothing after it
        raw = msg.raw_message
        kafka_records = raw if isinstance(raw, tuple | list) else (raw,)
        records = [IncomingRecord(r.topic, r.partition, r.offset, r.key, r.value) for r in kafka_records]
        checked, rejected = check_records(records, registry_ref(), settings)
        if rejected:
            await dead_letters.send(rejected)  # at least once; the table row is exactly once
        try:
            outcome = await in_transaction_until_stored(
                pool_ref, traced_store(  # per-event spans when tracing is on; else the lambda itself
                    kafka_records, checked, rejected,
                    lambda conn: store_batch(conn, records, checked, rejected, settings, clock, cache)), stop)
        except Halted:
            halted = True
            log.warning("shutting down with an unstored batch; it is read again on restart")
            return
        ACCEPTED.inc(outcome.accepted)
        DUPLICATES.inc(outcome.duplicates)
        for r in rejected:
            REJECTED.labels(r.reason).inc()
        try:
            await msg.ack()  # informational: shows lag; positions come from Postgres
        except Exception:
            log.debug("committing Kafka offsets failed; harmless", exc_info=True)

    return subscriber
