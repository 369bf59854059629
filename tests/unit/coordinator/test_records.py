"""The operation record is a function of the set of events: arrival order, duplicates and
partitioning cannot change it; corrections replace and retractions remove."""

from __future__ import annotations

import datetime
import uuid

from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.categories import Category
from schemas.decision import AmountKind, DecisionKind, DecisionTaken
from schemas.events import (
    DecisionTakenV1,
    EventRetractedV1,
    InspectionConductedV1,
    OperationPlannedV1,
    OperationUpdatedV1,
    new_event,
)
from schemas.inspection import Finding, InspectionConducted
from schemas.notification import EventRetracted
from schemas.operation import OperationPlan, Target
from schemas.subjects import Business, Premises
from services.coordinator.domain.facts import Fact, fact_from_json, fact_of, fact_to_json
from services.coordinator.domain.plans import infer_operation, latest_plan
from services.coordinator.domain.records import summarise

T = datetime.datetime(2026, 4, 14, 8, 0, tzinfo=datetime.UTC)
SHOPS = [
    Premises(fastighetsbeteckning=f"Linköping Tannefors {i}:{i + 3}", address=f"Industrigatan {i}, 582 77 Linköping")
    for i in range(1, 5)
]
FIRMS = [Business(orgnr=o, name=f"Firma {i}") for i, o in enumerate(["556036-0793", "556677-8899"])]


def _id() -> uuid.UUID:
    return uuid.uuid4()


def plan_event(revision: int, *, targets: int = 3, date: datetime.date | None = None) -> Fact:
    kind = OperationPlannedV1 if revision == 1 else OperationUpdatedV1
    data = OperationPlan(operation_id="LKPG-2026-04", revision=revision, title="Vårens tillslag",
                         municipality="Linköping", planned_date=date or T.date(), lead_agency="POLICE",
                         participants=["POLICE", "TAX", "WORK_ENV"],
                         targets=[Target(premises=p) for p in SHOPS[:targets]])
    return fact_of(new_event(kind, data, agency="POLICE", event_id=_id(), time=T))


def inspection(agency: str, shop: int, *, op: str | None = "LKPG-2026-04", supersedes: uuid.UUID | None = None,
               day: int = 0, event_id: uuid.UUID | None = None) -> Fact:
    data = InspectionConducted(
        inspection_ref=f"{agency}-{shop}-{day}", operation_id=op, conducted_at=T + datetime.timedelta(days=day),
        municipality="Linköping", premises=SHOPS[shop], business=FIRMS[shop % 2], supersedes=supersedes,
        findings=[Finding(code="BRIST", category=Category.WORK_ENVIRONMENT, summary="Brist")])
    return fact_of(new_event(InspectionConductedV1, data, agency=agency, event_id=event_id or _id(), time=T))


def decision(agency: str, amount: int, *, supersedes: uuid.UUID | None = None,
             event_id: uuid.UUID | None = None) -> Fact:
    data = DecisionTaken(decision_ref=f"{agency}-{amount}", operation_id="LKPG-2026-04", decided_at=T,
                         kind=DecisionKind.KONTROLLAVGIFT, category=Category.TAX, legal_reference="SFL 50 kap. 3 §",
                         summary="Kontrollavgift", amount_sek=amount, amount_kind=AmountKind.IMPOSED,
                         business=FIRMS[0], supersedes=supersedes)
    return fact_of(new_event(DecisionTakenV1, data, agency=agency, event_id=event_id or _id(), time=T))


def retraction(agency: str, target: str) -> Fact:
    data = EventRetracted(retracts=uuid.UUID(target), reason="Registrerad av misstag")
    return fact_of(new_event(EventRetractedV1, data, agency=agency, event_id=_id(), time=T))


def campaign() -> tuple[Fact, list[Fact]]:
    first_fee, wrong = _id(), _id()
    facts = [
        inspection("TAX", 0), inspection("WORK_ENV", 0), inspection("TAX", 1), inspection("POLICE", 2, day=1),
        decision("TAX", 12_500, event_id=first_fee),
        decision("TAX", 17_500, supersedes=first_fee),  # corrected: one more unrecorded worker
        inspection("TAX", 2, event_id=wrong),
    ]
    facts.append(retraction("TAX", str(wrong)))
    return plan_event(1), facts


def test_a_correction_replaces_the_amount_and_a_retraction_removes_the_inspection() -> None:
    plan, facts = campaign()
    record = summarise(latest_plan([plan]), facts)  # type: ignore[arg-type]
    assert record.amounts_sek["imposed"] == 17_500
    assert record.decisions_by_agency == {"TAX": 1}
    assert record.inspections_by_agency == {"POLICE": 1, "TAX": 2, "WORK_ENV": 1}
    assert record.visits == 3  # shop 0 (TAX and WORK_ENV together), shop 1, shop 2 the next day
    assert len(record.premises_visited) == 3


def test_an_agency_cannot_retract_another_agencys_event() -> None:
    plan, facts = campaign()
    police_inspection = facts[3]
    record = summarise(latest_plan([plan]), [*facts, retraction("TAX", police_inspection.event_id)])  # type: ignore[arg-type]
    assert record.inspections_by_agency["POLICE"] == 1


@settings(max_examples=60, deadline=None)
@given(st.randoms(use_true_random=False), st.integers(min_value=1, max_value=3))
def test_any_order_duplication_or_partitioning_gives_the_same_record(rnd, partitions: int) -> None:
    plan, facts = campaign()
    expected = summarise(latest_plan([plan]), facts).to_json()  # type: ignore[arg-type]
    stream = facts + rnd.sample(facts, k=rnd.randint(0, len(facts)))  # duplicates
    rnd.shuffle(stream)
    # partitions: each delivers its share in its own order, interleaved at random
    shares = [stream[i::partitions] for i in range(partitions)]
    merged = []
    while any(shares):
        share = rnd.choice([s for s in shares if s])
        merged.append(share.pop(0))
    assert summarise(latest_plan([plan]), merged).to_json() == expected  # type: ignore[arg-type]


def test_the_highest_plan_revision_wins_whatever_arrives_last() -> None:
    first, second = plan_event(1, targets=2), plan_event(2, targets=4)
    assert latest_plan([second, first]).revision == 2  # type: ignore[union-attr]
    assert len(latest_plan([first, second]).plan.targets) == 4  # type: ignore[union-attr]


def test_an_inspection_naming_no_operation_joins_the_one_at_its_premises_that_day() -> None:
    view = latest_plan([plan_event(1)])
    assert view is not None
    assert infer_operation(inspection("FIRE_RTOG", 1, op=None), [view], window_days=1) == "LKPG-2026-04"
    assert infer_operation(inspection("FIRE_RTOG", 1, op=None, day=5), [view], window_days=1) is None
    assert infer_operation(inspection("FIRE_RTOG", 3, op=None), [view], window_days=1) is None  # not a target


def test_facts_survive_storage_unchanged() -> None:
    plan, facts = campaign()
    for fact in [plan, *facts]:
        assert fact_from_json(fact_to_json(fact)) == fact
