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
from collections.abc import Collection, Iterable, Sequence
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


async def write_batch_receipts(conn: asyncpg.Connection,
                               stored: Sequence[tuple[IncomingRecord, str, str, str | None]],
                               duplicates: Iterable[tuple[IncomingRecord, str]], rejected: Iterable[RejectedRecord],
                               changed: Collection[str]) -> None:
    """One receipt per record of the batch, then `joined` receipts for earlier events of the
    operations that changed. `stored` holds (record, event id, kind, plan's operation id) of each
    event stored or replaced now; `duplicates` (record, event id) of each repeat."""
    placed = await _operations_of(conn, [event_id for _, event_id, kind, _ in stored if kind in OPERATION_KINDS])
    taking = {op: t for op, t in placed.values() if op is not None and t is not None}
    rows: list[ReceiptRow | None] = [
        receipts.rejected(r.record.topic, r.record.partition, r.record.offset, r.reason, r.detail, r.record.value)
        for r in rejected]
    rows += [receipts.stored(record.topic, record.partition, record.offset, event_id, kind,
                             plan_op if kind == "plan" else placed.get(event_id, (None, None))[0], taking)
             for record, event_id, kind, plan_op in stored]
    rows += [receipts.duplicate(record.topic, record.partition, record.offset, event_id)
             for record, event_id in duplicates]
    await _insert_rows(conn, [r for r in rows if r is not None])
    if changed:
        await _joined(conn, sorted(changed))


async def _operations_of(conn: asyncpg.Connection,
                         event_ids: list[str]) -> dict[str, tuple[str | None, Taking | None]]:
    """Each event's operation as stored now, with who takes part in it if it is planned."""
    if not event_ids:
        return {}
    rows = await conn.fetch(
        """SELECT e.event_id::text, e.operation_id, o.lead_agency, o.participants FROM events e
           LEFT JOIN operations o ON o.operation_id = e.operation_id AND o.plan IS NOT NULL
           WHERE e.event_id = ANY($1::uuid[])""", event_ids)
    return {r["event_id"]: (r["operation_id"], Taking(r["lead_agency"], frozenset(r["participants"]))
                            if r["lead_agency"] is not None else None) for r in rows}


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
            rows = await conn.fetch(
                """SELECT seq, participant, topic, partition, "offset", event_id::text, status, reason, detail,
                          operation_id, created_at FROM receipts
                   WHERE published_at IS NULL AND participant <> ALL($2::text[])
                   ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED""", self.limit, held)
            if not rows:
                return 0
            sending: list[tuple[asyncpg.Record, Any]] = []
            failed: set[str] = set()
            for row in rows:
                if row["participant"] in failed:
                    continue
                try:
                    sending.append((row, await self.broker.publish(
                        _message(row), topic=receipts_topic(row["participant"]), key=_key(row), no_confirm=True,
                        headers={"content-type": "application/json"})))
                except Exception as error:  # this participant's topic refuses: its receipts wait
                    self._hold(row["participant"], error)
                    failed.add(row["participant"])
            results = await asyncio.gather(*(future for _, future in sending), return_exceptions=True)
            published = []
            for (row, _), result in zip(sending, results, strict=True):
                if isinstance(result, BaseException):
                    if row["participant"] not in failed:
                        self._hold(row["participant"], result)
                        failed.add(row["participant"])
                else:
                    published.append(row["seq"])
            if published:
                await conn.execute("UPDATE receipts SET published_at = now() WHERE seq = ANY($1::bigint[])",
                                   published)
        for participant in {r["participant"] for r in rows} - failed:
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


def _key(row: asyncpg.Record) -> bytes:
    return (row["event_id"] or f"{row['topic']}/{row['partition']}/{row['offset']}").encode()


async def relay_receipts_forever(relay: ReceiptRelay, stop: asyncio.Event, interval: float = 0.2) -> None:
    async def drain() -> None:  # Kafka away: the receipts wait in the table, intake goes on
        while await relay.once():
            pass

    await every(interval, stop, drain, what="relaying receipts")
