"""Receipts: written with each batch, relayed to each participant's `los.receipts.<code>`.

Every record of a batch gets its receipt in the batch's own transaction (one bulk insert
into the `receipts` table, unique per record: exactly once in the table); a receipt for a
stored event that later joins an operation its sender takes part in (`joined`) is written in
the transaction that moved it. `ReceiptRelay` then publishes what is unpublished and marks it:
at least once on the topic, never on the intake path, so Kafka refusing a receipt holds back
no one's events. Several coordinators relay side by side (`FOR UPDATE SKIP LOCKED`); a
participant whose topic refuses is left alone for a while, so it cannot hold up the others.

What a receipt may tell its sender is decided in `domain/receipts.py`.
"""

from __future__ import annotations

import asyncio
import datetime
import logging
import time
from collections.abc import Collection, Iterable, Iterator, Sequence
from typing import Any

import asyncpg
import orjson

from schemas.receipts import RECEIPT
from schemas.topics import receipts_topic
from services.common.periodic import every
from services.coordinator.domain import receipts
from services.coordinator.domain.receipts import OPERATION_KINDS, ReceiptRow, Taking
from services.coordinator.ports import IncomingRecord, RejectedRecord

log = logging.getLogger(__name__)
BATCH_BYTES = 12 * 1024


async def write_batch_receipts(conn: asyncpg.Connection,
                               stored: Sequence[tuple[IncomingRecord, str, str, str | None]],
                               duplicates: Iterable[tuple[IncomingRecord, str]], rejected: Iterable[RejectedRecord],
                               changed: Collection[str]) -> None:
    """One receipt per record of the batch, then `joined` receipts for earlier events of the
    operations that changed. `stored` holds (record, event id, kind, the operation it names) of
    each event stored or replaced now; `duplicates` (record, event id) of each repeat."""
    placed = {event_id: op for _, event_id, kind, op in stored if kind in OPERATION_KINDS}
    placed |= await _inferred(conn, [event_id for event_id, op in placed.items() if op is None])
    taking = await _taking(conn, {op for op in placed.values() if op is not None})
    rows: list[ReceiptRow | None] = [
        receipts.rejected(r.record.topic, r.record.partition, r.record.offset, r.reason, r.detail, r.record.value)
        for r in rejected]
    rows += [receipts.stored(record.topic, record.partition, record.offset, event_id, kind,
                             placed.get(event_id) if kind in OPERATION_KINDS else op, taking)
             for record, event_id, kind, op in stored]
    rows += [receipts.duplicate(record.topic, record.partition, record.offset, event_id)
             for record, event_id in duplicates]
    await _insert_rows(conn, [r for r in rows if r is not None])
    if changed:
        await _joined(conn, sorted(changed))


async def _inferred(conn: asyncpg.Connection, event_ids: list[str]) -> dict[str, str | None]:
    """The operation inferred for events that name none (an event that names one keeps it)."""
    if not event_ids:
        return {}
    return {r["event_id"]: r["operation_id"] for r in await conn.fetch(
        "SELECT event_id::text, operation_id FROM events WHERE event_id = ANY($1::uuid[])", event_ids)}


async def _taking(conn: asyncpg.Connection, operations: set[str]) -> dict[str, Taking]:
    """Who takes part in each of `operations` that is planned."""
    if not operations:
        return {}
    return {r["operation_id"]: Taking(r["lead_agency"], frozenset(r["participants"])) for r in await conn.fetch(
        "SELECT operation_id, lead_agency, participants FROM operations"
        " WHERE operation_id = ANY($1::text[]) AND plan IS NOT NULL", sorted(operations))}


async def _insert_rows(conn: asyncpg.Connection, rows: list[ReceiptRow]) -> None:
    if not rows:
        return
    await conn.execute(
        """INSERT INTO receipts (participant, topic, partition, "offset", event_id, status, reason, detail,
               operation_id)
           SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::bigint[], $5::uuid[], $6::text[],
               $7::text[], $8::text[], $9::text[])
           ON CONFLICT (topic, partition, "offset") WHERE status <> 'joined' DO NOTHING""",
        [r.participant for r in rows], [r.topic for r in rows], [r.partition for r in rows],
        [r.offset for r in rows], [r.event_id for r in rows], [r.status for r in rows],
        [r.reason for r in rows], [r.detail for r in rows], [r.operation_id for r in rows])


async def _joined(conn: asyncpg.Connection, operations: list[str]) -> None:
    """A `joined` receipt for every event of `operations` whose sender takes part in its
    operation and was last told another state (parked, or another operation). Events stored
    before receipts existed have none to follow and get none."""
    await conn.execute(
        """INSERT INTO receipts (participant, topic, partition, "offset", event_id, status, operation_id)
           SELECT e.agency, e.topic, e.partition, e."offset", e.event_id, 'joined', e.operation_id
           FROM events e
           JOIN operations o ON o.operation_id = e.operation_id AND o.plan IS NOT NULL
           CROSS JOIN LATERAL (
               SELECT r.operation_id FROM receipts r
               WHERE r.event_id = e.event_id AND r.participant = e.agency
                 AND r.status IN ('accepted', 'parked', 'joined')
               ORDER BY r.seq DESC LIMIT 1) AS told
           WHERE e.operation_id = ANY($1::text[]) AND e.kind IN ('inspection', 'decision', 'notification')
             AND (e.agency = o.lead_agency OR e.agency = ANY(o.participants))
             AND told.operation_id IS DISTINCT FROM e.operation_id""", operations)


