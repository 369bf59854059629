"""The console on a real PostgreSQL: a simulated campaign fed straight into the coordinator's
store (the `Coordinator` of the coordinator tests), a planted social services secret, and
clients signed in through the development identity provider."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from deploy.local.harness import holder_keys
from schemas.agencies import load_agencies
from schemas.categories import Category
from schemas.decision import AmountKind, DecisionKind, DecisionTaken
from schemas.envelope import Envelope
from schemas.events import (
    AnyData,
    AnyEvent,
    DecisionTakenV1,
    InspectionConductedV1,
    OperationPlannedV1,
    new_event,
)
from schemas.inspection import Finding, InspectionConducted
from schemas.operation import OperationPlan, OperationStatus, Target
from schemas.subjects import Person, PersonRole, Premises
from services.adapters.simulator import generate_campaign
from services.console.__main__ import apply_migrations
from services.console.app import create_app
from services.console.settings import ConsoleSettings
from services.disclosure.delegations import new_delegation
from services.disclosure.policy import Role
from services.disclosure.store import save_delegation
from tests.conftest import Database, Infra
from tests.integration.coordinator.conftest import Coordinator
from tests.mandates import assign_everyone, every_mandate, record_mandates

PSEUDONYM_KEY = b"p" * 32
PLANTED = "PLANTED_SOCIAL_SERVICES_SECRET_0042"
PLANTED_PERSON = "psn:k1:" + "c" * 64


def open_campaign(seed: int = 5) -> list[AnyEvent]:
    """A campaign whose operations stay open (sharing ends when one closes)."""
    campaign = generate_campaign(seed, pseudonym_key=PSEUDONYM_KEY)
    return [e for e in campaign.events
            if not (e.type == "se.los.operation.updated.v1" and e.data.status.value in ("closed",
                                                                                        "cancelled"))]


PLANTED_OPERATION = "LKPG-2026-PLANT"
PLANTED_TITLE = "Riktad kontroll Tannefors (provdata)"
PARTICIPANTS = ["POLICE", "TAX", "FIRE_RTOG", "MUNI_SOCIAL_0581", "SOCIAL_INSURANCE"]  # the others are outsiders
TAX_FEE = 37_500
AT = datetime.datetime(2026, 10, 6, 9, 0, tzinfo=datetime.UTC)


def planted_operation(events: list[AnyEvent]) -> list[AnyEvent]:
    """An open operation of five agencies at a campaign premises: a tax finding and fee, a fire ban,
    and a social services finding (OSL 26 kap.) naming a person, which no rule opens to anyone else."""
    target = next(e for e in events if e.type == "se.los.operation.planned.v1").data.targets[0]
    premises, business = target.premises, target.business

    def event(event_type: type[Envelope], data: AnyData, agency: str, minutes: int = 0) -> AnyEvent:
        return new_event(event_type, data, agency=agency, event_id=uuid.uuid4(),
                         time=AT + datetime.timedelta(minutes=minutes))

    plan = OperationPlan(operation_id=PLANTED_OPERATION, revision=1, title=PLANTED_TITLE,
                         municipality="Linköping",
                         planned_date=AT.date(), lead_agency="POLICE", participants=PARTICIPANTS,
                         targets=[Target(premises=premises, business=business)],
                         status=OperationStatus.EXECUTED)
    inspection = dict(operation_id=PLANTED_OPERATION, conducted_at=AT, municipality="Linköping",
                      premises=premises, business=business)
    return [
        event(OperationPlannedV1, plan, "POLICE", -600),
        event(InspectionConductedV1, InspectionConducted(inspection_ref="TAX-PLANT-1", findings=[Finding(
            code="PERSONALLIGGARE_SAKNAS", category=Category.TAX, summary="Personalliggare saknas", count=3)],
            **inspection), "TAX", 1),
        event(DecisionTakenV1, DecisionTaken(
            decision_ref="TAX-PLANT-2", operation_id=PLANTED_OPERATION, decided_at=AT,
            kind=DecisionKind.KONTROLLAVGIFT, category=Category.TAX, legal_reference="SFL 50 kap. 3 §",
            summary="Kontrollavgift", amount_sek=TAX_FEE, amount_kind=AmountKind.IMPOSED, business=business,
            premises=premises), "TAX", 2),
        event(DecisionTakenV1, DecisionTaken(
            decision_ref="FIRE-PLANT-1", operation_id=PLANTED_OPERATION, decided_at=AT,
            kind=DecisionKind.FORBUD, category=Category.MUNICIPAL_DECISION, legal_reference="LSO 5 kap. 2 §",
            summary="Förbud", premises=premises), "FIRE_RTOG", 3),
        event(InspectionConductedV1, InspectionConducted(
            inspection_ref="SOC-PLANT-1", persons_present=[Person(pseudonym=PLANTED_PERSON,
                                                                  role=PersonRole.OTHER)],
            findings=[Finding(code=PLANTED, category=Category.SOCIAL_SERVICES, summary="Klientuppgift")],
            **inspection), "MUNI_SOCIAL_0581", 4),
    ]


@dataclass
class LiveConsole:
    app: FastAPI
    db: Database
    coordinator: Coordinator
    planted_operation: str
    premises: Premises  # the first target of the planted operation
    settings: ConsoleSettings

    def client(self, agency: str | None = None, role: Role = Role.OFFICER) -> httpx.AsyncClient:
        headers = {}
        if agency:
            token = self.app.state.console.dev_idp.issue(agency=agency, role=role, name=f"{agency} {role.value}",
                                                         subject=user_subject(agency, role.value))
            headers["Authorization"] = f"Bearer {token}"
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url="http://testserver",
                                 headers=headers, timeout=60)

    async def fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        conn = await asyncpg.connect(self.db.app_url)
        try:
            return list(await conn.fetch(sql, *args))
        finally:
            await conn.close()

    async def assign(self, agency: str, role: Role, operations: list[str]) -> None:
        """Every mandate on these operations for the agency's test user of this role."""
        await record_mandates(self.db.owner_url, every_mandate(agency, user_subject(agency, role.value), operations,
                                                               datetime.datetime.now(datetime.UTC), standing=False))

    async def delegate(self, agency: str, role: Role = Role.COORDINATOR) -> None:
        """Record, as an administrator does (the schema owner), that this agency's user of this
        role may decide on disclosure for it."""
        made = new_delegation(id=f"DEL-{agency}-{role.value}", authority=agency,
                              holder=f"dev-{agency.lower()}-{role.value}", holder_name=f"{agency} {role.value}",
                              reference="Delegationsordning 2026:1 p. 4", valid_from=AT.date().replace(day=1),
                              valid_until=None, recorded_by="admin", at=AT, participants=load_agencies())
        conn = await asyncpg.connect(self.db.owner_url)
        try:
            await save_delegation(conn, made)
        finally:
            await conn.close()

    async def records(self) -> list[dict[str, Any]]:
        import json

        return [json.loads(r["record"]) for r in await self.fetch(
            "SELECT record::text FROM operations WHERE record IS NOT NULL")]


