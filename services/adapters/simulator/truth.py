"""The ground truth of a scenario, computed from the simulator's own records.

`TruthAccumulator.add` takes the records in the order their events are published and keeps
per-operation and per-subject aggregates only. A correction (a record that supersedes an
earlier one) takes the earlier one's place; a retraction removes the retracted record from
everything. Counts and amounts are of *effective* records: neither superseded nor retracted.
When all records of an operation have been added, `close_operation` folds its details into
the aggregates, so memory grows with the truth (operations, subjects), not with the events.
"""

from __future__ import annotations

import datetime
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from zoneinfo import ZoneInfo

from schemas.decision import AmountKind
from schemas.events import (
    DecisionTakenV1,
    EventRetractedV1,
    InspectionConductedV1,
    NotificationSentV1,
    OperationPlannedV1,
    OperationUpdatedV1,
)
from schemas.identifiers import parse_address, parse_fastighetsbeteckning
from schemas.subjects import Premises
from services.adapters.simulator.records import (
    DecisionRecord,
    InspectionRecord,
    NotificationRecord,
    PlanRecord,
    Record,
    RetractionRecord,
)
from services.adapters.simulator.shape import Amounts, GroundTruth, OperationTruth, PeriodResult, Subjects

STOCKHOLM = ZoneInfo("Europe/Stockholm")
SIGNAL_AGENCIES = 3  # distinct agencies with findings about one business ...
SIGNAL_WINDOW = datetime.timedelta(days=364)  # ... within 365 days (first and last day included)


@lru_cache(maxsize=1024)
def premises_key(premises: Premises) -> str:
    """The key premises are correlated on: the fastighetsbeteckning's when there is one, else
    the normalised street address's."""
    if premises.fastighetsbeteckning is not None:
        return parse_fastighetsbeteckning(premises.fastighetsbeteckning).key
    assert premises.address is not None  # Premises has one or the other
    return parse_address(premises.address).key


@dataclass(frozen=True)
class _Effect:
    """What one effective record contributes to its operation."""

    agency: str
    kind: str  # inspection, decision or notification
    visit: tuple[str, datetime.date] | None = None
    findings: int = 0
    decision_kind: str | None = None
    amount: tuple[str, int] | None = None
    subjects: tuple[tuple[str, str], ...] = ()  # (businesses|premises|persons, id)
    signal: tuple[tuple[str, datetime.date, str], ...] = ()  # (business, date, agency)


@dataclass
class _Operation:
    municipality: str
    revision: int = 0
    plan: dict[str, object] = field(default_factory=dict)
    visits: Counter[tuple[str, datetime.date]] = field(default_factory=Counter)
    counts: Counter[tuple[str, str]] = field(default_factory=Counter)  # (table, key) -> n
    subjects: Counter[tuple[str, str]] = field(default_factory=Counter)
    signal: Counter[tuple[str, datetime.date, str]] = field(default_factory=Counter)
    effects: dict[uuid.UUID, _Effect] = field(default_factory=dict)
    closed: bool = False

    def apply(self, effect: _Effect, sign: int) -> None:
        if effect.visit is not None:
            self.visits[effect.visit] += sign
        table = {"inspection": "inspections", "decision": "decisions", "notification": "notifications"}
        self.counts[table[effect.kind], effect.agency] += sign
        self.counts["findings", effect.agency] += sign * effect.findings
        if effect.decision_kind is not None:
            self.counts["kinds", effect.decision_kind] += sign
        if effect.amount is not None:
            self.counts["amounts", effect.amount[0]] += sign * effect.amount[1]
            self.counts["sanctions", ""] += sign * (effect.amount[0] == AmountKind.IMPOSED.value)
        self.subjects.update({s: sign for s in effect.subjects})
        self.signal.update({s: sign for s in effect.signal})

    def table(self, name: str) -> dict[str, int]:
        return {k: n for (t, k), n in sorted(self.counts.items()) if t == name and n}

    def amounts(self) -> Amounts:
        counts = self.counts
        return Amounts(imposed=counts["amounts", "imposed"], recovered=counts["amounts", "recovered"],
                       stopped=counts["amounts", "stopped"])


def _local_date(moment: datetime.datetime) -> datetime.date:
    return moment.astimezone(STOCKHOLM).date()


