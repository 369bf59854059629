"""What coordinators and officers do, on PostgreSQL: ask for and approve a disclosure, read
the results, follow a business, and plan an operation that goes out on Kafka and comes
back through the coordinator's store into the list."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from deploy.local.stack import REPO
from schemas.topics import events_topic
from services.console.results import ResultRow, add_view, ordered
from services.coordinator.ports import IncomingRecord
from services.disclosure.enforce import Viewer
from services.disclosure.policy import Purpose, Role, load_policy
from tests.integration.console.conftest import PLANTED, LiveConsole
from tests.integration.coordinator.conftest import store_as_coordinator
from tests.support import end_offsets, kafka_options

pytestmark = pytest.mark.integration
POLICY = load_policy(REPO / "deploy" / "policy" / "los-default.yaml")


async def test_a_decision_of_the_tax_agency_opens_its_items_to_the_police(live: LiveConsole) -> None:
    op = live.planted_operation
    await live.delegate("TAX")
    async with live.client("POLICE") as police, live.client("TAX", Role.COORDINATOR) as tax:
        before = (await police.get(f"/api/operations/{op}?purpose=crime_prevention")).json()
        assert not any(i["agency"] == "TAX" for i in before["timeline"])  # no act, nothing of the tax agency's
        made = (await police.post("/api/requests", json={
            "operation_id": op, "owner": "TAX", "categories": ["tax"], "purpose": "crime_prevention",
            "basis": "prop-2024-25-65", "reason": "Misstänkt penningtvätt genom lokalen."})).json()
        until = (live.app.state.console.today() + datetime.timedelta(days=30)).isoformat()
        decided = await tax.post(f"/api/requests/{made['id']}/decision", json={
            "approve": True, "assessment": "Polisen har begärt uppgifterna enligt lagen.", "valid_until": until})
        assert decided.status_code == 200, decided.text
        after = (await police.get(f"/api/operations/{op}?purpose=crime_prevention")).json()
        other_purpose = (await police.get(f"/api/operations/{op}?purpose=joint_operation")).json()
    opened = [i for i in after["timeline"] if i["agency"] == "TAX"]
    assert {i["event_id"] for i in opened} == set(decided.json()["items"])
    assert any("decision_kind" in i.get("detail", {}) for i in opened) and PLANTED not in json.dumps(after)
    assert not any(i["agency"] == "TAX" for i in other_purpose["timeline"])
    entries = await live.fetch("SELECT entry FROM audit_log WHERE entry ->> 'approval' = $1", made["id"])
    assert entries, "the disclosure under the approval is not in the audit log"
    steps = await live.fetch("SELECT kind, entry ->> 'rule' AS rule FROM audit_log WHERE entry ->> 'request_id' = $1"
                             " ORDER BY seq", made["id"])
    assert [(r["kind"], r["rule"]) for r in steps] == [("disclosure_request", None),
                                                       ("request_decision", "information-to-police")]


async def test_results_count_exactly_what_the_enforcement_point_shows(live: LiveConsole) -> None:
    enforcement = live.app.state.console.enforcement
    today = live.app.state.console.today()
    async with live.client("POLICE", Role.COORDINATOR) as police:  # lag (2016:774) for the planted operation
        made = await police.post("/api/collaborations", json={
            "reference": "A-2026/117", "agencies": ["POLICE", "TAX"], "operations": [live.planted_operation],
            "decided_by": "Operativa rådet", "decided_on": today.isoformat(), "valid_from": today.isoformat(),
            "valid_until": (today + datetime.timedelta(days=90)).isoformat()})
        assert made.status_code == 201, made.text
    async with live.app.state.console.source.unit() as unit:
        collaborations = await unit.collaborations()
    for agency, purpose in (("FIRE_RTOG", Purpose.JOINT_OPERATION), ("POLICE", Purpose.ORGANISED_CRIME),
                            ("POLICE", Purpose.RESULTS_REPORTING)):
        table: dict[tuple[str, str], ResultRow] = {}
        for record in await live.records():
            view = enforcement.operation(record, Viewer(agency, Role.COORDINATOR, "t"), purpose, today,
                                         collaborations=collaborations)
            if view.visible:
                add_view(table, view.record)
        async with live.client(agency, Role.COORDINATOR) as client:
            query = f"/api/results?purpose={purpose.value}&first=2020-01&last=2030-12"
            shown = (await client.get(query)).json()
        assert shown["rows"] == [r.__dict__ for r in ordered(table)], (agency, purpose)
        assert shown["rows"] or purpose == Purpose.RESULTS_REPORTING


async def test_a_business_history_spans_the_operations_it_was_inspected_in(live: LiveConsole) -> None:
    rows = await live.fetch("SELECT subject, count(*) AS n FROM subject_operations"
                            " WHERE subject_kind = 'business'"
                            " GROUP BY subject ORDER BY n DESC, subject LIMIT 1")
    business = rows[0]["subject"]
    async with live.client("POLICE", Role.COORDINATOR) as client:
        found = (await client.get("/api/subjects", params={"kind": "business", "key": business,
                                                           "purpose": "joint_operation"})).json()
    assert found["operations"] and all(i.get("business") == business for op in found["operations"]
                                       for i in op["items"])


async def read_plan(bootstrap: str, start: dict[tuple[str, int], int], operation_id: str) -> list[Any]:
    """The records of the planner's topic since `start` that carry this operation's plan."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, **kafka_options(bootstrap))
    await consumer.start()
    try:
        tps = [TopicPartition(t, p) for (t, p) in start]
        consumer.assign(tps)
        for tp in tps:
            consumer.seek(tp, start[(tp.topic, tp.partition)])
        found: list[Any] = []
        for _ in range(20):
            batch = await consumer.getmany(timeout_ms=500)
            found += [r for rs in batch.values() for r in rs
                      if json.loads(r.value)["data"]["operation_id"] == operation_id]
            if found:
                return found
        return found
    finally:
        await consumer.stop()


