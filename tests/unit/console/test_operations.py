"""Operationer: officers see the operations their agency takes part in, with other agencies'
secrets as markers; an agency outside an operation cannot tell it exists."""

from __future__ import annotations

import copy
import datetime
import json
from collections.abc import Callable
from typing import Any

from services.console.mandates import revoked
from services.disclosure.policy import Role
from tests.mandates import CASE
from tests.unit.console.conftest import PERSON, PLANTED, TAX_FEE, Console, decision, entry, record, subject


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


async def test_without_a_mandate_an_operation_answers_as_a_missing_one(console: Console) -> None:
    """Need-to-know is per person: FIRE's officer without a mandate sees nothing of an operation
    FIRE takes part in, and the answer is the one a missing operation gets."""
    async with console.client("FIRE_RTOG", assigned=False) as client:
        page = await client.get("/operationer/LKPG-2026-04")
        api = await client.get("/api/operations/LKPG-2026-04?purpose=joint_operation")
        missing = await client.get("/api/operations/LKPG-2026-99?purpose=joint_operation")
        listed = (await client.get("/api/operations")).json()
    assert page.status_code == api.status_code == missing.status_code == 404
    assert api.json() == missing.json() and "Vårens tillslag" not in page.text
    assert listed["operations"] == []
    assert not [e for e in console.audit if e["kind"] in ("read", "disclosure")]


async def test_a_mandate_opens_only_its_operation_under_its_own_purpose(console: Console) -> None:
    """A mandate for one operation under joint_operation: the other operations stay hidden, and
    naming another purpose opens nothing (the purpose is the mandate's, never the user's key)."""
    console.assign("POLICE", Role.OFFICER, ["LKPG-2026-04"])
    for m in [m for m in console.source.state.mandates.values() if m.purpose.value != "joint_operation"]:
        del console.source.state.mandates[m.id]
    async with console.client("POLICE", assigned=False) as client:
        mine = await client.get("/api/operations/LKPG-2026-04")
        other_purpose = await client.get("/api/operations/LKPG-2026-04?purpose=crime_prevention")
        listed = (await client.get("/api/operations")).json()
    assert mine.status_code == 200 and mine.json()["purpose"] == "joint_operation"
    assert mine.json()["mandate"]["case_reference"] == CASE
    assert other_purpose.status_code == 404
    assert [o["operation_id"] for o in listed["operations"]] == ["LKPG-2026-04"]


async def test_a_coordinator_gives_and_revokes_mandates_in_the_own_authority_only(console: Console) -> None:
    officer = subject("FIRE_RTOG", Role.OFFICER)
    ask = {"holder": officer, "holder_name": "Olle Brandman", "purpose": "joint_operation",
           "case_reference": "RTÖG 2026/311", "operation_id": "LKPG-2026-04", "valid_until": "2026-06-30"}
    async with console.client("FIRE_RTOG", Role.COORDINATOR, assigned=False) as boss, \
            console.client("POLICE", Role.COORDINATOR, assigned=False) as police, \
            console.client("FIRE_RTOG", assigned=False) as fire:
        before = await fire.get("/api/operations/LKPG-2026-04")
        no_case = await boss.post("/api/mandates", json={**ask, "case_reference": "x"})
        too_long = await boss.post("/api/mandates", json={**ask, "valid_until": "2028-01-01"})
        standing_op = await boss.post("/api/mandates", json={**ask, "purpose": "results_reporting"})
        lag_2016 = await boss.post("/api/mandates", json={**ask, "purpose": "organised_crime"})
        given = await boss.post("/api/mandates", json=ask)
        by_officer = await fire.post("/api/mandates", json=ask)
        during = await fire.get("/api/operations/LKPG-2026-04")
        foreign = await police.post(f"/api/mandates/{given.json()['id']}/revocation")
        revoked = await boss.post(f"/api/mandates/{given.json()['id']}/revocation")
        after = await fire.get("/api/operations/LKPG-2026-04")
        own = (await fire.get("/api/mandates")).json()
    assert before.status_code == 404 and after.status_code == 404 and during.status_code == 200
    assert no_case.status_code == too_long.status_code == standing_op.status_code == lag_2016.status_code == 400
    assert "diarienummer" in no_case.json()["detail"] and "2016:774" in lag_2016.json()["detail"]
    assert given.status_code == 201 and by_officer.status_code == 403 and foreign.status_code == 404
    assert revoked.json()["revoked_at"] is not None and [m["id"] for m in own] == [given.json()["id"]]
    acts = [e for e in console.audit if e["kind"] in ("mandate_assigned", "mandate_revoked")]
    assert [(e["kind"], e["case_reference"], e["holder"]) for e in acts] == [
        ("mandate_assigned", "RTÖG 2026/311", officer), ("mandate_revoked", "RTÖG 2026/311", officer)]
    read = next(e for e in console.audit if e["kind"] == "read")
    assert (read["case_reference"], read["mandate"], read["purpose"]) == ("RTÖG 2026/311", given.json()["id"],
                                                                          "joint_operation")


async def test_every_view_is_logged_with_the_stated_purpose(console: Console) -> None:
    async with console.client("FIRE_RTOG") as client:
        await client.get("/operationer/LKPG-2026-04?purpose=joint_operation")
    log = console.audit
    reads = [e for e in log if e["kind"] == "read"]
    assert len(reads) == 1 and reads[0]["purpose"] == "joint_operation"
    assert reads[0]["case_reference"] == CASE and reads[0]["mandate"] and reads[0]["bases"]
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


async def test_the_live_stream_ends_when_the_mandate_is_revoked(console: Console) -> None:
    """A change after the coordinator revoked the officer's mandate: the stream says `gone`."""
    def revoke_and_decide(record: dict[str, Any]) -> None:
        for m in list(console.source.state.mandates.values()):
            if m.authority == "FIRE_RTOG" and m.operation_id == "LKPG-2026-04":
                console.source.state.mandates[m.id] = revoked(m, by="samordnare", by_authority="FIRE_RTOG",
                                                              at=datetime.datetime(2026, 5, 4, 9, tzinfo=datetime.UTC))
        record["timeline"].append(entry("FIRE_RTOG", "decision", "e8", decision("föreläggande", "municipal_decision")))

    _, text = await stream_across(console, "FIRE_RTOG", "LKPG-2026-04", revoke_and_decide)
    assert "event: gone" in text and "event: changed" not in text


async def test_an_authoritys_mandates_are_shown_to_it_alone(console: Console) -> None:
    """Who works on what is the authority's own administrative data: no other authority's
    coordinator lists it, nor finds it in its audit export."""
    ask = {"holder": subject("TAX", Role.OFFICER), "holder_name": "Tina Skatt", "purpose": "joint_operation",
           "case_reference": "Skatteverket 131 4711-26/121", "operation_id": "LKPG-2026-04",
           "valid_until": "2026-06-30"}
    async with console.client("TAX", Role.COORDINATOR, assigned=False) as tax, \
            console.client("POLICE", Role.COORDINATOR, assigned=False) as police, \
            console.client("POLICE", Role.AUDITOR) as police_auditor:
        given = (await tax.post("/api/mandates", json=ask)).json()
        theirs = (await police.get("/api/mandates")).json()
        page = (await police.get("/uppdrag")).text
        export = (await police_auditor.get("/api/audit/entries")).text
    assert given["id"] and theirs and all(m["holder"].startswith("dev-police-") for m in theirs)
    for trace in (given["id"], "4711-26/121", "Tina Skatt"):
        assert trace not in page and trace not in export
