"""SIGKILL the coordinator at random points while a campaign streams in: after every
restart it resumes from the offsets stored with its state, and in the end the records
equal the ground truth — nothing lost, nothing counted twice — and every record has
exactly one receipt, each published."""

from __future__ import annotations

import asyncio
import random
import signal
from pathlib import Path

import asyncpg
import pytest

from services.adapters.simulator import generate_campaign
from tests.conftest import Database, Infra
from tests.e2e.test_coordinator_campaign import PSEUDONYM_KEY, check_truth, coordinator_env, messages, settled
from tests.support import all_event_topics, produce, spawn_service, start_from_now, wait_for

pytestmark = [pytest.mark.faults, pytest.mark.integration]
KILLS = 20


async def receipts_published(database: Database, records: int) -> bool:
    conn = await asyncpg.connect(database.app_url)
    try:
        written, unpublished = await conn.fetchrow(
            "SELECT count(*) FILTER (WHERE status <> 'joined'), count(*) FILTER (WHERE published_at IS NULL)"
            " FROM receipts")
    finally:
        await conn.close()
    assert written <= records, f"{written} receipts for {records} records"
    return written == records and unpublished == 0


async def test_killing_the_coordinator_twenty_times_loses_and_doubles_nothing(
        infra: Infra, database: Database, unique: str, tmp_path: Path) -> None:
    rng = random.Random(2026)
    campaign = generate_campaign(23, pseudonym_key=PSEUDONYM_KEY)
    keys, group = tmp_path / "keys", f"coordinator-{unique}"
    await start_from_now(database.owner_url, database.app_url, group, infra.bootstrap_servers, all_event_topics())
    stream = messages(campaign.events, keys)
    chunks = [stream[i::KILLS] for i in range(KILLS)]
    env = coordinator_env(infra, database, keys, group, batch=25)  # many small transactions to die in
    proc = spawn_service("services.coordinator", env, tmp_path / "coordinator.log")
    try:
        for chunk in chunks:
            await produce(infra.bootstrap_servers, chunk)
            # the kill lands at a random moment (start-up, mid-batch, idle: anywhere); that moment,
            # not a condition, is what this waits for
            await asyncio.sleep(rng.uniform(0.5, 3.0))
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=10)
            proc = spawn_service("services.coordinator", env, tmp_path / "coordinator.log")
        unique_events = len({e.id for e in campaign.events})
        await wait_for(lambda: settled(database, unique_events), timeout=240, what="every event stored")
        await check_truth(database, campaign.truth)
        await wait_for(lambda: receipts_published(database, len(stream)), timeout=60,
                       what="a receipt for every record, each published")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
