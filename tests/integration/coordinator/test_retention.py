"""Erasure (gallring): after the retention period no person is left in the records, and the
audit chain still verifies because it never held the values."""

from __future__ import annotations

import datetime
import json
import uuid
from pathlib import Path

import asyncpg
import pytest

from schemas.categories import Category
from schemas.events import InspectionConductedV1, new_event
from schemas.inspection import Finding, InspectionConducted
from schemas.subjects import Business, Person, PersonRole
from services.audit import review
from services.audit.server import MIGRATIONS as AUDIT_MIGRATIONS
from services.audit.store import append
from services.common.keys import load_registry
from services.common.migrate import migrate
from services.coordinator.ports import SystemClock
from services.coordinator.retention import erase_personal_data
from tests.integration.coordinator.test_correlation import DAY, MALL, Coordinator, plan_for

pytestmark = pytest.mark.integration
WORKER = "psn:k1:" + "b" * 64
OWNER = "psn:k1:" + "c" * 64


async def test_personal_data_is_erased_after_the_retention_period(coordinator: Coordinator, tmp_path: Path) -> None:
    await migrate(coordinator.db.owner_url, AUDIT_MIGRATIONS, component="audit")
    data = InspectionConducted(
        inspection_ref="AV-77", operation_id="LKPG-MALL-3", conducted_at=DAY, municipality="Linköping",
        premises=MALL, business=Business(sole_trader=OWNER, name="Nagelstudio"),
        persons_present=[Person(pseudonym=WORKER, role=PersonRole.UNRECORDED_WORKER)],
        findings=[Finding(code="ARBETSTID", category=Category.WORK_ENVIRONMENT, summary="Ingen vila",
                          persons=[WORKER])])
    event = new_event(InspectionConductedV1, data, agency="WORK_ENV", event_id=uuid.uuid4(), time=DAY)
    await coordinator.feed(plan_for("LKPG-MALL-3", MALL), event)
    conn = await asyncpg.connect(coordinator.db.app_url)
    try:
        async with conn.transaction():
            await append(conn, [{"kind": "disclosure", "at": DAY.isoformat(), "owner": "WORK_ENV",
                                 "recipient": "TAX", "digest": "0" * 64, "subjects": []}])
        before = await conn.fetchval("SELECT record::text FROM operations WHERE operation_id = 'LKPG-MALL-3'")
        assert WORKER in before and OWNER in before

        async with conn.transaction():
            erased, operations = await erase_personal_data(
                conn, DAY + datetime.timedelta(days=1), SystemClock())

        assert (erased, operations) == (1, {"LKPG-MALL-3"})
        stored = " ".join(str(v) for v in await conn.fetchrow(
            "SELECT event::text, fact::text, persons, business FROM events WHERE event_id = $1", event.id))
        record = await conn.fetchval("SELECT record::text FROM operations WHERE operation_id = 'LKPG-MALL-3'")
        dossiers = await conn.fetch("SELECT subject FROM subject_operations WHERE operation_id = 'LKPG-MALL-3'")
        for text in (stored, record, json.dumps([r["subject"] for r in dossiers])):
            assert WORKER not in text and OWNER not in text
        assert json.loads(record)["inspections_by_agency"] == {"WORK_ENV": 1}  # the fact itself remains
        report = await review.verify(conn, [], load_registry(tmp_path))
        assert report.ok and report.checked == 2  # the disclosure and the erasure itself
        erasure = await conn.fetchval("SELECT entry::text FROM audit_log WHERE kind = 'erasure'")
        assert json.loads(erasure)["events"] == 1
        async with conn.transaction():
            assert (await erase_personal_data(conn, DAY + datetime.timedelta(days=1), SystemClock()))[0] == 0
    finally:
        await conn.close()
