"""Processing one batch of Kafka records into operation records, in one transaction.

Exactly-once effect. Consumption is at-least-once; every write is idempotent (events are
keyed by event id, rejections by topic/partition/offset) and the next offset of each
partition is stored in the same Postgres transaction as the state it produced. On
assignment the consumer seeks to the stored offsets (see consumer.py), so after a crash
the batch that was in flight is either wholly in the database, offsets included, or not at
all, and is then read again. Kafka's own committed offsets are written afterwards only to
show consumer lag; they are never trusted for position.

Several coordinator processes share the partitions of one consumer group. Signature
checks and parsing run outside the transaction, in parallel across processes; the
transaction itself takes one advisory lock, so inference and record rebuilding see every
committed fact (a plan and a parked inspection committed by two processes at once cannot
miss each other).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from schemas.events import event_json
from schemas.operation import OperationPlan
from schemas.signing import KeyRegistry
from services.common.offsets import store_offsets
from services.coordinator.domain.facts import Fact, fact_from_json, fact_of, fact_to_json
from services.coordinator.domain.intake import Accepted, check
from services.coordinator.domain.noisy import DEFAULT_CAP
from services.coordinator.domain.plans import PlanView, StoredPlan, infer_operation, latest_plan
from services.coordinator.domain.records import summarise
from services.coordinator.domain.signals import cross_agency_signal
from services.coordinator.ports import Clock, IncomingRecord, RejectedRecord

BATCH_LOCK = 7_412_100


@dataclass(frozen=True)
class Settings:
    group_id: str
    max_event_bytes: int = 256 * 1024
    inference_window_days: int = 1
    signal_min_agencies: int = 3
    signal_window_days: int = 365
    noisy_cap: int = DEFAULT_CAP


@dataclass
class BatchOutcome:
    accepted: int = 0
    duplicates: int = 0
    rejected: list[RejectedRecord] = field(default_factory=list)
    operations_changed: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class Checked:
    record: IncomingRecord
    fact: Fact
    event: dict[str, Any]
    type: str
    key_id: str


def check_records(records: list[IncomingRecord], registry: KeyRegistry,
                  settings: Settings) -> tuple[list[Checked], list[RejectedRecord]]:
    """The CPU-bound part (parse, validate, verify), done before any lock is taken."""
    good, bad = [], []
    for record in records:
        result = check(record.value, record.topic, registry, max_bytes=settings.max_event_bytes)
        if isinstance(result, Accepted):
            assert record.value is not None
            good.append(Checked(record, fact_of(result.event), json.loads(record.value),
                                result.event.type, result.key_id))
        else:
            bad.append(RejectedRecord(record, result.reason, result.detail, result.agency))
    return good, bad


async def store_batch(conn: asyncpg.Connection, records: list[IncomingRecord], checked: list[Checked],
                      rejected: list[RejectedRecord], settings: Settings, clock: Clock) -> BatchOutcome:
    """Write the batch's effect and its offsets; the caller owns the transaction."""
    outcome = BatchOutcome(rejected=rejected)
    await conn.execute("SELECT pg_advisory_xact_lock($1)", BATCH_LOCK)
    if rejected:
        await conn.executemany(
            "INSERT INTO rejections (topic, partition, \"offset\", agency, reason, detail, raw)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
            [(r.record.topic, r.record.partition, r.record.offset, r.agency, r.reason, r.detail,
              r.record.value) for r in rejected])
    new = await _insert_events(conn, checked)
    outcome.accepted = len(new)
    outcome.duplicates = len(checked) - len(new)
    touched: set[str] = await _track_noisy_keys(conn, new, settings)
    plan_ops = sorted({f.operation_id for f in new if f.kind == "plan" and f.operation_id})
    for op in plan_ops:
        touched |= await _refresh_plan(conn, op, settings)
    facts = [f for f in new if f.kind in ("inspection", "decision", "notification")]
    touched |= {f.operation_id for f in facts if f.operation_id}  # stored with the event already
    inferred = []
    for fact in facts:
        if fact.operation_id is None and (found := await _infer(conn, fact, settings)) is not None:
            inferred.append((fact.event_id, found))
            touched.add(found)
    if inferred:
        await conn.executemany("UPDATE events SET operation_id = $2 WHERE event_id = $1", inferred)
    # corrections and retractions change the operation of the event they name
    named = [f.supersedes or f.retracts for f in new if f.supersedes or f.retracts]
    if named:
        touched |= {r["operation_id"] for r in await conn.fetch(
            "SELECT DISTINCT operation_id FROM events WHERE event_id = ANY($1::uuid[]) AND operation_id IS NOT NULL",
            named)}
    for op in sorted(touched):
        if await rebuild_operation(conn, op, clock):
            outcome.operations_changed.add(op)
    await _refresh_signals(conn, {f.business for f in new if f.business}, settings)
    await store_offsets(conn, settings.group_id, ((r.topic, r.partition, r.offset) for r in records))
    return outcome


