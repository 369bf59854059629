"""PostgreSQL restarts while a campaign streams in: the coordinator stalls, retries the batch
it was storing, and the records still equal the ground truth."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import asyncpg
import pytest

from services.adapters.simulator import generate_campaign
from tests.conftest import Database, Infra
from tests.e2e.test_coordinator_campaign import PSEUDONYM_KEY, check_truth, coordinator_env, messages, settled
from tests.support import all_event_topics, produce, spawn_service, start_from_now, wait_for

pytestmark = [pytest.mark.faults, pytest.mark.integration]


async def stored_some(database: Database) -> int:
    conn = await asyncpg.connect(database.app_url)
    try:
        return int(await conn.fetchval("SELECT count(*) FROM events"))
    finally:
        await conn.close()


async def test_a_database_restart_mid_stream_loses_and_doubles_nothing(
        infra: Infra, database: Database, unique: str, tmp_path: Path) -> None:
    campaign = generate_campaign(31, pseudonym_key=PSEUDONYM_KEY)
    keys, group = tmp_path / "keys", f"coordinator-{unique}"
    await start_from_now(database.owner_url, database.app_url, group, infra.bootstrap_servers, all_event_topics())
    stream = messages(campaign.events, keys)
    env = coordinator_env(infra, database, keys, group, batch=25)
    proc = spawn_service("services.coordinator", env, tmp_path / "coordinator.log")
    try:
        await produce(infra.bootstrap_servers, stream[: len(stream) // 2])
        await wait_for(lambda: stored_some(database), timeout=60, what="the first batches stored")
        await asyncio.to_thread(infra.stack.postgres.restart)
        await produce(infra.bootstrap_servers, stream[len(stream) // 2:])
        await wait_for(lambda: settled(database, len({e.id for e in campaign.events})), timeout=240,
                       what="every event stored after the restart")
        await check_truth(database, campaign.truth)
        assert proc.poll() is None, "the coordinator died instead of waiting for the database"
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    log = (tmp_path / "coordinator.log").read_text()
    assert "retrying" in log, "the restart went unnoticed: the test did not test anything"
