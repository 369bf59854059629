"""Erasure (gallring): personal data in records is removed after the retention period.

Events older than the cutoff lose every person pseudonym and sole-trader identity: the
stored event is reduced to its envelope, the fact's persons are emptied, and the records
of the operations concerned are rebuilt without them (and with them the subject dossiers;
cross-agency signals are never stored, they are computed from the records when shown). Free
texts the audit log names by digest (assessments, reasons: `services.audit.texts`) kept
before the cutoff are emptied too. The chain itself is untouched: it holds keyed digests,
never the values, so it stays verifiable after erasure.
"""

from __future__ import annotations

import asyncio
import datetime
import json
import logging

import asyncpg

from services.audit.store import append
from services.audit.texts import erase_texts
from services.common.periodic import every
from services.coordinator.domain.keys import ERASED_SOLE_TRADER as ERASED
from services.coordinator.fact_cache import bump_generation
from services.coordinator.ports import Clock
from services.coordinator.service import BATCH_LOCK, rebuild_operation

log = logging.getLogger(__name__)


async def erase_personal_data(conn: asyncpg.Connection, cutoff: datetime.datetime,
                              clock: Clock) -> tuple[int, set[str]]:
    """Erase personal data of events that happened before `cutoff`, rebuild the records
    concerned and write the erasure to the audit log; the caller owns the transaction.
    Takes the batch lock: no batch works on facts while they are being rewritten."""
    await conn.execute("SELECT pg_advisory_xact_lock($1)", BATCH_LOCK)
    rows = await conn.fetch(
        """SELECT event_id, operation_id, fact::text FROM events
           WHERE occurred_at < $1 AND NOT (event ? 'erased_at')
             AND (cardinality(persons) > 0 OR business LIKE 'st:%' OR event::text LIKE '%psn:%')""", cutoff)
    operations: set[str] = set()
    for row in rows:
        fact = json.loads(row["fact"])
        fact["persons"] = []
        fact["protected"] = []  # the register keeps protecting them; the event no longer names them
        if (fact.get("business") or "").startswith("st:"):
            fact["business"] = ERASED
        await conn.execute(
            """UPDATE events SET persons = '{}', business = CASE WHEN business LIKE 'st:%' THEN $2 ELSE business END,
                   fact = $3::jsonb,
                   event = jsonb_build_object('id', event -> 'id', 'type', event -> 'type',
                                              'losagency', event -> 'losagency', 'erased_at', $4::text)
               WHERE event_id = $1""",
            row["event_id"], ERASED, json.dumps(fact), clock.now().isoformat())
        if row["operation_id"]:
            operations.add(row["operation_id"])
    if rows:
        await bump_generation(conn)  # every process's cached facts of these events are stale now
    await conn.execute("DELETE FROM subject_operations WHERE subject_kind = 'person' AND operation_id = ANY($1)",
                       sorted(operations))
    for op in sorted(operations):
        await rebuild_operation(conn, op, clock)
    texts = await erase_texts(conn, cutoff, clock.now())
    if rows or texts:
        await append(conn, [{"kind": "erasure", "at": clock.now().isoformat(), "cutoff": cutoff.isoformat(),
                             "events": len(rows), "operations": sorted(operations), "texts": texts}])
    return len(rows), operations


async def erase_forever(pool: asyncpg.Pool, retention_days: int, stop: asyncio.Event, clock: Clock,
                        interval: float = 3600.0) -> None:
    async def erase() -> None:
        async with pool.acquire() as conn, conn.transaction():
            cutoff = clock.now() - datetime.timedelta(days=retention_days)
            erased, _ = await erase_personal_data(conn, cutoff, clock)
        if erased:
            log.info("erased personal data of %d events older than %s", erased, cutoff.date())

    await every(interval, stop, erase, what="erasure")
