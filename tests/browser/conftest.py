"""Browser tests: Debian's Chromium driven by Playwright against a real console process
(`python -m services.console`, development sign-in on) and a real coordinator process, on
the test stack's Kafka and PostgreSQL. Screenshots go to test-artifacts/browser/."""

from __future__ import annotations

import datetime
import os
import signal
import subprocess
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, BrowserContext, Page, async_playwright

from deploy.local.harness import create_database, holder_keys
from deploy.local.processes import free_port
from deploy.local.stack import REPO
from schemas.agencies import load_agencies
from schemas.events import AnyEvent
from schemas.subjects import Premises
from schemas.topics import events_topic
from services.console.__main__ import apply_migrations
from services.console.devidp import stable_subject
from services.disclosure.policy import Role
from tests.conftest import Database, Infra
from tests.integration.console.conftest import (
    PLANTED_OPERATION,
    PLANTED_TITLE,
    open_campaign,
    planted_operation,
)
from tests.integration.coordinator.conftest import Coordinator
from tests.mandates import every_mandate, operation_ids, record_mandates
from tests.support import all_event_topics, produce, signed_bytes, spawn_service, start_from_now, wait_for

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = REPO / "test-artifacts" / "browser"
SERIOUS = ("serious", "critical")


@dataclass
class Stack:
    """A console and a coordinator on one fresh database, with a campaign already in it."""

    url: str
    db: Database
    env: dict[str, str]
    coordinator: Coordinator  # feeds events straight into the store (for set-up)
    planted_operation: str
    title: str
    premises: Premises
    bootstrap: str
    keys: Path

    async def publish(self, *events: AnyEvent) -> None:
        """Send signed events through Kafka, as an agency's adapter would."""
        await produce(self.bootstrap, [(events_topic(e.losagency), e.partition_key, signed_bytes(e,
                                                                                                 self.keys))
                                       for e in events])


async def _create_database(infra: Infra) -> Database:
    return await create_database(infra.env, prefix="b")


async def _drop_database(infra: Infra, db: Database) -> None:
    admin = await asyncpg.connect(infra.superuser_url)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{db.name}" WITH (FORCE)')
    finally:
        await admin.close()


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture(scope="module")
async def stack(infra: Infra, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    db = await _create_database(infra)
    folder = tmp_path_factory.mktemp("browser")
    keys, logs = folder / "keys", ARTIFACTS / "logs"
    procs: list[subprocess.Popen[bytes]] = []
    try:
        await apply_migrations(db.owner_url)
        coordinator = Coordinator(db, keys)
        events = open_campaign()
        planted = planted_operation(events)
        for start in range(0, len(events), 200):
            await coordinator.feed(*events[start:start + 200])
        await coordinator.feed(*planted)
        group = f"coordinator-{uuid.uuid4().hex[:8]}"
        await start_from_now(db.owner_url, db.app_url, group, infra.bootstrap_servers, all_event_topics())
        port = free_port()
        env = {**infra.env, "LOS_DATABASE_URL": db.url("coordinator"), "LOS_DATABASE_OWNER_URL": db.owner_url,
               **holder_keys(keys, consoles=load_agencies()), "LOS_COORDINATOR_GROUP_ID": group,
               "LOS_COORDINATOR_BATCH_SIZE": "50",
               "LOS_CONSOLE_DEV_IDP": "true", "LOS_CONSOLE_HOST": "127.0.0.1", "LOS_CONSOLE_PORT": str(port),
               "LOS_CONSOLE_SSE_POLL_SECONDS": "0.3"}
        procs.append(spawn_service("services.coordinator", env, logs / "coordinator.log"))
        procs.append(spawn_service("services.console", {**env, "LOS_DATABASE_URL": db.url("console")},
                                   logs / "console.log"))
        url = f"http://127.0.0.1:{port}"

        async def healthy() -> bool:
            for proc in procs:
                assert proc.poll() is None, f"a service exited; see {logs}"
            try:
                async with httpx.AsyncClient() as client:
                    return (await client.get(f"{url}/api/health", timeout=2)).status_code == 200
            except httpx.HTTPError:
                return False

        await wait_for(healthy, timeout=60, what="the console to answer")
        yield Stack(url, db, env, coordinator, PLANTED_OPERATION, PLANTED_TITLE,
                    planted[0].data.targets[0].premises, infra.bootstrap_servers, keys)
    finally:
        for proc in procs:
            _stop(proc)
        await _drop_database(infra, db)


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: run deploy/local/ensure-chromium.sh (make test does)")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        await launched.close()


class User:
    """One person in one browser context (own cookies), signed in through the dev provider."""

    def __init__(self, context: BrowserContext, page: Page, stack: Stack) -> None:
        self.context, self.page, self.stack = context, page, stack

    async def goto(self, path: str) -> Page:
        await self.page.goto(self.stack.url + path)
        return self.page

    async def shot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        await self.page.screenshot(path=str(path), full_page=True)
        return path

    async def axe(self, name: str) -> list[dict[str, Any]]:
        """Serious and critical axe-core violations on the current page (and a screenshot)."""
        await self.shot(name)
        results = await Axe().run(self.page)
        violations = results.response["violations"]
        return [{"page": name, "id": v["id"], "impact": v["impact"], "help": v["help"],
                 "nodes": [n["target"] for n in v["nodes"][:3]]}
                for v in violations if v["impact"] in SERIOUS]


@pytest.fixture
async def sign_in(browser: Browser, stack: Stack) -> AsyncIterator[Any]:
    contexts: list[BrowserContext] = []

    async def sign(agency: str, role: str = "officer", name: str = "Testa Testsson") -> User:
        # the person holds every mandate on every operation stored now: what they see is what the rules decide
        ops = await operation_ids(stack.db.owner_url)
        await record_mandates(stack.db.owner_url, every_mandate(
            agency, stable_subject(agency, Role(role), name), ops, datetime.datetime.now(datetime.UTC)))
        context = await browser.new_context(locale="sv-SE", viewport={"width": 1280, "height": 900})
        contexts.append(context)
        page = await context.new_page()
        await page.goto(stack.url + "/")
        await page.wait_for_url("**/dev-idp/logga-in**")
        await page.select_option("#agency", agency)
        await page.select_option("#role", role)
        await page.fill("#name", name)
        await page.click("button[type=submit]")
        await page.wait_for_load_state()
        return User(context, page, stack)

    yield sign
    for context in contexts:
        await context.close()
