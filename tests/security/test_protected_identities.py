"""Protected identities everywhere, on the real database through the coordinator's intake: a
person one agency flags is kept out of every record and dossier, also where another agency's
event names them without the flag and as the owner of a sole trader's business, also when
the unflagged event came first; the operator registers and lifts a protection as an
administrative act with an audit entry, and a service's role cannot lift one."""

from __future__ import annotations

import datetime
import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from deploy.local.harness import create_database, drop_database
from deploy.schema import migrate_all
from schemas.categories import Category
from schemas.decision import DecisionKind, DecisionTaken
from schemas.events import DecisionTakenV1, InspectionConductedV1, OperationPlannedV1, new_event
from schemas.inspection import Finding, InspectionConducted
from schemas.operation import OperationPlan, OperationStatus, Target
from schemas.subjects import Business, Person, PersonRole, Premises
from services.audit.digests import AuditDigests
from services.coordinator.protected import ProtectedSettings, _act
from tests.conftest import Database, Infra
from tests.integration.coordinator.conftest import Coordinator

pytestmark = pytest.mark.integration
AT = datetime.datetime(2026, 10, 6, 9, 0, tzinfo=datetime.UTC)
OP = "LKPG-2026-SKYDD"
SHOP = Premises(fastighetsbeteckning="Linköping Tannefors 1:4")
HIDDEN, OTHER = "psn:o1:" + "a" * 64, "psn:o1:" + "b" * 64


@pytest.fixture
async def db(infra: Infra) -> AsyncIterator[Database]:
    made = await create_database(infra.env, prefix="protected")
    try:
        await migrate_all(made.owner_url)
        yield made
    finally:
        await drop_database(infra.env, made.name)


def events() -> tuple[list[object], list[object]]:
    """An operation where the rescue service names HIDDEN (also as a sole trader) without a
    flag, then the tax agency's inspection flags HIDDEN as protected."""
    def event(kind: type, data: object, agency: str, minutes: int) -> object:
        return new_event(kind, data, agency=agency, event_id=uuid.uuid4(),
                         time=AT + datetime.timedelta(minutes=minutes))

    plan = OperationPlan(operation_id=OP, revision=1, title="Skyddad identitet", municipality="Linköping",
                         planned_date=AT.date(), lead_agency="POLICE", participants=["POLICE", "TAX", "FIRE_RTOG"],
                         targets=[Target(premises=SHOP)], status=OperationStatus.EXECUTED)
    ban = DecisionTaken(decision_ref="FIRE-1", operation_id=OP, decided_at=AT, kind=DecisionKind.FORBUD,
                        category=Category.MUNICIPAL_DECISION, legal_reference="LSO 5 kap. 2 §", summary="Förbud",
                        premises=SHOP, business=Business(sole_trader=HIDDEN, name="Enskild firma"),
                        persons=[Person(pseudonym=HIDDEN, role=PersonRole.OWNER),
                                 Person(pseudonym=OTHER, role=PersonRole.EMPLOYEE)])
    flagged = InspectionConducted(
        inspection_ref="TAX-1", operation_id=OP, conducted_at=AT, municipality="Linköping", premises=SHOP,
        persons_present=[Person(pseudonym=HIDDEN, role=PersonRole.OWNER, protected_identity=True)],
        findings=[Finding(code="PERSONALLIGGARE_SAKNAS", category=Category.TAX, summary="Saknas")])
    return ([event(OperationPlannedV1, plan, "POLICE", -60), event(DecisionTakenV1, ban, "FIRE_RTOG", 1)],
            [event(InspectionConductedV1, flagged, "TAX", 2)])


async def shared(db: Database) -> str:
    """Everything shared that is built from events: records and subject dossiers."""
    conn = await asyncpg.connect(db.owner_url)
    try:
        records = [r["record"] for r in await conn.fetch("SELECT record::text AS record FROM operations")]
        dossiers = [r["subject"] for r in await conn.fetch("SELECT subject FROM subject_operations")]
        return json.dumps([records, dossiers])
    finally:
        await conn.close()


async def test_a_person_flagged_once_is_kept_out_of_every_record_whoever_names_them(
        db: Database, tmp_path: Path) -> None:
    coordinator = Coordinator(db, tmp_path / "keys")
    before, flag = events()
    await coordinator.feed(*before)
    assert HIDDEN in await shared(db) and f"st:{HIDDEN}" in await shared(db)  # nobody flagged them yet
    await coordinator.feed(*flag)
    now = await shared(db)
    assert HIDDEN not in now and OTHER in now, "the flag of one event protects the person in every event"
    owner = await asyncpg.connect(db.owner_url)
    try:
        registered = await owner.fetchrow("SELECT source, registered_by, event_id::text FROM protected_identities"
                                          " WHERE pseudonym = $1", HIDDEN)
        entries = [r["entry"] for r in await owner.fetch(
            "SELECT entry::text AS entry FROM audit_log WHERE kind = 'protected_identity_registered'")]
    finally:
        await owner.close()
    assert (registered["source"], registered["registered_by"]) == ("event", "TAX")
    assert len(entries) == 1 and registered["event_id"] in entries[0] and HIDDEN not in entries[0]


async def test_the_operator_registers_and_lifts_a_protection_with_an_audit_entry(
        db: Database, tmp_path: Path) -> None:
    coordinator = Coordinator(db, tmp_path / "keys")
    await coordinator.feed(*events()[0])
    (tmp_path / "digest.key").write_bytes(b"d" * 32)
    digests = AuditDigests(b"d" * 32)

    def settings(url: str) -> ProtectedSettings:
        return ProtectedSettings(database_url=url, audit_digest_key_file=tmp_path / "digest.key")

    assert await _act(settings(db.url("coordinator")), [OTHER], "Operatör", lifting=False) == (1, 1)
    assert OTHER not in await shared(db)
    with pytest.raises(asyncpg.InsufficientPrivilegeError):  # lifting is not a service's to do
        await _act(settings(db.url("coordinator")), [OTHER], "Operatör", lifting=True)
    assert OTHER not in await shared(db)
    assert await _act(settings(db.owner_url), [OTHER], "Operatör", lifting=True) == (1, 1)
    assert OTHER in await shared(db)
    owner = await asyncpg.connect(db.owner_url)
    try:
        acts = [json.loads(r["entry"]) for r in await owner.fetch(
            "SELECT entry::text AS entry FROM audit_log WHERE kind LIKE 'protected_identity_%' ORDER BY seq")]
    finally:
        await owner.close()
    assert [(a["kind"], a["actor"]["user"]) for a in acts] == [("protected_identity_registered", "Operatör"),
                                                                ("protected_identity_lifted", "Operatör")]
    assert all(a["subjects"] == [digests.subject(OTHER)] for a in acts) and OTHER not in json.dumps(acts)
