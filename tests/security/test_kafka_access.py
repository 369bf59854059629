"""Kafka authenticates every client (SASL/SCRAM-SHA-512) and lets each agency's adapter write
its own events topic and read its own feed and receipts, nothing of another agency's."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import (
    GroupAuthorizationFailedError,
    KafkaConnectionError,
    TopicAuthorizationFailedError,
)
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from deploy.local.kafka import SECURITY, KafkaCluster
from deploy.local.stack import REPO, LocalStack
from schemas.topics import (
    AUDIT_CHECKPOINTS,
    DEAD_LETTER,
    RECORD_CHANGES,
    events_topic,
    feed_topic,
    receipts_topic,
)
from services.audit.chain import Checkpoint, sign_checkpoint
from services.audit.checkpoints import publish, read_published
from services.common.kafka_security import adapter_principal
from tests.conftest import Infra
from tests.support import end_offsets, kafka_login, kafka_options

pytestmark = pytest.mark.integration
TAX, POLICE = adapter_principal("TAX"), adapter_principal("POLICE")


async def send(infra: Infra, topic: str, principal: str, value: bytes = b"{}") -> None:
    producer = AIOKafkaProducer(bootstrap_servers=infra.bootstrap_servers, enable_idempotence=True,
                                request_timeout_ms=10_000, **kafka_options(infra.bootstrap_servers, principal))
    try:
        await producer.start()
        await producer.send_and_wait(topic, value, key=b"k")
    finally:
        await producer.stop()


async def consume(infra: Infra, topic: str, principal: str, group: str, until: bytes = b"") -> list[bytes]:
    """Read `topic` from the start as `principal` in consumer group `group`, until a record
    with value `until` (or for ten seconds)."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=infra.bootstrap_servers, group_id=group,
                                auto_offset_reset="earliest", enable_auto_commit=False,
                                **kafka_options(infra.bootstrap_servers, principal))
    try:
        await consumer.start()
        found: list[bytes] = []
        for _ in range(20):
            batch = await consumer.getmany(timeout_ms=500)
            found += [r.value for records in batch.values() for r in records]
            if until in found:
                break
        return found
    finally:
        await consumer.stop()


async def test_an_agency_writes_its_own_events_topic_but_never_another_agencys(infra: Infra, unique: str) -> None:
    police_before = await end_offsets(infra.bootstrap_servers, [events_topic("POLICE")])
    await send(infra, events_topic("TAX"), TAX, f'{{"probe": "{unique}"}}'.encode())  # its own: fine
    with pytest.raises(TopicAuthorizationFailedError):
        await send(infra, events_topic("POLICE"), TAX, b'{"forged": true}')
    assert await end_offsets(infra.bootstrap_servers, [events_topic("POLICE")]) == police_before, \
        "nothing may land on the police topic"


@pytest.mark.parametrize("principal", ["coordinator", "disclosure", "audit", POLICE])
async def test_no_one_else_writes_an_agencys_events_topic(infra: Infra, principal: str) -> None:
    with pytest.raises(TopicAuthorizationFailedError):
        await send(infra, events_topic("TAX"), principal)


async def test_an_agency_reads_its_own_feed_but_never_another_agencys(infra: Infra, unique: str) -> None:
    marker = json.dumps({"probe": unique}).encode()
    for agency in ("TAX", "POLICE"):  # written as the disclosure service writes feeds
        await send(infra, feed_topic(agency), "disclosure", marker)
    assert marker in await consume(infra, feed_topic("TAX"), TAX, f"{TAX}-{unique}", until=marker)
    with pytest.raises(TopicAuthorizationFailedError):
        await consume(infra, feed_topic("POLICE"), TAX, f"{TAX}-{unique}-2")
    with pytest.raises(GroupAuthorizationFailedError):  # nor borrow the police's consumer group
        await consume(infra, feed_topic("TAX"), TAX, f"{POLICE}-{unique}")


async def test_an_agency_reads_its_own_receipts_which_only_the_coordinator_writes(infra: Infra, unique: str) -> None:
    marker = json.dumps({"probe": unique}).encode()
    for agency in ("TAX", "POLICE"):  # written as the coordinator's relay writes receipts
        await send(infra, receipts_topic(agency), "coordinator", marker)
    assert marker in await consume(infra, receipts_topic("TAX"), TAX, f"{TAX}-{unique}", until=marker)
    with pytest.raises(TopicAuthorizationFailedError):
        await consume(infra, receipts_topic("POLICE"), TAX, f"{TAX}-{unique}-2")
    for principal in (TAX, POLICE, "disclosure", "console"):  # nobody else tells an agency what became of its events
        with pytest.raises(TopicAuthorizationFailedError):
            await send(infra, receipts_topic("TAX"), principal)


