"""The current plan of an operation, and inferring the operation of an event that names none."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from schemas.operation import OperationPlan, OperationStatus
from services.coordinator.domain.facts import Fact
from services.coordinator.domain.keys import premises_aliases


@dataclass(frozen=True)
class PlanView:
    """What correlation needs of a plan: its latest revision and its targets' keys."""

    operation_id: str
    revision: int
    event_id: str
    plan: OperationPlan
    target_keys: frozenset[str]

    @property
    def planned_date(self) -> datetime.date:
        return self.plan.planned_date

    @property
    def cancelled(self) -> bool:
        return self.plan.status == OperationStatus.CANCELLED


def latest_plan(plan_facts: Iterable[Fact]) -> PlanView | None:
    """The highest revision wins, whatever order revisions arrived in (ties: larger event id)."""
    candidates = [f for f in plan_facts if f.plan is not None]
    if not candidates:
        return None
    best = max(candidates, key=lambda f: (f.plan.revision if f.plan else 0, f.event_id))
    assert best.plan is not None
    keys = frozenset(k for t in best.plan.targets for k in premises_aliases(t.premises))
    return PlanView(best.plan.operation_id, best.plan.revision, best.event_id, best.plan, keys)


class PlanRef(Protocol):
    """What inference needs of a plan (a PlanView, or a row of the operations table)."""

    @property
    def operation_id(self) -> str: ...
    @property
    def planned_date(self) -> datetime.date: ...
    @property
    def cancelled(self) -> bool: ...
    @property
    def target_keys(self) -> frozenset[str]: ...


@dataclass(frozen=True)
class StoredPlan:
    operation_id: str
    planned_date: datetime.date
    cancelled: bool
    target_keys: frozenset[str]


def infer_operation(fact: Fact, plans: Iterable[PlanRef], window_days: int,
                    noisy: frozenset[str] = frozenset()) -> str | None:
    """The operation an event without an explicit reference belongs to: a plan that targets
    the same premises within `window_days` of the event's date; the nearest date wins,
    then the smallest operation id, so the answer does not depend on arrival order.
    Noisy keys (see `noisy.py`) never join anything."""
    aliases = set(fact.premises) - noisy
    if not aliases:
        return None
    candidates = [
        (abs((p.planned_date - fact.local_date).days), p.operation_id)
        for p in plans
        if not p.cancelled and aliases & p.target_keys
        and abs((p.planned_date - fact.local_date).days) <= window_days
    ]
    return min(candidates)[1] if candidates else None
