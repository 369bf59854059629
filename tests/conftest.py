"""Test tiers. Unit tests (tests/unit) cannot reach the network. Integration, end-to-end,
fault and security tests use the real Kafka broker and PostgreSQL server of deploy/local,
started once per session under `.state/test` and stopped afterwards (LOS_KEEP_STACK=1
keeps them running between runs for speed while developing)."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest

from deploy.local.stack import REPO, LocalStack

TEST_STATE = Path(os.environ.get("LOS_TEST_STATE_DIR", REPO / ".state" / "test"))


@dataclass(frozen=True)
class Infra:
    """Connection settings of the running test stack."""

    stack: LocalStack
    bootstrap_servers: str
    superuser_url: str
    env: dict[str, str]


@pytest.fixture(scope="session")
def infra() -> Iterator[Infra]:
    stack = LocalStack(TEST_STATE)
    env = stack.up_infra()
    yield Infra(stack, env["LOS_KAFKA_BOOTSTRAP_SERVERS"], env["LOS_POSTGRES_SUPERUSER_URL"], env)
    if os.environ.get("LOS_KEEP_STACK") != "1":
        stack.down()


@dataclass(frozen=True)
class Database:
    """A fresh database for one test: `owner_url` runs migrations, `app_url` is the service."""

    name: str
    owner_url: str
    app_url: str


@pytest.fixture
async def database(infra: Infra) -> AsyncIterator[Database]:
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(infra.superuser_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}" OWNER los_owner')
    finally:
        await admin.close()
    owner = infra.env["LOS_DATABASE_OWNER_URL"].rsplit("/", 1)[0] + f"/{name}"
    app = infra.env["LOS_DATABASE_URL"].rsplit("/", 1)[0] + f"/{name}"
    yield Database(name, owner, app)
    admin = await asyncpg.connect(infra.superuser_url)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture
def unique() -> str:
    """A short unique suffix for topic and group names, so tests never see each other's data."""
    return uuid.uuid4().hex[:10]
