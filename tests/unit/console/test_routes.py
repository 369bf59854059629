"""No route, role or parameter gets an officer past the rules: every route of the app is
tried signed out and with every role of several agencies, and social services' planted
finding never reaches anyone but social services."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx

from services.disclosure.policy import Role
from tests.unit.console.conftest import PLANTED, Console, spring_operation
from tests.unit.console.sweep import Target, report, sweep

AGENCIES = ["MUNI_SOCIAL_0581", "FIRE_RTOG", "TAX", "SOCIAL_INSURANCE", "ENFORCEMENT", "POLICE"]


async def test_no_route_role_or_parameter_reveals_what_the_rules_withhold(
        make_console: Callable[..., Console]) -> None:
    console = make_console(console_sse_max_seconds=0.05)
    async with console.client("TAX") as tax:  # a pending request the sweep may try to decide
        made = await tax.post("/api/requests", json={
            "operation_id": "LKPG-2026-04", "owner": "SOCIAL_INSURANCE", "categories": ["social_insurance"],
            "purpose": "joint_operation", "basis": "osl-10-27",
            "reason": "Vem arbetade i lokalen den kvällen?"})
    assert made.status_code == 201, made.text
    record = spring_operation()
    target = Target(record["operation_id"], made.json()["id"], frozenset(record["participants"]),
                    "MUNI_SOCIAL_0581",
                    PLANTED, record["title"])

    def client_for(agency: str | None, role: Role) -> httpx.AsyncClient:
        return console.client(agency, role)

    started = time.monotonic()
    count, findings = await sweep(console.app, target, client_for, AGENCIES)
    assert not findings, report(findings)
    assert count > 1500, f"only {count} requests were tried"
    print(f"{count} requests in {time.monotonic() - started:.1f}s")
    reads = [e for e in console.audit if e["kind"] == "read"]
    assert len({e["what"].split()[0] for e in reads}) >= 6, "the sweep read too few kinds of page to mean anything"
    incomplete = [e for e in reads if not (e["actor"]["user"] and e["actor"]["agency"] and e["purpose"]
                                           and e["case_reference"] and "bases" in e)]
    assert not incomplete, incomplete[:3]  # every read: user, authority, purpose, case reference, bases
