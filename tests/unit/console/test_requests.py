"""Utlämnandebegäranden: the police ask the tax agency for its items in an operation under the
law from prop. 2024/25:65; a tax coordinator with the agency's delegation decides, and the
police then see exactly those items, for that purpose, until the decision expires. Tax stays
out of the general clause; a decision under it states that disclosure obviously (uppenbart)
outweighs secrecy. Every step is logged."""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from typing import Any

from services.disclosure.policy import Role
from tests.unit.console.conftest import NOW, PLANTED, TAX_FEE, Console, decision, entry, spring_operation

OP = "LKPG-2026-04"
ASK = {"operation_id": OP, "owner": "TAX", "categories": ["tax"], "purpose": "crime_prevention",
       "basis": "prop-2024-25-65", "reason": "Misstänkt penningtvätt genom lokalen; vi behöver avgiftsbesluten."}
UNTIL = (NOW.date() + datetime.timedelta(days=30)).isoformat()
APPROVE = {"approve": True, "assessment": "Polisen har begärt uppgifterna; skyldighet att lämna dem.",
           "valid_until": UNTIL}


async def fee_seen(console: Console, purpose: str) -> int:
    async with console.client("POLICE") as police:
        view = (await police.get(f"/api/operations/{OP}?purpose={purpose}")).json()
    return int(view["amounts_sek"]["imposed"])


async def ask_and_approve(console: Console, **decided: Any) -> dict[str, Any]:
    console.delegate("TAX")
    async with console.client("POLICE") as police, console.client("TAX", Role.COORDINATOR) as tax:
        made = await police.post("/api/requests", json=ASK)
        assert made.status_code == 201, made.text
        answer = await tax.post(f"/api/requests/{made.json()['id']}/decision", json={**APPROVE, **decided})
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


async def test_a_decision_opens_exactly_its_items_for_its_purpose(console: Console) -> None:
    assert await fee_seen(console, "crime_prevention") == 0
    decided = await ask_and_approve(console)
    assert decided["status"] == "approved" and decided["rule"] == "information-to-police"
    assert decided["items"] == ["e1", "e2"] and decided["valid_until"] == UNTIL
    assert decided["basis_verified"] is False  # prop. 2024/25:65: SFS number unverified
    assert await fee_seen(console, "crime_prevention") == TAX_FEE
    assert await fee_seen(console, "joint_operation") == 0  # the same decision under another purpose
    async with console.client("FIRE_RTOG") as fire:  # and to anyone else
        view = (await fire.get(f"/api/operations/{OP}?purpose=crime_prevention")).json()
    assert "e2" not in json.dumps(view) and PLANTED not in json.dumps(view)
    steps = [e for e in console.audit if e["kind"] in ("disclosure_request", "request_decision")]
    assert [(e["kind"], e["status"]) for e in steps] == [("disclosure_request", "pending"),
                                                          ("request_decision", "approved")]
    assert (steps[1]["rule"], steps[1]["items"], steps[1]["delegation"]) == (
        "information-to-police", ["e1", "e2"], "DEL-TAX-coordinator")
    opened = [e for e in console.audit if e["kind"] == "disclosure" and e["event_id"] == "e2"
              and e["category"] == "tax"]
    assert opened and opened[-1]["approval"] == decided["id"] and "DEL-TAX" in opened[-1]["decision_maker"]
    # free text stays out of the chain: kept aside, erasably, and named by its keyed digest
    assert APPROVE["assessment"] not in json.dumps(console.audit) and ASK["reason"] not in json.dumps(console.audit)
    kept = console.source.state.texts
    assert kept[steps[1]["assessment_ref"]].text == APPROVE["assessment"]
    assert kept[steps[0]["reason_ref"]].text == ASK["reason"] and steps[0]["reason_ref"].startswith("hm1:")
    assert opened[-1]["assessment_ref"] == steps[1]["assessment_ref"]


async def test_items_added_later_need_a_new_decision(console: Console) -> None:
    await ask_and_approve(console)
    later = spring_operation()
    later["timeline"].append(entry("TAX", "decision", "e9", decision("kontrollavgift", "tax", 2_500, "imposed")))
    console.source.put_record(later)
    assert await fee_seen(console, "crime_prevention") == TAX_FEE  # not TAX_FEE + 2 500


async def test_after_its_expiry_a_decision_opens_nothing(console: Console) -> None:
    await ask_and_approve(console)
    console.app.state.console.clock = lambda: NOW + datetime.timedelta(days=31)
    assert await fee_seen(console, "crime_prevention") == 0


async def test_only_a_person_with_the_owners_delegation_decides(console: Console) -> None:
    async with console.client("POLICE") as police, console.client("TAX", Role.COORDINATOR) as tax:
        request_id = (await police.post("/api/requests", json=ASK)).json()["id"]
        refused = await tax.post(f"/api/requests/{request_id}/decision", json=APPROVE)
    assert refused.status_code == 400 and "ingen delegation" in refused.json()["detail"]
    assert await fee_seen(console, "crime_prevention") == 0


async def test_an_approval_needs_an_expiry(console: Console) -> None:
    console.delegate("TAX")
    async with console.client("POLICE") as police, console.client("TAX", Role.COORDINATOR) as tax:
        request_id = (await police.post("/api/requests", json=ASK)).json()["id"]
        for until in (None, "2099-01-01"):
            refused = await tax.post(f"/api/requests/{request_id}/decision", json={**APPROVE, "valid_until": until})
            assert refused.status_code == 400 and "till och med" in refused.json()["detail"]


