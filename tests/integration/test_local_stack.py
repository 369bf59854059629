"""The local runner gives tests and people a real Kafka broker and a real PostgreSQL server."""

from __future__ import annotations

import os
import signal
import uuid

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from deploy.local.kafka import kafka_options
from deploy.local.processes import pid_alive, port_answers, read_pid, wait_until
from deploy.local.stack import REPO, LocalStack
from deploy.topics import load_topics
from tests.conftest import Database, Infra

pytestmark = pytest.mark.integration


async def test_every_declared_topic_exists_with_its_partitions(infra: Infra) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=infra.bootstrap_servers, **kafka_options(infra.bootstrap_servers))
    await admin.start()
    try:
        described = await admin.describe_topics([t.name for t in load_topics()])
    finally:
        await admin.close()
    partitions = {d["topic"]: len(d["partitions"]) for d in described if d["error_code"] == 0}
    for spec in load_topics():
        assert partitions.get(spec.name) == spec.partitions, spec.name


async def test_an_acknowledged_message_can_be_read_back(infra: Infra, unique: str) -> None:
    topic = "los.coordinator.dlq"
    producer = AIOKafkaProducer(bootstrap_servers=infra.bootstrap_servers, enable_idempotence=True,
                                **kafka_options(infra.bootstrap_servers))
    await producer.start()
    try:
        meta = await producer.send_and_wait(topic, f"ping-{unique}".encode(), key=b"k")
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(bootstrap_servers=infra.bootstrap_servers, enable_auto_commit=False,
                                **kafka_options(infra.bootstrap_servers))
    await consumer.start()
    try:
        from aiokafka import TopicPartition

        tp = TopicPartition(topic, meta.partition)
        consumer.assign([tp])
        consumer.seek(tp, meta.offset)
        batch = await consumer.getmany(tp, timeout_ms=10_000)
    finally:
        await consumer.stop()
    assert next(m.value for m in batch[tp]) == f"ping-{unique}".encode()


async def test_the_application_role_cannot_create_tables(database: Database) -> None:
    owner = await asyncpg.connect(database.owner_url)
    await owner.execute("CREATE TABLE owned_by_owner (id int)")
    await owner.close()
    app = await asyncpg.connect(database.app_url)
    try:
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await app.execute("CREATE TABLE sneaky (id int)")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await app.execute("SELECT * FROM owned_by_owner")
    finally:
        await app.close()


def test_up_is_idempotent(infra: Infra) -> None:
    again = infra.stack.up_infra()
    assert again["LOS_KAFKA_BOOTSTRAP_SERVERS"] == infra.bootstrap_servers


@pytest.mark.faults
def test_a_crashed_stack_restarts_and_stops_leaving_nothing_behind() -> None:
    """SIGKILL Kafka and PostgreSQL, start again, stop: no process and no port is left."""
    stack = LocalStack(REPO / ".state" / f"lifecycle-{uuid.uuid4().hex[:8]}")
    try:
        stack.up_infra()
        kafka_pid = read_pid(stack.kafka.pid_file(stack.kafka.nodes[0]))
        pg_pid = stack.postgres.running_pid()
        assert kafka_pid and pg_pid
        os.kill(kafka_pid, signal.SIGKILL)
        os.kill(pg_pid, signal.SIGKILL)
        wait_until(lambda: not pid_alive(kafka_pid) and not pid_alive(pg_pid), timeout=10,
                   what="the killed servers to exit")

        env = stack.up_infra()  # the stale pid files and postmaster.pid must not block this

        assert env["LOS_KAFKA_BOOTSTRAP_SERVERS"] == stack.kafka.bootstrap_servers
        ports = [n.port for n in stack.kafka.nodes] + [stack.postgres.port]
        assert all(port_answers(p) for p in ports)
        stack.down()
        assert not stack.kafka.running_nodes()
        assert stack.postgres.running_pid() is None
        assert not any(port_answers(p) for p in ports)
    finally:
        stack.purge()
        import shutil

        shutil.rmtree(stack.state_dir, ignore_errors=True)
