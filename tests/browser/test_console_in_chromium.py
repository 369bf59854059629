"""In a real browser: officers of different agencies see what the rules open to them, a
coordinator plans an operation and watches it appear, a timeline updates live, and every
page passes an axe-core check with no serious or critical violation."""

from __future__ import annotations

import datetime
import uuid

import asyncpg
import pytest
from playwright.async_api import expect

from schemas.categories import Category
from schemas.decision import DecisionKind, DecisionTaken
from schemas.events import DecisionTakenV1, new_event
from tests.browser.conftest import Stack, User
from tests.integration.console.conftest import PLANTED
from tests.support import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.integration]


async def record_stored(stack: Stack, operation_id: str) -> bool:
    conn = await asyncpg.connect(stack.db.owner_url)
    try:
        return bool(await conn.fetchval("SELECT record IS NOT NULL FROM operations WHERE operation_id = $1",
                                        operation_id))
    finally:
        await conn.close()


async def open_under_mandate(user: User, path: str) -> None:
    """Open an operation the person holds a mandate for: it says which, and the case."""
    page = await user.goto(path)
    await expect(page.get_by_text("Ditt uppdrag", exact=True)).to_be_visible()


async def test_each_agency_sees_what_the_rules_open_to_it(stack: Stack,
                                                          sign_in) -> None:  # type: ignore[no-untyped-def]
    fire: User = await sign_in("FIRE_RTOG", name="Frida Brand")
    page = fire.page
    await expect(page.get_by_role("heading", name="Operationer", exact=True)).to_be_visible()
    await expect(page.get_by_role("link", name=stack.title)).to_be_visible()
    await fire.shot("01-fire-operations")
    await open_under_mandate(fire, f"/operationer/{stack.planted_operation}")
    await expect(page.get_by_role("heading", name="Tidslinje")).to_be_visible()
    # the tax agency's findings and social services' matter are secret, even that they exist: no
    # rule and no act on record opens them to the rescue service, so not even a marker shows
    assert await page.locator(".withheld").count() == 0
    assert PLANTED not in await page.content() and "OSL 27 kap." not in await page.content()
    await fire.shot("02-fire-operation-detail")

    social: User = await sign_in("MUNI_SOCIAL_0581", name="Sara Social")
    await open_under_mandate(social, f"/operationer/{stack.planted_operation}")
    await expect(social.page.get_by_text(PLANTED)).to_be_visible()  # its own finding
    await social.shot("03-social-services-own-finding")

    outsider: User = await sign_in("EMPLOYMENT", name="Ali Arbete")
    await expect(outsider.page.get_by_role("heading", name="Operationer", exact=True)).to_be_visible()
    assert stack.title not in await outsider.page.content()
    await outsider.goto(f"/operationer/{stack.planted_operation}?purpose=joint_operation")
    await expect(outsider.page.get_by_role("heading", name="Hittades inte")).to_be_visible()
    assert stack.title not in await outsider.page.content()
    await outsider.shot("04-outsider-not-found")


async def test_a_coordinator_plans_an_operation_and_watches_it_appear(stack: Stack,
                                                                      sign_in) -> None:  # type: ignore[no-untyped-def]
    planner: User = await sign_in("MUNI_SECURITY_0581", "coordinator", "Stina Säkerhet")
    page = await planner.goto("/planera")
    await page.fill("#title", "Kvällstillslag Hageby")
    await page.fill("#municipality", "Norrköping")
    await page.fill("#case_reference", "KS 2026/1187")
    await page.fill("#planned_date", "2026-12-01")
    for agency in ("Polismyndigheten", "Räddningstjänsten Östra Götaland", "Skatteverket"):
        await page.get_by_label(agency, exact=True).check()
    await page.fill("#target_0_fastighetsbeteckning", "Norrköping Sandgatan 2:14")
    await page.fill("#target_0_orgnr", "556036-0793")
    await page.fill("#target_0_business_name", "Hageby Bilvård AB")
    await page.get_by_role("button", name="Lägg till mål").click()
    await page.fill("#target_3_address", "Hagebygatan 3, 603 65 Norrköping")
    await planner.shot("05-plan-form")
    await page.get_by_role("button", name="Publicera planen").click()
    await expect(page.get_by_role("heading", name="Insatsen är publicerad")).to_be_visible()
    operation_id = (await page.locator(".notice-ok strong").first.inner_text()).strip()
    await planner.shot("06-plan-published")

    # the coordinator process picks it up from Kafka
    await wait_for(lambda: record_stored(stack, operation_id), timeout=30, what="the planned operation's record")
    await planner.goto("/operationer?purpose=joint_operation")
    await expect(page.get_by_text(operation_id)).to_be_visible()
    await planner.shot("07-planned-operation-listed")
    await page.get_by_role("link", name="Kvällstillslag Hageby").click()
    await expect(page.get_by_role("heading", name="Kvällstillslag Hageby")).to_be_visible()

    tax: User = await sign_in("TAX")
    await tax.goto("/operationer?purpose=joint_operation")
    await expect(tax.page.get_by_text(operation_id)).to_be_visible()  # a participant
    enforcement: User = await sign_in("ENFORCEMENT")
    await enforcement.goto("/operationer?purpose=joint_operation")
    assert operation_id not in await enforcement.page.content()  # not a participant


