"""An in-memory `Source` with the semantics of `queries.PostgresSource`, for unit tests and
for trying pages without a database. A unit's writes land only when it ends cleanly."""

from __future__ import annotations

import copy
import datetime
import json
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from schemas.signing import KeyRegistry
from services.audit.chain import GENESIS, ChainRow, Checkpoint, link, verify_chain
from services.audit.review import Report, shown_to
from services.audit.texts import KeptText
from services.console.ports import CLOSED_STATUSES, AuditQuery, Cursor, OperationFilter, PlanRow, Scope
from services.disclosure.collaboration import CollaborationDecision
from services.disclosure.delegations import Delegation
from services.disclosure.requests import DisclosureRequest, Status


def _matches(record: dict[str, Any], where: OperationFilter, scope: Scope, after: Cursor | None) -> bool:
    day = datetime.date.fromisoformat(record["planned_date"])
    lead, participants, status = record["lead_agency"], record["participants"], record["status"]
    if where.municipality and record["municipality"].lower() != where.municipality.lower():
        return False
    if (where.status and status != where.status) or (where.date_from and day < where.date_from):
        return False
    if (where.date_to and day > where.date_to) or (where.agency and where.agency not in participants):
        return False
    if scope.nothing or (scope.own_only and lead != scope.agency):
        return False
    if lead != scope.agency and ((scope.participants_only and scope.agency not in participants)
                                 or (scope.open_only and status in CLOSED_STATUSES)):
        return False
    return after is None or (day, record["operation_id"]) < (after.planned_date, after.operation_id)


def _plan_row(record: dict[str, Any], updated_at: datetime.datetime) -> PlanRow:
    return PlanRow(record["operation_id"], record["revision"], record["title"], record["municipality"],
                   datetime.date.fromisoformat(record["planned_date"]), record["status"],
                   record["lead_agency"], tuple(record["participants"]), tuple(record["targets"]), updated_at)


@dataclass
class MemoryState:
    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    updated: dict[str, datetime.datetime] = field(default_factory=dict)
    requests: dict[str, DisclosureRequest] = field(default_factory=dict)
    collaborations: dict[str, CollaborationDecision] = field(default_factory=dict)
    delegations: dict[str, Delegation] = field(default_factory=dict)  # written by an administrator
    audit: list[ChainRow] = field(default_factory=list)
    texts: dict[str, KeptText] = field(default_factory=dict)


