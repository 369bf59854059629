"""The security sweep on PostgreSQL: every route, signed out and with every role of several
agencies, probed with every purpose and parameter; the planted secret stays with social
services and agencies outside the operation never learn it exists."""

from __future__ import annotations

import httpx
import pytest

from schemas.agencies import load_agencies
from services.disclosure.policy import Role
from tests.integration.console.conftest import PLANTED, LiveConsole
from tests.unit.console.sweep import Target, report, sweep

pytestmark = pytest.mark.integration


async def test_no_route_role_or_parameter_reveals_what_the_rules_withhold(live: LiveConsole) -> None:
    live.app.state.console.settings = live.settings.model_copy(update={"console_sse_max_seconds": 0.1})
    [record] = [r for r in await live.records() if r["operation_id"] == live.planted_operation]
    outside = sorted(set(load_agencies()) - set(record["participants"]))
    assert len(outside) >= 2
    async with live.client("TAX") as tax:
        made = await tax.post("/api/requests", json={
            "operation_id": live.planted_operation, "owner": "SOCIAL_INSURANCE",
            "categories": ["social_insurance"],
            "purpose": "joint_operation", "basis": "osl-10-27",
            "reason": "Vem arbetade i lokalen den kvällen?"})
    assert made.status_code == 201, made.text
    target = Target(live.planted_operation, made.json()["id"], frozenset(record["participants"]),
                    "MUNI_SOCIAL_0581",
                    PLANTED, record["title"])

    def client_for(agency: str | None, role: Role) -> httpx.AsyncClient:
        return live.client(agency, role)

    agencies = ["MUNI_SOCIAL_0581", "FIRE_RTOG", "TAX", "POLICE", *outside[:2]]
    count, findings = await sweep(live.app, target, client_for, agencies)
    assert not findings, report(findings)
    assert count > 1500
