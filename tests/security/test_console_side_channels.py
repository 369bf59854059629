"""No side channels in the console, on PostgreSQL with a simulated campaign (docs/security.md,
"Side channels"): a recipient's audit export holds no denial and nothing of an operation it
may not see while the owner's keeps them; a hidden operation and a missing one answer alike
after the same queries; the subject search reads nothing outside the viewer's scope; signals
count only what the viewer may see; free text stays out of the chain and is erased with its
retention while the chain still verifies."""

from __future__ import annotations

import datetime
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import pytest

from schemas.agencies import load_agencies
from services.audit import review
from services.common.keys import load_registry
from services.console.signals import cross_agency_signals, sightings
from services.coordinator.ports import SystemClock
from services.coordinator.retention import erase_personal_data
from services.disclosure.enforce import Viewer
from services.disclosure.policy import Purpose, Role
from tests.integration.console.conftest import LiveConsole

pytestmark = pytest.mark.integration
AGENCIES = load_agencies()
MISSING_ID = "LKPG-2026-PLANX"  # as long as the planted operation's id


@asynccontextmanager
async def queries_of(live: LiveConsole) -> AsyncIterator[list[tuple[str, tuple[Any, ...]]]]:
    """Every statement the console sends to PostgreSQL inside the block, in order, with its
    arguments."""
    seen: list[tuple[str, tuple[Any, ...]]] = []
    source = live.app.state.console.source
    await source.close()

    async def log_queries(conn: asyncpg.Connection) -> None:
        conn.add_query_logger(lambda logged: seen.append((logged.query, tuple(logged.args or ()))))

    source._pool = await asyncpg.create_pool(source.url, min_size=1, max_size=1, init=log_queries)
    try:
        yield seen
    finally:
        await source.close()


async def outsiders(live: LiveConsole) -> list[str]:
    [record] = [r for r in await live.records() if r["operation_id"] == live.planted_operation]
    return sorted(set(AGENCIES) - set(record["participants"]))


async def test_a_recipients_export_holds_no_denial_and_the_owners_keeps_them(live: LiveConsole) -> None:
    op = live.planted_operation
    outsider = (await outsiders(live))[0]
    async with live.client("FIRE_RTOG") as fire, live.client(outsider) as stranger:
        assert (await fire.get(f"/api/operations/{op}?purpose=joint_operation")).status_code == 200
        assert (await stranger.get(f"/api/operations/{op}?purpose=joint_operation")).status_code == 404
        assert (await stranger.get("/api/operations?purpose=joint_operation")).status_code == 200
    conn = await asyncpg.connect(live.db.url("console"))
    try:
        everything = await review.entries(conn)
        for agency in AGENCIES:  # the SQL of an agency's own export is `shown_to`, entry for entry
            own = await review.entries(conn, shown_to=agency)
            assert [e["seq"] for e in own] == [e["seq"] for e in everything if review.shown_to(e, agency)], agency
    finally:
        await conn.close()
    assert [e for e in everything if e["kind"] == "denial" and e.get("recipient") == "FIRE_RTOG"]
    assert [e for e in everything if e.get("recipient") == outsider and e.get("operation_id") == op]
    async with live.client("FIRE_RTOG", Role.AUDITOR) as fire, live.client(outsider, Role.AUDITOR) as stranger, \
            live.client("MUNI_SOCIAL_0581", Role.AUDITOR) as social:
        fire_rows = (await fire.get("/api/audit/entries?format=json")).json()
        stranger_text = (await stranger.get("/api/audit/entries?format=csv")).text
        social_rows = (await social.get("/api/audit/entries?format=json")).json()
    assert fire_rows and not [r for r in fire_rows if r["kind"] == "denial" and r["owner"] != "FIRE_RTOG"]
    assert op not in stranger_text, "an agency outside the operation got an entry about its plan"
    assert [r for r in social_rows if r["kind"] == "denial" and r["recipient"] == "FIRE_RTOG"]
    digests = [r["digest"] for r in fire_rows if r.get("digest")]
    assert digests and all(d.startswith("hm1:") for d in digests)


async def test_a_hidden_operation_answers_like_a_missing_one_after_the_same_queries(live: LiveConsole) -> None:
    hidden, outsider = live.planted_operation, (await outsiders(live))[0]
    assert len(hidden) == len(MISSING_ID)
    routes: list[tuple[str, str, Any]] = [
        ("GET", "/api/operations/{op}?purpose=joint_operation", None),
        ("GET", "/operationer/{op}?purpose=joint_operation", None),
        ("GET", "/operationer/{op}/tidslinje?purpose=joint_operation", None),
        ("GET", "/api/operations/{op}/events?purpose=joint_operation", None),
        ("POST", "/api/requests", {"owner": "TAX", "categories": ["tax"], "purpose": "joint_operation",
                                   "basis": "osl-10-27", "reason": "Behövs för nästa insats i lokalen."}),
    ]
    for method, path, body in routes:
        answers = []
        for op in (hidden, MISSING_ID):
            async with queries_of(live) as seen, live.client(outsider) as client:
                response = await client.request(method, path.format(op=op),
                                                json={**body, "operation_id": op} if body else None)
            headers = {k: v for k, v in response.headers.items() if k not in ("date", "content-length")}
            answers.append((response.status_code, response.text, headers, [q for q, _ in seen]))
        (status, text, headers, hidden_queries), missing = answers[0], answers[1]
        assert status == 404 and hidden not in text, path
        assert (status, text, headers) == missing[:3], f"{method} {path}: the answers differ"
        assert hidden_queries == missing[3], f"{method} {path}: the queries differ"


