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

import pytest

from deploy.local.harness import Database, create_database, drop_database
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


@pytest.fixture
async def database(infra: Infra) -> AsyncIterator[Database]:
    """A fresh database for one test, migrated as the runner migrates one: `owner_url` is the
    schema owner, `url(service)` each service's own login."""
    db = await create_database(infra.env)
    yield db
    await drop_database(infra.env, db.name)


@pytest.fixture
async def bare_database(infra: Infra) -> AsyncIterator[Database]:
    """A fresh database without any migration applied."""
    db = await create_database(infra.env, migrated=False)
    yield db
    await drop_database(infra.env, db.name)


@pytest.fixture
def unique() -> str:
    """A short unique suffix for topic and group names, so tests never see each other's data."""
    return uuid.uuid4().hex[:10]