def user_subject(agency: str, role: str) -> str:
    """The sign-in id of the test user of this agency and role."""
    return f"dev-{agency.lower()}-{role}"


def console_settings(infra: Infra, database: Database, keys: Path, **overrides: Any) -> ConsoleSettings:
    given: dict[str, Any] = {
        "database_url": database.url("console"), "database_owner_url": database.owner_url,
        "kafka_bootstrap_servers": infra.bootstrap_servers, "keys_dir": keys, "console_dev_idp": True,
        "console_keys_dir": keys / "console",
        # the console's own Kafka principal, as deployed: the ACLs let it publish plans only
        "kafka_username": "console", "kafka_credentials_file": infra.env["LOS_KAFKA_CREDENTIALS_FILE"],
        "kafka_ca_file": infra.env["LOS_KAFKA_CA_FILE"],
        "egress_pseudonym_key_file": infra.env["LOS_EGRESS_PSEUDONYM_KEY_FILE"],
        "audit_digest_key_file": infra.env["LOS_AUDIT_DIGEST_KEY_FILE"],
        "console_sse_poll_seconds": 0.05, "console_sse_max_seconds": 3.0, **overrides}
    return ConsoleSettings(**given)


@pytest.fixture
async def live(infra: Infra, database: Database, tmp_path: Path) -> AsyncIterator[LiveConsole]:
    await apply_migrations(database.owner_url)
    keys = tmp_path / "keys"
    coordinator = Coordinator(database, keys)
    events = open_campaign()
    planted = planted_operation(events)
    for start in range(0, len(events), 200):
        await coordinator.feed(*events[start:start + 200])
    await coordinator.feed(*planted)
    # each agency's test users hold mandates on every operation: what they see is what the rules decide
    await assign_everyone(database.owner_url, load_agencies(), [r.value for r in Role], user_subject)
    holder_keys(keys, consoles=load_agencies())  # registered by an administrator before the console starts
    settings = console_settings(infra, database, keys)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield LiveConsole(app, database, coordinator, PLANTED_OPERATION, planted[0].data.targets[0].premises,
                          settings)
