"""Samverkansbeslut: the police, who lead the operation, record the collaboration decision under
lag (2016:774); only then do the police and the tax agency, which it designates, share what
that law covers, and nobody else. Recording it is an audit entry."""

from __future__ import annotations

from services.disclosure.policy import Role
from tests.unit.console.conftest import TAX_FEE, Console

DECISION = {"reference": "A-2026/117", "agencies": ["POLICE", "TAX"], "operations": ["LKPG-2026-04"],
            "decided_by": "Operativa rådet, ordförande Nilsson", "decided_on": "2026-04-01",
            "valid_from": "2026-04-01", "valid_until": "2026-12-31"}


async def imposed(console: Console, agency: str) -> int:
    async with console.client(agency) as client:
        view = (await client.get("/api/operations/LKPG-2026-04?purpose=organised_crime")).json()
    return int(view["amounts_sek"]["imposed"])


async def test_the_lead_records_the_decision_and_only_the_designated_agencies_share(console: Console) -> None:
    assert await imposed(console, "POLICE") == 0
    async with console.client("POLICE", Role.COORDINATOR) as police:
        made = await police.post("/api/collaborations", json=DECISION)
    assert made.status_code == 201, made.text
    assert made.json()["agencies"] == ["POLICE", "TAX"] and made.json()["basis"] == "lag-2016-774"
    assert await imposed(console, "POLICE") == TAX_FEE
    entry = next(e for e in console.audit if e["kind"] == "collaboration_decision")
    assert (entry["reference"], entry["agencies"], entry["operations"]) == (
        "A-2026/117", ["POLICE", "TAX"], ["LKPG-2026-04"])
    async with console.client("TAX") as tax, console.client("FIRE_RTOG") as fire:
        assert [d["reference"] for d in (await tax.get("/api/collaborations")).json()] == ["A-2026/117"]
        assert (await fire.get("/api/collaborations")).json() == []


async def test_who_may_record_what(console: Console) -> None:
    async with console.client("POLICE") as officer, console.client("TAX", Role.COORDINATOR) as tax, \
            console.client("POLICE", Role.COORDINATOR) as police, \
            console.client("ENFORCEMENT", Role.COORDINATOR) as stranger:
        assert (await officer.post("/api/collaborations", json=DECISION)).status_code == 403
        not_lead = await tax.post("/api/collaborations", json=DECISION)
        municipal = await police.post("/api/collaborations", json={**DECISION,
                                                                   "agencies": ["POLICE", "MUNI_SOCIAL_0581"]})
        hidden = await stranger.post("/api/collaborations", json={**DECISION, "agencies": ["ENFORCEMENT", "TAX"]})
    assert not_lead.status_code == 400 and "ledande myndighet" in not_lead.json()["detail"]
    assert municipal.status_code == 400 and "MUNI_SOCIAL_0581" in municipal.json()["detail"]
    assert hidden.status_code == 404  # an operation it does not take part in: as if it did not exist
    assert not any(e["kind"] == "collaboration_decision" for e in console.audit)


async def test_the_page_records_a_decision_with_a_form(console: Console) -> None:
    async with console.client("POLICE", Role.COORDINATOR) as police:
        form = await police.get("/samverkansbeslut")
        made = await police.post("/samverkansbeslut", data={**DECISION, "operations": "LKPG-2026-04"})
        listed = await police.get("/samverkansbeslut")
    assert "Registrera ett samverkansbeslut" in form.text and "Skatteverket" in form.text
    assert made.status_code == 303 and "A-2026/117" in listed.text
