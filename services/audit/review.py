"""What auditors ask of the log: verification, exports, subject access reports, registers."""

from __future__ import annotations

import csv
import datetime
import io
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from schemas.signing import KeyRegistry
from services.audit.chain import ChainVerifier, Checkpoint, check_against_checkpoints, checkpoint_signed_by
from services.audit.store import MAIN, hashes_at, read_chain


@dataclass
class Report:
    ok: bool
    checked: int
    head_seq: int
    broken_at: int | None = None
    problems: list[str] = field(default_factory=list)


async def verify(conn: asyncpg.Connection, checkpoints: list[Checkpoint], registry: KeyRegistry, *,
                 chain: str = MAIN, progress: Callable[[int], None] | None = None) -> Report:
    """Walk the whole chain, then hold it against the signed checkpoints."""
    verifier = ChainVerifier()
    async for rows in read_chain(conn, chain=chain):
        verifier.feed(rows)
        if progress:
            progress(len(rows))
    result = verifier.result()
    problems = [] if result.ok else [result.reason]
    trusted = []
    for cp in checkpoints:
        key = registry.get(cp.key_id)
        if cp.chain != chain:
            continue
        if key is None or key.agency != "COORDINATOR" or not checkpoint_signed_by(cp, key.public_key):
            problems.append(f"checkpoint at entry {cp.seq} has no valid coordinator signature; ignored")
            continue
        trusted.append(cp)
    db_head = await conn.fetchval("SELECT coalesce(max(seq), 0) FROM audit_log WHERE chain = $1", chain)
    hashes = await hashes_at(conn, [cp.seq for cp in trusted], chain=chain)
    problems += check_against_checkpoints(hashes, db_head, trusted)
    return Report(not problems, result.checked, db_head, result.broken_at, problems)


def shown_to(entry: Mapping[str, Any], agency: str) -> bool:
    """Whether an entry belongs in `agency`'s own export: everything about what it owns
    (what it disclosed and what it refused others, denials included); of the entries that
    name it as recipient or actor, none that records a denial. A denial tells of a record the
    agency may not see (its operation, its owner, its category), so only the owner keeps it;
    an agency outside an operation gets no entry about its plan."""
    if entry.get("owner") == agency:
        return True
    actor = entry.get("actor") or {}
    return (entry.get("recipient") == agency or actor.get("agency") == agency) and entry.get("kind") != "denial"


SHOWN_TO = """(entry ->> 'owner' = {a} OR ((entry ->> 'recipient' = {a} OR entry -> 'actor' ->> 'agency' = {a})
                AND kind <> 'denial'))"""  # `shown_to` in SQL: the same rows, found by the indexes


async def entries(conn: asyncpg.Connection, *, since: datetime.datetime | None = None,
                  until: datetime.datetime | None = None, agency: str | None = None,
                  shown_to: str | None = None, subjects: list[str] | None = None,
                  kinds: list[str] | None = None) -> list[dict[str, Any]]:
    """Entries in order: naming `agency` in any part (the platform's view), or as `shown_to`
    that agency (its own export); `subjects` are digests (`AuditDigests.subject_forms`)."""
    rows = await conn.fetch(
        f"""SELECT seq, entry::text FROM audit_log
           WHERE ($1::timestamptz IS NULL OR at >= $1) AND ($2::timestamptz IS NULL OR at < $2)
             AND ($3::text IS NULL OR entry ->> 'owner' = $3 OR entry ->> 'recipient' = $3
                  OR entry -> 'actor' ->> 'agency' = $3)
             AND ($4::text[] IS NULL OR entry -> 'subjects' ?| $4)
             AND ($5::text[] IS NULL OR kind = ANY($5))
             AND ($6::text IS NULL OR {SHOWN_TO.format(a="$6")})
           ORDER BY seq""",
        since, until, agency, subjects, kinds, shown_to)
    return [{"seq": r["seq"], **json.loads(r["entry"])} for r in rows]


def to_csv(rows: list[dict[str, Any]]) -> str:
    columns = ["seq", "at", "kind", "channel", "owner", "recipient", "operation_id", "event_id", "category",
               "fields", "digest", "rule", "basis", "assessment_ref", "decision_maker", "purpose", "policy"]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({**row, "fields": " ".join(row.get("fields", []))})
    return out.getvalue()


async def access_report(conn: asyncpg.Connection, subjects: list[str]) -> list[dict[str, Any]]:
    """Everything disclosed about one subject (a business or a person's pseudonym), found by
    its digests: to whom, when, which fields, on which basis (GDPR art. 15)."""
    return [{k: e.get(k) for k in ("seq", "at", "owner", "recipient", "operation_id", "category", "fields",
                                   "basis", "rule", "purpose", "channel")}
            for e in await entries(conn, subjects=subjects, kinds=["disclosure"])]


async def register(conn: asyncpg.Connection, agency: str, *, since: datetime.datetime | None = None,
                   until: datetime.datetime | None = None) -> dict[str, list[dict[str, Any]]]:
    """An agency's disclosure register: what it disclosed, and what was disclosed to it."""
    rows = await entries(conn, agency=agency, since=since, until=until, kinds=["disclosure"])
    return {"disclosed_by": [r for r in rows if r.get("owner") == agency],
            "disclosed_to": [r for r in rows if r.get("recipient") == agency]}
