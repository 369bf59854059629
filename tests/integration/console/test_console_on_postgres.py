"""The console on PostgreSQL with a simulated campaign: each agency sees exactly the
operations the rules open to it, the planted social services secret reaches nobody else,
every view lands in the audit chain, and the timeline follows the coordinator live."""

from __future__ import annotations

import asyncio
import datetime
import uuid

import asyncpg
import pytest

from deploy.local.stack import REPO
from schemas.agencies import load_agencies
from schemas.categories import Category
from schemas.decision import DecisionKind, DecisionTaken
from schemas.events import DecisionTakenV1, new_event
from services.audit import review
from services.common.keys import load_registry
from services.disclosure.enforce import Viewer
from services.disclosure.policy import Purpose, Role, load_policy
from tests.integration.console.conftest import PLANTED, PLANTED_PERSON, LiveConsole

pytestmark = pytest.mark.integration
AGENCIES = load_agencies()
POLICY = load_policy(REPO / "deploy" / "policy" / "los-default.yaml")


async def every_page(live: LiveConsole, agency: str, role: Role, query: str = "") -> list[str]:
    seen: list[str] = []
    after = None
    async with live.client(agency, role) as client:
        while True:
            sep = "&" if query else ""
            page = await client.get(f"/api/operations?{query}{sep}after={after}" if after
                                    else f"/api/operations?{query}")
            assert page.status_code == 200, page.text
            body = page.json()
            seen += [op["operation_id"] for op in body["operations"]]
            after = body["next"]
            if after is None:
                return seen


async def test_each_agency_lists_exactly_the_operations_the_rules_open_to_it(live: LiveConsole) -> None:
    records = await live.records()
    enforcement = live.app.state.console.enforcement
    today = live.app.state.console.today()
    for agency in AGENCIES:
        viewer = Viewer(agency, Role.OFFICER, "test")
        expected = sorted((r for r in records if enforcement.operation(r, viewer, Purpose.JOINT_OPERATION,
                                                                       today).visible),
                          key=lambda r: (r["planned_date"], r["operation_id"]), reverse=True)
        assert await every_page(live, agency, Role.OFFICER) == [r["operation_id"] for r in expected], agency


async def test_the_planted_secret_reaches_only_social_services(live: LiveConsole) -> None:
    op = live.planted_operation
    for agency in AGENCIES:
        async with live.client(agency) as client:
            page = await client.get(f"/operationer/{op}?purpose=joint_operation")
            api = await client.get(f"/api/operations/{op}?purpose=joint_operation")
        seen = page.text + api.text
        pseudonyms = live.app.state.console.enforcement.pseudonyms
        assert PLANTED_PERSON not in seen, agency  # the platform's own pseudonym never leaves it
        if agency == "MUNI_SOCIAL_0581":
            assert PLANTED in seen and pseudonyms.person(agency, PLANTED_PERSON) in seen
        else:
            assert PLANTED not in seen and pseudonyms.person(agency, PLANTED_PERSON) not in seen, agency
    stored = await live.fetch("SELECT entry::text FROM audit_log")
    assert stored and not any(PLANTED in r["entry"] for r in stored)


async def test_every_view_is_in_the_audit_chain_which_stays_intact(live: LiveConsole) -> None:
    op = live.planted_operation
    today = live.app.state.console.today()
    async with live.client("FIRE_RTOG") as fire, live.client("POLICE", Role.COORDINATOR) as police:
        made = await police.post("/api/collaborations", json={  # lag (2016:774): police and tax designated
            "reference": "A-2026/117", "agencies": ["POLICE", "TAX"], "operations": [op],
            "decided_by": "Operativa rådet", "decided_on": today.isoformat(), "valid_from": today.isoformat(),
            "valid_until": (today + datetime.timedelta(days=90)).isoformat()})
        assert made.status_code == 201, made.text
        await fire.get(f"/operationer/{op}?purpose=joint_operation")
        await police.get(f"/api/operations/{op}?purpose=organised_crime")
    conn = await asyncpg.connect(live.db.app_url)
    try:
        rows = await review.entries(conn)
        report = await review.verify(conn, [], load_registry(live.settings.keys_dir))
    finally:
        await conn.close()
    assert [r["kind"] for r in rows if r["kind"] == "collaboration_decision"] == ["collaboration_decision"]
    reads = [r for r in rows if r["kind"] == "read"]
    assert [(r["actor"]["agency"], r["purpose"]) for r in reads] == [("FIRE_RTOG", "joint_operation"),
                                                                     ("POLICE", "organised_crime")]
    to_police = [r for r in rows if r["kind"] == "disclosure" and r["recipient"] == "POLICE"]
    assert {r["basis"] for r in to_police if r["category"] == "tax"} == {
        "Lag (2016:774) om uppgiftsskyldighet vid samverkan mot viss organiserad brottslighet, 2 §"}
    assert report.ok and report.checked == len(rows)


async def test_the_live_stream_follows_the_coordinator(live: LiveConsole, monkeypatch: pytest.MonkeyPatch) -> None:
    op = live.planted_operation
    source = live.app.state.console.source
    changed_at, asked, polling = source.changed_at, 0, asyncio.Event()

    async def counted(operation_id: str) -> datetime.datetime | None:
        """Asked once by the request, then by the stream each time it polls, its first view taken."""
        nonlocal asked
        asked += 1
        if asked == 2:
            polling.set()
        return await changed_at(operation_id)

    monkeypatch.setattr(source, "changed_at", counted)
    now = datetime.datetime.now(datetime.UTC)
    ban = DecisionTaken(decision_ref="FIRE-LIVE-1", operation_id=op, decided_at=now, kind=DecisionKind.FORBUD,
                        category=Category.MUNICIPAL_DECISION, legal_reference="LSO 5 kap. 2 §",
                        summary="Förbud mot användning av lokalen", premises=live.premises)

    async def a_decision_arrives() -> None:
        await asyncio.wait_for(polling.wait(), timeout=30)  # the stream follows the operation
        await live.coordinator.feed(new_event(DecisionTakenV1, ban, agency="FIRE_RTOG", event_id=uuid.uuid4(),
                                              time=now))

    async with live.client("FIRE_RTOG") as client:
        task = asyncio.create_task(a_decision_arrives())
        stream = await client.get(f"/api/operations/{op}/events?purpose=joint_operation")
        await task
        fragment = await client.get(f"/operationer/{op}/tidslinje?purpose=joint_operation")
    assert "event: changed" in stream.text
    assert "FIRE-LIVE-1" in fragment.text
