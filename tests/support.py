"""Helpers for tests that drive real processes, Kafka and PostgreSQL."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import time
from collections.abc import Callable, Iterable
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from deploy.local import harness
from deploy.local.harness import (  # noqa: F401 - re-exported for the tests
    KEYS_CREATED,
    all_event_topics,
    end_offsets,
    kafka_login,
    kafka_options,
    produce,
    signed_bytes,
    spawn_service,
)

NOW = KEYS_CREATED


async def start_from_now(owner_url: str, db_url: str, group_id: str, bootstrap: str, topics: list[str]) -> None:
    """Store the current end offsets as `group_id`'s positions, as the coordinator at `db_url`."""
    await harness.start_from_now(harness.Database("", owner_url, {"coordinator": db_url}), group_id, bootstrap,
                                 topics)


async def read_from(bootstrap: str, start: dict[tuple[str, int], int], *, expect: int,
                    timeout: float = 60.0) -> list[Any]:
    """Read records from the given positions until `expect` records (or the timeout)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, **kafka_options(bootstrap))
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


async def wait_for(check: Callable[[], Any], *, timeout: float = 60.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = await check()
        if last:
            return last
        await asyncio.sleep(0.3)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}; last value: {last!r}")


def stop_processes(procs: Iterable[subprocess.Popen[bytes]], timeout: float = 30.0) -> None:
    """SIGTERM every service process, then wait for each: they shut down side by side."""
    procs = list(procs)
    for proc in procs:
        proc.send_signal(signal.SIGTERM)
    for proc in procs:
        proc.wait(timeout=timeout)
