"""Disclosure requests in Postgres, and the approvals they grant."""

from __future__ import annotations

import asyncpg

from services.disclosure.enforce import Approval
from services.disclosure.policy import Purpose
from services.disclosure.requests import DisclosureRequest, Status


async def save_request(conn: asyncpg.Connection, r: DisclosureRequest) -> None:
    await conn.execute(
        """INSERT INTO disclosure_requests (id, requester, requested_by, owner, operation_id, categories, purpose,
               basis, reason, created_at, status, assessment, decided_by, decided_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
           ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, assessment = EXCLUDED.assessment,
               decided_by = EXCLUDED.decided_by, decided_at = EXCLUDED.decided_at""",
        r.id, r.requester, r.requested_by, r.owner, r.operation_id, sorted(str(c) for c in r.categories),
        r.purpose.value, r.basis, r.reason, r.created_at, r.status.value, r.assessment, r.decided_by,
        r.decided_at)


def _request(row: asyncpg.Record) -> DisclosureRequest:
    return DisclosureRequest(
        row["id"], row["requester"], row["requested_by"], row["owner"], row["operation_id"],
        frozenset(str(c) for c in row["categories"]), Purpose(row["purpose"]), row["basis"], row["reason"],
        row["created_at"], Status(row["status"]), row["assessment"], row["decided_by"], row["decided_at"])


async def load_request(conn: asyncpg.Connection, request_id: str) -> DisclosureRequest | None:
    row = await conn.fetchrow("SELECT * FROM disclosure_requests WHERE id = $1", request_id)
    return _request(row) if row else None


async def requests_for(conn: asyncpg.Connection, agency: str) -> list[DisclosureRequest]:
    rows = await conn.fetch("SELECT * FROM disclosure_requests WHERE owner = $1 OR requester = $1"
                            " ORDER BY created_at DESC", agency)
    return [_request(r) for r in rows]


async def approvals_for(conn: asyncpg.Connection, operation_id: str) -> list[Approval]:
    rows = await conn.fetch("SELECT * FROM disclosure_requests WHERE operation_id = $1 AND status = 'approved'",
                            operation_id)
    return [a for r in rows if (a := _request(r).approval()) is not None]
