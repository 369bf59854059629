"""The audit log on the real database: the application cannot change it, and what a
superuser changes behind the triggers' back is found by verify, against the checkpoints
every agency holds from Kafka."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import asyncpg
import pytest

from deploy.local.harness import database_url
from services.audit import review
from services.audit.checkpoints import SIGNER, make_checkpoint, publish, read_published
from services.audit.server import MIGRATIONS
from services.audit.store import append
from services.common.keys import ensure_agency_key, load_registry
from services.common.migrate import migrate
from tests.conftest import Database, Infra
from tests.support import kafka_login

pytestmark = pytest.mark.integration
AT = datetime.datetime(2026, 4, 14, 9, 0, tzinfo=datetime.UTC)


def entry(i: int) -> dict:
    return {"kind": "disclosure", "at": (AT + datetime.timedelta(minutes=i)).isoformat(), "owner": "TAX",
            "recipient": "POLICE", "category": "tax", "digest": f"{i:064x}", "basis": "Lag (2016:774) 2 §",
            "subjects": []}


def superuser_url(infra: Infra, database: Database) -> str:
    return database_url(infra.superuser_url, database.name)


@pytest.fixture
async def audit_db(database: Database) -> Database:
    await migrate(database.owner_url, MIGRATIONS, component="audit")
    conn = await asyncpg.connect(database.app_url)
    try:
        async with conn.transaction():
            await append(conn, [entry(i) for i in range(1, 21)])
    finally:
        await conn.close()
    return database


async def test_the_application_cannot_update_delete_or_truncate_the_log(audit_db: Database) -> None:
    conn = await asyncpg.connect(audit_db.app_url)
    try:
        for statement in ("UPDATE audit_log SET kind = 'x' WHERE seq = 3", "DELETE FROM audit_log WHERE seq = 20",
                          "TRUNCATE audit_log"):
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.execute(statement)
        assert await conn.fetchval("SELECT count(*) FROM audit_log") == 20
    finally:
        await conn.close()
    owner = await asyncpg.connect(audit_db.owner_url)
    try:  # even the schema owner meets the triggers
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
            await owner.execute("DELETE FROM audit_log WHERE seq = 20")
    finally:
        await owner.close()


async def test_an_entry_changed_behind_the_triggers_is_named_by_verify(
        infra: Infra, audit_db: Database, tmp_path: Path) -> None:
    admin = await asyncpg.connect(superuser_url(infra, audit_db))
    try:
        await admin.execute("SET session_replication_role = replica")  # what a rogue superuser can do
        await admin.execute("UPDATE audit_log SET entry = jsonb_set(entry, '{recipient}', '\"FIRE\"') WHERE seq = 13")
    finally:
        await admin.close()
    conn = await asyncpg.connect(audit_db.app_url)
    try:
        report = await review.verify(conn, [], load_registry(tmp_path))
    finally:
        await conn.close()
    assert not report.ok and report.broken_at == 13
    assert "entry 13 was changed" in report.problems[0]


async def test_a_deleted_tail_is_found_against_the_published_checkpoints(
        infra: Infra, audit_db: Database, tmp_path: Path, unique: str) -> None:
    keys = tmp_path / "keys"
    key_id, key = ensure_agency_key(keys, SIGNER, now=AT)
    conn = await asyncpg.connect(audit_db.url("audit"))  # the audit service signs the head
    try:
        async with conn.transaction():
            checkpoint = await make_checkpoint(conn, key, key_id, at=AT, chain="main")
        assert checkpoint is not None and checkpoint.seq == 20
        topic = "los.audit.checkpoints"
        await publish(infra.bootstrap_servers, checkpoint, topic,
                      login=kafka_login(infra.bootstrap_servers, "audit"))  # the audit service's principal
        admin = await asyncpg.connect(superuser_url(infra, audit_db))
        try:
            await admin.execute("SET session_replication_role = replica")
            await admin.execute("DELETE FROM audit_log WHERE seq > 16")
        finally:
            await admin.close()
        as_police = kafka_login(infra.bootstrap_servers, "adapter-police")  # an agency holding copies
        held_by_agencies = [c for c in await read_published(infra.bootstrap_servers, topic, login=as_police)
                            if c.key_id == key_id]
        report = await review.verify(conn, held_by_agencies, load_registry(keys))
    finally:
        await conn.close()
    assert not report.ok
    assert report.broken_at is None  # the remaining chain is consistent in itself ...
    assert any("entries 17..20 were deleted" in p for p in report.problems)  # ... the checkpoint is not
    assert json.dumps(report.problems)