async def _insert_events(conn: asyncpg.Connection, checked: list[Checked]) -> list[Fact]:
    by_id: dict[str, Checked] = {}
    for c in checked:
        by_id.setdefault(c.fact.event_id, c)
    unique = list(by_id.values())
    if not unique:
        return []
    rows = await conn.fetch(
        """INSERT INTO events (event_id, agency, type, kind, occurred_at, topic, partition, "offset",
               key_id, explicit_operation, operation_id, premises, business, persons, retracts, fact, event)
           SELECT event_id, agency, type, kind, occurred_at, topic, partition, "offset", key_id,
               explicit_operation, operation_id, premises::text[], business, persons::text[], retracts,
               fact, event FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::timestamptz[],
               $6::text[], $7::int[], $8::bigint[], $9::text[], $10::text[], $11::text[], $12::text[],
               $13::text[], $14::text[], $15::uuid[], $16::jsonb[], $17::jsonb[])
               AS t(event_id, agency, type, kind, occurred_at, topic, partition, "offset", key_id,
                    explicit_operation, operation_id, premises, business, persons, retracts, fact, event)
           ON CONFLICT (event_id) DO NOTHING RETURNING event_id::text""",
        [c.fact.event_id for c in unique], [c.fact.agency for c in unique], [c.type for c in unique],
        [c.fact.kind for c in unique], [c.fact.at for c in unique], [c.record.topic for c in unique],
        [c.record.partition for c in unique], [c.record.offset for c in unique],
        [c.key_id for c in unique], [c.fact.operation_id for c in unique],
        [c.fact.operation_id if c.fact.kind != "plan" else None for c in unique],
        # text[][] is not a thing in unnest; premises and persons travel as '{...}' literals
        [_pg_array(c.fact.premises) for c in unique], [c.fact.business for c in unique],
        [_pg_array(c.fact.persons) for c in unique], [c.fact.retracts for c in unique],
        [json.dumps(fact_to_json(c.fact)) for c in unique], [json.dumps(c.event) for c in unique],
    )
    inserted = {r["event_id"] for r in rows}
    return [c.fact for c in unique if c.fact.event_id in inserted]


