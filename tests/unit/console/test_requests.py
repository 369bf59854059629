"""Utlämnandebegäranden: FIRE asks TAX for the withheld tax finding; TAX approves with its
assessment, and FIRE then sees exactly that category, nothing more. Every step is logged."""

from __future__ import annotations

import json

from services.disclosure.policy import Role
from tests.unit.console.conftest import PLANTED, TAX_FEE, Console

ASK = {"operation_id": "LKPG-2026-04", "owner": "TAX", "categories": ["tax"], "purpose": "joint_operation",
       "basis": "osl-10-27", "reason": "Brandrisk i lokal där personalliggaren visar nattarbete."}


async def test_a_request_approved_by_the_owner_opens_exactly_what_was_asked(console: Console) -> None:
    async with console.client("FIRE_RTOG") as fire, console.client("TAX", Role.COORDINATOR) as tax:
        made = await fire.post("/api/requests", json=ASK)
        assert made.status_code == 201, made.text
        request_id = made.json()["id"]
        inbox = (await tax.get("/api/requests")).json()
        assert [r["id"] for r in inbox] == [request_id]
        decided = await tax.post(f"/api/requests/{request_id}/decision",
                                 json={"approve": True, "assessment": "Brandskyddet väger klart tyngre här."})
        assert decided.json()["status"] == "approved"
        view = (await fire.get("/api/operations/LKPG-2026-04?purpose=joint_operation")).json()
    fee = next(e for e in view["timeline"] if e["event_id"] == "e2")
    assert fee["detail"]["amount_sek"] == TAX_FEE and view["amounts_sek"]["imposed"] == TAX_FEE
    assert PLANTED not in json.dumps(view)  # social services' data stays put
    steps = [e for e in console.audit if e["kind"] in ("disclosure_request", "request_decision")]
    assert [(e["kind"], e["status"]) for e in steps] == [("disclosure_request", "pending"),
                                                          ("request_decision", "approved")]
    # free text stays out of the chain: kept aside, erasably, and named by its keyed digest
    assert "väger klart tyngre" not in json.dumps(console.audit) and ASK["reason"] not in json.dumps(console.audit)
    kept = console.source.state.texts
    assert kept[steps[1]["assessment_ref"]].text == "Brandskyddet väger klart tyngre här."
    assert kept[steps[0]["reason_ref"]].text == ASK["reason"] and steps[0]["reason_ref"].startswith("hm1:")
    opened = [e for e in console.audit
              if e["kind"] == "disclosure" and e["event_id"] == "e2" and e["category"] == "tax"]
    assert opened and opened[-1]["approval"] == request_id
    assert opened[-1]["assessment_ref"] == steps[1]["assessment_ref"]


async def test_a_refusal_opens_nothing(console: Console) -> None:
    async with console.client("FIRE_RTOG") as fire, console.client("TAX") as tax:
        request_id = (await fire.post("/api/requests", json=ASK)).json()["id"]
        await tax.post(f"/api/requests/{request_id}/decision",
                       json={"approve": False, "assessment": "Sekretessintresset väger tyngre i detta fall."})
        view = (await fire.get("/api/operations/LKPG-2026-04?purpose=joint_operation")).json()
    assert view["amounts_sek"]["imposed"] == 0


async def test_only_the_owner_decides(console: Console) -> None:
    async with console.client("FIRE_RTOG") as fire, console.client("POLICE") as police:
        request_id = (await fire.post("/api/requests", json=ASK)).json()["id"]
        by_requester = await fire.post(f"/api/requests/{request_id}/decision",
                                       json={"approve": True, "assessment": "Jag beviljar mig själv detta."})
        by_stranger = await police.post(f"/api/requests/{request_id}/decision",
                                        json={"approve": True,
                                              "assessment": "Polisen tycker att det är bra."})
    assert by_requester.status_code == 400
    assert by_requester.json()["detail"] == "Bara den myndighet som äger uppgifterna beslutar om dem."
    assert by_stranger.status_code == 404  # POLICE is neither party: the request is not theirs to see


async def test_social_services_data_cannot_be_requested(console: Console) -> None:
    async with console.client("FIRE_RTOG") as fire:
        refused = await fire.post("/api/requests", json={**ASK, "owner": "MUNI_SOCIAL_0581",
                                                         "categories": ["social_services"]})
    assert refused.status_code == 400 and "OSL 26 kap." in refused.json()["detail"]


async def test_a_request_about_an_operation_one_cannot_see_is_not_found(console: Console) -> None:
    async with console.client("ENFORCEMENT") as stranger:
        refused = await stranger.post("/api/requests", json=ASK)
    assert refused.status_code == 404


async def test_the_inbox_page_lets_the_owner_decide_with_a_form(console: Console) -> None:
    async with console.client("FIRE_RTOG") as fire, console.client("TAX") as tax:
        made = await fire.post("/begaranden", data={**ASK, "categories": "tax"})
        assert made.status_code == 303
        page = await tax.get("/begaranden")
        assert "Bevilja" in page.text and "Brandrisk i lokal" in page.text
        request_id = made.headers["location"].split("done=")[1]
        decided = await tax.post(f"/begaranden/{request_id}/beslut",
                                 data={"decision": "avslå", "assessment": "Sekretessintresset väger tyngre."})
        assert decided.status_code == 303
        assert "Avslagen" in (await fire.get("/begaranden")).text


async def test_the_request_form_is_prefilled_from_a_withheld_marker(console: Console) -> None:
    async with console.client("FIRE_RTOG") as fire:
        page = await fire.get("/begaranden?operation=LKPG-2026-04&owner=TAX&category=tax")
    assert 'value="LKPG-2026-04"' in page.text and '<option value="TAX" selected>' in page.text
