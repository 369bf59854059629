"""Prometheus metrics of real processes: a coordinator and a disclosure feed process take a
small stream with one bad record; their /metrics show what was accepted and rejected (by
reason), the disclosure decisions per agency and outcome, the audit entries written, and
consumer lag that falls to zero."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from prometheus_client.parser import text_string_to_metric_families

from deploy.local.processes import free_port
from schemas.topics import RECORD_CHANGES, events_topic
from services.adapters.simulator import generate_campaign
from services.audit.server import MIGRATIONS as AUDIT_MIGRATIONS
from services.common.lag import measure_lag
from services.common.migrate import migrate
from services.disclosure.service import HERE
from tests.conftest import Database, Infra
from tests.e2e.test_coordinator_campaign import PSEUDONYM_KEY, coordinator_env, messages
from tests.support import (
    all_event_topics,
    end_offsets,
    kafka_options,
    produce,
    spawn_service,
    start_from_now,
    stop_processes,
    wait_for,
)

pytestmark = pytest.mark.integration

Samples = dict[str, list[tuple[dict[str, str], float]]]


async def scrape(port: int) -> Samples:
    """name -> [(labels, value)] of every sample served, empty while the process is not up."""
    try:
        async with httpx.AsyncClient(timeout=5) as client:
            text = (await client.get(f"http://127.0.0.1:{port}/metrics")).text
    except httpx.TransportError:
        return {}
    found: Samples = defaultdict(list)
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[sample.name].append((sample.labels, sample.value))
    return found


def total(samples: Samples, name: str, **labels: str) -> float:
    return sum(v for found, v in samples.get(name, []) if all(found.get(k) == x for k, x in labels.items()))


def one_operation(seed: int) -> list:  # type: ignore[type-arg]
    """The events of the campaign's first operation, which stays open (sharing ends when it closes)."""
    events = generate_campaign(seed, pseudonym_key=PSEUDONYM_KEY).events
    op = next(e for e in events if e.type == "se.los.operation.planned.v1").data.operation_id
    return [e for e in events if getattr(e.data, "operation_id", None) == op and not (
        e.type == "se.los.operation.updated.v1" and e.data.status.value in ("closed", "cancelled"))]


