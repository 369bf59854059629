"""The whole pipeline on the real broker and database: events published as adapters publish
them, until operation records and the feeds' audit entries are committed."""

from __future__ import annotations

import asyncio
import os
import signal
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from bench.cpu import CpuMeter
from deploy.local.harness import (
    Database,
    all_event_topics,
    create_database,
    drop_database,
    end_offsets,
    produce,
    service_env,
    spawn_service,
    start_from_now,
    wire,
)
from deploy.local.kafka import kafka_options
from schemas.topics import RECORD_CHANGES
from services.adapters.simulator import stream_events
from services.common.migrate import migrate

ROOT = Path(__file__).resolve().parents[1]
AUDIT = ROOT / "services" / "audit" / "migrations"
DISCLOSURE = ROOT / "services" / "disclosure" / "migrations"


@dataclass
class Run:
    db: Database
    env: dict[str, str]
    procs: list[subprocess.Popen[bytes]]
    group: str
    feeds_group: str
    events_start: int
    changes_start: int

    async def stop(self, stack_env: dict[str, str]) -> None:
        for proc in self.procs:
            proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            proc.wait(timeout=60)
        await drop_database(stack_env, self.db.name)


def prepare(count: int, seed: int, keys: Path) -> tuple[list[tuple[str, bytes, bytes]], int]:
    events = list(stream_events(seed, count, pseudonym_key=b"bench-pseudonym-key-0123456789ab"))
    return wire(events, keys), len({e.id for e in events})


async def start(stack_env: dict[str, str], keys: Path, coordinators: int, logs: Path) -> Run:
    db = await create_database(stack_env, prefix="bench")
    group, feeds = f"bench-{db.name}", f"bench-feeds-{db.name}"
    bootstrap = stack_env["LOS_KAFKA_BOOTSTRAP_SERVERS"]
    await start_from_now(db, group, bootstrap, all_event_topics())
    events_start = sum((await end_offsets(bootstrap, all_event_topics())).values())
    await migrate(db.owner_url, AUDIT, component="audit")
    await migrate(db.owner_url, DISCLOSURE, component="disclosure")
    ends = await end_offsets(bootstrap, [RECORD_CHANGES])
    conn = await asyncpg.connect(db.app_url)
    try:
        await conn.executemany("INSERT INTO consumer_offsets (group_id, topic, partition, next_offset)"
                               " VALUES ($1, $2, $3, $4)", [(feeds, t, p, o) for (t, p), o in ends.items()])
    finally:
        await conn.close()
    env = service_env(stack_env, db, keys, LOS_COORDINATOR_GROUP_ID=group, LOS_FEEDS_GROUP_ID=feeds)
    procs = [spawn_service("services.coordinator", env, logs / f"coordinator-{i}.log") for i in range(coordinators)]
    procs.append(spawn_service("services.disclosure", {**env, "LOS_DATABASE_URL": db.url("disclosure")},
                               logs / "disclosure.log"))
    await asyncio.sleep(6)  # processes up and in their groups before the clock starts
    return Run(db, env, procs, group, feeds, events_start, sum(ends.values()))


async def _stored(conn: asyncpg.Connection, run: Run, published: int) -> bool:
    """Every published message is behind the coordinators' stored positions, which commit
    with the records (cheaper to ask than counting events while they are written)."""
    consumed = await conn.fetchval("SELECT coalesce(sum(next_offset), 0) FROM consumer_offsets WHERE group_id = $1",
                                   run.group)
    return bool(consumed - run.events_start >= published)


async def _done(conn: asyncpg.Connection, run: Run, published: int) -> bool:
    if not await _stored(conn, run, published):
        return False
    pending = await conn.fetchval("SELECT count(*) FROM record_changes WHERE published_at IS NULL")
    changes = await conn.fetchval("SELECT count(*) FROM record_changes WHERE carried_by IS NULL")  # messages
    fed = await conn.fetchval("SELECT coalesce(sum(next_offset), 0) FROM consumer_offsets WHERE group_id = $1",
                              run.feeds_group)
    return bool(pending == 0 and fed - run.changes_start >= changes)


