"""The ownership rules against the real database, where what is stored decides: a foreign
retraction that arrives before the event it names is kept but never counts, and a person is
told when that event arrives; an id re-used for another event is refused, a true repeat is
a duplicate."""

from __future__ import annotations

import uuid

import asyncpg
import pytest

from schemas.categories import Category
from schemas.events import EventRetractedV1, InspectionConductedV1, new_event
from schemas.inspection import Finding
from schemas.notification import EventRetracted
from tests.conftest import Database
from tests.integration.coordinator.conftest import Coordinator
from tests.integration.coordinator.test_correlation import DAY, MALL, firm, inspection_at

pytestmark = pytest.mark.integration


def social_services_inspection(event_id: uuid.UUID) -> InspectionConductedV1:
    data = inspection_at(MALL, firm(3)).data
    data = data.model_copy(update={"findings": [Finding(code="KLIENT", category=Category.SOCIAL_SERVICES,
                                                        summary="Klientuppgift")]})
    return new_event(InspectionConductedV1, data, agency="MUNI_SOCIAL_0581", event_id=event_id,  # type: ignore[return-value]
                     time=DAY)


async def test_a_foreign_retraction_that_came_first_never_counts_and_is_flagged(
        coordinator: Coordinator, database: Database) -> None:
    target = uuid.uuid4()
    retraction = new_event(EventRetractedV1, EventRetracted(retracts=target, reason="Fel"), agency="TAX",
                           event_id=uuid.uuid4(), time=DAY)
    await coordinator.feed(retraction)  # the social services' event is not there yet: accepted for now
    await coordinator.feed(social_services_inspection(target))
    conn = await asyncpg.connect(database.app_url)
    try:
        flagged = await conn.fetch("SELECT kind, key, detail FROM review_items WHERE kind = 'foreign_retraction'")
        assert [(r["key"], r["detail"]) for r in flagged] == [
            (str(retraction.id), f"TAX named event {target}, sent by MUNI_SOCIAL_0581; ignored")]
        assert await conn.fetchval("SELECT count(*) FROM rejections") == 0
    finally:
        await conn.close()
    later = new_event(EventRetractedV1, EventRetracted(retracts=target, reason="Fel"), agency="TAX",
                      event_id=uuid.uuid4(), time=DAY)
    await coordinator.feed(later)  # now the event is known: refused at once
    conn = await asyncpg.connect(database.app_url)
    try:
        assert [r["reason"] for r in await conn.fetch("SELECT reason FROM rejections")] == ["foreign_retraction"]
    finally:
        await conn.close()


async def test_a_repeat_is_a_duplicate_but_another_event_under_a_taken_id_is_refused(
        coordinator: Coordinator, database: Database) -> None:
    original = inspection_at(MALL, firm(4))
    await coordinator.feed(original, original)
    squat = new_event(InspectionConductedV1, inspection_at(MALL, firm(5)).data, agency="FIRE_RTOG",
                      event_id=original.id, time=DAY)  # the same id, another event
    await coordinator.feed(original, squat)
    conn = await asyncpg.connect(database.app_url)
    try:
        assert await conn.fetchval("SELECT count(*) FROM events") == 1
        rows = await conn.fetch("SELECT reason, detail FROM rejections")
        assert [r["reason"] for r in rows] == ["conflicting_id"]
        assert "already taken" in rows[0]["detail"]
    finally:
        await conn.close()