@pytest.mark.parametrize(("principal", "topic"), [
    ("disclosure", feed_topic("TAX")),  # writes feeds, reads none
    ("console", feed_topic("TAX")),
    (TAX, RECORD_CHANGES),  # the unfiltered record changes are for the disclosure service only
    (TAX, DEAD_LETTER),
    ("coordinator", AUDIT_CHECKPOINTS),
])
async def test_services_and_agencies_read_nothing_beyond_their_rights(
        infra: Infra, unique: str, principal: str, topic: str) -> None:
    group = {"coordinator": "los-coordinator", TAX: TAX}.get(principal, principal) + f"-{unique}"
    with pytest.raises((TopicAuthorizationFailedError, GroupAuthorizationFailedError)):
        await consume(infra, topic, principal, group)


async def test_the_audit_service_publishes_checkpoints_every_agency_reads(infra: Infra, unique: str) -> None:
    checkpoint = sign_checkpoint(Checkpoint(f"probe-{unique}", 1, bytes(32), "2026-03-10T12:00:00+00:00",
                                            f"COORDINATOR-{unique}"), Ed25519PrivateKey.generate())
    bootstrap = infra.bootstrap_servers
    await publish(bootstrap, checkpoint, login=kafka_login(bootstrap, "audit"))
    held = await read_published(bootstrap, login=kafka_login(bootstrap, POLICE))  # as an agency keeps them
    assert checkpoint in held
    with pytest.raises(TopicAuthorizationFailedError):  # and no one else may add one
        await send(infra, AUDIT_CHECKPOINTS, TAX, json.dumps(checkpoint.to_json()).encode())


@pytest.mark.parametrize("options", [
    {"security_protocol": "SASL_PLAINTEXT", "sasl_mechanism": "SCRAM-SHA-512",
     "sasl_plain_username": "adapter-tax", "sasl_plain_password": "not-the-password"},
    {"security_protocol": "SASL_PLAINTEXT", "sasl_mechanism": "SCRAM-SHA-512",
     "sasl_plain_username": "nobody-we-know", "sasl_plain_password": "x"},
    {"security_protocol": "SASL_PLAINTEXT", "sasl_mechanism": "PLAIN",  # only SCRAM is offered
     "sasl_plain_username": "admin", "sasl_plain_password": "x"},
    {},  # no authentication at all
], ids=["wrong-password", "unknown-user", "plain-mechanism", "unauthenticated"])
async def test_a_client_without_valid_credentials_is_refused(infra: Infra, options: dict[str, Any]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=infra.bootstrap_servers, request_timeout_ms=5000, **options)
    try:
        with pytest.raises(KafkaConnectionError):
            await asyncio.wait_for(producer.start(), 30)
    finally:
        await producer.stop()


def test_a_state_folder_of_the_older_runner_is_rebuilt_with_authentication() -> None:
    """A stale checkout's `.state` (Kafka formatted without authentication) starts afresh."""
    state = REPO / ".state" / f"stale-{uuid.uuid4().hex[:8]}"
    stack = LocalStack(state)
    try:
        (state / "kafka").mkdir(parents=True)
        (state / "kafka" / "cluster.json").write_text(json.dumps(
            {"cluster_id": "old", "nodes": [{"node_id": 1, "port": 1, "controller_port": 2}]}))
        (state / "drop").mkdir()
        (state / "drop" / ".demo-loaded").write_text("seed 1\n")  # derived from the old data
        assert stack.kafka.is_outdated()
        env = stack.up_infra()
        assert not stack.kafka.is_outdated()
        assert json.loads((state / "kafka" / "cluster.json").read_text())["security"] == SECURITY
        assert not (state / "drop" / ".demo-loaded").exists(), "the rest of the old state goes too"
        assert env["LOS_KAFKA_USERNAME"] == "admin"
        assert KafkaCluster(state, REPO / ".cache").credentials_file.stat().st_mode & 0o077 == 0
    finally:
        stack.purge()