async def throughput(stack_env: dict[str, str], count: int, coordinators: int, logs: Path,
                     servers: dict[str, list[int]]) -> tuple[float, float, int, dict[str, float], float]:
    """Events/s from the first publish until records are committed, and until the feeds'
    audit entries are committed too; and where the CPU time went (`servers`: the pids of
    Kafka and PostgreSQL)."""
    with tempfile.TemporaryDirectory() as tmp:
        keys = Path(tmp) / "keys"
        messages, unique = prepare(count, 1, keys)
        run = await start(stack_env, keys, coordinators, logs)
        try:
            conn = await asyncpg.connect(run.db.app_url)
            meter = CpuMeter({**servers, "coordinator": [p.pid for p in run.procs[:-1]],
                              "disclosure": [run.procs[-1].pid], "bench producer": [os.getpid()]})
            meter.start()
            began = time.perf_counter()
            await produce(stack_env["LOS_KAFKA_BOOTSTRAP_SERVERS"], messages)
            while not await _stored(conn, run, len(messages)):
                await asyncio.sleep(0.05)
            records = time.perf_counter() - began
            if (stored := await conn.fetchval("SELECT count(*) FROM events")) != unique:
                raise RuntimeError(f"{stored} events stored, {unique} distinct events published")
            while not await _done(conn, run, len(messages)):
                await asyncio.sleep(0.1)
            elapsed = time.perf_counter() - began
            cpu = meter.stop()
            entries = await conn.fetchval("SELECT count(*) FROM audit_log")
            await conn.close()
        finally:
            await run.stop(stack_env)
    return count / records, count / elapsed, entries, cpu, elapsed


async def latency(stack_env: dict[str, str], rate: int, seconds: float, logs: Path) -> list[float]:
    """Milliseconds from publish to the record being visible, at a fixed publish rate.

    An event is visible when the coordinator's stored position of its partition passes
    its offset: positions commit in the same transaction as the records, and asking for
    them costs the database nothing, whatever the size of the events table."""
    from aiokafka import AIOKafkaProducer

    count = int(rate * seconds)
    with tempfile.TemporaryDirectory() as tmp:
        keys = Path(tmp) / "keys"
        events = list(stream_events(2, count, pseudonym_key=b"bench-pseudonym-key-0123456789ab"))
        messages = wire(events, keys)
        run = await start(stack_env, keys, 1, logs)
        sent: list[float] = []
        placed: dict[tuple[str, int], list[tuple[int, int]]] = {}  # partition -> [(offset, message index)]
        seen: dict[int, float] = {}
        try:
            conn = await asyncpg.connect(run.db.app_url)
            bootstrap = stack_env["LOS_KAFKA_BOOTSTRAP_SERVERS"]
            producer = AIOKafkaProducer(bootstrap_servers=bootstrap, **kafka_options(bootstrap),
                                        enable_idempotence=True, linger_ms=0)
            await producer.start()

            async def observe() -> None:
                """Note when each message becomes visible, polling the stored positions every 5 ms."""
                while len(seen) < count:
                    rows = await conn.fetch("SELECT topic, partition, next_offset FROM consumer_offsets"
                                            " WHERE group_id = $1", run.group)
                    now = time.perf_counter()
                    for r in rows:
                        waiting = placed.get((r["topic"], r["partition"]), [])
                        while waiting and waiting[0][0] < r["next_offset"]:
                            seen[waiting.pop(0)[1]] = now
                    await asyncio.sleep(0.005)

            def placed_at(index: int, future: asyncio.Future) -> None:  # type: ignore[type-arg]
                meta = future.result()
                waiting = placed.setdefault((meta.topic, meta.partition), [])
                waiting.append((meta.offset, index))
                waiting.sort()

            watcher = asyncio.create_task(observe())
            began = time.perf_counter()
            for i, (topic, key, value) in enumerate(messages):
                due = began + i / rate
                if (wait := due - time.perf_counter()) > 0:
                    await asyncio.sleep(wait)
                sent.append(time.perf_counter())
                future = await producer.send(topic, value, key=key)
                future.add_done_callback(lambda f, i=i: placed_at(i, f))
            await producer.flush()
            await asyncio.wait_for(watcher, timeout=seconds + 120)
            await producer.stop()
            await conn.close()
        finally:
            await run.stop(stack_env)
    return [(seen[i] - sent[i]) * 1000 for i in sorted(seen)]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return statistics.quantiles(ordered, n=100, method="inclusive")[int(p) - 1] if len(ordered) > 1 else ordered[0]
