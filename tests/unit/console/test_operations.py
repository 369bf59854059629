"""Operationer: officers see the operations their agency takes part in, with other agencies'
secrets as markers; an agency outside an operation cannot tell it exists."""

from __future__ import annotations

import copy
import datetime
import json
from collections.abc import Callable
from typing import Any

from services.disclosure.policy import Role
from tests.unit.console.conftest import PERSON, PLANTED, TAX_FEE, Console, decision, entry, record


async def listed(console: Console, agency: str, role: Role = Role.OFFICER, query: str = "") -> list[str]:
    async with console.client(agency, role) as client:
        response = await client.get(f"/api/operations{query}")
    assert response.status_code == 200, response.text
    return [op["operation_id"] for op in response.json()["operations"]]


async def test_an_officer_lists_the_open_operations_her_agency_takes_part_in(console: Console) -> None:
    assert await listed(console, "FIRE_RTOG") == ["NKPG-2026-05", "LKPG-2026-04"]  # newest first
    assert await listed(console, "TAX") == ["LKPG-2026-04"]


async def test_an_agency_outside_an_operation_does_not_learn_it_exists(console: Console) -> None:
    assert await listed(console, "ENFORCEMENT") == []
    async with console.client("ENFORCEMENT") as client:
        api = await client.get("/api/operations/LKPG-2026-04?purpose=joint_operation")
        page = await client.get("/operationer/LKPG-2026-04?purpose=joint_operation")
        missing = await client.get("/api/operations/NO-SUCH-OP?purpose=joint_operation")
    assert api.status_code == page.status_code == missing.status_code == 404
    assert api.json() == missing.json()  # the same answer as for an operation that does not exist
    assert "Vårens tillslag" not in page.text


async def test_a_closed_operation_is_shared_no_more_but_its_lead_still_sees_it(console: Console) -> None:
    assert "LKPG-2025-09" not in await listed(console, "FIRE_RTOG")
    assert "LKPG-2025-09" in await listed(console, "POLICE", Role.COORDINATOR)


async def test_filters_narrow_the_list(console: Console) -> None:
    assert await listed(console, "POLICE", query="?municipality=motala") == ["MTLA-2026-03"]
    assert await listed(console, "POLICE", query="?status=closed") == ["LKPG-2025-09"]
    assert await listed(console, "POLICE", query="?from=2026-01-01&to=2026-03-31") == ["MTLA-2026-03"]
    assert await listed(console, "POLICE", query="?agency=TAX") == ["LKPG-2026-04"]


async def test_the_list_pages_by_keyset_without_gaps_or_repeats(make_console) -> None:  # type: ignore[no-untyped-def]
    many = [record(f"OP-{i:03d}", lead="FIRE_RTOG", participants=["FIRE_RTOG", "POLICE"],
                   planned=f"2026-0{1 + i % 9}-1{i % 10}")
            for i in range(23)]
    console = make_console(many, console_page_size=5)
    seen, after = [], None
    async with console.client("POLICE") as client:
        for _ in range(10):
            query = f"?after={after}" if after else ""
            body = (await client.get(f"/api/operations{query}")).json()
            seen += [op["operation_id"] for op in body["operations"]]
            after = body["next"]
            if after is None:
                break
    expected = [r["operation_id"] for r in sorted(many, key=lambda r: (r["planned_date"], r["operation_id"]),
                                                  reverse=True)]
    assert seen == expected


async def test_the_timeline_shows_nothing_of_secret_items_no_rule_opens(console: Console) -> None:
    async with console.client("FIRE_RTOG") as client:
        page = await client.get("/operationer/LKPG-2026-04?purpose=joint_operation")
        api = (await client.get("/api/operations/LKPG-2026-04?purpose=joint_operation")).json()
    assert page.status_code == 200
    # that the tax agency found something is itself secret (OSL 27 kap. 1 §): not even a marker
    assert "OSL 27 kap." not in page.text and not any(e["agency"] == "TAX" for e in api["timeline"])
    assert "UTRYMNING_BLOCKERAD" in page.text  # FIRE's own finding
    assert PLANTED not in page.text and PLANTED not in json.dumps(api)
    assert PERSON not in page.text  # a person in social services' matter
    assert api["amounts_sek"]["imposed"] == 0  # the withheld fee is not in the sum
    assert str(TAX_FEE) not in json.dumps(api)


async def test_inside_the_organised_crime_collaboration_the_police_see_the_tax_fee(console: Console) -> None:
    async with console.client("POLICE", Role.COORDINATOR) as client:
        before = (await client.get("/api/operations/LKPG-2026-04?purpose=organised_crime")).json()
        console.collaborate("POLICE", "TAX")  # the decision under lag (2016:774) is recorded
        api = (await client.get("/api/operations/LKPG-2026-04?purpose=organised_crime")).json()
    assert before["amounts_sek"]["imposed"] == 0  # no collaboration decision, no duty to disclose
    assert api["amounts_sek"]["imposed"] == TAX_FEE
    assert PLANTED not in json.dumps(api)


async def test_social_services_see_their_own_finding(console: Console) -> None:
    async with console.client("MUNI_SOCIAL_0581") as client:
        page = await client.get("/operationer/LKPG-2026-04?purpose=joint_operation")
    assert PLANTED in page.text


