"""Regelverket: the policy in force, rule by rule, with every unverified basis marked."""

from __future__ import annotations

from services.disclosure.policy import Role
from tests.unit.console.conftest import Console


async def test_the_policy_page_marks_every_unverified_basis(console: Console) -> None:
    async with console.client("FIRE_RTOG", Role.AUDITOR) as auditor:
        page = await auditor.get("/regelverk")
    assert page.status_code == 200 and "general-clause-case-by-case" in page.text
    assert page.text.count("Grunden är okontrollerad") == sum(
        1 for r in console.app.state.console.policy.rules
        if not console.app.state.console.policy.basis(r.basis).verified)
    assert page.text.count("Regelns räckvidd är okontrollerad") == sum(
        1 for r in console.app.state.console.policy.rules if not r.verified)
    assert "uppenbart" in page.text and "klart företräde" not in page.text
