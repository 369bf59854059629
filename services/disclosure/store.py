"""Disclosure requests, collaboration decisions and delegations in Postgres, and the
approvals they grant."""

from __future__ import annotations

import json

import asyncpg

from services.disclosure.collaboration import CollaborationDecision
from services.disclosure.delegations import Delegation
from services.disclosure.enforce import Approval
from services.disclosure.policy import Purpose
from services.disclosure.requests import DisclosureRequest, Status


async def save_request(conn: asyncpg.Connection, r: DisclosureRequest) -> None:
    await conn.execute(
        """INSERT INTO disclosure_requests (id, requester, requested_by, owner, operation_id, categories, purpose,
               basis, reason, created_at, status, assessment, decided_by, decided_at, rule, items, valid_until,
               delegation, threshold)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16::jsonb, $17, $18, $19)
           ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, assessment = EXCLUDED.assessment,
               decided_by = EXCLUDED.decided_by, decided_at = EXCLUDED.decided_at, rule = EXCLUDED.rule,
               items = EXCLUDED.items, valid_until = EXCLUDED.valid_until, delegation = EXCLUDED.delegation,
               threshold = EXCLUDED.threshold""",
        r.id, r.requester, r.requested_by, r.owner, r.operation_id, sorted(str(c) for c in r.categories),
        r.purpose.value, r.basis, r.reason, r.created_at, r.status.value, r.assessment, r.decided_by,
        r.decided_at, r.rule, json.dumps(sorted([e, d] for e, d in r.items)), r.valid_until, r.delegation,
        r.threshold)


def request_of(row: asyncpg.Record) -> DisclosureRequest:
    items = json.loads(row["items"]) if isinstance(row["items"], str) else row["items"]
    return DisclosureRequest(
        row["id"], row["requester"], row["requested_by"], row["owner"], row["operation_id"],
        frozenset(str(c) for c in row["categories"]), Purpose(row["purpose"]), row["basis"], row["reason"],
        row["created_at"], Status(row["status"]), row["assessment"], row["decided_by"], row["decided_at"],
        row["rule"], frozenset((str(e), str(d)) for e, d in items), row["valid_until"], row["delegation"],
        row["threshold"])


async def load_request(conn: asyncpg.Connection, request_id: str) -> DisclosureRequest | None:
    row = await conn.fetchrow("SELECT * FROM disclosure_requests WHERE id = $1", request_id)
    return request_of(row) if row else None


async def requests_for(conn: asyncpg.Connection, agency: str) -> list[DisclosureRequest]:
    rows = await conn.fetch("SELECT * FROM disclosure_requests WHERE owner = $1 OR requester = $1"
                            " ORDER BY created_at DESC", agency)
    return [request_of(r) for r in rows]


async def approvals_for(conn: asyncpg.Connection, operation_id: str) -> list[Approval]:
    rows = await conn.fetch("SELECT * FROM disclosure_requests WHERE operation_id = $1 AND status = 'approved'",
                            operation_id)
    return [a for r in rows if (a := request_of(r).approval()) is not None]


def collaboration_of(row: asyncpg.Record) -> CollaborationDecision:
    return CollaborationDecision(
        row["id"], row["reference"], row["basis"], frozenset(row["agencies"]), frozenset(row["operations"]),
        row["decided_by"], row["decided_on"], row["valid_from"], row["valid_until"], row["recorded_by"],
        row["recorded_for"], row["recorded_at"])


async def collaborations_for(conn: asyncpg.Connection, operation_id: str | None = None) -> list[CollaborationDecision]:
    """The collaboration decisions covering `operation_id` (every one when None)."""
    rows = await conn.fetch("SELECT * FROM collaboration_decisions WHERE $1::text IS NULL"
                            " OR operations @> ARRAY[$1::text] ORDER BY recorded_at, id", operation_id)
    return [collaboration_of(r) for r in rows]


async def save_collaboration(conn: asyncpg.Connection, d: CollaborationDecision) -> None:
    await conn.execute(
        """INSERT INTO collaboration_decisions (id, reference, basis, agencies, operations, decided_by, decided_on,
               valid_from, valid_until, recorded_by, recorded_for, recorded_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)""",
        d.id, d.reference, d.basis, sorted(d.agencies), sorted(d.operations), d.decided_by, d.decided_on,
        d.valid_from, d.valid_until, d.recorded_by, d.recorded_for, d.recorded_at)


def delegation_of(row: asyncpg.Record) -> Delegation:
    return Delegation(row["id"], row["authority"], row["holder"], row["holder_name"], row["reference"],
                      row["valid_from"], row["valid_until"], row["recorded_by"], row["recorded_at"],
                      row["revoked_at"], row["revoked_by"], row["revoke_reason"])


async def delegations_of(conn: asyncpg.Connection, authority: str | None = None,
                         holder: str | None = None) -> list[Delegation]:
    rows = await conn.fetch("SELECT * FROM disclosure_delegations WHERE ($1::text IS NULL OR authority = $1)"
                            " AND ($2::text IS NULL OR holder = $2) ORDER BY authority, recorded_at, id",
                            authority, holder)
    return [delegation_of(r) for r in rows]


async def save_delegation(conn: asyncpg.Connection, d: Delegation) -> None:
    await conn.execute(
        """INSERT INTO disclosure_delegations (id, authority, holder, holder_name, reference, valid_from,
               valid_until, recorded_by, recorded_at, revoked_at, revoked_by, revoke_reason)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
           ON CONFLICT (id) DO UPDATE SET revoked_at = EXCLUDED.revoked_at, revoked_by = EXCLUDED.revoked_by,
               revoke_reason = EXCLUDED.revoke_reason""",
        d.id, d.authority, d.holder, d.holder_name, d.reference, d.valid_from, d.valid_until, d.recorded_by,
        d.recorded_at, d.revoked_at, d.revoked_by, d.revoke_reason)
