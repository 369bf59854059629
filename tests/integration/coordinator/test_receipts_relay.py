"""The receipts outbox on the real database: a receipt per record stored with the batch, once
however often the batch is stored, and a relay that publishes each participant's receipts on
its own topic, leaving those of a participant whose topic refuses in the table, for later,
while the others' go out."""

from __future__ import annotations

import asyncio
import datetime
import uuid
from pathlib import Path
from typing import Any

import asyncpg

from schemas.events import InspectionConductedV1, new_event
from schemas.inspection import InspectionConducted
from schemas.receipts import Receipt
from schemas.subjects import Premises
from schemas.topics import events_topic, receipts_topic
from services.coordinator.ports import IncomingRecord
from services.coordinator.receipts import ReceiptRelay
from tests.conftest import Database
from tests.integration.coordinator.conftest import Coordinator, store_as_coordinator
from tests.support import signed_bytes

T = datetime.datetime(2026, 3, 12, 9, 30, tzinfo=datetime.UTC)


def inspection(agency: str) -> InspectionConductedV1:
    data = InspectionConducted(inspection_ref=f"R-{uuid.uuid4().hex[:8]}", conducted_at=T, municipality="Umeå",
                               premises=Premises(address="Kvittogatan 9, 901 00 Umeå"))
    return new_event(InspectionConductedV1, data, agency=agency, event_id=uuid.uuid4(), time=T)  # type: ignore[return-value]


class Broker:
    """Takes every batch, except on the topics it is told to refuse."""

    def __init__(self, refusing: set[str]) -> None:
        self.refusing, self.sent = refusing, []  # type: ignore[var-annotated]

    async def publish_batch(self, *values: bytes, topic: str, **_: Any) -> asyncio.Future[None]:
        if topic in self.refusing:
            raise OSError(f"{topic} refuses")
        self.sent += [(topic, Receipt.model_validate_json(v)) for v in values]
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done


async def test_a_refusing_topic_holds_back_only_its_own_participants_receipts(
        coordinator: Coordinator, database: Database, tmp_path: Path) -> None:
    tax, police = inspection("TAX"), inspection("POLICE")
    records = [IncomingRecord(events_topic(e.losagency), 0, n, b"k", signed_bytes(e, coordinator.keys))
               for n, e in enumerate([tax, police])]
    await store_as_coordinator(database.app_url, coordinator.keys, records)
    await store_as_coordinator(database.app_url, coordinator.keys, records)  # the same batch again
    pool = await asyncpg.create_pool(database.app_url, min_size=1, max_size=2)
    try:
        rows = await pool.fetch("SELECT participant, status, event_id::text FROM receipts ORDER BY seq")
        assert [tuple(r) for r in rows] == [("TAX", "parked", str(tax.id)), ("POLICE", "parked", str(police.id))]

        broker = Broker({receipts_topic("TAX")})
        relay = ReceiptRelay(pool, broker, hold_off=3600)
        assert await relay.once() == 1
        assert [(topic, r.event_id) for topic, r in broker.sent] == [(receipts_topic("POLICE"), police.id)]
        assert await relay.once() == 0, "TAX's receipts wait out the hold-off"
        assert await pool.fetchval("SELECT count(*) FROM receipts WHERE published_at IS NULL") == 1

        broker.refusing.clear()
        assert await ReceiptRelay(pool, broker).once() == 1  # another round, another process: it goes out
        assert [(topic, r.event_id, r.status) for topic, r in broker.sent[1:]] == [
            (receipts_topic("TAX"), tax.id, "parked")]
        assert not await pool.fetchval("SELECT count(*) FROM receipts WHERE published_at IS NULL")
    finally:
        await pool.close()
