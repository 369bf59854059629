"""Driving the running system from outside, for tests and benchmarks: fresh databases,
signed events produced to the real broker, services started as real processes.

Kafka is reached as the `admin` super user of the local cluster unless a principal is
named (`kafka_options(bootstrap, "adapter-tax")`); services started with `service_env`
run as the admin too, so tests may use any topic or consumer group. In PostgreSQL, though,
each service runs as its own role (`Database.url(service)`), as deployed: a test proves
that the grants the migrations give it are enough."""

from __future__ import annotations

import asyncio
import datetime
import os
import subprocess
import sys
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from deploy.local.kafka import kafka_login as kafka_login  # re-exported for tests
from deploy.local.kafka import kafka_options
from deploy.local.stack import REPO, database_url_variable
from deploy.services import database_roles
from schemas.agencies import load_agencies
from schemas.envelope import CONTENT_TYPE
from schemas.events import AnyEvent, event_json, to_bytes
from schemas.signing import ADAPTER, CONSOLE, sign
from schemas.topics import events_topic
from services.common.kafka_security import ADMIN
from services.common.keys import adapter_holder, create_key, ensure_agency_key

KEYS_CREATED = datetime.datetime(2026, 3, 10, 12, 0, tzinfo=datetime.UTC)


@dataclass(frozen=True)
class Database:
    """A fresh database: `owner_url` runs migrations; `urls` holds each service's own login
    (`url("console")`, the services of deploy/services.yaml)."""

    name: str
    owner_url: str
    urls: Mapping[str, str]

    def url(self, service: str) -> str:
        """The database as `service`'s own role, e.g. `url("disclosure")`."""
        return self.urls[service]

    @property
    def app_url(self) -> str:
        """The coordinator's login: what tests that store records act as."""
        return self.url("coordinator")


def database_url(url: str, database: str) -> str:
    """`url` with another database name; its login and TLS parameters kept."""
    return urlsplit(url)._replace(path=f"/{database}").geturl()


async def create_database(env: dict[str, str], prefix: str = "t", *, migrated: bool = True) -> Database:
    """A new database with every component's migrations applied, as the operator's runner
    applies them before the services start (a service given the owner's login applies only its
    own); with `migrated=False`, an empty one."""
    from deploy.schema import migrate_all

    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(env["LOS_POSTGRES_SUPERUSER_URL"])
    try:
        await admin.execute(f'CREATE DATABASE "{name}" OWNER los_owner')
    finally:
        await admin.close()
    db = Database(name, database_url(env["LOS_DATABASE_OWNER_URL"], name),
                  {service: database_url(env[database_url_variable(service)], name) for service in database_roles()})
    if migrated:
        await migrate_all(db.owner_url)
    return db


async def drop_database(env: dict[str, str], name: str) -> None:
    admin = await asyncpg.connect(env["LOS_POSTGRES_SUPERUSER_URL"])
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


def signed_bytes(event: AnyEvent, keys_dir: Path, *, at: datetime.datetime = KEYS_CREATED) -> bytes:
    """The event signed by its agency's key in `keys_dir` (created on first use)."""
    key_id, key = ensure_agency_key(keys_dir, event.losagency, now=KEYS_CREATED)
    return to_bytes(sign(event_json(event), key, key_id, at))


def holder_keys(keys_dir: Path, *, adapters: Iterable[str] = (), consoles: Iterable[str] = (),
                now: datetime.datetime = KEYS_CREATED) -> dict[str, str]:
    """For services a test starts: an adapter key for each of `adapters` in its own folder
    under `keys_dir/adapters`, a console key for each of `consoles` in `keys_dir/console`,
    all registered in `keys_dir` (no audit entry); returns the settings naming the folders."""
    for agency in adapters:
        create_key(keys_dir, agency, now=now, kind=ADAPTER, holder=adapter_holder(keys_dir / "adapters", agency))
    for agency in consoles:
        create_key(keys_dir, agency, now=now, kind=CONSOLE, holder=keys_dir / "console")
    return {"LOS_KEYS_DIR": str(keys_dir), "LOS_ADAPTER_KEYS_DIR": str(keys_dir / "adapters"),
            "LOS_CONSOLE_KEYS_DIR": str(keys_dir / "console")}


def wire(events: Iterable[AnyEvent], keys_dir: Path) -> list[tuple[str, bytes, bytes]]:
    """(topic, key, value) of each event as its agency's adapter would publish it."""
    return [(events_topic(e.losagency), e.partition_key, signed_bytes(e, keys_dir)) for e in events]


async def produce(bootstrap: str, messages: Iterable[tuple[str, bytes | None, bytes | None]], *,
                  principal: str = ADMIN) -> None:
    """Send (topic, key, value) messages with an idempotent producer and wait for every ack."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, linger_ms=5,
                                max_batch_size=256 * 1024, **kafka_options(bootstrap, principal))
    await producer.start()
    try:
        futures = [await producer.send(t, v, key=k, headers=[("content-type", CONTENT_TYPE.encode())])
                   for t, k, v in messages]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def end_offsets(bootstrap: str, topics: list[str]) -> dict[tuple[str, int], int]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, **kafka_options(bootstrap))
    await consumer.start()
    try:
        await consumer._client.force_metadata_update()  # the public API has no refresh
        tps = [TopicPartition(t, p) for t in topics for p in (consumer.partitions_for_topic(t) or set())]
        ends = await consumer.end_offsets(tps)
        return {(tp.topic, tp.partition): off for tp, off in ends.items()}
    finally:
        await consumer.stop()


def all_event_topics() -> list[str]:
    return [events_topic(code) for code in load_agencies()]


async def start_from_now(db: Database, group_id: str, bootstrap: str, topics: list[str]) -> None:
    """Store the current end offsets as the group's positions, so a coordinator started on
    `db` sees only what is published from now on (not earlier runs' events)."""
    from services.common.migrate import migrate
    from services.coordinator.bootstrap import MIGRATIONS

    await migrate(db.owner_url, MIGRATIONS, component="coordinator")
    ends = await end_offsets(bootstrap, topics)
    conn = await asyncpg.connect(db.app_url)
    try:
        await conn.executemany("INSERT INTO consumer_offsets (group_id, topic, partition, next_offset)"
                               " VALUES ($1, $2, $3, $4)", [(group_id, t, p, o) for (t, p), o in ends.items()])
    finally:
        await conn.close()


def spawn_service(module: str, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """Start `python -m module` with `env` added, output appended to `log`."""
    log.parent.mkdir(parents=True, exist_ok=True)
    handle = log.open("ab")
    return subprocess.Popen([sys.executable, "-m", module], cwd=REPO, env={**os.environ, **env},
                            stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)


def service_env(stack_env: dict[str, str], db: Database, keys_dir: Path, *, service: str = "coordinator",
                **extra: str) -> dict[str, str]:
    """What `service` runs with on `db`: its own database role, the owner's login for its
    migrations, `keys_dir`, and `extra`."""
    return {**stack_env, "LOS_DATABASE_URL": db.url(service), "LOS_DATABASE_OWNER_URL": db.owner_url,
            "LOS_KEYS_DIR": str(keys_dir), **extra}