def _effect(record: InspectionRecord | DecisionRecord | NotificationRecord) -> _Effect:
    business = () if record.company is None else (("businesses", record.company.identity),)
    if isinstance(record, InspectionRecord):
        key, day = premises_key(record.premises), _local_date(record.conducted_at)
        # A person with protected identity never enters shared records, so never a dossier; a
        # finding's person counts only as one of those present, whose protection is known.
        persons = {r.pseudonym for r, _ in record.present if not r.protected}
        signal = () if record.company is None or not record.findings else (
            (record.company.identity, day, record.agency),)
        return _Effect(record.agency, "inspection", (key, day), len(record.findings),
                       subjects=(*business, ("premises", key), *(("persons", p) for p in sorted(persons))),
                       signal=signal)
    premises = record.premises if isinstance(record, DecisionRecord) else record.site.premises
    located = () if premises is None else (("premises", premises_key(premises)),)
    subjects = (*business, *located, *(("persons", r.pseudonym) for r, _ in record.persons if not r.protected))
    if isinstance(record, NotificationRecord):
        return _Effect(record.agency, "notification", subjects=subjects)
    amount = None if record.amount_kind is None or record.amount is None else (
        record.amount_kind.value, record.amount)
    return _Effect(record.agency, "decision", decision_kind=record.kind.value, amount=amount,
                   subjects=subjects)


def _event_type(record: Record) -> str:
    if isinstance(record, PlanRecord):
        return (OperationPlannedV1 if record.state.revision == 1 else OperationUpdatedV1).TYPE
    if isinstance(record, InspectionRecord):
        return InspectionConductedV1.TYPE
    if isinstance(record, DecisionRecord):
        return DecisionTakenV1.TYPE
    return (NotificationSentV1 if isinstance(record, NotificationRecord) else EventRetractedV1).TYPE


def _signalled(entries: list[tuple[datetime.date, str]]) -> bool:
    """Whether findings of SIGNAL_AGENCIES distinct agencies fall within one window."""
    entries = sorted(entries)
    start = 0
    window: Counter[str] = Counter()
    for day, agency in entries:
        window[agency] += 1
        while day - entries[start][0] > SIGNAL_WINDOW:
            window[entries[start][1]] -= 1
            if not window[entries[start][1]]:
                del window[entries[start][1]]
            start += 1
        if len(window) >= SIGNAL_AGENCIES:
            return True
    return False


def _listed(operations_of: dict[str, set[str]]) -> dict[str, list[str]]:
    return {ident: sorted(ops) for ident, ops in sorted(operations_of.items()) if ops}


__all__ = ["GroundTruth", "TruthAccumulator", "premises_key"]


