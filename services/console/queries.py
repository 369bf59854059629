"""The read side in PostgreSQL: index-friendly SQL over the coordinator's tables.

Lists walk `operations` newest first by keyset (`console_operations_recent`, see
migrations/) and never read a whole record; a record is read only for the one operation a
page shows. What passes here is raw: the enforcement point decides what is shown.
"""

from __future__ import annotations

import asyncio
import datetime
import json
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

import asyncpg

from schemas.signing import KeyRegistry
from services.audit import review
from services.audit.chain import Checkpoint
from services.audit.store import append
from services.audit.texts import KeptText, keep_texts
from services.console.ports import CLOSED_STATUSES, AuditQuery, Cursor, OperationFilter, PlanRow, Scope
from services.disclosure import store
from services.disclosure.collaboration import CollaborationDecision
from services.disclosure.delegations import Delegation
from services.disclosure.requests import DisclosureRequest

PLAN_COLUMNS = """operation_id, revision, record ->> 'title' AS title, municipality, planned_date, status,
    lead_agency, participants, (record -> 'targets')::text AS targets, updated_at"""


def _plan_row(row: asyncpg.Record) -> PlanRow:
    return PlanRow(row["operation_id"], row["revision"], row["title"] or "", row["municipality"],
                   row["planned_date"], row["status"], row["lead_agency"], tuple(row["participants"]),
                   tuple(json.loads(row["targets"] or "[]")), row["updated_at"])


def scope_conditions(scope: Scope, arg: Callable[[Any], str]) -> list[str]:
    """The scope as conditions on `operations` (`arg` adds a parameter and names it)."""
    me = arg(scope.agency)
    if scope.own_only:
        return [f"lead_agency = {me}"]
    foreign = []
    if scope.participants_only:
        foreign.append(f"participants @> ARRAY[{me}]::text[]")
    if scope.open_only:
        foreign.append(f"status <> ALL({arg(list(CLOSED_STATUSES))}::text[])")
    return [f"(lead_agency = {me} OR ({' AND '.join(foreign)}))"] if foreign else []


def where_clause(where: OperationFilter, scope: Scope, after: Cursor | None) -> tuple[str, list[Any]]:
    """Only the conditions in use, so the planner sees plain predicates it can index."""
    conditions, args = ["record IS NOT NULL"], []

    def arg(value: Any) -> str:
        args.append(value)
        return f"${len(args)}"

    if where.municipality:
        conditions.append(f"lower(municipality) = lower({arg(where.municipality)})")
    if where.status:
        conditions.append(f"status = {arg(where.status)}")
    if where.date_from:
        conditions.append(f"planned_date >= {arg(where.date_from)}")
    if where.date_to:
        conditions.append(f"planned_date <= {arg(where.date_to)}")
    if where.agency:
        conditions.append(f"participants @> ARRAY[{arg(where.agency)}]::text[]")
    conditions += scope_conditions(scope, arg)
    if after is not None:
        day, op = arg(after.planned_date), arg(after.operation_id)
        conditions.append(f"(planned_date, operation_id) < ({day}, {op})")
    return " AND ".join(conditions), args


