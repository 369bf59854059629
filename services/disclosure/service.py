"""The disclosure feed process: composition root and FastStream subscriber."""

from __future__ import annotations

import asyncio
import datetime
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
from faststream import AckPolicy, FastStream
from faststream.kafka import KafkaBroker, KafkaMessage

from schemas.agencies import load_agencies
from schemas.topics import RECORD_CHANGES
from services.audit.digests import load_audit_digests
from services.audit.entries import policy_entry
from services.audit.store import append
from services.common.lag import report_lag
from services.common.migrate import migrate
from services.common.offsets import SeekToStoredOffsets
from services.common.pseudonyms import read_secret_file
from services.common.retry import Halted, in_transaction_until_stored
from services.common.telemetry import broker_middlewares, instrument_asyncpg, serve_metrics, setup_tracing
from services.disclosure.feeds import Change, commit_batch, views_for_changes
from services.disclosure.metrics import count_decisions
from services.disclosure.policy import load_policy
from services.disclosure.pseudonyms import RecipientPseudonyms
from services.disclosure.settings import FeedSettings

log = logging.getLogger(__name__)
HERE = Path(__file__).parent


async def _raw(msg: object) -> None:
    return None


@dataclass
class Runtime:
    pool: asyncpg.Pool | None = None
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def get_pool(self) -> asyncpg.Pool:
        assert self.pool is not None
        return self.pool


async def record_policy_in_force(conn: asyncpg.Connection, label: str) -> None:
    """A policy change is an audit entry: the first time this label is in force here."""
    previous = await conn.fetchval(
        "SELECT entry ->> 'policy' FROM audit_log WHERE kind = 'policy_change' ORDER BY seq DESC LIMIT 1")
    if previous != label:
        await append(conn, [policy_entry(at=datetime.datetime.now(datetime.UTC), policy=label,
                                         previous=previous, changed_by="disclosure feed start-up")])


def build_app(settings: FeedSettings) -> FastStream:
    setup_tracing("los-disclosure", settings.otel_exporter)
    instrument_asyncpg()
    serve_metrics(settings.metrics_port, settings.metrics_host)
    policy = load_policy(settings.policy_file)
    agencies = load_agencies()
    pseudonyms = RecipientPseudonyms(read_secret_file(settings.egress_pseudonym_key_file,
                                                      "LOS_EGRESS_PSEUDONYM_KEY_FILE"))
    digests = load_audit_digests(settings.audit_digest_key_file)
    broker = KafkaBroker(settings.kafka_bootstrap_servers.split(","), enable_idempotence=True,
                         security=settings.kafka_broker_security(), allow_auto_create_topics=False,
                         client_id="los-disclosure",
                         middlewares=broker_middlewares("los-disclosure"))
    runtime = Runtime()
    listener = SeekToStoredOffsets(runtime.get_pool, settings.feeds_group_id)
    subscriber = broker.subscriber(RECORD_CHANGES, group_id=settings.feeds_group_id, batch=True, max_records=200,
                                   batch_timeout_ms=20,  # FastStream sleeps this long after an empty poll
                                   ack_policy=AckPolicy.MANUAL, auto_offset_reset="earliest", listener=listener,
                                   decoder=_raw)
    listener.subscriber = subscriber
    halted = False

    @subscriber
    async def on_changes(msg: KafkaMessage) -> None:
        nonlocal halted
        if halted:
            return
        raw = msg.raw_message
        records = raw if isinstance(raw, tuple | list) else (raw,)
        changes = []
        for r in records:
            try:
                body = json.loads(r.value)
            except (TypeError, ValueError):
                log.error("not a record change at %s/%d/%d; skipped", r.topic, r.partition, r.offset)
                body = None
            changes.append(Change(r.topic, r.partition, r.offset, body))

        decided: list[dict[str, Any]] = []  # counted once the batch is stored

        async def work(conn: asyncpg.Connection) -> None:
            now = datetime.datetime.now(datetime.UTC)
            messages, entries = await views_for_changes(conn, changes, policy, agencies,
                                                        purpose=settings.feeds_purpose, now=now,
                                                        pseudonyms=pseudonyms, digests=digests)
            decided[:] = entries
            sending = [await broker.publish(m.value, topic=m.topic, key=m.key, no_confirm=True,
                                            headers={"content-type": "application/json"}) for m in messages]
            await asyncio.gather(*sending)  # acknowledged before the audit entries commit
            await commit_batch(conn, settings.feeds_group_id, changes, messages, entries)

        try:
            await in_transaction_until_stored(runtime.get_pool, work, runtime.stop, what="batch of changes")
        except Halted:
            halted = True
            return
        count_decisions(decided)
        try:
            await msg.ack()
        except Exception:
            log.debug("committing Kafka offsets failed; harmless", exc_info=True)

    app = FastStream(broker)

    @app.on_startup
    async def start() -> None:
        if settings.database_owner_url:  # its own migrations; else applied before the start, as the owner
            await migrate(settings.database_owner_url, HERE / "migrations", component="disclosure")
        runtime.pool = await asyncpg.create_pool(settings.database_url, min_size=1, max_size=4)
        async with runtime.get_pool().acquire() as conn, conn.transaction():
            await record_policy_in_force(conn, policy.label)
        log.info("disclosure policy in force: %s", policy.label)

    @app.after_startup
    async def background() -> None:
        runtime.tasks = report_lag("los-disclosure", settings.feeds_group_id, subscriber, runtime.get_pool,
                                   runtime.stop, metrics_port=settings.metrics_port)

    @app.on_shutdown
    async def shutdown() -> None:
        runtime.stop.set()
        await asyncio.gather(*runtime.tasks, return_exceptions=True)

    @app.after_shutdown
    async def close() -> None:
        if runtime.pool is not None:
            await runtime.pool.close()

    return app
