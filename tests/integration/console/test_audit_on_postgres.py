"""Granskning on PostgreSQL: the chain the console writes verifies against checkpoints signed
by the coordinator, and a checkpoint beyond the database's last entry (a deleted tail) is
reported to the auditor, in Swedish."""

from __future__ import annotations

import datetime

import asyncpg
import pytest

from services.audit.chain import Checkpoint, sign_checkpoint
from services.audit.checkpoints import SIGNER, make_checkpoint
from services.common.keys import ensure_agency_key
from services.disclosure.policy import Role
from tests.integration.console.conftest import LiveConsole

pytestmark = pytest.mark.integration


async def signed_head(live: LiveConsole) -> Checkpoint:
    key_id, key = ensure_agency_key(live.settings.keys_dir, SIGNER, now=datetime.datetime.now(datetime.UTC))
    conn = await asyncpg.connect(live.db.url("audit"))  # the audit service signs the head
    try:
        async with conn.transaction():
            checkpoint = await make_checkpoint(conn, key, key_id, at=datetime.datetime.now(datetime.UTC))
    finally:
        await conn.close()
    assert checkpoint is not None
    return checkpoint


async def test_the_chain_verifies_against_signed_checkpoints_and_a_lost_tail_shows(live: LiveConsole) -> None:
    async with live.client("FIRE_RTOG") as fire:
        await fire.get(f"/api/operations/{live.planted_operation}?purpose=joint_operation")
    good = await signed_head(live)
    key_id, key = ensure_agency_key(live.settings.keys_dir, SIGNER, now=datetime.datetime.now(datetime.UTC))
    beyond = sign_checkpoint(Checkpoint(good.chain, good.seq + 5, good.hash, good.at, key_id), key)
    published = [good]

    async def from_the_topic() -> list[Checkpoint]:
        return list(published)

    live.app.state.console.read_checkpoints = from_the_topic
    async with live.client("POLICE", Role.AUDITOR) as auditor:
        intact = (await auditor.get("/api/audit/verification")).json()
        published.append(beyond)
        broken = (await auditor.get("/api/audit/verification")).json()
        page = await auditor.get("/granskning/verifiering")
    assert intact["ok"] and intact["checkpoints"] == 1 and intact["checked"] == good.seq
    assert not broken["ok"]
    lost = [p for p in broken["problems"] if "ligger efter databasens sista post" in p]
    assert lost and "har tagits bort" in lost[0]
    assert "Kedjan är inte intakt" in page.text
