"""Granskning: an auditor checks the chain, reads the agency's disclosure register and makes
a subject access report; an auditor sees only entries that concern the own agency."""

from __future__ import annotations

import csv
import io
import json
import re

from services.disclosure.policy import Role
from tests.unit.console.conftest import PLANTED, Console


async def views_by_fire_and_police(console: Console) -> None:
    """FIRE reads the operation for the joint action, the police also for organised crime,
    under a collaboration decision designating the police and the tax agency."""
    console.collaborate("POLICE", "TAX")
    async with console.client("FIRE_RTOG") as fire, console.client("POLICE") as police:
        assert (await fire.get("/api/operations/LKPG-2026-04?purpose=joint_operation")).status_code == 200
        for purpose in ("organised_crime", "joint_operation"):
            assert (await police.get(f"/api/operations/LKPG-2026-04?purpose={purpose}")).status_code == 200


async def test_the_register_shows_what_the_agency_disclosed_and_received(console: Console) -> None:
    await views_by_fire_and_police(console)
    async with console.client("FIRE_RTOG", Role.AUDITOR) as auditor:
        register = (await auditor.get("/api/audit/register")).json()
        page = await auditor.get("/granskning")
    assert {(r["owner"], r["recipient"]) for r in register["disclosed_by"]} == {("FIRE_RTOG", "POLICE")}
    assert {r["recipient"] for r in register["disclosed_to"]} == {"FIRE_RTOG"}
    assert "Utlämnanderegister" in page.text and "<caption>" in page.text


async def test_an_auditor_sees_nothing_of_other_agencies_traffic(console: Console) -> None:
    await views_by_fire_and_police(console)
    async with console.client("ENFORCEMENT", Role.AUDITOR) as auditor:
        exported = (await auditor.get("/api/audit/entries?format=json")).json()
    assert exported == []


async def test_the_export_holds_digests_never_the_values(console: Console) -> None:
    await views_by_fire_and_police(console)
    async with console.client("MUNI_SOCIAL_0581", Role.AUDITOR) as auditor:
        as_json = await auditor.get("/api/audit/entries?format=json")
        as_csv = await auditor.get("/api/audit/entries?format=csv")
    rows = as_json.json()
    digests = [r["digest"] for r in rows if r.get("digest")]
    assert digests and all(re.fullmatch(r"hm1:[0-9a-f]{64}", d) for d in digests)  # keyed: a guess proves nothing
    assert PLANTED not in as_json.text and PLANTED not in as_csv.text
    assert next(csv.reader(io.StringIO(as_csv.text)))[:3] == ["seq", "at", "kind"]


async def test_the_chain_verifies_and_says_the_checkpoints_could_not_be_read(console: Console) -> None:
    await views_by_fire_and_police(console)
    async with console.client("POLICE", Role.AUDITOR) as auditor:
        status = (await auditor.get("/api/audit/verification")).json()
        page = await auditor.get("/granskning/verifiering")
    assert status["ok"] and status["checked"] == len(console.audit) and not status["checkpoints_read"]
    assert "Kedjan är obruten" in page.text and "kunde inte läsas" in page.text


async def test_a_subject_access_report_is_itself_logged_with_its_purpose(console: Console) -> None:
    await views_by_fire_and_police(console)
    async with console.client("TAX", Role.AUDITOR) as auditor:
        ask = await auditor.get("/granskning/registerutdrag?kind=orgnr&value=556036-0793")
        report = (await auditor.get("/api/audit/access-report?kind=orgnr&value=556036-0793"
                                    "&purpose=subject_access")).json()
    assert "Ange ändamål" in ask.text
    assert report and {r["recipient"] for r in report} == {"POLICE"} and "TAX" in {r["owner"] for r in report}
    read = console.audit[-1]
    assert (read["kind"], read["purpose"]) == ("read", "subject_access")
    assert read["what"] == "subject access report"
    assert json.dumps(read).count("556036-0793") == 0  # the subject is kept as a digest


async def test_a_recipients_export_leaves_out_denials_and_the_owners_keeps_them(console: Console) -> None:
    """FIRE was refused social services' finding: FIRE's export does not say so (it would tell
    of a record FIRE may not see), social services' export does."""
    await views_by_fire_and_police(console)
    async with console.client("FIRE_RTOG", Role.AUDITOR) as fire, \
            console.client("MUNI_SOCIAL_0581", Role.AUDITOR) as social:
        fire_rows = (await fire.get("/api/audit/entries?format=json")).json()
        fire_csv = (await fire.get("/api/audit/entries?format=csv")).text
        social_rows = (await social.get("/api/audit/entries?format=json")).json()
    refused = [e for e in console.audit if e["kind"] == "denial" and e["recipient"] == "FIRE_RTOG"]
    assert refused and {e["owner"] for e in refused} >= {"MUNI_SOCIAL_0581", "TAX"}
    assert fire_rows and not [r for r in fire_rows if r["kind"] == "denial" and r["owner"] != "FIRE_RTOG"]
    assert "denial" not in {row.split(",")[2] for row in fire_csv.splitlines()[1:] if "MUNI_SOCIAL" in row}
    assert [r for r in social_rows if r["kind"] == "denial" and r["recipient"] == "FIRE_RTOG"]


async def test_an_agency_outside_an_operation_gets_no_entry_about_its_plan(console: Console) -> None:
    async with console.client("ENFORCEMENT") as outsider:
        assert (await outsider.get("/api/operations/LKPG-2026-04?purpose=joint_operation")).status_code == 404
        assert (await outsider.get("/api/operations?purpose=joint_operation")).status_code == 200
    assert [e for e in console.audit if e["recipient"] == "ENFORCEMENT" and e["operation_id"] == "LKPG-2026-04"]
    async with console.client("ENFORCEMENT", Role.AUDITOR) as auditor:
        exported = await auditor.get("/api/audit/entries?format=json")
        register = await auditor.get("/api/audit/register")
    assert "LKPG-2026-04" not in exported.text and "LKPG-2026-04" not in register.text
    async with console.client("POLICE", Role.AUDITOR) as lead:  # the plan's owner keeps the refusal
        assert "ENFORCEMENT" in (await lead.get("/api/audit/entries?format=json")).text
