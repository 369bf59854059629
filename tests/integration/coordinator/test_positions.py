"""After every assignment the coordinator reads from the positions stored in PostgreSQL,
never from Kafka's committed offsets, not even for the first batch: aiokafka hands out an
assignment and starts fetching before the rebalance listener has asked the database."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import pytest
from faststream.kafka import KafkaBroker

from schemas.signing import KeyRegistry
from schemas.topics import events_topic
from services.common.kafka_security import KafkaLogin, broker_security
from services.coordinator.consumer import register
from services.coordinator.ports import IncomingRecord, SystemClock
from services.coordinator.service import Settings
from tests.conftest import Database, Infra
from tests.support import end_offsets, kafka_login, produce, start_from_now, wait_for

pytestmark = pytest.mark.integration


class SlowPool:
    """The real pool, but the first acquire takes a second: the time a busy database or a
    cold connection takes, during which a fetch from Kafka's committed offsets would land."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool, self.slow = pool, True

    @asynccontextmanager
    async def acquire(self) -> AsyncIterator[asyncpg.Connection]:
        if self.slow:
            self.slow = False
            await asyncio.sleep(1.0)  # the slow database under test, not a wait for something
        async with self.pool.acquire() as conn:
            yield conn


async def test_the_first_batch_after_assignment_starts_at_the_stored_position(
        infra: Infra, database: Database, unique: str) -> None:
    topic, group = events_topic("TAX"), f"los-coordinator-{unique}"
    await produce(infra.bootstrap_servers, [(topic, f"k{i}".encode(), b"earlier") for i in range(24)])
    await start_from_now(database.owner_url, database.app_url, group, infra.bootstrap_servers, [topic])
    stored = await end_offsets(infra.bootstrap_servers, [topic])  # Kafka has no commit for this group
    await produce(infra.bootstrap_servers, [(topic, f"k{i}".encode(), b"later") for i in range(24)])
    expected = {tp: end - stored[tp] for tp, end in (await end_offsets(infra.bootstrap_servers, [topic])).items()}

    pool = await asyncpg.create_pool(database.app_url, min_size=1, max_size=2)
    slow = SlowPool(pool)
    login: KafkaLogin | None = kafka_login(infra.bootstrap_servers)
    broker = KafkaBroker(infra.bootstrap_servers, security=broker_security(login))
    intake = register(broker, topics=[topic], settings=Settings(group_id=group), batch_size=100,
                      pool_ref=lambda: slow, registry_ref=KeyRegistry, clock=SystemClock(), stop=asyncio.Event())
    seen: dict[tuple[str, int], list[int]] = defaultdict(list)
    check = intake.checker.check

    async def recording(records: list[IncomingRecord], registry: KeyRegistry) -> Any:
        for record in records:  # every record the pipeline is handed, before anything else
            seen[(record.topic, record.partition)].append(record.offset)
        return await check(records, registry)

    intake.checker.check = recording  # type: ignore[method-assign]
    await broker.start()
    try:
        async def read_all() -> bool:
            return all(len(seen[tp]) >= n for tp, n in expected.items())

        await wait_for(read_all, timeout=60, what="the later records")
        await intake.drain()
    finally:
        await broker.stop()
        await pool.close()
    early = {tp: n for tp, offsets in seen.items() if (n := sum(1 for o in offsets if o < stored[tp]))}
    assert not early, f"records before the stored position reached the pipeline (count per partition): {early}"
    conn = await asyncpg.connect(database.app_url)
    try:
        assert await conn.fetchval("SELECT count(*) FROM rejections") == sum(expected.values())
    finally:
        await conn.close()
