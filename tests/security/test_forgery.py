"""The ACLs keep agency A off agency B's topic; the signatures stop what A may still try on
its own topic. A real coordinator, logged in as its own principal, rejects every forged or
replayed event an authenticated adapter publishes, to the rejections table and the
dead-letter topic with its reason, and stores the genuine events around them."""

from __future__ import annotations

import signal
import uuid
from pathlib import Path

import asyncpg
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from deploy.local.harness import service_env
from schemas.canonical import canonical_json
from schemas.events import event_json
from schemas.signing import sign
from schemas.topics import DEAD_LETTER, events_topic
from services.common.kafka_security import adapter_principal
from services.common.keys import ensure_agency_key
from tests.conftest import Database, Infra
from tests.integration.coordinator.test_intake import inspection, plan
from tests.support import (
    NOW,
    all_event_topics,
    end_offsets,
    produce,
    read_from,
    spawn_service,
    start_from_now,
    wait_for,
)

pytestmark = pytest.mark.integration


async def test_an_authenticated_agency_cannot_forge_or_replay_events_on_its_own_topic(
        infra: Infra, database: Database, unique: str, tmp_path: Path) -> None:
    keys, tax = tmp_path / "keys", events_topic("TAX")
    tax_key_id, tax_key = ensure_agency_key(keys, "TAX", now=NOW)
    police_key_id, police_key = ensure_agency_key(keys, "POLICE", now=NOW)
    op = f"FRG-{unique[:6].upper()}"

    def signed(event: dict, key: Ed25519PrivateKey, key_id: str) -> dict:
        return sign(event, key, key_id, NOW)

    police_claim = dict(event_json(plan(op)))  # an event that says it is the police's
    genuine_police = signed(police_claim, police_key, police_key_id)  # as if intercepted from the police
    altered = {**genuine_police, "data": {**genuine_police["data"], "title": "Inställt"}}
    made_up_key = f"POLICE-{NOW:%Y%m%d}-{uuid.uuid4().hex[:6]}"
    forged = {
        "wrong_agency": signed(police_claim, tax_key, tax_key_id),  # claims POLICE, TAX's key
        "unknown_key": signed(police_claim, Ed25519PrivateKey.generate(), made_up_key),
        "bad_signature": altered,  # the police's event, changed after signing
        "wrong_topic": genuine_police,  # the police's genuine event replayed on TAX's topic
    }
    # POLICE's key id on a signature TAX made: the signature does not match that key
    forged_with_police_id = signed(police_claim, tax_key, police_key_id)
    before, after = inspection(op), inspection(op)
    messages = [(tax, b"t", canonical_json(signed(dict(event_json(before)), tax_key, tax_key_id)))]
    messages += [(tax, b"f", canonical_json(event)) for event in [*forged.values(), forged_with_police_id]]
    messages += [(tax, b"t", canonical_json(signed(dict(event_json(after)), tax_key, tax_key_id)))]
    expected = sorted([*forged, "bad_signature"])

    group = f"los-coordinator-{unique}"  # a group name the coordinator's ACLs allow
    await start_from_now(database.owner_url, database.app_url, group, infra.bootstrap_servers, all_event_topics())
    dlq_start = await end_offsets(infra.bootstrap_servers, [DEAD_LETTER])
    await produce(infra.bootstrap_servers, messages, principal=adapter_principal("TAX"))  # authenticated as TAX

    env = service_env(infra.env, database, keys, LOS_KAFKA_USERNAME="coordinator",  # its own principal
                      LOS_COORDINATOR_GROUP_ID=group)
    log = tmp_path / "coordinator.log"
    proc = spawn_service("services.coordinator", env, log)
    try:
        conn = await asyncpg.connect(database.app_url)
        try:
            async def settled() -> list[asyncpg.Record]:
                stored = await conn.fetchval("SELECT count(*) FROM events")
                rows = await conn.fetch("SELECT reason, topic, agency FROM rejections")
                return rows if stored == 2 and len(rows) == len(expected) else []

            rows = await wait_for(settled, timeout=60, what="two events stored and every forgery rejected")
            stored = {r["event_id"] for r in await conn.fetch("SELECT event_id FROM events")}
        finally:
            await conn.close()
        assert sorted(r["reason"] for r in rows) == expected
        assert {r["topic"] for r in rows} == {tax}
        assert stored == {before.id, after.id}, "only the genuine events are stored"
        dead = [d for d in await read_from(infra.bootstrap_servers, dlq_start, expect=len(expected), timeout=30)
                if dict(d.headers)["los-source-topic"] == tax.encode()]
        assert sorted(dict(d.headers)["los-reason"].decode() for d in dead) == expected
        assert {d.value for d in dead} == {canonical_json(e) for e in [*forged.values(), forged_with_police_id]}
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    assert "AuthorizationFailed" not in log.read_text(), "the coordinator's principal lacked a right"