async def process(live: LiveConsole, found: list[Any]) -> None:
    """What the coordinator does with records it consumes: intake checks, then its store."""
    records = [IncomingRecord(r.topic, r.partition, r.offset, r.key, r.value) for r in found]
    await store_as_coordinator(live.db.app_url, live.settings.keys_dir, records)


async def listed(live: LiveConsole, agency: str, role: Role = Role.OFFICER) -> list[dict[str, Any]]:
    async with live.client(agency, role) as client:
        return list((await client.get("/api/operations")).json()["operations"])


async def test_a_planned_operation_goes_out_signed_and_appears_once_processed(live: LiveConsole) -> None:
    bootstrap = live.settings.kafka_bootstrap_servers
    start = await end_offsets(bootstrap, [events_topic("MUNI_SECURITY_0581")])
    plan = {"title": "Kvällstillslag Hageby", "municipality": "Norrköping", "planned_date": "2026-12-01",
            "case_reference": "KS 2026/1187", "participants": ["POLICE", "FIRE_RTOG"], "targets": [
                {"fastighetsbeteckning": "Norrköping Sandgatan 2:14", "orgnr": "556036-0793",
                 "business_name": "Hageby Bilvård AB", "industry": "car_wash"}]}
    async with live.client("MUNI_SECURITY_0581", Role.COORDINATOR) as coordinator:
        published = await coordinator.post("/api/plans", json=plan)
    assert published.status_code == 201, published.text
    op = published.json()["operation_id"]
    assert op not in [o["operation_id"] for o in await listed(live, "MUNI_SECURITY_0581", Role.COORDINATOR)]

    found = await read_plan(bootstrap, start, op)
    assert len(found) == 1, "the plan did not reach the planner's own topic exactly once"
    await process(live, found)

    mine = await listed(live, "MUNI_SECURITY_0581", Role.COORDINATOR)  # under the mandate the plan gave
    assert mine[0]["operation_id"] == op and mine[0]["lead_agency"] == "MUNI_SECURITY_0581"
    assert mine[0]["mandate"]["case_reference"] == "KS 2026/1187"
    assert op not in [o["operation_id"] for o in await listed(live, "FIRE_RTOG")]  # no mandate in it yet
    for agency in ("FIRE_RTOG", "TAX"):
        await live.assign(agency, Role.OFFICER, [op])
    assert op in [o["operation_id"] for o in await listed(live, "FIRE_RTOG")]
    assert op not in [o["operation_id"] for o in await listed(live, "TAX")]  # only participants learn of it
