"""The benchmark's data: a simulated national LOS history, as the coordinator stores it, copied
until it holds the number of events asked for (see `bench/console.py`).

The simulator's stream goes once through the coordinator's own pure core (facts, latest
plan, `summarise`), so records, subject dossiers and events have the real shape; each copy
gets new operation and event ids and lies a day earlier than the one before.
"""

from __future__ import annotations

import datetime
import json
import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import asyncpg

from schemas.events import event_json
from schemas.topics import events_topic
from services.adapters.simulator import ScenarioConfig
from services.adapters.simulator.campaign import EventStream
from services.coordinator.domain.facts import Fact, fact_of, fact_to_json
from services.coordinator.domain.plans import latest_plan
from services.coordinator.domain.records import summarise

NAMESPACE = uuid.UUID("1f0e7c2a-43b5-5a31-9c8e-6c6f732d6265")
PSEUDONYM_KEY = b"bench-pseudonym-key-not-a-secret!"
EVENT_COLUMNS = ["event_id", "agency", "type", "kind", "occurred_at", "topic", "partition", "offset",
                 "key_id", "explicit_operation", "operation_id", "premises", "business", "persons",
                 "retracts", "fact", "event"]


@dataclass
class Template:
    """One simulated operation as the coordinator stores it."""

    operation_id: str
    plan: dict[str, Any]
    plan_event: str
    record: dict[str, Any]
    target_keys: list[str]
    events: list[tuple[Fact, dict[str, Any], str]]  # fact, event JSON, type


def templates(seed: int, count: int) -> list[Template]:
    """A national stream of `count` events through the coordinator's pure core."""
    stream = EventStream(seed, count, pseudonym_key=PSEUDONYM_KEY, keep_event_ids=False, keep_operations=True,
                         config=ScenarioConfig(springs=None, scale="national"))
    grouped: dict[str, list[tuple[Fact, dict[str, Any], str]]] = defaultdict(list)
    for event in stream:
        fact = fact_of(event)
        operation = fact.operation_id if fact.kind == "plan" else stream.operations.get(event.id)
        if operation:
            grouped[operation].append((fact, event_json(event), event.type))
    found = []
    for operation, items in grouped.items():
        plan = latest_plan(f for f, _, _ in items if f.kind == "plan")
        if plan is None:
            continue
        record = summarise(plan, (f for f, _, _ in items)).to_json()
        found.append(Template(operation, plan.plan.model_dump(mode="json"), plan.event_id, record,
                              sorted(plan.target_keys), items))
    return found


def _shift(iso: str, days: int) -> str:
    return (datetime.datetime.fromisoformat(iso) + datetime.timedelta(days=days)).isoformat()


def copies(found: list[Template], events: int, latest: datetime.date) -> Iterator[tuple[int, list[Template]]]:
    """Copy after copy of the templates (new ids, a day earlier each) until `events` are made."""
    newest = max(datetime.date.fromisoformat(t.record["planned_date"]) for t in found)
    made, k = 0, 0
    while made < events:
        days = (latest - newest).days - k
        batch = []
        for t in found:
            if made >= events:
                break
            take = t.events[: events - made]
            made += len(take)
            op = f"{t.operation_id}-B{k:04d}"
            ids = {f.event_id: _new_id(k, f.event_id) for f, _, _ in t.events}
            record = {**t.record, "operation_id": op,
                      "planned_date": (datetime.date.fromisoformat(t.record["planned_date"])
                                       + datetime.timedelta(days=days)).isoformat(),
                      "timeline": [{**e, "event_id": ids.get(e["event_id"], e["event_id"]),
                                    "at": _shift(e["at"], days)} for e in t.record["timeline"]]}
            plan = {**t.plan, "operation_id": op, "planned_date": record["planned_date"]}
            batch.append(Template(op, plan, ids.get(t.plan_event, t.plan_event), record, t.target_keys,
                                  [(f, {**j, "id": ids[f.event_id]}, kind) for f, j, kind in take]))
        yield k, batch
        k += 1


def _new_id(k: int, event_id: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{k}/{event_id}"))


def _event_rows(t: Template, k: int, days: int, offset: int) -> list[tuple[Any, ...]]:
    """The events table's rows of one copied operation (the fact as the coordinator stores it)."""
    rows = []
    for i, (fact, body, kind) in enumerate(t.events):
        explicit = t.operation_id if fact.operation_id else None
        retracts = _new_id(k, fact.retracts) if fact.retracts else None
        stored = {**fact_to_json(fact), "event_id": body["id"], "at": _shift(fact.at.isoformat(), days),
                  "operation_id": explicit, "retracts": retracts,
                  "supersedes": _new_id(k, fact.supersedes) if fact.supersedes else None}
        rows.append((uuid.UUID(body["id"]), fact.agency, kind, fact.kind,
                     fact.at + datetime.timedelta(days=days),
                     events_topic(fact.agency), 0, offset + i, "BENCH-KEY", explicit,
                     None if fact.kind == "plan" else t.operation_id, list(fact.premises), fact.business,
                     list(fact.persons), uuid.UUID(retracts) if retracts else None, json.dumps(stored),
                     json.dumps(body)))
    return rows


async def store_copy(conn: asyncpg.Connection, k: int, batch: list[Template], days: int) -> int:
    """COPY one copy's events, operations and subject dossiers; returns the events stored."""
    rows = [r for i, t in enumerate(batch) for r in _event_rows(t, k, days, (k * 1000 + i) * 1000)]
    async with conn.transaction():
        await conn.copy_records_to_table("events", records=rows, columns=EVENT_COLUMNS)
        await conn.copy_records_to_table("operations", columns=[
            "operation_id", "revision", "municipality", "planned_date", "status", "lead_agency",
            "participants", "target_keys", "record", "plan", "plan_event"], records=[
            (t.operation_id, t.record["revision"], t.record["municipality"],
             datetime.date.fromisoformat(t.record["planned_date"]), t.record["status"],
             t.record["lead_agency"], t.record["participants"], t.target_keys,
             json.dumps(t.record), json.dumps(t.plan), uuid.UUID(t.plan_event)) for t in batch])
        await conn.copy_records_to_table("subject_operations", records=list({
            (kind, subject, t.operation_id) for t in batch
            for kind, field in (("business", "businesses"), ("premises", "premises_visited"),
                                ("person", "persons"))
            for subject in t.record[field]}))
    return len(rows)