class MemoryUnit:
    def __init__(self, state: MemoryState) -> None:
        self.state = state
        self.pending_audit: list[dict[str, Any]] = []
        self.pending_texts: list[KeptText] = []
        self.pending_requests: dict[str, DisclosureRequest] = {}
        self.pending_collaborations: dict[str, CollaborationDecision] = {}

    def _ordered(self, where: OperationFilter, scope: Scope, after: Cursor | None) -> list[dict[str, Any]]:
        found = [r for r in self.state.records.values() if _matches(r, where, scope, after)]
        return sorted(found, key=lambda r: (r["planned_date"], r["operation_id"]), reverse=True)

    async def plans(self, where: OperationFilter, scope: Scope, after: Cursor | None,
                    limit: int) -> list[PlanRow]:
        return [_plan_row(r, self.state.updated[r["operation_id"]])
                for r in self._ordered(where, scope, after)[:limit]]

    async def plan(self, operation_id: str) -> PlanRow | None:
        record = self.state.records.get(operation_id)
        return _plan_row(record, self.state.updated[operation_id]) if record else None

    async def record(self, operation_id: str) -> dict[str, Any] | None:
        record = self.state.records.get(operation_id)
        return copy.deepcopy(record) if record else None

    async def records(self, where: OperationFilter, scope: Scope, after: Cursor | None,
                      limit: int) -> list[dict[str, Any]]:
        return [copy.deepcopy(r) for r in self._ordered(where, scope, after)[:limit]]

    async def stamp(self, where: OperationFilter, scope: Scope) -> tuple[int, datetime.datetime | None]:
        found = self._ordered(where, scope, None)
        return len(found), max((self.state.updated[r["operation_id"]] for r in found), default=None)

    async def subject_operations(self, kind: str, subject: str, scope: Scope, limit: int) -> list[str]:
        field_of = {"business": "businesses", "premises": "premises_visited", "person": "persons"}[kind]
        found = [r for r in self._ordered(OperationFilter(), scope, None) if subject in r.get(field_of, [])]
        return [r["operation_id"] for r in found[:limit]]

    async def subject_keys(self, kind: str, prefix: str, scope: Scope) -> list[str]:
        field_of = {"business": "businesses", "premises": "premises_visited", "person": "persons"}[kind]
        return sorted({s for r in self._ordered(OperationFilter(), scope, None) for s in r.get(field_of, [])
                       if s.startswith(prefix)})

    async def approved_requests(self, *, operation_id: str | None = None,
                                recipient: str | None = None) -> list[DisclosureRequest]:
        return [r for r in self.state.requests.values() if r.status == Status.APPROVED
                and operation_id in (None, r.operation_id) and recipient in (None, r.requester)]

    async def requests_for(self, agency: str) -> list[DisclosureRequest]:
        found = [r for r in self.state.requests.values() if agency in (r.owner, r.requester)]
        return sorted(found, key=lambda r: r.created_at, reverse=True)

    async def request(self, request_id: str) -> DisclosureRequest | None:
        return self.pending_requests.get(request_id) or self.state.requests.get(request_id)

    async def save_request(self, request: DisclosureRequest) -> None:
        self.pending_requests[request.id] = request

    async def collaborations(self, *, operation_id: str | None = None) -> list[CollaborationDecision]:
        found = [d for d in self.state.collaborations.values() if operation_id in (None, *d.operations)]
        return sorted(found, key=lambda d: (d.recorded_at, d.id))

    async def save_collaboration(self, decision: CollaborationDecision) -> None:
        if decision.id in self.state.collaborations or decision.id in self.pending_collaborations:
            raise ValueError(f"collaboration decision {decision.id} exists")
        self.pending_collaborations[decision.id] = decision

    async def delegations(self, *, authority: str, holder: str) -> list[Delegation]:
        return sorted((d for d in self.state.delegations.values() if (d.authority, d.holder) == (authority, holder)),
                      key=lambda d: d.id)

    async def append_audit(self, entries: list[dict[str, Any]], texts: Sequence[KeptText] = ()) -> None:
        self.pending_audit += [json.loads(json.dumps(e)) for e in entries]
        self.pending_texts += texts

    async def audit_entries(self, query: AuditQuery) -> list[dict[str, Any]]:
        rows = []
        for row in self.state.audit:
            e = dict(row.entry)
            at = datetime.datetime.fromisoformat(str(e["at"]))
            if (query.since and at < query.since) or (query.until and at >= query.until):
                continue
            if query.agency and not shown_to(e, query.agency):
                continue
            if query.subjects is not None and not set(query.subjects) & set(e.get("subjects", [])):
                continue
            if query.kinds and e["kind"] not in query.kinds:
                continue
            rows.append({"seq": row.seq, **e})
        return rows[-query.limit:] if query.limit else rows

    async def verify_audit(self, checkpoints: list[Checkpoint], registry: KeyRegistry) -> Report:
        result = verify_chain(self.state.audit)
        return Report(result.ok, result.checked, len(self.state.audit), result.broken_at,
                      [] if result.ok else [result.reason])

    def commit(self) -> None:
        self.state.requests.update(self.pending_requests)
        self.state.collaborations.update(self.pending_collaborations)
        for text in self.pending_texts:
            self.state.texts.setdefault(text.ref, text)
        if self.pending_audit:
            head = self.state.audit[-1] if self.state.audit else None
            self.state.audit += link(head.seq if head else 0, head.hash if head else GENESIS,
                                     self.pending_audit)


class MemorySource:
    def __init__(self, state: MemoryState | None = None) -> None:
        self.state = state or MemoryState()

    def put_record(self, record: dict[str, Any], *, at: datetime.datetime | None = None) -> None:
        """Store a record as the coordinator would (its `updated_at` moves)."""
        self.state.records[record["operation_id"]] = copy.deepcopy(record)
        self.state.updated[record["operation_id"]] = at or datetime.datetime.now(datetime.UTC)

    @property
    def audit(self) -> list[dict[str, Any]]:
        return [dict(row.entry) for row in self.state.audit]

    @asynccontextmanager
    async def unit(self) -> AsyncIterator[MemoryUnit]:
        unit = MemoryUnit(self.state)
        yield unit
        unit.commit()

    async def changed_at(self, operation_id: str) -> datetime.datetime | None:
        return self.state.updated.get(operation_id)

    async def change_trace(self, operation_id: str) -> str | None:
        return None

    async def close(self) -> None:
        return None
