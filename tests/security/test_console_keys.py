"""The console may write every agency's topic, but its keys sign nothing but its own
authority's plans. Keys registered by the administrative code path (`services.keys`), a real
coordinator logged in as its own principal, everything produced as the `console` principal
with the console's key material: a plan for the key's own authority is stored, naming its
planner; an inspection, a decision, a notice and a retraction signed with the console key,
and plans for another authority, are rejected with their reasons and dead-lettered. An
event signed with a revoked adapter key is rejected as `revoked_key` with the revocation's
reason, kept for review, and the good events around it are stored."""

from __future__ import annotations

import datetime
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from deploy.local.harness import kafka_login, service_env
from schemas.canonical import canonical_json
from schemas.categories import Category
from schemas.decision import AmountKind, DecisionKind, DecisionTaken
from schemas.events import (
    AnyEvent,
    DecisionTakenV1,
    EventRetractedV1,
    InspectionConductedV1,
    NotificationSentV1,
    OperationPlannedV1,
    event_json,
    new_event,
)
from schemas.inspection import InspectionConducted
from schemas.notification import EventRetracted, NotificationSent
from schemas.operation import OperationPlan, Target
from schemas.signing import ADAPTER, CONSOLE, console_system, sign
from schemas.topics import DEAD_LETTER, events_topic
from services.audit.server import MIGRATIONS as AUDIT_MIGRATIONS
from services.common.kafka_security import adapter_principal
from services.common.keys import adapter_holder, load_private_key, load_registry
from services.common.migrate import migrate
from services.console.publisher import KafkaPublisher, console_key, console_user, publish_plan
from services.keys.registration import Holder, register, revoke
from tests.conftest import Database, Infra
from tests.integration.coordinator.test_intake import BUSINESS, WORKSHOP
from tests.support import (
    all_event_topics,
    end_offsets,
    produce,
    read_from,
    spawn_service,
    start_from_now,
    stop_processes,
    wait_for,
)

pytestmark = pytest.mark.integration
PLANNER = "karin.testsson@polisen.se"  # the token subject of the planning coordinator


def plan_of(op: str, agency: str, *, lead: str | None = None, system: str | None = None) -> OperationPlannedV1:
    data = OperationPlan(operation_id=op, revision=1, title="Tillslag bilverkstäder", municipality="Norrköping",
                         planned_date=datetime.date(2026, 12, 10), lead_agency=lead or agency,
                         participants=sorted({lead or agency, "TAX", "POLICE"}),
                         targets=[Target(premises=WORKSHOP, business=BUSINESS)])
    event = new_event(OperationPlannedV1, data, agency=agency, event_id=uuid.uuid4(),
                      time=datetime.datetime.now(datetime.UTC), system=system, subject=op)
    assert isinstance(event, OperationPlannedV1)
    return event


def of(kind: type, data: Any, agency: str, system: str = console_system(console_user(PLANNER))) -> AnyEvent:
    """An event as the console would make it, naming the planner, unless `system` says otherwise."""
    return new_event(kind, data, agency=agency, event_id=uuid.uuid4(), time=datetime.datetime.now(datetime.UTC),
                     system=system)


def inspection(op: str, agency: str, system: str = console_system(console_user(PLANNER))) -> AnyEvent:
    return of(InspectionConductedV1, InspectionConducted(
        inspection_ref=f"R-{uuid.uuid4().hex[:6]}", operation_id=op, conducted_at=datetime.datetime.now(datetime.UTC),
        municipality="Norrköping", premises=WORKSHOP, business=BUSINESS, findings=[]), agency, system)


