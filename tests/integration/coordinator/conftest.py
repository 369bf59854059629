"""A coordinator's service layer on the real database, fed records directly (no Kafka)."""

from __future__ import annotations

from pathlib import Path

import asyncpg
import pytest

from deploy.schema import migrate_all
from schemas.topics import events_topic
from services.common.keys import load_registry
from services.coordinator.ports import IncomingRecord, SystemClock
from services.coordinator.service import Settings, check_records, store_batch
from tests.conftest import Database
from tests.support import signed_bytes

SETTINGS = Settings(group_id="g", noisy_cap=5)


class Coordinator:

    def __init__(self, db: Database, keys: Path) -> None:
        self.db, self.keys, self.offset = db, keys, 0

    async def feed(self, *events: object) -> None:
        records = []
        for event in events:
            raw = signed_bytes(event, self.keys)  # type: ignore[arg-type]
            records.append(IncomingRecord(events_topic(event.losagency), 0, self.offset, b"k", raw))  # type: ignore[attr-defined]
            self.offset += 1
        await store_as_coordinator(self.db.app_url, self.keys, records)


async def store_as_coordinator(db_url: str, keys: Path, records: list[IncomingRecord]) -> None:
    """What the coordinator does with records it consumes: intake checks, then its store."""
    checked, rejected = check_records(records, load_registry(keys), SETTINGS)
    assert not rejected, rejected
    conn = await asyncpg.connect(db_url)
    try:
        async with conn.transaction():
            await store_batch(conn, records, checked, rejected, SETTINGS, SystemClock())
    finally:
        await conn.close()


@pytest.fixture
async def coordinator(database: Database, tmp_path: Path) -> Coordinator:
    await migrate_all(database.owner_url)  # the operator's runner: the audit log too, which the intake writes
    return Coordinator(database, tmp_path / "keys")


