"""What the console needs from storage, as plain types and protocols.

`queries.PostgresSource` is the real implementation, `memory.MemorySource` the in-memory fake
the unit tests use. A `Unit` is one transaction: a page reads what it shows and appends the
audit entries that record the showing in the same unit, so the log holds an entry exactly
when the page was built.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from schemas.signing import KeyRegistry
from services.audit.chain import Checkpoint
from services.audit.review import Report
from services.audit.texts import KeptText
from services.disclosure.collaboration import CollaborationDecision
from services.disclosure.delegations import Delegation
from services.disclosure.requests import DisclosureRequest

CLOSED_STATUSES = ("closed", "cancelled")


@dataclass(frozen=True)
class OperationFilter:
    """What a user narrows the operations list (and the results) to."""

    municipality: str | None = None
    status: str | None = None
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    agency: str | None = None  # a participating agency


@dataclass(frozen=True)
class Scope:
    """A narrowing the policy guarantees can drop no operation the viewer may see.

    It only makes the SQL cheaper; every row that passes is still decided by the
    enforcement point."""

    agency: str
    nothing: bool = False  # no rule opens any plan to this role and purpose, not even the own
    own_only: bool = False  # only plans the viewer's agency leads
    participants_only: bool = True  # foreign plans only where the agency takes part
    open_only: bool = True  # foreign plans only while the operation is open


@dataclass(frozen=True, order=True)
class Cursor:
    """Keyset position in the list, newest first: (planned date, operation id) of the last row."""

    planned_date: datetime.date
    operation_id: str

    def encode(self) -> str:
        return f"{self.planned_date.isoformat()}~{self.operation_id}"

    @classmethod
    def decode(cls, text: str) -> Cursor | None:
        day, sep, op = text.partition("~")
        try:
            return cls(datetime.date.fromisoformat(day), op) if sep and op else None
        except ValueError:
            return None


@dataclass(frozen=True)
class PlanRow:
    """An operation's plan as the operations table holds it (no timeline)."""

    operation_id: str
    revision: int
    title: str
    municipality: str
    planned_date: datetime.date
    status: str
    lead_agency: str
    participants: tuple[str, ...]
    targets: tuple[str, ...]
    updated_at: datetime.datetime

    @property
    def cursor(self) -> Cursor:
        return Cursor(self.planned_date, self.operation_id)

    def as_record(self) -> dict[str, Any]:
        """The plan in the record's shape with an empty timeline, for the enforcement point."""
        return {"operation_id": self.operation_id, "revision": self.revision, "title": self.title,
                "municipality": self.municipality, "planned_date": self.planned_date.isoformat(),
                "status": self.status, "lead_agency": self.lead_agency,
                "participants": list(self.participants), "targets": list(self.targets), "timeline": []}


@dataclass(frozen=True)
class AuditQuery:
    """Entries of the log: `agency`'s own export (`services.audit.review.shown_to`: all it
    owns, none of the denials naming it as recipient) or, without one, every entry;
    `subjects` are digests (`AuditDigests.subject_forms`)."""

    agency: str | None = None
    subjects: tuple[str, ...] | None = None
    since: datetime.datetime | None = None
    until: datetime.datetime | None = None
    kinds: tuple[str, ...] | None = None
    limit: int | None = None


class Unit(Protocol):
    """One transaction's reads and writes."""

    async def plans(self, where: OperationFilter, scope: Scope, after: Cursor | None,
                    limit: int) -> list[PlanRow]:
        """Plans matching `where` and `scope`, newest first, after the cursor."""
        ...

    async def plan(self, operation_id: str) -> PlanRow | None: ...

    async def record(self, operation_id: str) -> dict[str, Any] | None:
        """The whole operation record (`OperationRecord.to_json`): never shown as it is."""
        ...

    async def records(self, where: OperationFilter, scope: Scope, after: Cursor | None,
                      limit: int) -> list[dict[str, Any]]: ...

    async def stamp(self, where: OperationFilter, scope: Scope) -> tuple[int, datetime.datetime | None]:
        """How many operations match and when the last of them changed: a key for cached sums."""
        ...

    async def subject_operations(self, kind: str, subject: str, scope: Scope, limit: int) -> list[str]:
        """Operations within `scope` whose record names the subject, newest first: the scope
        narrows the query itself, so no operation outside it is read or counted."""
        ...

    async def subject_keys(self, kind: str, prefix: str, scope: Scope) -> list[str]:
        """Every subject of `kind` starting with `prefix` that a record within `scope` names
        (the candidates a recipient's pseudonym is mapped back from)."""
        ...

    async def approved_requests(self, *, operation_id: str | None = None,
                                recipient: str | None = None) -> list[DisclosureRequest]: ...

    async def requests_for(self, agency: str) -> list[DisclosureRequest]: ...

    async def request(self, request_id: str) -> DisclosureRequest | None: ...

    async def save_request(self, request: DisclosureRequest) -> None: ...

    async def collaborations(self, *, operation_id: str | None = None) -> list[CollaborationDecision]:
        """Recorded collaboration decisions covering the operation (every one when None)."""
        ...

    async def save_collaboration(self, decision: CollaborationDecision) -> None: ...

    async def delegations(self, *, authority: str, holder: str) -> list[Delegation]:
        """The register's delegations of `authority` to `holder`, revoked ones included."""
        ...

    async def append_audit(self, entries: list[dict[str, Any]], texts: Sequence[KeptText] = ()) -> None:
        """Append to the audit chain in this transaction, with the free texts the entries
        name by digest (`services.audit.texts`)."""
        ...

    async def audit_entries(self, query: AuditQuery) -> list[dict[str, Any]]: ...

    async def verify_audit(self, checkpoints: list[Checkpoint], registry: KeyRegistry) -> Report: ...


class Source(Protocol):
    def unit(self) -> AbstractAsyncContextManager[Unit]:
        """A transaction; committed when the block ends without an exception."""
        ...

    async def changed_at(self, operation_id: str) -> datetime.datetime | None:
        """When the operation's record last changed (cheap; for live views)."""
        ...

    async def change_trace(self, operation_id: str) -> str | None:
        """The W3C trace context stored with the operation's latest traced change, if any."""
        ...

    async def close(self) -> None: ...


class Publisher(Protocol):
    """Where a planned operation's signed event goes (the planner's own agency topic)."""

    async def publish(self, topic: str, key: bytes, value: bytes,
                      headers: list[tuple[str, bytes]]) -> None: ...

    async def close(self) -> None: ...