class PostgresUnit:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def plans(self, where: OperationFilter, scope: Scope, after: Cursor | None,
                    limit: int) -> list[PlanRow]:
        if scope.nothing:
            return []
        sql, args = where_clause(where, scope, after)
        rows = await self.conn.fetch(
            f"SELECT {PLAN_COLUMNS} FROM operations WHERE {sql}"
            f" ORDER BY planned_date DESC, operation_id DESC LIMIT {int(limit)}", *args)
        return [_plan_row(r) for r in rows]

    async def plan(self, operation_id: str) -> PlanRow | None:
        row = await self.conn.fetchrow(
            f"SELECT {PLAN_COLUMNS} FROM operations WHERE operation_id = $1 AND record IS NOT NULL",
            operation_id)
        return _plan_row(row) if row else None

    async def record(self, operation_id: str) -> dict[str, Any] | None:
        text = await self.conn.fetchval("SELECT record::text FROM operations WHERE operation_id = $1",
                                        operation_id)
        return json.loads(text) if text else None

    async def records(self, where: OperationFilter, scope: Scope, after: Cursor | None,
                      limit: int) -> list[dict[str, Any]]:
        if scope.nothing:
            return []
        sql, args = where_clause(where, scope, after)
        rows = await self.conn.fetch(
            f"SELECT record::text FROM operations WHERE {sql}"
            f" ORDER BY planned_date DESC, operation_id DESC LIMIT {int(limit)}", *args)
        return [json.loads(r["record"]) for r in rows]

    async def stamp(self, where: OperationFilter, scope: Scope) -> tuple[int, datetime.datetime | None]:
        if scope.nothing:
            return 0, None
        sql, args = where_clause(where, scope, None)
        row = await self.conn.fetchrow(
            f"SELECT count(*) AS n, max(updated_at) AS at FROM operations WHERE {sql}", *args)
        return int(row["n"]), row["at"]

    async def subject_operations(self, kind: str, subject: str, scope: Scope, limit: int) -> list[str]:
        if scope.nothing:
            return []
        args: list[Any] = [kind, subject]

        def arg(value: Any) -> str:
            args.append(value)
            return f"${len(args)}"

        within = " AND ".join(["TRUE", *scope_conditions(scope, arg)])
        rows = await self.conn.fetch(
            f"""SELECT operation_id FROM subject_operations s JOIN operations o USING (operation_id)
               WHERE s.subject_kind = $1 AND s.subject = $2 AND o.record IS NOT NULL AND {within}
               ORDER BY o.planned_date DESC, operation_id DESC LIMIT {int(limit)}""", *args)
        return [r["operation_id"] for r in rows]

    async def subject_keys(self, kind: str, prefix: str, scope: Scope) -> list[str]:
        if scope.nothing:
            return []
        args: list[Any] = [kind, prefix]

        def arg(value: Any) -> str:
            args.append(value)
            return f"${len(args)}"

        within = " AND ".join(["TRUE", *scope_conditions(scope, arg)])
        rows = await self.conn.fetch(
            f"""SELECT DISTINCT s.subject FROM subject_operations s JOIN operations o USING (operation_id)
                WHERE s.subject_kind = $1 AND starts_with(s.subject, $2) AND {within}""", *args)
        return [r["subject"] for r in rows]

    async def approved_requests(self, *, operation_id: str | None = None,
                                recipient: str | None = None) -> list[DisclosureRequest]:
        rows = await self.conn.fetch(
            """SELECT * FROM disclosure_requests WHERE status = 'approved'
               AND ($1::text IS NULL OR operation_id = $1) AND ($2::text IS NULL OR requester = $2)""",
            operation_id, recipient)
        return [store.request_of(r) for r in rows]

    async def requests_for(self, agency: str) -> list[DisclosureRequest]:
        return await store.requests_for(self.conn, agency)

    async def request(self, request_id: str) -> DisclosureRequest | None:
        return await store.load_request(self.conn, request_id)

    async def save_request(self, request: DisclosureRequest) -> None:
        await store.save_request(self.conn, request)

    async def collaborations(self, *, operation_id: str | None = None) -> list[CollaborationDecision]:
        return await store.collaborations_for(self.conn, operation_id)

    async def save_collaboration(self, decision: CollaborationDecision) -> None:
        await store.save_collaboration(self.conn, decision)

    async def delegations(self, *, authority: str, holder: str) -> list[Delegation]:
        return await store.delegations_of(self.conn, authority, holder)

    async def append_audit(self, entries: list[dict[str, Any]], texts: Sequence[KeptText] = ()) -> None:
        if texts:
            at = datetime.datetime.fromisoformat(str(entries[0]["at"])) if entries else None
            await keep_texts(self.conn, texts, at or datetime.datetime.now(datetime.UTC))
        await append(self.conn, entries)

    async def audit_entries(self, query: AuditQuery) -> list[dict[str, Any]]:
        rows = await review.entries(self.conn, since=query.since, until=query.until, shown_to=query.agency,
                                    subjects=list(query.subjects) if query.subjects is not None else None,
                                    kinds=list(query.kinds) if query.kinds else None)
        return rows[-query.limit:] if query.limit else rows

    async def verify_audit(self, checkpoints: list[Checkpoint], registry: KeyRegistry) -> review.Report:
        return await review.verify(self.conn, checkpoints, registry)


class PostgresSource:
    """A connection pool, opened on first use (so a test client without lifespan works too)."""

    def __init__(self, url: str, *, min_size: int = 1, max_size: int = 8) -> None:
        self.url, self.min_size, self.max_size = url, min_size, max_size
        self._pool: asyncpg.Pool | None = None
        self._lock = asyncio.Lock()

    async def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            async with self._lock:
                if self._pool is None:
                    self._pool = await asyncpg.create_pool(self.url, min_size=self.min_size,
                                                           max_size=self.max_size)
        return self._pool

    @asynccontextmanager
    async def unit(self) -> AsyncIterator[PostgresUnit]:
        pool = await self.pool()
        async with pool.acquire() as conn, conn.transaction():
            yield PostgresUnit(conn)

    async def changed_at(self, operation_id: str) -> datetime.datetime | None:
        pool = await self.pool()
        async with pool.acquire() as conn:
            value: datetime.datetime | None = await conn.fetchval(
                "SELECT updated_at FROM operations WHERE operation_id = $1 AND record IS NOT NULL",
                operation_id)
            return value

    async def change_trace(self, operation_id: str) -> str | None:
        pool = await self.pool()
        async with pool.acquire() as conn:
            value: str | None = await conn.fetchval(
                "SELECT traceparent FROM record_changes WHERE operation_id = $1 AND traceparent IS NOT NULL"
                " ORDER BY seq DESC LIMIT 1", operation_id)  # index record_changes_traced
            return value

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None
