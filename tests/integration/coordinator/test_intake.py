"""A coordinator on the real broker and database: good events become an operation record,
bad ones land in the dead-letter topic and the rejections table with their reason, and the
good events around them still flow."""

from __future__ import annotations

import datetime
import json
import os
import signal
import uuid

import asyncpg
import pytest

from schemas.canonical import canonical_json
from schemas.categories import Category
from schemas.decision import AmountKind, DecisionKind, DecisionTaken
from schemas.events import DecisionTakenV1, InspectionConductedV1, OperationPlannedV1, event_json, new_event
from schemas.inspection import Finding, InspectionConducted
from schemas.operation import OperationPlan, Target
from schemas.signing import sign
from schemas.subjects import Business, Premises
from schemas.topics import DEAD_LETTER, RECORD_CHANGES, events_topic
from services.common.keys import ensure_agency_key
from tests.conftest import Database, Infra
from tests.support import (
    NOW,
    all_event_topics,
    end_offsets,
    produce,
    read_from,
    signed_bytes,
    spawn_service,
    start_from_now,
    wait_for,
)

pytestmark = pytest.mark.integration
T = datetime.datetime(2026, 3, 12, 9, 30, tzinfo=datetime.UTC)
WORKSHOP = Premises(fastighetsbeteckning="Norrköping Sandgatan 2:14", address="Sandgatan 14, 602 22 Norrköping")
BUSINESS = Business(orgnr="556036-0793", name="Snabbfix Bilverkstad AB")


def plan(op: str) -> OperationPlannedV1:
    data = OperationPlan(operation_id=op, revision=1, title="Tillslag bilverkstäder", municipality="Norrköping",
                         planned_date=T.date(), lead_agency="POLICE", participants=["POLICE", "TAX"],
                         targets=[Target(premises=WORKSHOP, business=BUSINESS)])
    return new_event(OperationPlannedV1, data, agency="POLICE", event_id=uuid.uuid4(), time=NOW)  # type: ignore[return-value]


def inspection(op: str | None) -> InspectionConductedV1:
    data = InspectionConducted(
        inspection_ref=f"SKV-{uuid.uuid4().hex[:6]}", operation_id=op, conducted_at=T,
        municipality="Norrköping", premises=WORKSHOP, business=BUSINESS,
        findings=[Finding(code="PERSONALLIGGARE_SAKNAS", category=Category.TAX,
                          summary="Personalliggare saknas", count=2)])
    return new_event(InspectionConductedV1, data, agency="TAX", event_id=uuid.uuid4(), time=T)  # type: ignore[return-value]


def fee(op: str) -> DecisionTakenV1:
    data = DecisionTaken(decision_ref=f"SKV-B-{uuid.uuid4().hex[:6]}", operation_id=op, decided_at=T,
                         kind=DecisionKind.KONTROLLAVGIFT, category=Category.TAX,
                         legal_reference="SFL 50 kap. 3 §", summary="Kontrollavgift personalliggare",
                         amount_sek=17_500, amount_kind=AmountKind.IMPOSED, business=BUSINESS)
    return new_event(DecisionTakenV1, data, agency="TAX", event_id=uuid.uuid4(), time=T)  # type: ignore[return-value]