async def test_the_page_first_asks_for_the_purpose(console: Console) -> None:
    async with console.client("FIRE_RTOG") as client:
        page = await client.get("/operationer/LKPG-2026-04")
        api = await client.get("/api/operations/LKPG-2026-04")
    assert page.status_code == 200 and "Ange ändamål" in page.text and 'name="purpose"' in page.text
    assert "Vårens tillslag" not in page.text
    assert api.status_code == 400 and "purpose" in api.json()["detail"]
    assert console.audit == []  # nothing was shown, nothing is logged


async def test_every_view_is_logged_with_the_stated_purpose(console: Console) -> None:
    async with console.client("FIRE_RTOG") as client:
        await client.get("/operationer/LKPG-2026-04?purpose=joint_operation")
    log = console.audit
    reads = [e for e in log if e["kind"] == "read"]
    assert len(reads) == 1 and reads[0]["purpose"] == "joint_operation"
    assert reads[0]["actor"]["agency"] == "FIRE_RTOG" and reads[0]["channel"] == "console"
    foreign = {e["event_id"] for e in log if e["kind"] in ("disclosure", "denial")}
    assert {"e1", "e2", "e5", "e6", None} <= foreign  # TAX's and social services' items, and the plan
    assert not {"e3", "e4"} & foreign  # FIRE's own items are no disclosure
    assert all(e["channel"] == "console" and e["purpose"] == "joint_operation" for e in log)
    denial = next(e for e in log if e["event_id"] == "e5")
    assert denial["kind"] == "denial" and PLANTED not in json.dumps(log)


async def test_a_list_view_logs_each_foreign_plan_shown(console: Console) -> None:
    await listed(console, "FIRE_RTOG")
    shown = [e for e in console.audit if e["kind"] == "disclosure"]
    assert {e["operation_id"] for e in shown} == {"NKPG-2026-05", "LKPG-2026-04"}
    assert {e["category"] for e in shown} == {"planned_operation"}


async def stream_across(console: Console, agency: str, operation_id: str,
                        change: Callable[[dict[str, Any]], None]) -> tuple[str, str]:
    """The live stream's content type and text, with `change` made to the stored record when
    the stream first looks for changes (it ends after `console_sse_max_seconds`)."""
    source, looked = console.source, []
    changed_at = source.changed_at

    async def change_when_looked_at(op: str) -> datetime.datetime | None:
        looked.append(op)
        if len(looked) == 2:  # the route's own look, then the stream's first
            changed = copy.deepcopy(source.state.records[operation_id])
            change(changed)
            source.put_record(changed, at=source.state.updated[operation_id] + datetime.timedelta(minutes=1))
        return await changed_at(op)

    source.changed_at = change_when_looked_at  # type: ignore[method-assign]
    try:
        async with console.client(agency) as client:
            response = await client.get(f"/api/operations/{operation_id}/events?purpose=joint_operation")
    finally:
        source.changed_at = changed_at  # type: ignore[method-assign]
    assert len(looked) >= 2, "the stream never looked for a change"
    return response.headers["content-type"], response.text


async def test_the_live_stream_says_when_the_record_changed(console: Console) -> None:
    def fire_decides(record: dict[str, Any]) -> None:
        record["timeline"].append(entry("FIRE_RTOG", "decision", "e7", decision("föreläggande",
                                                                               "municipal_decision")))

    kind, text = await stream_across(console, "FIRE_RTOG", "LKPG-2026-04", fire_decides)
    assert kind.startswith("text/event-stream")
    assert "event: ready" in text and "event: changed" in text


async def test_the_live_stream_is_silent_about_a_change_the_viewer_may_not_see(console: Console) -> None:
    """Social services record another finding: the record changes, FIRE's view does not, and
    FIRE's stream says nothing (it used to say `changed` whenever the record did)."""
    def social_services_find(record: dict[str, Any]) -> None:
        record["timeline"].append(entry("MUNI_SOCIAL_0581", "inspection", f"e{len(record['timeline']) + 1}", {
            "findings": [{"code": "ANNAN_KLIENTUPPGIFT", "category": "social_services", "count": 1}]}))

    _, text = await stream_across(console, "FIRE_RTOG", "LKPG-2026-04", social_services_find)
    assert "event: ready" in text
    assert "event: changed" not in text and "event: gone" not in text
    _, own = await stream_across(console, "MUNI_SOCIAL_0581", "LKPG-2026-04", social_services_find)
    assert "event: changed" in own  # the same kind of change reaches the one who may see it


async def test_the_live_stream_is_no_way_around_the_rules(console: Console) -> None:
    async with console.client("ENFORCEMENT") as client:
        response = await client.get("/api/operations/LKPG-2026-04/events?purpose=joint_operation")
    assert response.status_code == 404


async def test_the_live_stream_ends_when_the_operation_closes(console: Console) -> None:
    def close(record: dict[str, Any]) -> None:
        record["status"] = "closed"

    _, text = await stream_across(console, "FIRE_RTOG", "NKPG-2026-05", close)
    assert "event: gone" in text and "event: changed" not in text
