"""One operation played out: plan revisions, inspections, findings, decisions, notices,
then the corrections and retractions that agencies register afterwards."""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass, replace

from schemas.decision import AppealStatus
from schemas.subjects import PersonRole
from services.adapters.simulator.catalogue import (
    FOLLOW_UP,
    FUT,
    PROFILES,
    AgencyProfile,
    FindingRule,
    function,
    participant,
    profile,
    serves,
)
from services.adapters.simulator.config import ScenarioConfig
from services.adapters.simulator.planning import Operation, Target, at
from services.adapters.simulator.records import (
    DecisionRecord,
    FindingRecord,
    InspectionRecord,
    NotificationRecord,
    PlanRecord,
    Presence,
    Record,
    RetractionRecord,
)
from services.adapters.simulator.world import Company, Resident, Site

DAY = datetime.timedelta(days=1)
HOUR = datetime.timedelta(hours=1)
OWNER, EMPLOYEE, UNRECORDED = PersonRole.OWNER, PersonRole.EMPLOYEE, PersonRole.UNRECORDED_WORKER
REASONS = ("Registrerad på fel ärende", "Dubblettregistrering", "Fel verksamhet angiven",
           "Registrerad av misstag")


class CaseNumbers:
    """Each agency's record numbers, per year (and per municipality for municipal committees)."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._next: dict[tuple[str, str, int], int] = {}
        self._year = 0

    def next(self, agency: str, town_code: str, year: int) -> str:
        if year > self._year:  # earlier years are done with: forget them
            self._next.clear()
            self._year = year
        profile = PROFILES[function(agency)]
        key = (agency, town_code if profile.municipal else "", year)
        number = self._next.get(key) or self._rng.randrange(100, 4000)
        self._next[key] = number + self._rng.randint(1, 3)
        if agency == "POLICE":
            return f"{profile.ref_prefix}{number:05d}-{year % 100:02d}"
        if profile.municipal:
            return f"{town_code}-{profile.ref_prefix}-{year}-{number:04d}"
        return f"{profile.ref_prefix}-{year}-{number:06d}"


@dataclass
class _Visit:
    target: Target
    day: datetime.date
    start: datetime.datetime
    owner: bool
    staff: list[Resident]
    shadow: list[Resident]

    @property
    def site(self) -> Site:
        return self.target.site

    @property
    def company(self) -> Company:
        return self.target.company

    def presence(self, who: str) -> tuple[Presence, ...]:
        owner = ((self.company.owner, OWNER),) if self.owner else ()
        staff = tuple((r, EMPLOYEE) for r in self.staff)
        if who == "contact":
            return owner or staff[:1]
        return owner + staff + tuple((r, UNRECORDED) for r in self.shadow)


class OperationPlayer:
    def __init__(self, rng: random.Random, config: ScenarioConfig) -> None:
        self._rng = rng
        self._config = config
        self._numbers = CaseNumbers(rng)

    def play(self, operation: Operation) -> list[Record]:
        rng = self._rng
        records: list[Record] = [PlanRecord(operation, state) for state in operation.revisions]
        plan = operation.final
        inspecting = [code for code in plan.participants if function(code) in PROFILES]
        must = rng.randrange(len(plan.targets))  # Försäkringskassan finds something here
        inspections: list[tuple[InspectionRecord, list[FindingRule]]] = []
        for index, target in enumerate(plan.targets):
            visit = self._visit(target, plan.planned_date, force_staff=index == must)
            for code in inspecting:
                if not serves(code, target.site.town.kommunkod):
                    continue  # another municipality's authority: it inspects in its own
                found = profile(code)
                forced = index == must and code == "SOCIAL_INSURANCE"
                relevant = target.site.industry in found.industries
                if code == "POLICE" or forced or (relevant and rng.random() < found.inspect_probability):
                    inspections.append(self._inspect(operation, code, visit, forced=forced))
        for site in operation.second_day:
            target = next(t for t in plan.targets if t.site is site)
            codes = [c for f in FOLLOW_UP for c in inspecting if function(c) == f
                     and site.industry in profile(c).industries and serves(c, site.town.kommunkod)]
            visit = self._visit(target, plan.planned_date + DAY, force_staff=False)
            inspections.append(self._inspect(operation, rng.choice(codes or ["POLICE"]), visit))
        decisions: list[DecisionRecord] = []
        for inspection, rules in inspections:
            records.append(inspection)
            for finding, rule in zip(inspection.findings, rules, strict=True):
                decisions.extend(self._decide(inspection, finding, rule))
                if rule.notify and finding.persons:
                    records.append(self._notify(inspection, finding,
                                                participant(rule.notify, operation.town.kommunkod)))
        self._spend_budget(operation, decisions)
        records.extend(decisions)
        records.extend(self._afterwards([i for i, _ in inspections], decisions))
        return records

    def _visit(self, target: Target, day: datetime.date, *, force_staff: bool) -> _Visit:
        rng, company = self._rng, target.company
        staff = rng.sample(company.staff, rng.randint(1 if force_staff else 0, len(company.staff)))
        shadow: list[Resident] = []
        if company.shadow and rng.random() < 0.3 + 0.6 * company.shady:
            shadow = rng.sample(company.shadow, rng.randint(1, len(company.shadow)))
        evening = target.site.industry.value == "restaurant" and rng.random() < 0.5
        return _Visit(target, day, at(rng, day, (17, 21) if evening else (8, 15)), rng.random() < 0.7,
                      staff, shadow)

    def _inspect(self, operation: Operation, code: str, visit: _Visit, *,
                 forced: bool = False) -> tuple[InspectionRecord, list[FindingRule]]:
        """An inspection by the participant `code`, following its function's profile."""
        rng, site, profile = self._rng, visit.site, PROFILES[function(code)]
        conducted = visit.start + datetime.timedelta(minutes=rng.randrange(0, 45))
        findings, rules = self._findings(profile, visit, forced)
        recorded_op: str | None = operation.op_id
        if rng.random() < self._config.missing_operation_id:
            recorded_op = None
        company: Company | None = visit.company
        if profile.code in ("FIRE", "MUNI_BUILDING") and rng.random() < 0.05:
            company = None  # the business could not be identified on site
        record = InspectionRecord(
            code, self._numbers.next(code, site.town.code, visit.day.year), 1, operation,
            recorded_op, conducted, conducted + rng.randint(*profile.publish_hours) * HOUR, site,
            site.variant if rng.random() < 0.3 else site.premises, company,
            visit.presence(profile.presence), tuple(findings))
        return record, rules

    def _findings(self, profile: AgencyProfile, visit: _Visit,
                  forced: bool) -> tuple[list[FindingRecord], list[FindingRule]]:
        rng = self._rng
        found: list[FindingRecord] = []
        rules: list[FindingRule] = []
        chance = profile.finding_probability * (0.5 + visit.company.shady)
        candidates = [r for r in profile.findings if visit.site.industry in r.industries]
        while candidates and len(found) < profile.max_findings and (forced or rng.random() < chance):
            rule = rng.choices(candidates, [r.weight for r in candidates])[0]
            candidates.remove(rule)
            concerned = self._concerned(rule.who, visit)
            if rule.who and not concerned:
                continue
            count = len(concerned) if rule.who in ("shadow", "workers") else None
            found.append(FindingRecord(rule.code, profile.category, rule.summary, count,
                                       concerned if profile.finding_persons else ()))
            rules.append(rule)
            chance, forced = chance / 2, False
        return found, rules

    def _concerned(self, who: str | None, visit: _Visit) -> tuple[Resident, ...]:
        rng = self._rng
        if who == "shadow":
            return tuple(visit.shadow)
        if who == "workers":
            return tuple(visit.staff + visit.shadow)
        if who == "owner":
            return (visit.company.owner,)
        if who == "worker" and visit.staff + visit.shadow:
            return (rng.choice(visit.staff + visit.shadow),)
        if who == "staff" and visit.staff:
            return tuple(rng.sample(visit.staff, min(len(visit.staff), rng.randint(1, 2))))
        return ()

    def _decide(self, inspection: InspectionRecord, finding: FindingRecord,
                rule: FindingRule) -> list[DecisionRecord]:
        rng = self._rng
        decisions = []
        roles = dict(inspection.present)
        for spec in rule.decisions:
            if rng.random() >= spec.probability:
                continue
            amount: int | None = None
            if spec.rule == "personalliggare":
                amount = 12_500 + 2_500 * (finding.count or 0)
            elif spec.rule == "budget":
                amount = 0  # set by _spend_budget
            elif spec.amount is not None:
                low, high = spec.amount
                amount = low if low == high else rng.randrange(low, high + 1, 500)
            delay = {"POLICE": (0, 1), "TAX": (10, 60)}.get(inspection.agency, (3, 45))
            decided = at(rng, inspection.conducted_at.date() + rng.randint(*delay) * DAY, (8, 16))
            if decided <= inspection.time:
                decided = inspection.time + HOUR
            persons: tuple[Presence, ...] = ()
            if spec.addressed:
                persons = tuple((r, roles.get(r, EMPLOYEE)) for r in finding.persons)
            elif inspection.agency == "POLICE" and inspection.company is not None:
                persons = ((inspection.company.owner, OWNER),)
            decisions.append(DecisionRecord(
                inspection.agency, self._numbers.next(inspection.agency, inspection.site.town.code,
                                                      inspection.conducted_at.year), 1,
                inspection.operation, inspection.operation.op_id, inspection.ref, decided,
                decided + rng.randrange(0, 240) * datetime.timedelta(minutes=1), spec.kind, finding.category,
                spec.legal_reference, spec.summary, amount, spec.amount_kind, inspection.company,
                inspection.site, inspection.premises, persons))
        return decisions

    def _notify(self, inspection: InspectionRecord, finding: FindingRecord, to: str) -> NotificationRecord:
        rng = self._rng
        sent = at(rng, inspection.conducted_at.date() + rng.randint(7, 40) * DAY)
        roles = dict(inspection.present)
        return NotificationRecord(
            inspection.agency, self._numbers.next(inspection.agency, inspection.site.town.code, sent.year),
            inspection.operation, to, FUT, finding.category,
            "Underrättelse om misstänkt felaktig utbetalning: person i arbete under tid med ersättning",
            inspection.company, inspection.site, tuple((r, roles.get(r, EMPLOYEE)) for r in finding.persons),
            sent)

    def _spend_budget(self, operation: Operation, decisions: list[DecisionRecord]) -> None:
        """Split Försäkringskassan's amounts for the operation over its decisions of each kind."""
        rng = self._rng
        for kind, total in operation.budget.items():
            indexes = [i for i, d in enumerate(decisions)
                       if d.agency == "SOCIAL_INSURANCE" and d.amount_kind == kind]
            weights = [rng.uniform(0.3, 1.7) for _ in indexes]
            left = total
            for n, (index, weight) in enumerate(zip(indexes, weights, strict=True)):
                share = left if n == len(indexes) - 1 else int(round(total * weight / sum(weights), -2))
                decisions[index] = replace(decisions[index], amount=share)
                left -= share

    def _afterwards(self, inspections: list[InspectionRecord],
                    decisions: list[DecisionRecord]) -> list[Record]:
        """Corrections (a new version superseding the first) and retractions."""
        rng, config = self._rng, self._config
        decided = {d.inspection_ref for d in decisions}
        later: list[Record] = []
        free = [i for i in inspections if i.ref not in decided and function(i.agency) != "MUNI_SOCIAL"]
        corrected = None  # a record other records refer to is neither corrected nor taken back
        findings = [i for i in free if i.findings]
        if findings and rng.random() < config.inspection_correction:
            corrected = rng.choice(findings)
            later.append(self._corrected_inspection(corrected))
        for inspection in free:
            if inspection is not corrected and rng.random() < config.retraction:
                later.append(RetractionRecord(inspection, rng.choice(REASONS),
                                              inspection.time + rng.randint(2, 240) * HOUR))
        for decision in decisions:
            if decision.agency == "SOCIAL_INSURANCE":
                continue  # keeps Försäkringskassan's totals at the planned amounts
            roll = rng.random()
            if roll < config.decision_correction:
                later.append(self._corrected_decision(decision))
            elif roll < config.decision_correction + config.retraction:
                later.append(RetractionRecord(decision, rng.choice(REASONS),
                                              decision.time + rng.randint(2, 240) * HOUR))
        return later

    def _corrected_inspection(self, inspection: InspectionRecord) -> InspectionRecord:
        findings = list(inspection.findings)
        if len(findings) > 1:
            findings.pop()  # a finding registered on the wrong control
        else:
            last = findings[-1]
            count = None if last.count is None else max(0, last.count - 1)
            findings[-1] = replace(last, summary=f"{last.summary} (rättad)", count=count,
                                   persons=last.persons[:-1] if count is not None else last.persons)
        return replace(inspection, version=2, findings=tuple(findings),
                       time=inspection.time + self._rng.randint(24, 14 * 24) * HOUR)

    def _corrected_decision(self, decision: DecisionRecord) -> DecisionRecord:
        rng = self._rng
        amount = decision.amount
        if amount is not None and rng.random() < 0.6:  # omprövning: a new amount
            if decision.legal_reference == "SFL 50 kap. 3 §" and amount > 12_500:
                amount -= 2_500  # one of the persons turned out to be recorded
            else:
                amount = max(500, round(amount * rng.uniform(0.5, 0.9) / 500) * 500)
            status, summary, days = AppealStatus.NOT_APPEALED, f"{decision.summary} (omprövat)", (10, 60)
        else:  # the appeal was decided
            status, days = AppealStatus.UPHELD, (45, 110)
            summary = f"{decision.summary}; fastställt efter överklagande"
        decided = at(rng, decision.decided_at.date() + rng.randint(*days) * DAY, (8, 16))
        published = decided + rng.randrange(0, 240) * datetime.timedelta(minutes=1)
        return replace(decision, version=2, amount=amount, appeal_status=status, summary=summary,
                       decided_at=decided, time=published)
