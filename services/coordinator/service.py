"""Processing one batch of Kafka records into operation records, in one transaction.

Exactly-once effect. Consumption is at-least-once; every write is idempotent (events are
keyed by event id, rejections by topic/partition/offset) and the next offset of each
partition is stored in the same Postgres transaction as the state it produced. On
assignment the consumer seeks to the stored offsets (see consumer.py), so after a crash
the batch that was in flight is either wholly in the database, offsets included, or not at
all, and is then read again. Kafka's own committed offsets are written afterwards only to
show consumer lag; they are never trusted for position.

Each record consumed gets a receipt for its sender, written in the same transaction
(receipts.py) and relayed to the sender's own receipts topic afterwards.

Several coordinator processes share the partitions of one consumer group. Signature
checks and parsing run outside the transaction, in parallel across processes; the
transaction itself takes one advisory lock, so inference and record rebuilding see every
committed fact (a plan and a parked inspection committed by two processes at once cannot
miss each other). Facts already read are kept in a `FactCache`; which events belong to an
operation is always read from the database.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import orjson

from schemas.agencies import load_agencies
from schemas.events import event_json
from schemas.notice_duties import NoticeDuties, load_notice_duties
from schemas.operation import OperationPlan
from schemas.signing import KeyRegistry
from schemas.topics import agency_of_events_topic
from schemas.vocabulary import load_vocabulary
from services.common.offsets import store_offsets
from services.coordinator.domain.facts import Fact, fact_from_json, fact_of, fact_to_json
from services.coordinator.domain.intake import Accepted, check
from services.coordinator.domain.noisy import DEFAULT_CAP
from services.coordinator.domain.ownership import Lead, Sent, judge
from services.coordinator.domain.plans import PlanView, StoredPlan, infer_operation, latest_plan
from services.coordinator.domain.protected import named, shield
from services.coordinator.domain.receipts import sort_checked
from services.coordinator.domain.records import summarise
from services.coordinator.domain.repseudonymise import is_repseudonymised
from services.coordinator.fact_cache import FactCache, bump_generation
from services.coordinator.ports import Clock, IncomingRecord, RejectedRecord
from services.coordinator.protection import protected_among, register_flagged
from services.coordinator.receipts import write_batch_receipts

BATCH_LOCK = 7_412_100


@dataclass(frozen=True)
class Settings:
    group_id: str
    max_event_bytes: int = 256 * 1024
    inference_window_days: int = 1
    noisy_cap: int = DEFAULT_CAP
    agencies: frozenset[str] = field(default_factory=lambda: frozenset(load_agencies()))
    functions: dict[str, str] = field(default_factory=lambda: {c: a.function for c, a in load_agencies().items()})
    notice_duties: NoticeDuties = field(default_factory=load_notice_duties)
    # each participant with the categories it may originate (schemas/agencies.yaml)
    categories: dict[str, frozenset[str]] = field(default_factory=lambda: {
        code: frozenset(a.categories) for code, a in load_agencies().items()})
    decision_kinds: frozenset[str] = field(default_factory=lambda: frozenset(load_vocabulary().decision_kinds))


@dataclass
class BatchOutcome:
    accepted: int = 0
    duplicates: int = 0
    replaced: int = 0  # events sent again with new pseudonyms (repseudonymise.py)
    rejected: list[RejectedRecord] = field(default_factory=list)
    operations_changed: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class Checked:
    record: IncomingRecord
    fact: Fact
    type: str
    key_id: str


def check_records(records: list[IncomingRecord], registry: KeyRegistry,
                  settings: Settings) -> tuple[list[Checked], list[RejectedRecord]]:
    """The CPU-bound part (parse, validate, verify), done before any lock is taken."""
    good, bad = [], []
    for record in records:
        result = check(record.value, record.topic, registry, max_bytes=settings.max_event_bytes,
                       participants=settings.categories, decision_kinds=settings.decision_kinds)
        if isinstance(result, Accepted):
            good.append(Checked(record, fact_of(result.event), result.event.type, result.key_id))
        else:
            # the agency the event claims, else the owner of the topic it came on
            bad.append(RejectedRecord(record, result.reason, result.detail,
                                      result.agency or agency_of_events_topic(record.topic)))
    return good, bad


async def store_batch(conn: asyncpg.Connection, records: list[IncomingRecord], checked: list[Checked],
                      rejected: list[RejectedRecord], settings: Settings, clock: Clock,
                      cache: FactCache | None = None) -> BatchOutcome:
    """Write the batch's effect and its offsets; the caller owns the transaction.

    `cache` carries facts from one batch to the next (a fresh one reads everything)."""
    cache = cache if cache is not None else FactCache()
    outcome = BatchOutcome(rejected=rejected)
    await conn.execute("SELECT pg_advisory_xact_lock($1)", BATCH_LOCK)
    await cache.check_generation(conn)
    checked, refused = await _enforce_ownership(conn, checked, settings)
    new, repeated = await _insert_events(conn, checked)
    conflicting, replacing = await _conflicting_ids(conn, repeated)
    replaced, touched_by_replacing = await _replace_events(conn, replacing)
    rejected = outcome.rejected = [*rejected, *refused, *conflicting]
    if rejected:  # the dead-letter relay sends them on (see dead_letters.py)
        await conn.executemany(
            "INSERT INTO rejections (topic, partition, \"offset\", agency, reason, detail, raw)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
            [(r.record.topic, r.record.partition, r.record.offset, r.agency, r.reason, r.detail,
              r.record.value) for r in rejected])
    await _flag_foreign_amendments(conn, new)
    cache.add([*new, *replaced])
    outcome.accepted = len(new)
    outcome.replaced = len(replaced)
    outcome.duplicates = len(repeated) - len(conflicting) - len(replaced)
    touched: set[str] = await _track_noisy_keys(conn, [*new, *replaced], settings, cache) | touched_by_replacing
    # a person any event flags is protected platform-wide: records naming them anywhere are rebuilt
    flagged = {p: (f.agency, f.event_id) for f in [*new, *replaced] for p in f.protected}
    touched |= await register_flagged(conn, flagged, clock.now())
    plan_ops = sorted({f.operation_id for f in new if f.kind == "plan" and f.operation_id})
    for op in plan_ops:
        touched |= await _refresh_plan(conn, op, settings, cache)
    facts = [f for f in new if f.kind in ("inspection", "decision", "notification")]
    touched |= {f.operation_id for f in facts if f.operation_id}  # stored with the event already
    parked = [f for f in facts if f.operation_id is None and f.premises]
    infer = await _inferrer(conn, {p for f in parked for p in f.premises}, settings)
    inferred = [(f.event_id, found) for f in parked if (found := infer(f)) is not None]
    if inferred:
        await conn.execute(
            "UPDATE events e SET operation_id = u.op FROM unnest($1::uuid[], $2::text[]) AS u(id, op)"
            " WHERE e.event_id = u.id", [i for i, _ in inferred], [op for _, op in inferred])
        touched |= {op for _, op in inferred}
    # corrections and retractions change the operation of the event they name
    named = [f.supersedes or f.retracts for f in new if f.supersedes or f.retracts]
    if named:
        touched |= {r["operation_id"] for r in await conn.fetch(
            "SELECT DISTINCT operation_id FROM events WHERE event_id = ANY($1::uuid[]) AND operation_id IS NOT NULL",
            named)}
    outcome.operations_changed = await rebuild_operations(conn, touched, clock, cache)
    await _write_receipts(conn, checked, new, replacing, rejected, outcome.operations_changed)
    await store_offsets(conn, settings.group_id, ((r.topic, r.partition, r.offset) for r in records))
    return outcome


async def _write_receipts(conn: asyncpg.Connection, checked: list[Checked], new: list[Fact],
                          replacing: list[Checked], rejected: list[RejectedRecord], changed: set[str]) -> None:
    """What the senders are told of this batch (see receipts.py)."""
    by_position = {_position(c.record): c for c in checked}
    stored, duplicates = sort_checked(
        [(_position(c.record), c.fact.event_id) for c in checked], {f.event_id for f in new},
        {_position(c.record) for c in replacing}, {_position(r.record) for r in rejected})
    await write_batch_receipts(
        conn, [(by_position[p].record, event_id, by_position[p].fact.kind, by_position[p].fact.operation_id)
               for p, event_id in stored],
        [(by_position[p].record, event_id) for p, event_id in duplicates], rejected, changed)


def _position(record: IncomingRecord) -> tuple[str, int, int]:
    return record.topic, record.partition, record.offset


async def _enforce_ownership(conn: asyncpg.Connection, checked: list[Checked],
                             settings: Settings) -> tuple[list[Checked], list[RejectedRecord]]:
    """Judge plans, corrections, retractions and notices by the ownership rules, in the
    order they were consumed, against what is stored (see domain/ownership.py). An event
    stored before is a duplicate, never judged again: the lead may have changed since."""
    subject = [c for c in checked if c.fact.kind in ("plan", "notification", "retraction") or c.fact.supersedes]
    if not subject:
        return checked, []
    ids = sorted({c.fact.event_id for c in subject})
    named = sorted({i for c in subject for i in (c.fact.supersedes, c.fact.retracts) if i})
    ops = sorted({c.fact.plan.operation_id for c in subject if c.fact.plan})
    stored = {r["event_id"]: Sent(r["agency"], r["kind"]) for r in await conn.fetch(
        "SELECT event_id::text, agency, kind FROM events WHERE event_id = ANY($1::uuid[])", ids + named)}
    leads = {r["operation_id"]: Lead(r["lead_agency"], r["revision"]) for r in await conn.fetch(
        "SELECT operation_id, lead_agency, revision FROM operations WHERE operation_id = ANY($1::text[])", ops)}
    fresh, seen = [], set(stored)
    for c in subject:
        if c.fact.event_id not in seen:
            seen.add(c.fact.event_id)
            fresh.append(c)
    verdicts = judge((c.fact for c in fresh), leads=leads, sent=stored, agencies=settings.agencies,
                     functions=settings.functions, duties=settings.notice_duties)
    refused = {c.fact.event_id: v for c, v in zip(fresh, verdicts, strict=True) if v is not None}
    if not refused:
        return checked, []
    return ([c for c in checked if c.fact.event_id not in refused],
            [RejectedRecord(c.record, v.reason, v.detail, c.fact.agency)
             for c in checked if (v := refused.get(c.fact.event_id)) is not None])


async def _flag_foreign_amendments(conn: asyncpg.Connection, new: list[Fact]) -> None:
    """A correction or retraction that arrived before the event it names was accepted then;
    if that event turns out to be another agency's, the fold ignores the amendment and a
    person is told."""
    if not new:
        return
    await conn.execute(
        """INSERT INTO review_items (kind, key, detail)
           SELECT CASE WHEN a.retracts IS NOT NULL THEN 'foreign_retraction' ELSE 'foreign_correction' END,
                  a.event_id::text, a.agency || ' named event ' || t.event_id || ', sent by ' || t.agency
                  || '; ignored'
           FROM events t JOIN events a ON a.retracts = t.event_id OR a.supersedes = t.event_id
           WHERE t.event_id = ANY($1::uuid[]) AND a.agency <> t.agency
           ON CONFLICT (kind, key) DO NOTHING""", [f.event_id for f in new])


async def _conflicting_ids(conn: asyncpg.Connection,
                           repeated: list[Checked]) -> tuple[list[RejectedRecord], list[Checked]]:
    """An id seen before is a duplicate only if it is the same agency's same event. The same
    agency's same event with its old pseudonyms replaced by the pseudonym service's replaces
    the stored one (the second list). Anything else re-uses an id (by mistake, or to squat
    another agency's next event) and is kept for review instead of being dropped as a duplicate."""
    if not repeated:
        return [], []
    stored = {r["event_id"]: r for r in await conn.fetch(
        "SELECT event_id::text, agency, type, (event->'data')::text AS data FROM events"
        " WHERE event_id = ANY($1::uuid[])", sorted({c.fact.event_id for c in repeated}))}
    conflicts, replacing, seen = [], [], set()
    for c in repeated:
        row = stored[c.fact.event_id]
        ours = row["agency"] == c.fact.agency and row["type"] == c.type
        old, received = orjson.loads(row["data"]), orjson.loads(c.record.value or b"{}").get("data")
        if ours and old == received:
            continue
        if ours and is_repseudonymised(old, received):
            if c.fact.event_id not in seen:  # a second copy in the batch is a duplicate
                seen.add(c.fact.event_id)
                replacing.append(c)
            continue
        conflicts.append(RejectedRecord(
            c.record, "conflicting_id",
            f"event id {c.fact.event_id} is already taken by a different event of {row['agency']}",
            c.fact.agency))
    return conflicts, replacing


async def _replace_events(conn: asyncpg.Connection,
                          replacing: list[Checked]) -> tuple[list[Fact], set[str]]:
    """Store the events sent again with new pseudonyms in place of the old ones: the event as
    received, its fact and its subject columns. Returns the new facts and the operations to
    rebuild. A sole trader's old key
    stays in `premises_businesses`, where the coordinator only adds, and counts no more:
    `_track_noisy_keys` counts only businesses that events still name there."""
    if not replacing:
        return [], set()
    rows = await conn.fetch(
        """UPDATE events e SET event = u.event::jsonb, fact = u.fact::jsonb, business = u.business,
               persons = u.persons::text[], key_id = u.key_id
           FROM (SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[]))
               AS u(id, event, fact, business, persons, key_id)
           WHERE e.event_id = u.id
           RETURNING e.operation_id""",
        [c.fact.event_id for c in replacing], [(c.record.value or b"").decode() for c in replacing],
        [orjson.dumps(fact_to_json(c.fact)).decode() for c in replacing], [c.fact.business for c in replacing],
        [_pg_array(c.fact.persons) for c in replacing], [c.key_id for c in replacing])
    await bump_generation(conn)  # other coordinator processes forget the facts they cached
    return [c.fact for c in replacing], {r["operation_id"] for r in rows if r["operation_id"]}


async def _insert_events(conn: asyncpg.Connection, checked: list[Checked]) -> tuple[list[Fact], list[Checked]]:
    """Insert what is new; return its facts and the events whose id was already taken."""
    by_id: dict[str, Checked] = {}
    for c in checked:
        by_id.setdefault(c.fact.event_id, c)
    unique = list(by_id.values())
    if not unique:
        return [], []
    rows = await conn.fetch(
        """INSERT INTO events (event_id, agency, type, kind, occurred_at, topic, partition, "offset",
               key_id, explicit_operation, operation_id, premises, business, persons, retracts, fact, event,
               supersedes)
           SELECT event_id, agency, type, kind, occurred_at, topic, partition, "offset", key_id,
               explicit_operation, operation_id, premises::text[], business, persons::text[], retracts,
               fact, event, supersedes FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[],
               $5::timestamptz[], $6::text[], $7::int[], $8::bigint[], $9::text[], $10::text[], $11::text[],
               $12::text[], $13::text[], $14::text[], $15::uuid[], $16::jsonb[], $17::jsonb[], $18::uuid[])
               AS t(event_id, agency, type, kind, occurred_at, topic, partition, "offset", key_id,
                    explicit_operation, operation_id, premises, business, persons, retracts, fact, event,
                    supersedes)
           ON CONFLICT (event_id) DO NOTHING RETURNING event_id::text""",
        [c.fact.event_id for c in unique], [c.fact.agency for c in unique], [c.type for c in unique],
        [c.fact.kind for c in unique], [c.fact.at for c in unique], [c.record.topic for c in unique],
        [c.record.partition for c in unique], [c.record.offset for c in unique],
        [c.key_id for c in unique], [c.fact.operation_id for c in unique],
        [c.fact.operation_id if c.fact.kind != "plan" else None for c in unique],
        # text[][] is not a thing in unnest; premises and persons travel as '{...}' literals
        [_pg_array(c.fact.premises) for c in unique], [c.fact.business for c in unique],
        [_pg_array(c.fact.persons) for c in unique], [c.fact.retracts for c in unique],
        [orjson.dumps(fact_to_json(c.fact)).decode() for c in unique],
        # the event exactly as received (intake parsed and verified these very bytes)
        [(c.record.value or b"").decode() for c in unique],
        [c.fact.supersedes for c in unique],
    )
    inserted = {r["event_id"] for r in rows}
    first = {id(c) for c in unique if c.fact.event_id in inserted}
    return ([c.fact for c in unique if c.fact.event_id in inserted],
            [c for c in checked if id(c) not in first])


def _pg_array(values: tuple[str, ...]) -> str:
    return "{" + ",".join('"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values) + "}"


async def _latest_plan_of(conn: asyncpg.Connection, op: str) -> PlanView | None:
    """The latest revision among every plan event of `op` (read when a plan event arrives)."""
    rows = await conn.fetch("SELECT fact::text FROM events WHERE kind = 'plan' AND explicit_operation = $1", op)
    return latest_plan(fact_from_json(orjson.loads(r["fact"])) for r in rows)


async def _refresh_plan(conn: asyncpg.Connection, op: str, settings: Settings, cache: FactCache) -> set[str]:
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
    return {op} | await _reinfer(conn, set(old_keys) | view.target_keys, settings, cache)


async def _reinfer(conn: asyncpg.Connection, keys: set[str], settings: Settings, cache: FactCache) -> set[str]:
    """Infer again every event naming no operation at these premises; return changed operations."""
    rows = await conn.fetch(
        "SELECT event_id::text, operation_id FROM events WHERE explicit_operation IS NULL"
        " AND kind IN ('inspection', 'decision', 'notification') AND premises && $1::text[]", sorted(keys))
    if not rows:
        return set()
    facts = await cache.get(conn, (r["event_id"] for r in rows))
    infer = await _inferrer(conn, {p for f in facts.values() for p in f.premises}, settings)
    moved = [(r["event_id"], r["operation_id"], infer(facts[r["event_id"]])) for r in rows]
    moved = [(event_id, old, new) for event_id, old, new in moved if new != old]
    if not moved:
        return set()
    await conn.execute(
        "UPDATE events e SET operation_id = u.op FROM unnest($1::uuid[], $2::text[]) AS u(id, op)"
        " WHERE e.event_id = u.id", [i for i, _, _ in moved], [new for _, _, new in moved])
    return {o for _, old, new in moved for o in (old, new) if o}


async def _inferrer(conn: asyncpg.Connection, premises: set[str],
                    settings: Settings) -> Callable[[Fact], str | None]:
    """Inference for events at `premises`, with the plans and noisy keys there read once."""
    if not premises:
        return lambda fact: None
    keys = sorted(premises)
    noisy = frozenset(r["key"] for r in await conn.fetch(
        "SELECT key FROM noisy_keys WHERE key = ANY($1::text[])", keys))
    rows = await conn.fetch("SELECT operation_id, planned_date, status, target_keys FROM operations"
                            " WHERE target_keys && $1::text[]", keys)
    by_key: dict[str, list[StoredPlan]] = {}
    for r in rows:
        plan = StoredPlan(r["operation_id"], r["planned_date"], r["status"] == "cancelled", frozenset(r["target_keys"]))
        for key in plan.target_keys:
            by_key.setdefault(key, []).append(plan)

    def infer(fact: Fact) -> str | None:
        plans = {p.operation_id: p for key in fact.premises for p in by_key.get(key, ())}
        return infer_operation(fact, plans.values(), settings.inference_window_days, noisy)

    return infer


async def _track_noisy_keys(conn: asyncpg.Connection, new: list[Fact], settings: Settings,
                            cache: FactCache) -> set[str]:
    """Record which businesses appear at which premises; a key that passes the cap becomes
    noisy, is listed for review, and what was inferred through it is inferred again."""
    pairs = sorted({(p, f.business) for f in new if f.business for p in f.premises})
    if not pairs:
        return set()
    await conn.execute("INSERT INTO premises_businesses SELECT * FROM unnest($1::text[], $2::text[])"
                       " ON CONFLICT DO NOTHING", [p for p, _ in pairs], [b for _, b in pairs])
    rows = await conn.fetch(
        """SELECT pb.premises_key, count(*) AS n FROM premises_businesses pb
           WHERE pb.premises_key = ANY($1::text[])
             AND NOT EXISTS (SELECT 1 FROM noisy_keys k WHERE k.key = pb.premises_key)
             AND (NOT starts_with(pb.business, 'st:psn:k1:')  -- a sole trader's key before the pseudonym
                  OR EXISTS (SELECT 1 FROM events e        -- service counts while events still name it
                             WHERE e.business = pb.business AND pb.premises_key = ANY(e.premises)))
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
    return await _reinfer(conn, {r["premises_key"] for r in rows}, settings, cache)


async def rebuild_operation(conn: asyncpg.Connection, op: str, clock: Clock) -> bool:
    """Rebuild the record of `op` from its facts as stored; queue a change event when it changed."""
    return op in await rebuild_operations(conn, {op}, clock, FactCache())


async def rebuild_operations(conn: asyncpg.Connection, ops: Iterable[str], clock: Clock,
                             cache: FactCache) -> set[str]:
    """Rebuild the records of `ops` that have a plan (the others' events wait, parked);
    write those that changed, their dossier rows and change events; return them."""
    rows = await conn.fetch(
        "SELECT operation_id, revision, plan::text, plan_event::text, target_keys, record_digest FROM operations"
        " WHERE operation_id = ANY($1::text[]) AND plan IS NOT NULL ORDER BY operation_id", sorted(set(ops)))
    if not rows:
        return set()
    members: dict[str, list[str]] = {r["operation_id"]: [] for r in rows}
    for m in await conn.fetch(
            """SELECT operation_id, event_id::text FROM events WHERE operation_id = ANY($1::text[]) AND kind <> 'plan'
               UNION ALL
               SELECT t.operation_id, r.event_id::text FROM events r JOIN events t ON r.retracts = t.event_id
               WHERE t.operation_id = ANY($1::text[])""", list(members)):
        members[m["operation_id"]].append(m["event_id"])
    facts = await cache.get(conn, (i for ids in members.values() for i in ids))
    protected = await protected_among(conn, named(facts.values()))
    if protected:  # registered persons never reach a record (domain/protected.py)
        facts = {i: shield(f, protected) for i, f in facts.items()}
    records: dict[str, tuple[PlanView, dict[str, Any], bytes, bytes]] = {}
    for row in rows:
        op = row["operation_id"]
        view = PlanView(op, row["revision"], row["plan_event"], OperationPlan.model_validate_json(row["plan"]),
                        frozenset(row["target_keys"]))
        record = summarise(view, (facts[i] for i in members[op])).to_json()
        encoded = orjson.dumps(record, option=orjson.OPT_SORT_KEYS)
        digest = hashlib.sha256(encoded).digest()
        if row["record_digest"] is None or bytes(row["record_digest"]) != digest:
            records[op] = (view, record, encoded, digest)
    if not records:
        return set()
    changed = sorted(records)
    await conn.execute(
        "UPDATE operations o SET record = u.record::jsonb, record_digest = u.digest, updated_at = now()"
        " FROM unnest($1::text[], $2::text[], $3::bytea[]) AS u(op, record, digest) WHERE o.operation_id = u.op",
        changed, [records[op][2].decode() for op in changed], [records[op][3] for op in changed])
    before: dict[str, set[tuple[str, str]]] = {op: set() for op in changed}
    for r in await conn.fetch("SELECT subject_kind, subject, operation_id FROM subject_operations"
                              " WHERE operation_id = ANY($1::text[])", changed):
        before[r["operation_id"]].add((r["subject_kind"], r["subject"]))
    gone, added = [], []
    for op in changed:
        after = _subjects(records[op][1])
        gone += [(kind, subject, op) for kind, subject in before[op] - after]
        added += [(kind, subject, op) for kind, subject in after - before[op]]
    if gone:
        await conn.execute(
            "DELETE FROM subject_operations s USING unnest($1::text[], $2::text[], $3::text[]) AS d(k, s, op)"
            " WHERE s.subject_kind = d.k AND s.subject = d.s AND s.operation_id = d.op", *_columns(gone))
    if added:
        await conn.execute("INSERT INTO subject_operations SELECT * FROM unnest($1::text[], $2::text[], $3::text[])"
                           " ON CONFLICT DO NOTHING", *_columns(added))
    # the change names what changed; the relay publishes it with the record as stored then
    now = clock.now().isoformat()
    notes = []
    for op in changed:
        view, record, _, _ = records[op]
        notes.append(orjson.dumps({"type": "operation.record.changed", "operation_id": op, "revision": view.revision,
                                   "status": record["status"], "at": now,
                                   "agencies_reporting": record["agencies_reporting"]}).decode())
    await conn.execute("INSERT INTO record_changes (operation_id, change)"
                       " SELECT * FROM unnest($1::text[], $2::jsonb[])", changed, notes)
    return set(changed)


def _columns(rows: list[tuple[str, str, str]]) -> list[list[str]]:
    """Rows as columns, for unnest."""
    return [list(column) for column in zip(*rows, strict=True)]


def _subjects(record: dict[str, Any]) -> set[tuple[str, str]]:
    """The dossier rows of a record: each business, premises visited and person in it."""
    return ({("business", b) for b in record["businesses"]} | {("premises", p) for p in record["premises_visited"]}
            | {("person", p) for p in record["persons"]})


__all__ = ["BatchOutcome", "Checked", "Settings", "check_records", "event_json", "rebuild_operation",
           "rebuild_operations", "store_batch"]
