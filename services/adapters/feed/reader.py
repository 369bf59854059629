"""The feed reader: consume `los.feed.<agency>`, check, de-duplicate, deliver, then commit.

Guarantee: at least once. A record's offset is committed only after its view was delivered
(or judged a duplicate, older, unchanged or quarantined) and its line is in the received log;
a crash in between reads it again, and the delivered-views state makes that harmless (a
redelivered view is a duplicate, unless the crash also came before the state was written,
when the destination gets it twice). An invalid record goes to the quarantine log with its
reason and never stops the reader.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import KafkaError

from services.adapters.feed.checks import Delivered, Invalid, Outcome, check, judge
from services.adapters.feed.sinks import Sink, Stopped
from services.adapters.feed.store import DeliveredViews, JsonLines

log = logging.getLogger(__name__)


class WriteFailed(Exception):
    """What was received could not be written locally (a full or missing disk, say): the reader
    stops, and the record is read again at the next start."""


@dataclass
class Counts:
    received: int = 0
    outcomes: Counter[Outcome] = field(default_factory=Counter)

    def line(self, topic: str) -> str:
        return f"{topic}: {self.received} received, " + ", ".join(
            f"{self.outcomes[o]} {o.value}" for o in Outcome)


class FeedReader:
    """Handles one record at a time; knows nothing of Kafka beyond the record's coordinates."""

    def __init__(self, sink: Sink, views: DeliveredViews, received: JsonLines, quarantine: JsonLines) -> None:
        self.sink, self.views, self.received, self.quarantine = sink, views, received, quarantine
        self.counts = Counts()

    async def handle(self, topic: str, partition: int, offset: int, key: bytes | None, value: bytes | None) -> Outcome:
        """Raises `Stopped` when shutdown comes before a view could be delivered, `WriteFailed`
        when the destination folder, the state or a log cannot be written."""
        try:
            return await self._handle(topic, partition, offset, key, value)
        except (OSError, sqlite3.Error) as error:
            raise WriteFailed(f"{type(error).__name__}: {error}") from error

    async def _handle(self, topic: str, partition: int, offset: int, key: bytes | None,
                      value: bytes | None) -> Outcome:
        where: dict[str, Any] = {"topic": topic, "partition": partition, "offset": offset}
        result = check(value)
        if isinstance(result, Invalid):
            outcome = Outcome.QUARANTINED
            text = (value or b"").decode("utf-8", errors="replace")
            self.quarantine.append({**where, "key": (key or b"").decode("utf-8", errors="replace"),
                                    "reason": result.reason, "value": text})
            log.warning("quarantined %s/%d/%d: %s", topic, partition, offset, result.reason)
            self.received.append({**where, "outcome": outcome.value, "reason": result.reason})
        else:
            message = result.message
            outcome = judge(result, self.views.last(message.operation_id))
            if outcome is Outcome.DELIVERED:
                await self.sink.deliver(result)
                log.info("delivered the view of %s (change %d)", message.operation_id, message.change_seq)
            if outcome in (Outcome.DELIVERED, Outcome.UNCHANGED):
                self.views.remember(message.operation_id, Delivered(message.change_seq, result.digest))
            self.received.append({**where, "outcome": outcome.value, "operation_id": message.operation_id,
                                  "change_seq": message.change_seq, "digest": result.digest,
                                  "policy": message.policy})
        self.counts.received += 1
        self.counts.outcomes[outcome] += 1
        return outcome


class _FromBeginning(ConsumerRebalanceListener):  # type: ignore[misc]
    """Reads every partition from its first retained record once, whatever the group committed."""

    def __init__(self) -> None:
        self.consumer: AIOKafkaConsumer | None = None
        self.rewound: set[TopicPartition] = set()

    async def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        return None

    async def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        fresh = [tp for tp in assigned if tp not in self.rewound]
        if fresh and self.consumer is not None:
            await self.consumer.seek_to_beginning(*fresh)
            self.rewound.update(fresh)


async def consume(consumer: AIOKafkaConsumer, reader: FeedReader, stop: asyncio.Event, *,
                  poll_ms: int = 1000, max_records: int = 100) -> None:
    """Read until `stop`; commit each partition's offset past the records handled."""
    while not stop.is_set():
        batch = await consumer.getmany(timeout_ms=poll_ms, max_records=max_records)
        handled: dict[TopicPartition, int] = {}
        try:
            for tp, records in batch.items():
                for record in records:
                    await reader.handle(record.topic, record.partition, record.offset, record.key, record.value)
                    handled[tp] = record.offset + 1
        except Stopped as stopped:
            log.info("%s; it is read again at the next start", stopped)
        finally:
            if handled:
                try:
                    await consumer.commit(handled)
                except KafkaError as error:  # read again after a rebalance: the state makes that harmless
                    log.warning("committing the feed position failed (%s); those records will be read again", error)


def new_consumer(topic: str, *, group: str, client_id: str, from_beginning: bool,
                 options: dict[str, Any]) -> AIOKafkaConsumer:
    """A consumer of `topic` in `group` that commits only what the reader handled."""
    listener = _FromBeginning() if from_beginning else None
    consumer = AIOKafkaConsumer(group_id=group, client_id=client_id, enable_auto_commit=False,
                                auto_offset_reset="earliest", **options)
    if listener is not None:
        listener.consumer = consumer
        consumer.subscribe([topic], listener=listener)
    else:
        consumer.subscribe([topic])
    return consumer
