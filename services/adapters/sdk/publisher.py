"""Sends the outbox to Kafka, in order, with an idempotent producer (acks=all).

Kafka being down is normal weather: the publisher keeps the events on disk and retries
with exponential backoff (the system's one retry policy); nothing is dropped. A row is marked sent only after its
acknowledgement, so the worst a crash can do is send an event again under its own id.
"""

from __future__ import annotations

import asyncio
import logging

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from schemas.topics import events_topic
from services.adapters.sdk.metrics import OUTBOX_DEPTH, PUBLISHED, SEND_FAILURES
from services.adapters.sdk.outbox import Outbox
from services.adapters.sdk.tracing import send_spans
from services.common.clock import SYSTEM_CLOCK, Clock
from services.common.kafka_security import KafkaLogin, client_options
from services.common.periodic import sleep_unless_stopped
from services.common.retry import Backoff, Halted, until_done

log = logging.getLogger(__name__)


KAFKA_BACKOFF = Backoff(initial=0.2, maximum=15.0)


class Publisher:
    def __init__(self, outbox: Outbox, agency: str, bootstrap_servers: str, *,
                 batch: int = 500, backoff: Backoff = KAFKA_BACKOFF, login: KafkaLogin | None = None,
                 clock: Clock = SYSTEM_CLOCK) -> None:
        self.outbox, self.agency, self.bootstrap, self.login = outbox, agency, bootstrap_servers, login
        self.topic = events_topic(agency)
        self.batch, self.backoff, self.clock = batch, backoff, clock
        self._producer: AIOKafkaProducer | None = None

    async def _ensure_producer(self) -> AIOKafkaProducer:
        if self._producer is None:
            producer = AIOKafkaProducer(
                bootstrap_servers=self.bootstrap, enable_idempotence=True, acks="all",
                linger_ms=5, max_batch_size=256 * 1024, request_timeout_ms=15_000,
                client_id=f"los-adapter-{self.agency.lower()}", **client_options(self.login))
            try:
                await producer.start()
            except BaseException:
                await producer.stop()
                raise
            self._producer = producer
        return self._producer

    async def close(self) -> None:
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None

    async def send_pending(self) -> int:
        """Send what is waiting, batch by batch; return how many were acknowledged.

        Raises KafkaError (or OSError) when Kafka cannot take them now; what was
        acknowledged before that is already marked sent."""
        sent = 0
        while batch := self.outbox.unsent(self.batch):
            producer = await self._ensure_producer()
            for event in batch:
                if event.topic != self.topic:
                    raise ValueError(f"outbox row {event.seq} targets {event.topic}, not {self.topic}")
            sending = send_spans(self.topic, batch)  # adapter.publish spans; None with tracing off
            futures = [await producer.send(self.topic, event.value, key=event.key,
                                           headers=event.headers) for event in batch]
            results = await asyncio.gather(*futures, return_exceptions=True)
            if sending is not None:
                sending.end(results)
            acks = []
            failure: BaseException | None = None
            for event, result in zip(batch, results, strict=True):
                if isinstance(result, BaseException):
                    failure = failure or result
                else:
                    acks.append((event.seq, result.partition, result.offset))
            self.outbox.mark_sent(acks)
            sent += len(acks)
            PUBLISHED.labels(self.agency).inc(len(acks))
            if failure is not None:
                raise failure
        OUTBOX_DEPTH.labels(self.agency).set(0)
        return sent

    async def drain(self, *, stop: asyncio.Event | None = None, forever: bool = False,
                    poll: float = 0.5) -> int:
        """Send until the outbox is empty (or, with `forever`, until `stop` is set). Kafka being
        away is retried with backoff (services/common/retry.py) until it answers or `stop` is set."""
        total = 0
        while True:
            try:
                total += await until_done(self.send_pending, what=f"publishing {self.agency}'s outbox",
                                          backoff=self.backoff, retry_on=(KafkaError, OSError), stop=stop,
                                          clock=self.clock, on_retry=self._unavailable)
            except Halted:
                return total
            if not forever:
                return total
            if stop is None:
                await self.clock.sleep(poll)
            elif await sleep_unless_stopped(stop, poll):
                return total

    async def _unavailable(self, error: BaseException, failures: int, wait: float) -> None:
        SEND_FAILURES.labels(self.agency).inc()
        unsent = self.outbox.counts()["unsent"]
        OUTBOX_DEPTH.labels(self.agency).set(unsent)
        log.warning("Kafka unavailable (%s); %d events wait in the outbox; retry in %.1fs", error, unsent, wait)
        await self.close()
