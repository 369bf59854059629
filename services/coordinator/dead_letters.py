"""The dead-letter topic, fed from the `rejections` table by a relay off the intake path.

A rejection is written once, with the record's raw bytes, in the transaction of the batch
it came in (`service.store_batch`). This relay then sends it to `los.coordinator.dlq` and
marks it sent: at least once on the topic, exactly once in the table. Intake never waits
for it, so a dead letter Kafka will not take cannot hold back anyone's events.

A dead letter is the rejected record byte for byte, with the reason in headers, when it
fits the topic's `max.message.bytes` (read from the broker at start). A larger one, such as
a record the producer compressed and the coordinator sees whole, goes as a *reference*: a
small JSON naming where it came from, its size, its SHA-256 and the reason; its bytes stay
in `rejections` for review.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from dataclasses import dataclass

import asyncpg
from aiokafka.errors import MessageSizeTooLargeError, RecordTooLargeError
from faststream.kafka import KafkaBroker

from schemas.topics import DEAD_LETTER
from services.common.periodic import every

log = logging.getLogger(__name__)

DEFAULT_MAX_MESSAGE_BYTES = 1_048_588  # Kafka's own default for message.max.bytes
ENVELOPE_BYTES = 8 * 1024  # room for the headers, the key and the record batch around a value
TOO_LARGE = (MessageSizeTooLargeError, RecordTooLargeError)


@dataclass(frozen=True)
class Rejection:
    """A row of `rejections`, as the relay reads it."""

    id: int
    topic: str
    partition: int
    offset: int
    agency: str | None
    reason: str
    detail: str
    raw: bytes | None


@dataclass(frozen=True)
class DeadLetter:
    value: bytes
    key: bytes
    headers: dict[str, str]
    form: str  # "whole" or "reference"


def dead_letter(rejection: Rejection, *, max_message_bytes: int, whole: bool = True) -> DeadLetter:
    """The message for one rejection: the record itself if it fits, else a reference."""
    raw = rejection.raw or b""
    headers = {
        "los-reason": rejection.reason, "los-detail": rejection.detail[:1000],
        "los-source-topic": rejection.topic, "los-source-partition": str(rejection.partition),
        "los-source-offset": str(rejection.offset), "los-agency": rejection.agency or "",
        "los-rejection-id": str(rejection.id), "los-size": str(len(raw)),
        "los-sha256": hashlib.sha256(raw).hexdigest(),
    }
    key = f"{rejection.topic}/{rejection.partition}/{rejection.offset}".encode()
    if whole and len(raw) + ENVELOPE_BYTES <= max_message_bytes:
        return DeadLetter(raw, key, {**headers, "los-dead-letter": "whole"}, "whole")
    reference = {
        "reference": "the rejected record is too large for this topic; its bytes are kept in the"
                     " coordinator's rejections table under rejection_id",
        "rejection_id": rejection.id, "topic": rejection.topic, "partition": rejection.partition,
        "offset": rejection.offset, "size": len(raw), "sha256": headers["los-sha256"],
        "reason": rejection.reason, "detail": rejection.detail[:1000], "agency": rejection.agency,
    }
    return DeadLetter(json.dumps(reference, sort_keys=True).encode(), key,
                      {**headers, "los-dead-letter": "reference"}, "reference")


class DeadLetterRelay:
    """Sends unsent rejections in order; several coordinators relay side by side, each
    taking its rows with `FOR UPDATE SKIP LOCKED`."""

    def __init__(self, pool: asyncpg.Pool, broker: KafkaBroker, *, max_message_bytes: int,
                 topic: str = DEAD_LETTER, limit: int = 100) -> None:
        self.pool, self.broker, self.topic, self.limit = pool, broker, topic, limit
        self.max_message_bytes = max_message_bytes

    async def once(self) -> int:
        """Send one round of unsent rejections; return how many were sent."""
        async with self.pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(
                """SELECT id, topic, partition, "offset", agency, reason, detail, raw FROM rejections
                   WHERE dead_lettered_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED""", self.limit)
            if not rows:
                return 0
            forms = []
            for row in rows:
                rejection = Rejection(row["id"], row["topic"], row["partition"], row["offset"], row["agency"],
                                      row["reason"], row["detail"], row["raw"])
                forms.append(await self._send(rejection))
            await conn.execute(
                "UPDATE rejections r SET dead_lettered_at = now(), dead_letter_form = u.form"
                " FROM unnest($1::bigint[], $2::text[]) AS u(id, form) WHERE r.id = u.id",
                [r["id"] for r in rows], forms)
        return len(rows)

    async def _send(self, rejection: Rejection) -> str:
        letter = dead_letter(rejection, max_message_bytes=self.max_message_bytes)
        try:
            await self._publish(letter)
        except TOO_LARGE:  # the broker's limit is lower than it said: a reference always fits
            letter = dead_letter(rejection, max_message_bytes=self.max_message_bytes, whole=False)
            await self._publish(letter)
        return letter.form

    async def _publish(self, letter: DeadLetter) -> None:
        await self.broker.publish(letter.value, topic=self.topic, key=letter.key, headers=letter.headers)


async def relay_dead_letters_forever(relay: DeadLetterRelay, stop: asyncio.Event, interval: float = 0.5) -> None:
    async def drain() -> None:  # Kafka away: the rejections wait in the table, intake goes on
        while await relay.once():
            pass

    await every(interval, stop, drain, what="relaying dead letters")