class ReceiptRelay:
    """Publishes unpublished receipts in order of writing and marks them published."""

    def __init__(self, pool: asyncpg.Pool, broker: Any, *, limit: int = 500, hold_off: float = 30.0,
                 max_hold_off: float = 600.0) -> None:
        self.pool, self.broker, self.limit = pool, broker, limit
        self.hold_off, self.max_hold_off = hold_off, max_hold_off
        self._held: dict[str, tuple[float, float]] = {}  # participant -> (until, last hold-off), monotonic

    async def once(self) -> int:
        """Publish one round; return how many receipts were published."""
        now = time.monotonic()
        held = sorted(p for p, (until, _) in self._held.items() if until > now)
        async with self.pool.acquire() as conn, conn.transaction():
            # marked published at once (one write per row, not a lock and then an update); what
            # Kafka does not acknowledge is unmarked below, and a crash rolls the marks back
            rows = sorted(await conn.fetch(
                """UPDATE receipts SET published_at = now() WHERE seq IN (
                       SELECT seq FROM receipts WHERE published_at IS NULL AND participant <> ALL($2::text[])
                       ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED)
                   RETURNING seq, participant, topic, partition, "offset", event_id::text, status, reason, detail,
                             operation_id, created_at""", self.limit, held), key=lambda r: r["seq"])
            if not rows:
                return 0
            by_participant: dict[str, list[asyncpg.Record]] = {}
            for row in rows:
                by_participant.setdefault(row["participant"], []).append(row)
            sending: list[tuple[str, list[int], Any]] = []
            failed: set[str] = set()
            for participant, mine in by_participant.items():
                for chunk in _chunks(mine):  # one request per chunk: far cheaper than a publish per receipt
                    try:
                        sending.append((participant, [r["seq"] for r in chunk], await self.broker.publish_batch(
                            *(_message(r) for r in chunk), topic=receipts_topic(participant), partition=0,
                            no_confirm=True, headers={"content-type": "application/json"})))
                    except Exception as error:  # this participant's topic refuses: its receipts wait
                        self._hold(participant, error)
                        failed.add(participant)
                        break
            results = await asyncio.gather(*(future for _, _, future in sending), return_exceptions=True)
            published: list[int] = []
            for (participant, seqs, _), result in zip(sending, results, strict=True):
                if not isinstance(result, BaseException):
                    published += seqs
                elif participant not in failed:
                    failed.add(participant)
                    self._hold(participant, result)
            if len(published) < len(rows):
                await conn.execute("UPDATE receipts SET published_at = NULL WHERE seq = ANY($1::bigint[])",
                                   sorted({r["seq"] for r in rows} - set(published)))
        for participant in set(by_participant) - failed:
            self._held.pop(participant, None)
        return len(published)

    def _hold(self, participant: str, error: BaseException) -> None:
        _, last = self._held.get(participant, (0.0, self.hold_off / 2))
        wait = min(self.max_hold_off, last * 2)
        self._held[participant] = (time.monotonic() + wait, wait)
        log.warning("publishing receipts to %s failed (%s: %s); its receipts wait in the table, next try in %.0fs",
                    receipts_topic(participant), type(error).__name__, error, wait)


def _message(row: asyncpg.Record) -> bytes:
    created: datetime.datetime = row["created_at"]
    return orjson.dumps({
        "type": RECEIPT, "seq": row["seq"], "participant": row["participant"], "topic": row["topic"],
        "partition": row["partition"], "offset": row["offset"], "event_id": row["event_id"],
        "status": row["status"], "reason": row["reason"], "detail": row["detail"],
        "operation_id": row["operation_id"], "at": created.isoformat()})


def _chunks(rows: list[asyncpg.Record]) -> Iterator[list[asyncpg.Record]]:
    """Rows in runs that fit one producer batch (aiokafka's default `max_batch_size` is 16 KiB)."""
    chunk: list[asyncpg.Record] = []
    size = 0
    for row in rows:
        cost = 400 + len(row["detail"] or "") * 4  # JSON, headers and record overhead, generously
        if chunk and size + cost > BATCH_BYTES:
            yield chunk
            chunk, size = [], 0
        chunk.append(row)
        size += cost
    if chunk:
        yield chunk


async def relay_receipts_forever(relay: ReceiptRelay, stop: asyncio.Event, interval: float = 0.2) -> None:
    async def drain() -> None:  # Kafka away: the receipts wait in the table, intake goes on
        while await relay.once():
            pass

    await every(interval, stop, drain, what="relaying receipts")
