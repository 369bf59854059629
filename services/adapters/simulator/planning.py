"""Springs of LOS operations: which premises each operation targets, when, and with whom.

A region's spring has four operations in its two municipalities A and B: A in February, B in
March, then a follow-up in each (April, May) that revisits part of the first one's premises, so
that a spring comes to about 25 premises and 40 visits. Some targets were visited in earlier
springs; some premises get a second visit the day after the operation.
"""

from __future__ import annotations

import datetime
import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from zoneinfo import ZoneInfo

from schemas.agencies import load_registry
from schemas.decision import AmountKind
from schemas.operation import OperationStatus
from services.adapters.simulator.catalogue import BY_INDUSTRY, OPTIONAL, PROFILES, REQUIRED, function, participant
from services.adapters.simulator.config import ScenarioConfig
from services.adapters.simulator.places import REGIONS, Municipality
from services.adapters.simulator.world import Company, Site, World

STOCKHOLM = ZoneInfo("Europe/Stockholm")
LEAD = "POLICE"
MONTHS = ("januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september",
          "oktober", "november", "december")
TIPS = ("Tips om svartarbete", "Underrättelse från Skatteverket", "Klagomål från grannar om boende i lokalen",
        "Kopplad till bolag i tidigare kontroll", "Misstänkt målvakt i styrelsen", "Polisens underrättelser")