async def test_the_subject_search_reads_nothing_outside_the_viewers_scope(live: LiveConsole) -> None:
    outsider = (await outsiders(live))[0]
    [business] = [r["subject"] for r in await live.fetch(
        "SELECT subject FROM subject_operations WHERE operation_id = $1 AND subject_kind = 'business' LIMIT 1",
        live.planted_operation)]
    async with queries_of(live) as seen, live.client(outsider) as client:
        found = await client.get("/api/subjects", params={"kind": "business", "key": business,
                                                          "purpose": "joint_operation"})
    assert found.status_code == 200 and live.planted_operation not in found.text
    search = [q for q, _ in seen if "subject_operations" in q]
    assert search and all("participants @>" in q for q in search), "the scope is not in the query"
    assert not [q for q, args in seen if live.planted_operation in args], "the hidden operation was touched"


async def test_signals_count_only_what_each_coordinator_may_see(live: LiveConsole) -> None:
    console = live.app.state.console
    console.settings = console.settings.model_copy(update={"console_signal_min_agencies": 2})
    records = await live.records()
    today = console.today()
    for agency, purpose in (("POLICE", Purpose.ORGANISED_CRIME), ("FIRE_RTOG", Purpose.JOINT_OPERATION),
                            ("MUNI_SOCIAL_0581", Purpose.JOINT_OPERATION), ("TAX", Purpose.JOINT_OPERATION)):
        viewer = Viewer(agency, Role.COORDINATOR, "oracle")
        found = []
        for record in records:  # the oracle: every record's view, decided one by one
            view = console.enforcement.operation(record, viewer, purpose, today)
            if view.visible:
                found += sightings(view.record, view.accesses, record)
        expected = cross_agency_signals(found, min_agencies=2, window_days=console.settings.console_signal_window_days)
        async with live.client(agency, Role.COORDINATOR) as client:
            shown = (await client.get(f"/api/signals?purpose={purpose.value}")).json()["signals"]
        assert [(s["business"], s["agencies"], s["bases"]) for s in shown] == [
            (s.business, list(s.agencies), list(s.bases)) for s in expected], agency
    reads = await live.fetch("SELECT entry FROM audit_log WHERE kind = 'read'"
                             " AND entry ->> 'what' = 'cross-agency signals'")
    agencies = {json.loads(r["entry"])["actor"]["agency"] for r in reads}
    assert agencies == {"POLICE", "FIRE_RTOG", "MUNI_SOCIAL_0581", "TAX"}  # each look-up, under its mandates
    assert all(json.loads(r["entry"])["case_reference"] for r in reads)


async def test_free_text_stays_out_of_the_chain_and_is_erased_with_its_retention(live: LiveConsole) -> None:
    reason, assessment = "Misstänkt penningtvätt genom lokalen, enligt tips.", "Polisen har begärt det enligt lagen."
    await live.delegate("TAX")
    until = (live.app.state.console.today() + datetime.timedelta(days=30)).isoformat()
    async with live.client("POLICE") as police, live.client("TAX", Role.COORDINATOR) as tax:
        made = (await police.post("/api/requests", json={
            "operation_id": live.planted_operation, "owner": "TAX", "categories": ["tax"],
            "purpose": "crime_prevention", "basis": "prop-2024-25-65", "reason": reason})).json()
        decided = await tax.post(f"/api/requests/{made['id']}/decision",
                                 json={"approve": True, "assessment": assessment, "valid_until": until})
        assert decided.status_code == 200, decided.text
        await police.get(f"/api/operations/{live.planted_operation}?purpose=crime_prevention")
    chain = " ".join(r["entry"] for r in await live.fetch("SELECT entry::text FROM audit_log"))
    assert reason not in chain and assessment not in chain
    owner = await asyncpg.connect(live.db.owner_url)
    try:
        kept = {r["ref"]: r["text"] for r in await owner.fetch("SELECT ref, text FROM audit_texts")}
        step = await owner.fetchval("SELECT entry::text FROM audit_log WHERE kind = 'request_decision'")
    finally:
        await owner.close()
    assert set(kept.values()) == {reason, assessment}
    assert all(ref in step for ref in kept), "the decision's entry does not name its texts"
    conn = await asyncpg.connect(live.db.url("coordinator"))  # the erasure runs as the coordinator
    try:
        async with conn.transaction():
            await erase_personal_data(conn, datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=1),
                                      SystemClock())
    finally:
        await conn.close()
    owner = await asyncpg.connect(live.db.owner_url)
    try:
        after = await owner.fetch("SELECT ref, text, erased_at FROM audit_texts")
        report = await review.verify(owner, [], load_registry(live.settings.keys_dir))
        erasure = await owner.fetchval("SELECT entry ->> 'texts' FROM audit_log WHERE kind = 'erasure'")
    finally:
        await owner.close()
    assert {r["ref"] for r in after} == set(kept) and all(r["text"] is None and r["erased_at"] for r in after)
    assert report.ok, report.problems
    assert erasure == "2"
