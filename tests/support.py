"""Helpers for tests that drive real processes, Kafka and PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from deploy.local.stack import REPO
from schemas.agencies import load_agencies
from schemas.envelope import CONTENT_TYPE
from schemas.events import AnyEvent, event_json, to_bytes
from schemas.signing import sign
from schemas.topics import events_topic
from services.common.keys import ensure_agency_key

NOW = datetime.datetime(2026, 3, 10, 12, 0, tzinfo=datetime.UTC)


def signed_bytes(event: AnyEvent, keys_dir: Path) -> bytes:
    key_id, key = ensure_agency_key(keys_dir, event.losagency, now=NOW)
    return to_bytes(sign(event_json(event), key, key_id, NOW))


async def produce(bootstrap: str, messages: Iterable[tuple[str, bytes | None, bytes | None]]) -> None:
    """Send (topic, key, value) messages with an idempotent producer and wait for every ack."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True)
    await producer.start()
    try:
        futures = [await producer.send(t, v, key=k, headers=[("content-type", CONTENT_TYPE.encode())])
                   for t, k, v in messages]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def end_offsets(bootstrap: str, topics: list[str]) -> dict[tuple[str, int], int]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await consumer.start()
    try:
        tps = [TopicPartition(t, p) for t in topics for p in (consumer.partitions_for_topic(t) or
                                                                await _partitions(consumer, t))]
        ends = await consumer.end_offsets(tps)
        return {(tp.topic, tp.partition): off for tp, off in ends.items()}
    finally:
        await consumer.stop()


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> set[int]:
    await consumer._client.force_metadata_update()
    return consumer.partitions_for_topic(topic) or set()


async def read_from(bootstrap: str, start: dict[tuple[str, int], int], *, expect: int,
                    timeout: float = 60.0) -> list[Any]:
    """Read records from the given positions until `expect` records (or the timeout)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    records: list[Any] = []
    try:
        tps = [TopicPartition(t, p) for t, p in start]
        consumer.assign(tps)
        for tp in tps:
            consumer.seek(tp, start[(tp.topic, tp.partition)])
        deadline = time.monotonic() + timeout
        while len(records) < expect and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            for rs in batch.values():
                records.extend(rs)
        # a little longer, to catch anything beyond what was expected
        batch = await consumer.getmany(timeout_ms=1000)
        for rs in batch.values():
            records.extend(rs)
    finally:
        await consumer.stop()
    return records


def all_event_topics() -> list[str]:
    return [events_topic(code) for code in load_agencies()]


async def start_from_now(owner_url: str, db_url: str, group_id: str, bootstrap: str,
                         topics: list[str]) -> None:
    """Store the current end offsets as the group's positions: the coordinator under test
    then sees only what the test publishes, not earlier tests' events."""
    from services.common.migrate import migrate
    from services.coordinator.bootstrap import MIGRATIONS

    await migrate(owner_url, MIGRATIONS, component="coordinator")
    ends = await end_offsets(bootstrap, topics)
    conn = await asyncpg.connect(db_url)
    try:
        await conn.executemany("INSERT INTO consumer_offsets (group_id, topic, partition, next_offset)"
                               " VALUES ($1, $2, $3, $4)", [(group_id, t, p, o) for (t, p), o in ends.items()])
    finally:
        await conn.close()


def spawn_service(module: str, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    log.parent.mkdir(parents=True, exist_ok=True)
    handle = log.open("ab")
    return subprocess.Popen([sys.executable, "-m", module], cwd=REPO, env={**os.environ, **env},
                            stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)


async def wait_for(check: Callable[[], Any], *, timeout: float = 60.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = await check()
        if last:
            return last
        await asyncio.sleep(0.3)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}; last value: {last!r}")