def _pg_array(values: tuple[str, ...]) -> str:
    return "{" + ",".join('"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values) + "}"


async def _latest_plan_of(conn: asyncpg.Connection, op: str) -> PlanView | None:
    """The latest revision among every plan event of `op` (read when a plan event arrives)."""
    rows = await conn.fetch("SELECT fact FROM events WHERE kind = 'plan' AND explicit_operation = $1", op)
    return latest_plan(fact_from_json(json.loads(r["fact"])) for r in rows)


async def _stored_plan_view(conn: asyncpg.Connection, op: str) -> PlanView | None:
    """The plan kept with the operation (see `_refresh_plan`)."""
    row = await conn.fetchrow("SELECT revision, plan::text, plan_event::text, target_keys FROM operations"
                              " WHERE operation_id = $1", op)
    if row is None or row["plan"] is None:
        return None
    return PlanView(op, row["revision"], row["plan_event"], OperationPlan.model_validate_json(row["plan"]),
                    frozenset(row["target_keys"]))


async def _refresh_plan(conn: asyncpg.Connection, op: str, settings: Settings) -> set[str]:
    """Store the latest plan of `op`, then re-infer every event at its old or new targets."""
    view = await _latest_plan_of(conn, op)
    if view is None:
        return set()
    old_keys = await conn.fetchval("SELECT target_keys FROM operations WHERE operation_id = $1", op) or []
    plan = view.plan
    await conn.execute(
        """INSERT INTO operations (operation_id, revision, municipality, planned_date, status, lead_agency,
               participants, target_keys, plan, plan_event) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10)
           ON CONFLICT (operation_id) DO UPDATE SET revision = EXCLUDED.revision,
               municipality = EXCLUDED.municipality, planned_date = EXCLUDED.planned_date,
               status = EXCLUDED.status, lead_agency = EXCLUDED.lead_agency,
               participants = EXCLUDED.participants, target_keys = EXCLUDED.target_keys, plan = EXCLUDED.plan,
               plan_event = EXCLUDED.plan_event, updated_at = now()""",
        op, plan.revision, plan.municipality, plan.planned_date, plan.status.value, plan.lead_agency,
        sorted(plan.participants), sorted(view.target_keys), plan.model_dump_json(), view.event_id)
    return {op} | await _reinfer(conn, set(old_keys) | view.target_keys, settings)


async def _reinfer(conn: asyncpg.Connection, keys: set[str], settings: Settings) -> set[str]:
    """Infer again every event naming no operation at these premises; return changed operations."""
    touched: set[str] = set()
    rows = await conn.fetch(
        "SELECT event_id::text, operation_id, fact FROM events WHERE explicit_operation IS NULL"
        " AND kind IN ('inspection', 'decision', 'notification') AND premises && $1::text[]", sorted(keys))
    for row in rows:
        fact = fact_from_json(json.loads(row["fact"]))
        inferred = await _infer(conn, fact, settings)
        if inferred != row["operation_id"]:
            await conn.execute("UPDATE events SET operation_id = $2 WHERE event_id = $1::uuid",
                               row["event_id"], inferred)
            touched |= {o for o in (inferred, row["operation_id"]) if o}
    return touched


async def _infer(conn: asyncpg.Connection, fact: Fact, settings: Settings) -> str | None:
    if not fact.premises:
        return None
    noisy = frozenset(r["key"] for r in await conn.fetch(
        "SELECT key FROM noisy_keys WHERE key = ANY($1::text[])", list(fact.premises)))
    rows = await conn.fetch("SELECT operation_id, planned_date, status, target_keys FROM operations"
                            " WHERE target_keys && $1::text[]", list(fact.premises))
    plans = [StoredPlan(r["operation_id"], r["planned_date"], r["status"] == "cancelled", frozenset(r["target_keys"]))
             for r in rows]
    return infer_operation(fact, plans, settings.inference_window_days, noisy)


async def _track_noisy_keys(conn: asyncpg.Connection, new: list[Fact], settings: Settings) -> set[str]:
    """Record which businesses appear at which premises; a key that passes the cap becomes
    noisy, is listed for review, and what was inferred through it is inferred again."""
    pairs = sorted({(p, f.business) for f in new if f.business for p in f.premises})
    if not pairs:
        return set()
    await conn.executemany("INSERT INTO premises_businesses VALUES ($1, $2) ON CONFLICT DO NOTHING", pairs)
    rows = await conn.fetch(
        """SELECT pb.premises_key, count(*) AS n FROM premises_businesses pb
           WHERE pb.premises_key = ANY($1::text[])
             AND NOT EXISTS (SELECT 1 FROM noisy_keys k WHERE k.key = pb.premises_key)
           GROUP BY pb.premises_key HAVING count(*) > $2""",
        sorted({p for p, _ in pairs}), settings.noisy_cap)
    if not rows:
        return set()
    for row in rows:
        await conn.execute("INSERT INTO noisy_keys (key, businesses) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                           row["premises_key"], row["n"])
        await conn.execute(
            "INSERT INTO review_items (kind, key, detail) VALUES ('noisy_key', $1, $2) ON CONFLICT DO NOTHING",
            row["premises_key"], f"seen with {row['n']} businesses (cap {settings.noisy_cap}); "
                                 "no longer used to correlate")
    return await _reinfer(conn, {r["premises_key"] for r in rows}, settings)


async def rebuild_operation(conn: asyncpg.Connection, op: str, clock: Clock) -> bool:
    """Rebuild the record of `op` from its facts; queue a change event when it changed."""
    view = await _stored_plan_view(conn, op)
    if view is None:
        return False  # events wait (parked) until the plan arrives
    rows = await conn.fetch(
        """SELECT fact FROM events WHERE operation_id = $1 AND kind <> 'plan'
           UNION ALL
           SELECT r.fact FROM events r JOIN events t ON r.retracts = t.event_id
           WHERE t.operation_id = $1""", op)
    record = summarise(view, (fact_from_json(json.loads(r["fact"])) for r in rows)).to_json()
    encoded = json.dumps(record, sort_keys=True)
    current = await conn.fetchval("SELECT record::text FROM operations WHERE operation_id = $1", op)
    if current is not None and json.loads(current) == record:
        return False
    await conn.execute("UPDATE operations SET record = $2::jsonb, updated_at = now() WHERE operation_id = $1",
                       op, encoded)
    await conn.execute("DELETE FROM subject_operations WHERE operation_id = $1", op)
    subjects = ([("business", b) for b in record["businesses"]]
                + [("premises", p) for p in record["premises_visited"]]
                + [("person", p) for p in record["persons"]])
    await conn.executemany("INSERT INTO subject_operations VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                           [(kind, subject, op) for kind, subject in subjects])
    change = {"type": "operation.record.changed", "operation_id": op, "revision": view.revision,
              "status": record["status"], "at": clock.now().isoformat(),
              "agencies_reporting": record["agencies_reporting"], "record": record}
    await conn.execute("INSERT INTO record_changes (operation_id, change) VALUES ($1, $2::jsonb)",
                       op, json.dumps(change))
    return True


async def _refresh_signals(conn: asyncpg.Connection, businesses: set[str], settings: Settings) -> None:
    if not businesses:
        return
    rows = await conn.fetch(
        """SELECT e.business, e.fact::text FROM events e WHERE e.business = ANY($1::text[])
           UNION ALL
           SELECT t.business, r.fact::text FROM events r JOIN events t ON r.retracts = t.event_id
           WHERE t.business = ANY($1::text[])""", sorted(businesses))
    facts: dict[str, list[Fact]] = {b: [] for b in businesses}
    for row in rows:
        facts[row["business"]].append(fact_from_json(json.loads(row["fact"])))
    signals = {b: cross_agency_signal(b, fs, min_agencies=settings.signal_min_agencies,
                                      window_days=settings.signal_window_days) for b, fs in facts.items()}
    gone = sorted(b for b, s in signals.items() if s is None)
    if gone:
        await conn.execute("DELETE FROM signals WHERE subject = ANY($1::text[])", gone)
    found = [(s.subject, list(s.agencies), s.first, s.last) for s in signals.values() if s is not None]
    if found:
        await conn.executemany(
            """INSERT INTO signals (subject, agencies, first_date, last_date) VALUES ($1, $2, $3, $4)
               ON CONFLICT (subject) DO UPDATE SET agencies = EXCLUDED.agencies,
               first_date = EXCLUDED.first_date, last_date = EXCLUDED.last_date, updated_at = now()""", found)


__all__ = ["BatchOutcome", "Checked", "Settings", "check_records", "event_json", "store_batch"]