class TruthAccumulator:
    """The ground truth of exactly the records added so far (see the module docstring)."""

    def __init__(self, seed: int, *, keep_event_ids: bool = True) -> None:
        self.seed = seed
        self._keep_ids = keep_event_ids
        self._ids = bytearray()
        self._count = 0
        self._types: Counter[str] = Counter()
        self._ops: dict[str, _Operation] = {}
        self._subjects: dict[str, dict[str, set[str]]] = {k: defaultdict(set) for k in
                                                           ("businesses", "premises", "persons")}
        self._history: dict[str, list[tuple[datetime.date, str]]] = defaultdict(list)
        self._signals: set[str] = set()
        self._horizon = datetime.date.min
        self._closed = 0

    def add(self, record: Record) -> None:
        self._count += 1
        self._types[_event_type(record)] += 1
        if self._keep_ids:
            self._ids += record.event_id.bytes
        operation = record.operation
        state = self._ops.get(operation.op_id)
        if state is None:
            state = self._ops[operation.op_id] = _Operation(operation.town.name)
        if state.closed:
            raise RuntimeError(f"a record of operation {operation.op_id} came after it was closed")
        if isinstance(record, PlanRecord):
            plan = record.state
            if plan.revision > state.revision:
                state.revision = plan.revision
                state.plan = {"planned_date": plan.planned_date, "status": plan.status.value,
                              "lead_agency": operation.lead, "participants": sorted(plan.participants)}
            return
        if isinstance(record, RetractionRecord):
            retracted = state.effects.pop(record.target.event_id, None)
            if retracted is not None:
                state.apply(retracted, -1)
            return
        if not isinstance(record, NotificationRecord) and record.supersedes is not None:
            superseded = state.effects.pop(record.supersedes, None)
            if superseded is not None:
                state.apply(superseded, -1)
        effect = _effect(record)
        state.effects[record.event_id] = effect
        state.apply(effect, 1)

    def close_operation(self, op_id: str) -> None:
        """All records of `op_id` have been added: keep its aggregates, drop its details."""
        state = self._ops[op_id]
        state.closed = True
        for (kind, ident), n in state.subjects.items():
            if n > 0:
                self._subjects[kind][ident].add(op_id)
        touched = set()
        for (business, day, agency), n in state.signal.items():
            if n > 0 and business not in self._signals:
                self._history[business].append((day, agency))
                touched.add(business)
        for business in touched:
            if _signalled(self._history[business]):
                self._signals.add(business)
                del self._history[business]
        state.subjects, state.signal, state.effects = Counter(), Counter(), {}
        state.visits = Counter({k: n for k, n in state.visits.items() if n > 0})
        planned = state.plan.get("planned_date")
        if isinstance(planned, datetime.date):
            self._horizon = max(self._horizon, planned - datetime.timedelta(days=450))
        self._closed += 1
        if self._closed % 100 == 0:  # findings this old can no longer meet new ones in a window
            for business in list(self._history):
                kept = [e for e in self._history[business] if e[0] >= self._horizon]
                if kept:
                    self._history[business] = kept
                else:
                    del self._history[business]

    def truth(self) -> GroundTruth:
        operations: dict[str, OperationTruth] = {}
        subjects: dict[str, dict[str, set[str]]] = {k: defaultdict(set, {i: set(ops) for i, ops in v.items()})
                                                     for k, v in self._subjects.items()}
        open_signal: dict[str, list[tuple[datetime.date, str]]] = defaultdict(list)
        periods: dict[tuple[str, str], list[_Operation]] = defaultdict(list)
        for op_id in sorted(self._ops):
            state = self._ops[op_id]
            if not state.revision:
                continue
            planned = state.plan["planned_date"]
            assert isinstance(planned, datetime.date)
            visits = sorted(k for k, n in state.visits.items() if n > 0)
            participants = state.plan["participants"]
            assert isinstance(participants, list)
            operations[op_id] = OperationTruth(
                municipality=state.municipality, planned_date=planned.isoformat(),
                status=str(state.plan["status"]), lead_agency=str(state.plan["lead_agency"]),
                participants=participants, revision=state.revision,
                premises_visited=sorted({key for key, _ in visits}), visits=len(visits),
                inspections_by_agency=state.table("inspections"), findings_by_agency=state.table("findings"),
                decisions_by_agency=state.table("decisions"), decisions_by_kind=state.table("kinds"),
                amounts_sek=state.amounts(), notifications=sum(state.table("notifications").values()))
            periods[state.municipality, f"{planned:%Y-%m}"].append(state)
            for (kind, ident), n in state.subjects.items():
                if n > 0:
                    subjects[kind][ident].add(op_id)
            for (business, day, agency), n in state.signal.items():
                if n > 0:
                    open_signal[business].append((day, agency))
        signals = self._signals | {b for b, entries in open_signal.items()
                                   if _signalled(self._history.get(b, []) + entries)}
        results: dict[str, dict[str, PeriodResult]] = defaultdict(dict)
        for (municipality, month), states in sorted(periods.items()):
            seen = {k for s in states for k, n in s.visits.items() if n > 0}
            totals = [s.amounts() for s in states]
            results[municipality][month] = PeriodResult(
                premises_visited=len({key for key, _ in seen}), visits=len(seen),
                sanctions=sum(s.counts["sanctions", ""] for s in states),
                amounts=Amounts(imposed=sum(t["imposed"] for t in totals),
                                recovered=sum(t["recovered"] for t in totals),
                                stopped=sum(t["stopped"] for t in totals)))
        ids = None
        if self._keep_ids:
            raw = self._ids
            ids = sorted(str(uuid.UUID(bytes=bytes(raw[i:i + 16]))) for i in range(0, len(raw), 16))
        return GroundTruth(
            seed=self.seed, operations=operations,
            subjects=Subjects(businesses=_listed(subjects["businesses"]),
                              premises=_listed(subjects["premises"]), persons=_listed(subjects["persons"])),
            signals=sorted(signals), results=dict(results), event_count=self._count, event_ids=ids,
            events_by_type=dict(sorted(self._types.items())))