async def test_tax_is_not_disclosed_under_the_general_clause(console: Console) -> None:
    async with console.client("FIRE_RTOG") as fire:
        refused = await fire.post("/api/requests", json={**ASK, "purpose": "joint_operation", "basis": "osl-10-27"})
    assert refused.status_code == 400 and "Ingen regel" in refused.json()["detail"]


def with_stopped_payment() -> list[dict[str, Any]]:
    op = spring_operation()
    op["timeline"].append(entry("SOCIAL_INSURANCE", "decision", "e7",
                                decision("stoppad_utbetalning", "social_insurance", 48_000, "stopped")))
    return [op]


async def test_a_general_clause_decision_states_that_disclosure_obviously_outweighs_secrecy(
        make_console: Callable[..., Console]) -> None:
    console = make_console(with_stopped_payment())
    console.delegate("SOCIAL_INSURANCE")
    ask = {**ASK, "owner": "SOCIAL_INSURANCE", "categories": ["social_insurance"], "purpose": "joint_operation",
           "basis": "osl-10-27", "reason": "Brandrisk: bor personer i lokalen?"}
    async with console.client("FIRE_RTOG") as fire, console.client("SOCIAL_INSURANCE", Role.COORDINATOR) as fk:
        request_id = (await fire.post("/api/requests", json=ask)).json()["id"]
        page = await fk.get("/begaranden")
        not_obvious = await fk.post(f"/api/requests/{request_id}/decision", json=APPROVE)
        obvious = await fk.post(f"/api/requests/{request_id}/decision", json={**APPROVE, "obvious": True})
        view = (await fire.get(f"/api/operations/{OP}?purpose=joint_operation")).json()
    assert "uppenbart" in page.text and "(okontrollerad)" in page.text
    assert not_obvious.status_code == 400 and "uppenbart" in not_obvious.json()["detail"]
    assert obvious.status_code == 200 and obvious.json()["rule"] == "general-clause-case-by-case"
    assert view["amounts_sek"]["stopped"] == 48_000
    decided = next(e for e in console.audit if e["kind"] == "request_decision")
    assert "uppenbart" in decided["threshold"] and decided["basis_verified"] is False


async def test_a_refusal_opens_nothing(console: Console) -> None:
    console.delegate("TAX")
    async with console.client("POLICE") as police, console.client("TAX", Role.COORDINATOR) as tax:
        request_id = (await police.post("/api/requests", json=ASK)).json()["id"]
        refused = await tax.post(f"/api/requests/{request_id}/decision",
                                 json={"approve": False, "assessment": "Förundersökningen är inte inledd än."})
    assert refused.json()["status"] == "refused"
    assert await fee_seen(console, "crime_prevention") == 0


async def test_only_the_owner_decides(console: Console) -> None:
    console.delegate("POLICE", Role.OFFICER)
    async with console.client("POLICE") as police, console.client("FIRE_RTOG") as fire:
        request_id = (await police.post("/api/requests", json=ASK)).json()["id"]
        by_requester = await police.post(f"/api/requests/{request_id}/decision", json=APPROVE)
        by_stranger = await fire.post(f"/api/requests/{request_id}/decision", json=APPROVE)
    assert by_requester.status_code == 400
    assert by_requester.json()["detail"] == "Bara den myndighet som äger uppgifterna beslutar om dem."
    assert by_stranger.status_code == 404  # FIRE is neither party: the request is not theirs to see


async def test_social_services_data_cannot_be_requested(console: Console) -> None:
    async with console.client("FIRE_RTOG") as fire:
        refused = await fire.post("/api/requests", json={**ASK, "owner": "MUNI_SOCIAL_0581",
                                                         "categories": ["social_services"]})
    assert refused.status_code == 400 and "OSL 26 kap." in refused.json()["detail"]


async def test_a_request_about_an_operation_one_cannot_see_is_not_found(console: Console) -> None:
    async with console.client("ENFORCEMENT") as stranger:
        refused = await stranger.post("/api/requests", json={**ASK, "basis": "osl-10-27"})
    assert refused.status_code == 404


async def test_the_inbox_page_lets_the_owner_decide_with_a_form(console: Console) -> None:
    console.delegate("TAX", Role.OFFICER)
    async with console.client("POLICE") as police, console.client("TAX") as tax:
        made = await police.post("/begaranden", data={**ASK, "categories": "tax"})
        assert made.status_code == 303
        page = await tax.get("/begaranden")
        assert "Bevilja" in page.text and "Misstänkt penningtvätt" in page.text and 'type="date"' in page.text
        request_id = made.headers["location"].split("done=")[1]
        decided = await tax.post(f"/begaranden/{request_id}/beslut",
                                 data={"decision": "bevilja", "assessment": "Skyldighet enligt lagen.",
                                       "valid_until": UNTIL})
        assert decided.status_code == 303
        mine = await police.get("/begaranden")
    assert "Beviljad" in mine.text and f"till och med {UNTIL}" in mine.text and "okontrollerad" in mine.text
    assert await fee_seen(console, "crime_prevention") == TAX_FEE


async def test_the_request_form_is_prefilled_from_the_operation(console: Console) -> None:
    async with console.client("FIRE_RTOG") as fire:
        page = await fire.get("/begaranden?operation=LKPG-2026-04&owner=TAX&category=tax")
    assert 'value="LKPG-2026-04"' in page.text and '<option value="TAX" selected>' in page.text