async def test_metrics_show_accepted_rejected_decisions_audit_and_lag_falling_to_zero(
        infra: Infra, database: Database, unique: str, tmp_path: Path) -> None:
    events = one_operation(1)
    keys, group, feeds = tmp_path / "keys", f"coordinator-{unique}", f"feeds-{unique}"
    await start_from_now(database.owner_url, database.app_url, group, infra.bootstrap_servers, all_event_topics())
    await migrate(database.owner_url, AUDIT_MIGRATIONS, component="audit")
    await migrate(database.owner_url, HERE / "migrations", component="disclosure")
    conn = await asyncpg.connect(database.app_url)
    try:  # the feeds start where this test's changes start (other tests share the topic)
        changes_start = await end_offsets(infra.bootstrap_servers, [RECORD_CHANGES])
        await conn.executemany("INSERT INTO consumer_offsets (group_id, topic, partition, next_offset)"
                               " VALUES ($1, $2, $3, $4)", [(feeds, t, p, o) for (t, p), o in changes_start.items()])
    finally:
        await conn.close()
    coordinator_port, disclosure_port = free_port(), free_port()
    env = {**coordinator_env(infra, database, keys, group, batch=50), "LOS_FEEDS_GROUP_ID": feeds}
    stream = messages(events, keys)  # keys exist before the coordinator starts: none is unknown
    procs = [spawn_service("services.coordinator", {**env, "LOS_METRICS_PORT": str(coordinator_port)},
                           tmp_path / "coordinator.log"),
             spawn_service("services.disclosure", {**env, "LOS_METRICS_PORT": str(disclosure_port),
                                                   "LOS_DATABASE_URL": database.url("disclosure")},
                           tmp_path / "disclosure.log")]
    try:
        await produce(infra.bootstrap_servers, [*stream, (events_topic("TAX"), b"bad", b"{not json")])
        unique_events = len({e.id for e in events})

        async def coordinator_done() -> Samples | None:
            found = await scrape(coordinator_port)
            lag = found.get("los_consumer_lag", [])
            settled = (total(found, "los_coordinator_events_accepted_total") == unique_events
                       and lag and all(v == 0 for _, v in lag))
            return found if settled else None

        coordinator = await wait_for(coordinator_done, timeout=40, what="the coordinator's counters and zero lag")

        async def disclosure_done() -> Samples | None:
            found = await scrape(disclosure_port)
            lag = [v for labels, v in found.get("los_consumer_lag", []) if labels["topic"] == RECORD_CHANGES]
            disclosed = total(found, "los_disclosure_decisions_total", outcome="disclosed")
            settled = disclosed > 0 and lag and all(v == 0 for v in lag)
            return found if settled else None

        disclosure = await wait_for(disclosure_done, timeout=40, what="the feeds' decisions and zero lag")
    finally:
        stop_processes(procs)

    assert total(coordinator, "los_coordinator_events_rejected_total") == 1
    assert total(coordinator, "los_coordinator_events_rejected_total", reason="malformed_json") == 1
    assert total(coordinator, "los_coordinator_events_duplicate_total") == len(events) - unique_events
    lag_labels = {labels["service"] for labels, _ in coordinator["los_consumer_lag"]}
    assert lag_labels == {"los-coordinator"}
    assert {labels["topic"] for labels, _ in coordinator["los_consumer_lag"]} <= set(all_event_topics())

    decisions = disclosure["los_disclosure_decisions_total"]
    assert {labels["outcome"] for labels, _ in decisions} <= {"disclosed", "withheld"}
    assert total(disclosure, "los_disclosure_decisions_total", outcome="disclosed") > 0
    recipients = {labels["recipient"] for labels, _ in decisions}
    assert len(recipients) > 1, "decisions are counted per recipient agency"
    written = total(disclosure, "los_audit_entries_written_total")
    assert 0 < written <= total(disclosure, "los_disclosure_decisions_total") + 1  # + the policy entry
    assert total(disclosure, "los_audit_entries_written_total", kind="disclosure") > 0


async def test_lag_is_the_end_offset_minus_the_position_stored_in_postgres(
        infra: Infra, database: Database, unique: str) -> None:
    topic, group = events_topic("TAX"), f"lag-{unique}"
    await produce(infra.bootstrap_servers, [(topic, b"same-key", b"{}")] * 3)  # one partition: >= 3 records
    await start_from_now(database.owner_url, database.app_url, group, infra.bootstrap_servers, [topic])
    ends = await end_offsets(infra.bootstrap_servers, [topic])
    (_, behind), end = max(ends.items(), key=lambda item: item[1])
    (_, unseen) = next(tp for tp in ends if tp[1] != behind)
    pool = await asyncpg.create_pool(database.app_url, min_size=1, max_size=1)
    consumer = AIOKafkaConsumer(bootstrap_servers=infra.bootstrap_servers, enable_auto_commit=False,
                                **kafka_options(infra.bootstrap_servers))
    await consumer.start()
    try:
        owner = await asyncpg.connect(database.owner_url)  # the services may not delete positions
        try:
            await owner.execute("UPDATE consumer_offsets SET next_offset = next_offset - 3"
                                " WHERE group_id = $1 AND partition = $2", group, behind)
            await owner.execute("DELETE FROM consumer_offsets WHERE group_id = $1 AND partition = $2", group, unseen)
        finally:
            await owner.close()
        consumer.assign([TopicPartition(topic, p) for _, p in ends])
        lag = await measure_lag(consumer, pool, group)
        start = (await consumer.beginning_offsets([TopicPartition(topic, unseen)]))[TopicPartition(topic, unseen)]
    finally:
        await consumer.stop()
        await pool.close()
    assert lag[(topic, behind)] == 3 and end >= 3
    assert lag[(topic, unseen)] == ends[(topic, unseen)] - start  # never stored: from the log's start
    assert all(v == 0 for tp, v in lag.items() if tp[1] not in (behind, unseen))
    assert set(lag) == set(ends)
