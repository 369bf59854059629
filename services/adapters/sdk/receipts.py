"""Reading an agency's receipts (`los.receipts.<agency>`), which only its adapter may read.

The reader takes no consumer group: it reads the topic from the start (or from a time) up
to its end as it was when reading began, and keeps nothing, so it can run beside the
adapter at any time. What it finds is matched with the outbox in `ledger.py`.
"""

from __future__ import annotations

import datetime
import time
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from pydantic import ValidationError

from schemas.receipts import Receipt
from schemas.topics import receipts_topic

CLOCK_SKEW = datetime.timedelta(minutes=5)  # the agency's clock and the broker's may differ


class ReceiptsUnavailable(Exception):
    """The receipts topic cannot be read: missing, not readable by this login, or too slow."""


async def read_receipts(bootstrap: str, options: dict[str, Any], agency: str, *,
                        since: datetime.datetime | None = None, timeout: float = 60.0) -> list[Receipt]:
    """Every receipt of `agency` on the topic (written from `since` on, give or take the clocks),
    in the order read. Raises `ReceiptsUnavailable`, or aiokafka's errors when Kafka cannot be
    reached or refuses the login."""
    topic = receipts_topic(agency)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                                request_timeout_ms=15_000, client_id=f"los-adapter-{agency.lower()}-receipts",
                                **options)
    try:
        await consumer.start()
        await consumer._client.force_metadata_update()  # the public API has no refresh
        partitions = consumer.partitions_for_topic(topic)  # among the topics this login may describe
        if not partitions:
            raise ReceiptsUnavailable(f"there is no topic {topic}, or this login may not read it")
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(tps)
        ends = await consumer.end_offsets(tps)
        if since is None:
            await consumer.seek_to_beginning(*tps)
        else:
            at = int((since - CLOCK_SKEW).timestamp() * 1000)
            found = await consumer.offsets_for_times({tp: at for tp in tps})
            for tp in tps:
                offset = found.get(tp)
                consumer.seek(tp, offset.offset if offset is not None else ends[tp])
        receipts: list[Receipt] = []
        deadline = time.monotonic() + timeout
        while await _behind(consumer, ends):
            if time.monotonic() > deadline:
                raise ReceiptsUnavailable(f"reading {topic} took longer than {timeout:.0f}s")
            batch = await consumer.getmany(*tps, timeout_ms=500)
            for records in batch.values():
                receipts += [r for r in (_parse(record.value) for record in records) if r is not None]
        return receipts
    finally:
        await consumer.stop()


async def _behind(consumer: AIOKafkaConsumer, ends: dict[TopicPartition, int]) -> bool:
    for tp, end in ends.items():
        if await consumer.position(tp) < end:
            return True
    return False


def _parse(value: bytes | None) -> Receipt | None:
    """A receipt, or None for anything else (a newer receipt version this adapter does not know)."""
    try:
        return Receipt.model_validate_json(value or b"")
    except ValidationError:
        return None
