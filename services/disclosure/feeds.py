"""Per-agency outbound feeds: each record change, as each agency may see it.

For every change on `los.records.changes` the enforcement point builds each agency's view
of the operation; a visible view goes to that agency's own topic `los.feed.<agency>` only
when it differs from the last view sent there (compared by digest), so a change an agency
may not see sends it nothing, and every item disclosed to or withheld from an agency becomes
an audit entry. A view's `change_seq` counts that agency's views of the operation (the last
one's plus one), never the platform's changes, so its gaps tell nothing about others' activity.
Entries and the consumer position are committed in one transaction, after the feed messages
were acknowledged: a crash in between sends a view again (same `change_seq`, so a reader can
tell) but never records a disclosure twice or one that was not made.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from typing import Any

import asyncpg

from schemas.agencies import Agency
from schemas.feeds import feed_message_json
from schemas.topics import feed_topic
from services.audit.digests import AuditDigests
from services.audit.entries import access_entry
from services.audit.store import append
from services.common.offsets import store_offsets
from services.disclosure.enforce import Viewer, digest, view_operation
from services.disclosure.policy import Policy, Purpose, Role
from services.disclosure.pseudonyms import RecipientPseudonyms
from services.disclosure.store import approvals_for, collaborations_for


@dataclass(frozen=True)
class Change:
    topic: str
    partition: int
    offset: int
    body: dict[str, Any] | None  # None: not a change message (logged and skipped)


@dataclass(frozen=True)
class FeedMessage:
    topic: str
    key: bytes
    value: bytes


def _subjects(record: dict[str, Any]) -> dict[str, list[str]]:
    return {e["event_id"]: [s for s in [e.get("business"), *e.get("persons", [])] if s]
            for e in record.get("timeline", [])}


async def views_for_changes(conn: asyncpg.Connection, changes: list[Change], policy: Policy,
                            agencies: dict[str, Agency], *, purpose: Purpose, now: datetime.datetime,
                            pseudonyms: RecipientPseudonyms,
                            digests: AuditDigests) -> tuple[list[FeedMessage], list[dict[str, Any]]]:
    """The feed messages and audit entries of a batch of changes (reads the acts on record,
    disclosure decisions and collaboration decisions, and the digests of the views last sent).

    Only the latest change of each operation in the batch is shown: a view superseded
    before it was sent was never disclosed, so it needs neither a message nor an entry. A
    view equal to the one last sent to that agency is not sent again."""
    messages, entries = [], []
    latest = _latest_per_operation(changes)
    sent = await _last_sent(conn, [body["record"]["operation_id"] for body in latest])
    for body in latest:
        record = body["record"]
        approvals = await approvals_for(conn, record["operation_id"])
        collaborations = await collaborations_for(conn, record["operation_id"])
        subjects = _subjects(record)
        for code in sorted(agencies):
            view = view_operation(policy, record, Viewer(code, Role.OFFICER, f"feed:{code}"), purpose,
                                  agencies, pseudonyms=pseudonyms, approvals=approvals,
                                  collaborations=collaborations, on=now.date())
            entries += [access_entry(a, digests, at=now, channel="feed", purpose=purpose.value, actor=None,
                                     subjects=subjects.get(a.event_id or "", []))
                        for a in view.accesses]
            last = sent.get((code, record["operation_id"]))
            if view.visible and (last is None or last[1] != digest(view.record)):
                payload = feed_message_json(record["operation_id"], (last[0] if last else 0) + 1, policy.label,
                                            view.record)
                messages.append(FeedMessage(feed_topic(code), record["operation_id"].encode(),
                                            json.dumps(payload, ensure_ascii=False).encode()))
    return messages, entries


async def _last_sent(conn: asyncpg.Connection, operations: list[str]) -> dict[tuple[str, str], tuple[int, str]]:
    """(agency, operation) -> the `change_seq` and digest of the view last sent there."""
    if not operations:
        return {}
    rows = await conn.fetch("SELECT agency, operation_id, change_seq, view_digest FROM feed_views"
                            " WHERE operation_id = ANY($1::text[])", operations)
    return {(r["agency"], r["operation_id"]): (r["change_seq"], r["view_digest"] or "") for r in rows}


def _latest_per_operation(changes: list[Change]) -> list[dict[str, Any]]:
    latest: dict[str, dict[str, Any]] = {}
    for change in changes:  # in offset order within each operation's partition
        body = change.body
        if body and "record" in body:
            latest[body["record"]["operation_id"]] = body
    return sorted(latest.values(), key=lambda b: (b.get("seq") or 0, b["record"]["operation_id"]))


def _key(entry: dict[str, Any]) -> tuple[str, str, str, str, str, str]:
    return (entry["recipient"], entry["operation_id"], entry["event_id"] or "", entry["category"], entry["digest"],
            entry["kind"])


async def _new_to_recipient(conn: asyncpg.Connection, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    unique = {_key(e): e for e in entries}
    if not unique:
        return []
    columns = list(zip(*unique, strict=True))
    rows = await conn.fetch(
        """INSERT INTO feed_disclosures SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[],
               $5::text[], $6::text[]) ON CONFLICT DO NOTHING
           RETURNING recipient, operation_id, item, category, digest, kind""", *map(list, columns))
    fresh = {tuple(r.values()) for r in rows}
    return [e for k, e in unique.items() if k in fresh]


async def commit_batch(conn: asyncpg.Connection, group_id: str, changes: list[Change],
                       messages: list[FeedMessage], entries: list[dict[str, Any]]) -> None:
    """Record the batch's disclosures and position, and keep each agency's latest view.

    An item shown again unchanged (same digest) in a later view was disclosed already: only
    what is new to the recipient becomes an audit entry."""
    await append(conn, await _new_to_recipient(conn, entries))
    latest = {}
    for m in messages:  # one row per agency and operation: the latest view
        payload = json.loads(m.value)
        latest[(m.topic.rsplit(".", 1)[1].upper(), payload["operation_id"])] = (
            payload["change_seq"], json.dumps(payload["view"], ensure_ascii=False), digest(payload["view"]))
    if latest:
        rows = [(agency, op, seq, view, d) for (agency, op), (seq, view, d) in latest.items()]
        await conn.execute(
            """INSERT INTO feed_views (agency, operation_id, change_seq, view, view_digest)
               SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::jsonb[], $5::text[])
               ON CONFLICT (agency, operation_id) DO UPDATE SET change_seq = EXCLUDED.change_seq,
                   view = EXCLUDED.view, view_digest = EXCLUDED.view_digest
               WHERE feed_views.change_seq <= EXCLUDED.change_seq""",
            *[list(column) for column in zip(*rows, strict=True)])
    await store_offsets(conn, group_id, ((c.topic, c.partition, c.offset) for c in changes))