async def test_the_console_signs_its_own_authoritys_plans_and_nothing_else(
        infra: Infra, database: Database, unique: str, tmp_path: Path) -> None:
    keys, consoles, adapters = tmp_path / "registry", tmp_path / "console", tmp_path / "adapters"
    await migrate(database.owner_url, AUDIT_MIGRATIONS, component="audit")
    conn = await asyncpg.connect(database.app_url)
    try:  # the administrator's acts, each with its audit entry
        registered = datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=1)
        await register(conn, keys, Holder("POLICE", CONSOLE, consoles), by="Admin", now=registered)
        tax_holder = Holder("TAX", ADAPTER, adapter_holder(adapters, "TAX"))
        [good_key] = (await register(conn, keys, tax_holder, by="Admin", now=registered)).registered
        [stolen_key] = (await register(conn, keys, tax_holder, by="Admin", now=registered)).registered
    finally:
        await conn.close()
    now = datetime.datetime.now(datetime.UTC)
    found = console_key(keys, consoles, "POLICE", now=now)  # the console's key material, as it finds it
    assert found is not None and console_key(keys, consoles, "TAX", now=now) is None
    key_id, key = found
    assert list(consoles.rglob("*.pem")) == [consoles / "private" / f"{key_id}.pem"]

    op, police, tax = f"CNS-{unique[:6].upper()}", events_topic("POLICE"), events_topic("TAX")

    def by_console(event: AnyEvent) -> bytes:
        return canonical_json(sign(dict(event_json(event)), key, key_id, now))

    notice = NotificationSent(notification_ref="U-1", to_agency="TAX", legal_basis="2008:206",
                              category=Category.RECORD_METADATA, summary="Underrättelse om felaktig utbetalning")
    fee = DecisionTaken(decision_ref="B-1", operation_id=op, decided_at=now, kind=DecisionKind.KONTROLLAVGIFT,
                        category=Category.TAX, legal_reference="SFL 50 kap. 3 §", summary="Kontrollavgift",
                        amount_sek=17_500, amount_kind=AmountKind.IMPOSED, business=BUSINESS)
    forged = {  # name: (topic, value, reason)
        "police inspection": (police, by_console(inspection(op, "POLICE")), "key_not_allowed"),
        "police decision": (police, by_console(of(DecisionTakenV1, fee, "POLICE")), "key_not_allowed"),
        "police notice": (police, by_console(of(NotificationSentV1, notice, "POLICE")), "key_not_allowed"),
        "police retraction": (police, by_console(of(EventRetractedV1, EventRetracted(
            retracts=uuid.uuid4(), reason="Fel"), "POLICE")), "key_not_allowed"),
        "tax inspection": (tax, by_console(inspection(op, "TAX")), "wrong_agency"),
        "tax decision": (tax, by_console(of(DecisionTakenV1, fee, "TAX")), "wrong_agency"),
        "tax notice": (tax, by_console(of(NotificationSentV1, notice.model_copy(update={"to_agency": "POLICE"}),
                                          "TAX")), "wrong_agency"),
        "tax plan": (tax, by_console(plan_of(f"{op}-T", "TAX", system=console_system("karin"))), "wrong_agency"),
        "plan led by tax": (police, by_console(plan_of(f"{op}-L", "POLICE", lead="TAX",
                                                       system=console_system("karin"))), "not_plan_owner"),
        "plan naming no planner": (police, by_console(plan_of(f"{op}-N", "POLICE", system="console")),
                                   "key_not_allowed"),
    }

    def by_tax(event: AnyEvent, key_id: str) -> bytes:
        private: Ed25519PrivateKey = load_private_key(tax_holder.folder, key_id)
        return canonical_json(sign(dict(event_json(event)), private, key_id, now))

    before, stolen, after = (inspection(op, "TAX", "tillsyn") for _ in range(3))  # TAX's own system
    theft = "Stulen med en bärbar dator"
    conn = await asyncpg.connect(database.app_url)
    try:
        await revoke(conn, keys, stolen_key.key_id, reason=theft, by="Admin", now=now)
    finally:
        await conn.close()

    group = f"los-coordinator-{unique}"
    await start_from_now(database.owner_url, database.app_url, group, infra.bootstrap_servers, all_event_topics())
    dlq_start = await end_offsets(infra.bootstrap_servers, [DEAD_LETTER])
    login = kafka_login(infra.bootstrap_servers, "console")
    publisher = await KafkaPublisher.start(infra.bootstrap_servers, login=login)  # the console's own path
    try:
        good_plan_id = await publish_plan(publisher, plan_of(op, "POLICE").data, user=PLANNER, keys_dir=keys,
                                          holder=consoles, now=now)
    finally:
        await publisher.close()
    await produce(infra.bootstrap_servers, [(t, b"c", v) for t, v, _ in forged.values()], principal="console")
    await produce(infra.bootstrap_servers, [(tax, b"t", by_tax(before, good_key.key_id)),
                                            (tax, b"t", by_tax(stolen, stolen_key.key_id)),
                                            (tax, b"t", by_tax(after, good_key.key_id))],
                  principal=adapter_principal("TAX"))
    expected = sorted([reason for _, _, reason in forged.values()] + ["revoked_key"])

    env = service_env(infra.env, database, keys, LOS_KAFKA_USERNAME="coordinator", LOS_COORDINATOR_GROUP_ID=group)
    log = tmp_path / "coordinator.log"
    proc = spawn_service("services.coordinator", env, log)
    try:
        conn = await asyncpg.connect(database.app_url)
        try:
            async def settled() -> list[asyncpg.Record]:
                stored = await conn.fetchval("SELECT count(*) FROM events")
                rows = await conn.fetch("SELECT reason, detail, topic, agency FROM rejections")
                return rows if stored == 3 and len(rows) == len(expected) else []

            rows = await wait_for(settled, timeout=60, what="three events stored and every forgery rejected")
            stored = {r["event_id"]: r for r in await conn.fetch(
                "SELECT event_id, key_id, event->>'source' AS source FROM events")}
        finally:
            await conn.close()
        assert sorted(r["reason"] for r in rows) == expected
        assert set(stored) == {uuid.UUID(good_plan_id), before.id, after.id}, "only the good events are stored"
        plan_row = stored[uuid.UUID(good_plan_id)]
        assert load_registry(keys).get(plan_row["key_id"]).kind == CONSOLE  # type: ignore[union-attr]
        assert plan_row["source"] == f"urn:los:agency:POLICE/console.{console_user(PLANNER)}", "the planner is named"
        [revoked] = [r for r in rows if r["reason"] == "revoked_key"]
        assert theft in revoked["detail"] and revoked["agency"] == "TAX", "kept for review with its reason"
        dead = [d for d in await read_from(infra.bootstrap_servers, dlq_start, expect=len(expected), timeout=30)
                if dict(d.headers)["los-source-topic"] in (police.encode(), tax.encode())]
        assert sorted(dict(d.headers)["los-reason"].decode() for d in dead) == expected
    finally:
        stop_processes([proc])
    assert "AuthorizationFailed" not in log.read_text(), "the coordinator's principal lacked a right"