def at(rng: random.Random, day: datetime.date, hours: tuple[int, int] = (8, 17)) -> datetime.datetime:
    """A time on `day`, Swedish local time, between the given hours."""
    minute = rng.randrange(hours[0] * 60, hours[1] * 60)
    return datetime.datetime.combine(day, datetime.time(minute // 60, minute % 60), STOCKHOLM)


def _weekday(day: datetime.date) -> datetime.date:
    while day.weekday() not in (1, 2, 3):  # operations run Tuesday to Thursday
        day += datetime.timedelta(days=1)
    return day


@dataclass(frozen=True)
class Target:
    site: Site
    company: Company  # the business believed to run it when the plan was made
    note: str | None


@dataclass(frozen=True)
class PlanState:
    """The whole plan at one revision."""

    revision: int
    registered: datetime.datetime
    planned_date: datetime.date
    targets: tuple[Target, ...]
    participants: tuple[str, ...]
    status: OperationStatus


@dataclass(eq=False)
class Operation:
    op_id: str
    town: Municipality
    title: str
    revisions: list[PlanState]
    second_day: list[Site] = field(default_factory=list)  # premises visited again the day after
    budget: dict[AmountKind, int] = field(default_factory=dict)  # Försäkringskassan's, per amount kind
    lead: str = LEAD

    @property
    def final(self) -> PlanState:
        return self.revisions[-1]

    @property
    def date(self) -> datetime.date:
        return self.final.planned_date


class Planner:
    """Plans spring after spring for every region of the configured scale."""

    def __init__(self, rng: random.Random, world: World, config: ScenarioConfig) -> None:
        self._rng = rng
        self._world = world
        self._config = config
        self._seq: Counter[tuple[str, int]] = Counter()

    def springs(self) -> Iterator[list[Operation]]:
        """The operations of each spring, in the order their first plan was registered."""
        index = 0
        while self._config.springs is None or index < self._config.springs:
            year = self._config.first_year + index
            if year > 9_990:
                raise RuntimeError("the simulated calendar ends at year 9990")
            operations = []
            for rotation in REGIONS[self._config.scale]:
                first, second = rotation[index % len(rotation)]
                operations.extend(self._spring(year, first, second))
            operations.sort(key=lambda op: (op.revisions[0].registered, op.op_id))
            yield operations
            index += 1

    def _spring(self, year: int, a: Municipality, b: Municipality) -> list[Operation]:
        rng, config = self._rng, self._config
        sizes = [rng.randint(*config.targets) for _ in range(4)]
        revisits = max(0, sum(sizes) - rng.randint(*config.distinct_premises))
        back_a = min(sizes[2], sizes[0], (revisits + 1) // 2)
        back_b = min(sizes[3], sizes[1], revisits - back_a)
        back_a = min(sizes[2], sizes[0], revisits - back_b)
        first_a = self._targets(a, b, sizes[0], year, [])
        first_b = self._targets(b, a, sizes[1], year, [])
        again_a = rng.sample(first_a, back_a)
        again_b = rng.sample(first_b, back_b)
        later_a = again_a + self._targets(a, b, sizes[2] - back_a, year, first_a)
        later_b = again_b + self._targets(b, a, sizes[3] - back_b, year, first_b)
        plans = ((a, 2, first_a, None), (b, 3, first_b, None), (a, 4, later_a, set(again_a)),
                 (b, 5, later_b, set(again_b)))
        operations: list[Operation] = []
        for town, month, sites, followed in plans:
            note = {s: f"Uppföljning efter {operations[month - 4].op_id}" for s in followed or ()}
            operations.append(self._operation(town, year, month, sites, note, followed is not None))
        for site in first_a + first_b + later_a + later_b:
            self._world.remember(site)
        extra = max(0, rng.randint(*config.visits) - sum(sizes))
        for _ in range(extra):
            operation = rng.choice(operations)
            candidates = [t.site for t in operation.final.targets if t.site not in operation.second_day]
            if candidates:
                operation.second_day.append(rng.choice(candidates))
        if config.joint_regional and rng.random() < config.joint_regional:
            operations.append(self._joint(a, b, year, first_a + later_a, first_b + later_b))
        self._budgets(operations)
        return operations

    def _joint(self, a: Municipality, b: Municipality, year: int, taken_a: list[Site],
               taken_b: list[Site]) -> Operation:
        """A joint regional action (ROS) at premises in both municipalities: each municipality's
        own authorities take part, each inspecting in its own municipality."""
        half = max(1, self._rng.randint(*self._config.targets) // 2)
        sites = self._targets(a, b, half, year, taken_a) + self._targets(b, a, half, year, taken_b)
        for site in sites:
            self._world.remember(site)
        return self._operation(a, year, 6, sites, {}, False, regional=True)

    def _targets(self, town: Municipality, partner: Municipality, count: int, year: int,
                 taken: list[Site]) -> list[Site]:
        rng, world = self._rng, self._world
        earlier = [s for s in world.visited(town) if s not in taken]
        again = min(len(earlier), round(count * self._config.revisit_earlier * rng.uniform(0.5, 1.5)))
        sites = rng.sample(earlier, again)
        for site in sites:
            if rng.random() < self._config.new_occupant:
                world.new_occupant(site, year)
        return sites + [world.new_site(town, year, partner=partner) for _ in range(count - again)]

    def _operation(self, town: Municipality, year: int, month: int, sites: list[Site],
                   notes: dict[Site, str], follow_up: bool, *, regional: bool = False) -> Operation:
        rng = self._rng
        self._seq[town.code, year] += 1
        op_id = f"{town.code}-{year}-{self._seq[town.code, year]:02d}"
        title = f"{'Uppföljande ' if follow_up else ''}LOS-kontroll {town.name} {MONTHS[month - 1]} {year}"
        if regional:
            towns = " och ".join(dict.fromkeys(s.town.name for s in sites))
            title = f"ROS-insats {towns} {MONTHS[month - 1]} {year}"
        day = _weekday(datetime.date(year, month, rng.randint(2, 24)))
        targets = tuple(Target(s, s.company, notes.get(s) or rng.choice(TIPS)) for s in sites)
        participants = self._participants(sites, town)
        first = PlanState(1, at(rng, day - datetime.timedelta(days=rng.randint(14, 28))), day, targets,
                          participants, OperationStatus.PLANNED)
        revisions = [first]
        if rng.random() < self._config.plan_update:
            revisions = self._updated(first, town, year)
        final = revisions[-1]
        executed = at(rng, final.planned_date + datetime.timedelta(days=2), (9, 12))
        closed = at(rng, final.planned_date + datetime.timedelta(days=rng.randint(60, 100)))
        for when, status in ((executed, OperationStatus.EXECUTED), (closed, OperationStatus.CLOSED)):
            revisions.append(PlanState(revisions[-1].revision + 1, when, final.planned_date, final.targets,
                                       final.participants, status))
        return Operation(op_id, town, title, revisions)

    def _updated(self, final: PlanState, town: Municipality, year: int) -> list[PlanState]:
        """A first revision that differs from `final` (moved date, one target or agency fewer or
        another), then `final` as revision 2."""
        rng = self._rng
        first = final
        change = rng.choice(("date", "targets", "participants"))
        optional = [c for c in final.participants if function(c) not in REQUIRED]
        if change == "participants" and optional:
            dropped = rng.choice(optional)
            first = replace(final, participants=tuple(c for c in final.participants if c != dropped))
        elif change == "targets":
            targets = list(final.targets)
            index = rng.randrange(len(targets))
            if len(targets) > 8 and rng.random() < 0.5:
                del targets[index]  # revision 2 adds a target
            else:  # revision 2 replaces a target that turned out to be closed
                decoy = self._world.new_site(town, year)
                targets[index] = Target(decoy, decoy.company, rng.choice(TIPS))
            first = replace(final, targets=tuple(targets))
        else:
            moved = final.planned_date + datetime.timedelta(days=rng.choice((-7, -6, -2, 1, 5, 6, 7)))
            first = replace(final, planned_date=_weekday(moved))
        earliest = min(first.planned_date, final.planned_date)
        first = replace(first, registered=at(rng, earliest - datetime.timedelta(days=rng.randint(16, 30))))
        second = replace(final, revision=2,
                          registered=at(rng, earliest - datetime.timedelta(days=rng.randint(2, 8))))
        return [first, second]

    def _participants(self, sites: list[Site], town: Municipality) -> tuple[str, ...]:
        """The authorities taking part: the national agencies, and the functions of each
        municipality with premises among the targets (or the joint rescue service serving it)."""
        rng = self._rng
        chosen = set(REQUIRED)
        chosen.update(code for code, share in OPTIONAL.items() if rng.random() < share)
        industries = {site.industry for site in sites}
        chosen.update(code for code in BY_INDUSTRY
                      if industries & PROFILES[code].industries and rng.random() < 0.9)
        towns = dict.fromkeys([town.kommunkod, *(s.town.kommunkod for s in sites)])
        found = (participant(f, kommunkod) for f in load_registry().functions if f in chosen for kommunkod in towns)
        return tuple(dict.fromkeys(found))

    def _budgets(self, operations: list[Operation]) -> None:
        rng = self._rng
        weights = [rng.uniform(0.6, 1.4) for _ in operations]
        for kind in (AmountKind.RECOVERED, AmountKind.STOPPED):
            total = rng.randint(*self._config.social_insurance_per_spring)
            for operation, weight in zip(operations, weights, strict=True):
                operation.budget[kind] = int(round(total * weight / sum(weights), -2))
