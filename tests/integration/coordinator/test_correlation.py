"""Correlation against the real database: out-of-order plans, parked events, noisy keys."""

from __future__ import annotations

import datetime
import json
import uuid

import asyncpg
import pytest

from schemas.categories import Category
from schemas.events import InspectionConductedV1, OperationPlannedV1, new_event
from schemas.inspection import Finding, InspectionConducted
from schemas.operation import OperationPlan, Target
from schemas.subjects import Business, Premises
from services.coordinator.ports import SystemClock
from services.coordinator.review import flag_parked
from services.coordinator.service import Settings
from tests.conftest import Database
from tests.integration.coordinator.conftest import Coordinator

pytestmark = pytest.mark.integration
DAY = datetime.datetime(2026, 4, 21, 9, 0, tzinfo=datetime.UTC)
MALL = Premises(fastighetsbeteckning="Linköping Köpcentret 1:1", address="Storgatan 1, 582 24 Linköping")
SETTINGS = Settings(group_id="g", noisy_cap=5)


def firm(i: int) -> Business:
    # a valid organisationsnummer 5569NN-NNNC: digits 3-4 >= 20, Luhn check digit
    body = f"5569{i:02d}{i:03d}"
    total = 0
    for pos, ch in enumerate(body):
        d = int(ch) * (2 if pos % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return Business(orgnr=f"{body[:6]}-{body[6:]}{(10 - total % 10) % 10}", name=f"Butik {i}")


def inspection_at(premises: Premises, business: Business) -> InspectionConductedV1:
    data = InspectionConducted(inspection_ref=f"F-{uuid.uuid4().hex[:8]}", conducted_at=DAY, municipality="Linköping",
                               premises=premises, business=business,
                               findings=[Finding(code="BRANDSKYDD", category=Category.MUNICIPAL_DECISION,
                                                 summary="Utrymningsväg blockerad")])
    return new_event(InspectionConductedV1, data, agency="FIRE_RTOG", event_id=uuid.uuid4(), time=DAY)  # type: ignore[return-value]


def plan_for(op: str, premises: Premises) -> OperationPlannedV1:
    data = OperationPlan(operation_id=op, revision=1, title="Köpcentret", municipality="Linköping",
                         planned_date=DAY.date(), lead_agency="POLICE", participants=["POLICE", "FIRE_RTOG"],
                         targets=[Target(premises=premises)])
    return new_event(OperationPlannedV1, data, agency="POLICE", event_id=uuid.uuid4(), time=DAY)  # type: ignore[return-value]


async def operation_of(db: Database, event_id: object) -> str | None:
    conn = await asyncpg.connect(db.app_url)
    try:
        return await conn.fetchval("SELECT operation_id FROM events WHERE event_id = $1", event_id)  # type: ignore[no-any-return]
    finally:
        await conn.close()


async def test_an_inspection_before_its_plan_is_parked_then_joins_the_operation(coordinator: Coordinator) -> None:
    early = inspection_at(MALL, firm(1))
    await coordinator.feed(early)
    assert await operation_of(coordinator.db, early.id) is None  # parked, not an error
    await coordinator.feed(plan_for("LKPG-MALL-1", MALL))
    assert await operation_of(coordinator.db, early.id) == "LKPG-MALL-1"


async def test_a_parked_event_is_flagged_for_review_when_no_plan_comes(coordinator: Coordinator) -> None:
    await coordinator.feed(inspection_at(MALL, firm(2)))
    pool = await asyncpg.create_pool(coordinator.db.app_url, min_size=1, max_size=1)
    try:
        assert await flag_parked(pool, 0, SystemClock()) == 1
        assert await flag_parked(pool, 0, SystemClock()) == 0  # flagged once
        async with pool.acquire() as conn:
            detail = await conn.fetchval("SELECT detail FROM review_items WHERE kind = 'parked_overdue'")
        assert "waits for operation (none inferred)" in detail
    finally:
        await pool.close()


async def test_a_shopping_centre_shared_by_many_businesses_stops_gluing_them_together(
        coordinator: Coordinator) -> None:
    await coordinator.feed(plan_for("LKPG-MALL-2", MALL))
    first = [inspection_at(MALL, firm(i)) for i in range(5)]
    await coordinator.feed(*first)
    assert await operation_of(coordinator.db, first[0].id) == "LKPG-MALL-2"  # under the cap
    await coordinator.feed(inspection_at(MALL, firm(9)))  # the sixth business: over the cap of 5
    assert await operation_of(coordinator.db, first[0].id) is None
    conn = await asyncpg.connect(coordinator.db.app_url)
    try:
        noisy = await conn.fetch("SELECT key, businesses FROM noisy_keys ORDER BY key")
        review = await conn.fetchval("SELECT count(*) FROM review_items WHERE kind = 'noisy_key'")
        record = json.loads(await conn.fetchval(
            "SELECT record::text FROM operations WHERE operation_id = 'LKPG-MALL-2'"))
    finally:
        await conn.close()
    assert [r["key"] for r in noisy] == ["ad:STORGATAN 1|58224|LINKÖPING", "fb:LINKÖPING KÖPCENTRET 1:1"]
    assert review == 2
    assert record["inspections_by_agency"] == {}  # nothing is glued to the operation any more