async def test_events_become_a_record_and_bad_input_is_kept_with_its_reason(
        infra: Infra, database: Database, unique: str, tmp_path) -> None:
    keys = tmp_path / "keys"
    group = f"coordinator-{unique}"
    topics = all_event_topics()
    await start_from_now(database.owner_url, database.app_url, group, infra.bootstrap_servers, topics)
    dlq_start = await end_offsets(infra.bootstrap_servers, [DEAD_LETTER])
    changes_start = await end_offsets(infra.bootstrap_servers, [RECORD_CHANGES])
    op = f"NKPG-{unique[:6].upper()}"
    tax, police = events_topic("TAX"), events_topic("POLICE")
    good_inspection, inferred, decision = inspection(op), inspection(None), fee(op)

    key_id, key = ensure_agency_key(keys, "TAX", now=NOW)
    forged = dict(event_json(inspection(op)))
    forged_signed = sign(forged, key, key_id, NOW)
    forged_signed["data"]["findings"] = []  # changed after signing
    wrong_topic = signed_bytes(inspection(op), keys)  # TAX's event on the police topic
    invalid = dict(event_json(inspection(op)))
    invalid["data"]["conducted_at"] = "yesterday"
    unknown = dict(event_json(inspection(op)))
    unknown["type"] = "se.los.inspection.conducted.v9"
    bad = [
        (tax, b"k", b"{not json"),
        (tax, b"k", b"x" * (300 * 1024)),
        (tax, b"k", canonical_json(invalid)),
        (tax, b"k", canonical_json(unknown)),
        (tax, b"k", canonical_json(event_json(inspection(op)))),  # unsigned
        (tax, b"k", canonical_json(forged_signed)),
        (police, b"k", wrong_topic),
    ]
    expected_reasons = ["malformed_json", "oversized", "invalid_schema", "unknown_type", "unsigned",
                        "bad_signature", "wrong_topic"]
    # good events before, between and after the bad ones; the inspection that names no
    # operation and the decision arrive before the plan (out of order)
    messages = [(tax, b"a", signed_bytes(inferred, keys)), (tax, b"a", signed_bytes(decision, keys))]
    messages += [*bad[:4], (tax, b"a", signed_bytes(good_inspection, keys)), *bad[4:]]
    messages += [(police, b"p", signed_bytes(plan(op), keys)), (tax, b"a", signed_bytes(decision, keys))]
    await produce(infra.bootstrap_servers, messages)

    env = {**infra.env, "LOS_DATABASE_URL": database.app_url, "LOS_DATABASE_OWNER_URL": database.owner_url,
           "LOS_KEYS_DIR": str(keys), "LOS_COORDINATOR_GROUP_ID": group}
    proc = spawn_service("services.coordinator", env, tmp_path / "coordinator.log")
    try:
        conn = await asyncpg.connect(database.app_url)

        async def record() -> dict | None:
            raw = await conn.fetchval("SELECT record::text FROM operations WHERE operation_id = $1", op)
            rec = json.loads(raw) if raw else None
            return rec if rec and sum(rec["inspections_by_agency"].values()) == 2 else None

        rec = await wait_for(record, timeout=60, what="the operation record")
        assert rec["inspections_by_agency"] == {"TAX": 2}
        assert rec["decisions_by_kind"] == {"kontrollavgift": 1}  # sent twice, counted once
        assert rec["amounts_sek"] == {"imposed": 17_500, "recovered": 0, "stopped": 0}
        assert rec["premises_visited"] == ["fb:NORRKÖPING SANDGATAN 2:14"]
        assert rec["visits"] == 1

        async def rejections() -> list:
            rows = await conn.fetch("SELECT reason, topic FROM rejections ORDER BY topic, \"offset\"")
            return rows if len(rows) >= len(bad) else []

        rows = await wait_for(rejections, timeout=30, what="the rejections")
        assert sorted(r["reason"] for r in rows) == sorted(expected_reasons)
        await conn.close()
        dead = await read_from(infra.bootstrap_servers, dlq_start, expect=len(bad))
        reasons = sorted(dict(d.headers)["los-reason"].decode() for d in dead)
        assert reasons == sorted(expected_reasons)
        changes = await read_from(infra.bootstrap_servers, changes_start, expect=1)
        mine = [json.loads(c.value) for c in changes if c.key == op.encode()]
        assert mine and mine[-1]["type"] == "operation.record.changed"
        assert mine[-1]["agencies_reporting"] == ["TAX"]
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    assert os.path.exists(tmp_path / "coordinator.log")
