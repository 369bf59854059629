"""The composition root: builds the coordinator from settings, with real adapters."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
from faststream import FastStream
from faststream.kafka import KafkaBroker

from schemas.agencies import load_agencies
from schemas.signing import KeyRegistry
from schemas.topics import DEAD_LETTER, events_topic
from services.common.keys import load_registry
from services.common.lag import report_lag
from services.common.migrate import migrate
from services.common.periodic import every
from services.common.telemetry import broker_middlewares, instrument_asyncpg, serve_metrics, setup_tracing
from services.common.topic_limits import max_message_bytes
from services.coordinator.checker import Checker
from services.coordinator.consumer import register
from services.coordinator.dead_letters import (
    DEFAULT_MAX_MESSAGE_BYTES,
    DeadLetterRelay,
    relay_dead_letters_forever,
)
from services.coordinator.ports import Clock, SystemClock
from services.coordinator.receipts import ReceiptRelay, relay_receipts_forever
from services.coordinator.relay import Relay, relay_forever
from services.coordinator.retention import erase_forever
from services.coordinator.review import flag_parked_forever
from services.coordinator.service import Settings
from services.coordinator.settings import CoordinatorSettings

MIGRATIONS = Path(__file__).with_name("migrations")
log = logging.getLogger(__name__)
MAX_REQUEST_BYTES = 64 * 1024 * 1024


@dataclass
class Runtime:
    """Mutable things the handlers reach through small getters, set on start-up."""

    settings: CoordinatorSettings
    pool: asyncpg.Pool | None = None
    registry: KeyRegistry = field(default_factory=KeyRegistry)
    registry_mtime: float = -1.0
    dead_letter_max_bytes: int = DEFAULT_MAX_MESSAGE_BYTES
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def get_pool(self) -> asyncpg.Pool:
        assert self.pool is not None, "the pool is created on start-up"
        return self.pool

    def get_registry(self) -> KeyRegistry:
        return self.registry

    def reload_registry(self) -> None:
        path = self.settings.keys_dir / "registry.json"
        mtime = path.stat().st_mtime if path.exists() else 0.0
        if mtime != self.registry_mtime:
            self.registry = load_registry(self.settings.keys_dir)
            self.registry_mtime = mtime


async def _watch_registry(runtime: Runtime) -> None:
    async def reload() -> None:  # a failure keeps the previous registry
        runtime.reload_registry()

    await every(2.0, runtime.stop, reload, what="reloading the key registry")


async def _dead_letter_limit(settings: CoordinatorSettings) -> int:
    """The dead-letter topic's `max.message.bytes`, so that whatever the broker accepted on an
    events topic is sent on whole when it fits and as a reference when not."""
    try:
        limit = await max_message_bytes(settings.kafka_bootstrap_servers.split(","),
                                        settings.kafka_client_options(), DEAD_LETTER)
    except Exception as error:
        log.warning("could not read %s's message size limit (%s); assuming Kafka's default %d bytes",
                    DEAD_LETTER, error, DEFAULT_MAX_MESSAGE_BYTES)
        return DEFAULT_MAX_MESSAGE_BYTES
    log.info("%s takes messages up to %d bytes; larger dead letters go as references", DEAD_LETTER, limit)
    return limit


def build_app(settings: CoordinatorSettings, clock: Clock | None = None) -> tuple[FastStream, Runtime]:
    clock = clock or SystemClock()
    setup_tracing("los-coordinator", settings.otel_exporter)
    instrument_asyncpg()
    serve_metrics(settings.metrics_port, settings.metrics_host)
    broker = KafkaBroker(settings.kafka_bootstrap_servers.split(","), enable_idempotence=True,
                         security=settings.kafka_broker_security(), allow_auto_create_topics=False,
                         max_request_size=MAX_REQUEST_BYTES,  # the broker, not the client, judges size
                         client_id="los-coordinator", middlewares=broker_middlewares("los-coordinator"))
    runtime = Runtime(settings)
    service_settings = Settings(
        group_id=settings.coordinator_group_id, max_event_bytes=settings.coordinator_max_event_bytes,
        inference_window_days=settings.coordinator_inference_window_days,
        noisy_cap=settings.coordinator_noisy_cap)
    topics = settings.coordinator_topics or [events_topic(code) for code in load_agencies()]
    checker = Checker(service_settings, workers=settings.coordinator_check_workers)
    intake = register(broker, topics=topics, settings=service_settings,
                      batch_size=settings.coordinator_batch_size, pool_ref=runtime.get_pool,
                      registry_ref=runtime.get_registry, clock=clock, stop=runtime.stop, checker=checker)
    app = FastStream(broker)

    @app.on_startup
    async def start() -> None:
        if settings.database_owner_url:  # its own migrations; else applied before the start, as the owner
            applied = await migrate(settings.database_owner_url, MIGRATIONS, component="coordinator")
            if applied:
                log.info("applied migrations %s", ", ".join(applied))
        runtime.pool = await asyncpg.create_pool(settings.database_url, min_size=1, max_size=4)
        runtime.reload_registry()
        runtime.dead_letter_max_bytes = await _dead_letter_limit(settings)
        await checker.warm()

    @app.after_startup
    async def background() -> None:
        pool = runtime.get_pool()
        runtime.tasks = [
            asyncio.create_task(relay_forever(
                Relay(pool, broker, min_interval=settings.coordinator_change_interval_seconds), runtime.stop)),
            asyncio.create_task(relay_dead_letters_forever(
                DeadLetterRelay(pool, broker, max_message_bytes=runtime.dead_letter_max_bytes), runtime.stop)),
            asyncio.create_task(relay_receipts_forever(ReceiptRelay(pool, broker), runtime.stop)),
            asyncio.create_task(flag_parked_forever(pool, settings.coordinator_parked_review_seconds,
                                                    runtime.stop, clock)),
            asyncio.create_task(_watch_registry(runtime)),
            asyncio.create_task(erase_forever(pool, settings.coordinator_retention_days, runtime.stop, clock)),
            *report_lag("los-coordinator", settings.coordinator_group_id, intake.subscriber, runtime.get_pool,
                        runtime.stop, metrics_port=settings.metrics_port),  # los_consumer_lag, when metrics are served
        ]

    @app.on_shutdown
    async def shutdown() -> None:
        runtime.stop.set()
        await intake.drain()
        checker.close()
        await asyncio.gather(*runtime.tasks, return_exceptions=True)

    @app.after_shutdown
    async def close() -> None:
        if runtime.pool is not None:
            await runtime.pool.close()

    return app, runtime