async def test_the_timeline_updates_live_without_a_reload(stack: Stack,
                                                          sign_in) -> None:  # type: ignore[no-untyped-def]
    fire: User = await sign_in("FIRE_RTOG")
    await open_under_mandate(fire, f"/operationer/{stack.planted_operation}")
    page = fire.page
    await page.evaluate("window.notReloaded = true")
    reference = f"FIRE-LIVE-{uuid.uuid4().hex[:6].upper()}"
    now = datetime.datetime.now(datetime.UTC)
    ban = DecisionTaken(decision_ref=reference, operation_id=stack.planted_operation, decided_at=now,
                        kind=DecisionKind.FORBUD, category=Category.MUNICIPAL_DECISION,
                        legal_reference="LSO 5 kap. 2 §", summary="Förbud mot användning av lokalen",
                        premises=stack.premises)
    await expect(page.locator("#tidslinje[data-live-ready]")).to_have_count(1)  # the live stream is open
    await stack.publish(new_event(DecisionTakenV1, ban, agency="FIRE_RTOG", event_id=uuid.uuid4(), time=now))
    await expect(page.get_by_text(f"Ärende {reference}")).to_be_visible(timeout=60_000)
    assert await page.evaluate("window.notReloaded === true")
    await expect(page.locator("#live-status")).to_contain_text("Tidslinjen uppdaterades")
    await fire.shot("08-timeline-updated-live")


async def test_every_page_passes_an_accessibility_check(stack: Stack,
                                                        sign_in) -> None:  # type: ignore[no-untyped-def]
    problems = []
    visitor = await sign_in("FIRE_RTOG", "coordinator", "Axel Axe")
    await visitor.goto("/logga-ut")  # the sign-in page itself, signed out
    await visitor.page.goto(stack.url + "/dev-idp/logga-in")
    problems += await visitor.axe("a11y-sign-in")

    coordinator: User = await sign_in("POLICE", "coordinator", "Per Polis")
    op = stack.planted_operation
    pages = [
        ("a11y-operations", "/operationer?purpose=joint_operation"),
        ("a11y-mandates", "/uppdrag"),
        ("a11y-operation-detail", f"/operationer/{op}?purpose=organised_crime"),
        ("a11y-subject", f"/subjekt?kind=premises&key=fb:{stack.premises.fastighetsbeteckning or ''}"
                         "&purpose=joint_operation"),
        ("a11y-plan-form", "/planera"),
        ("a11y-results", "/resultat?purpose=joint_operation&first=2020-01&last=2030-12"),
        ("a11y-requests", f"/begaranden?operation={op}&owner=TAX&category=tax"),
        ("a11y-collaborations", "/samverkansbeslut"),
        ("a11y-policy", "/regelverk"),
    ]
    for name, path in pages:
        await coordinator.goto(path)
        problems += await coordinator.axe(name)
    page = await coordinator.goto("/planera")
    await page.get_by_role("button", name="Publicera planen").click()
    await expect(page.get_by_role("heading", name="Planen kunde inte publiceras")).to_be_visible()
    problems += await coordinator.axe("a11y-plan-errors")

    auditor: User = await sign_in("POLICE", "auditor", "Greta Granskare")
    for name, path in [("a11y-audit", "/granskning"), ("a11y-audit-verification", "/granskning/verifiering"),
                       ("a11y-audit-report", "/granskning/registerutdrag?kind=orgnr&value=556036-0793"
                                             "&purpose=subject_access"),
                       ("a11y-forbidden", "/operationer")]:
        await auditor.goto(path)
        problems += await auditor.axe(name)
    assert not problems, problems
