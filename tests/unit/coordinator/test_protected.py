"""Protected identities: a flag in any event puts the person in the register; the register
keeps them, and a sole trader's business they own, out of every record, whichever event
names them, flagged or not."""

from __future__ import annotations

import datetime
import uuid

from schemas.categories import Category
from schemas.decision import DecisionKind, DecisionTaken
from schemas.events import DecisionTakenV1, InspectionConductedV1, NotificationSentV1, new_event
from schemas.inspection import Finding, InspectionConducted
from schemas.notification import NotificationSent
from schemas.subjects import Business, Person, PersonRole, Premises
from services.coordinator.domain.facts import fact_from_json, fact_of, fact_to_json
from services.coordinator.domain.protected import named, shield, sole_traders

T = datetime.datetime(2026, 4, 14, 8, 0, tzinfo=datetime.UTC)
SHOP = Premises(fastighetsbeteckning="Linköping Tannefors 1:4")
HIDDEN, OTHER = "psn:o1:" + "a" * 64, "psn:o1:" + "b" * 64


def inspection(*persons: Person, business: Business | None = None) -> InspectionConducted:
    return InspectionConducted(inspection_ref="I-1", operation_id="LKPG-2026-04", conducted_at=T,
                               municipality="Linköping", premises=SHOP, business=business,
                               persons_present=list(persons),
                               findings=[Finding(code="BRIST", category=Category.TAX, summary="x")])


def test_a_flagged_person_is_left_out_of_the_fact_and_kept_for_the_register() -> None:
    data = inspection(Person(pseudonym=HIDDEN, role=PersonRole.OWNER, protected_identity=True),
                      Person(pseudonym=OTHER, role=PersonRole.EMPLOYEE))
    fact = fact_of(new_event(InspectionConductedV1, data, agency="TAX", event_id=uuid.uuid4(), time=T))
    assert fact.persons == (OTHER,) and fact.protected == (HIDDEN,)
    assert fact_from_json(fact_to_json(fact)) == fact
    older = fact_to_json(fact)
    del older["protected"]  # a fact stored before the register
    assert fact_from_json(older).protected == ()


def test_a_decision_flags_its_persons_too() -> None:
    data = DecisionTaken(decision_ref="D-1", decided_at=T, kind=DecisionKind.FORBUD, category=Category.TAX,
                         legal_reference="x", summary="y",
                         persons=[Person(pseudonym=HIDDEN, role=PersonRole.OWNER, protected_identity=True)])
    fact = fact_of(new_event(DecisionTakenV1, data, agency="TAX", event_id=uuid.uuid4(), time=T))
    assert fact.persons == () and fact.protected == (HIDDEN,)


def test_a_notification_flags_its_persons_too() -> None:
    data = NotificationSent(notification_ref="N-1", to_agency="SOCIAL_INSURANCE", legal_basis="x",
                            category=Category.TAX, summary="y",
                            persons=[Person(pseudonym=HIDDEN, role=PersonRole.OWNER, protected_identity=True),
                                     Person(pseudonym=OTHER, role=PersonRole.EMPLOYEE)])
    fact = fact_of(new_event(NotificationSentV1, data, agency="TAX", event_id=uuid.uuid4(), time=T))
    assert fact.persons == (OTHER,) and fact.protected == (HIDDEN,)


def test_the_register_shields_persons_an_event_did_not_flag_and_a_sole_trader_they_own() -> None:
    unflagged = fact_of(new_event(InspectionConductedV1, inspection(
        Person(pseudonym=HIDDEN, role=PersonRole.OWNER), Person(pseudonym=OTHER, role=PersonRole.EMPLOYEE),
        business=Business(sole_trader=HIDDEN, name="Enskild firma")), agency="POLICE", event_id=uuid.uuid4(), time=T))
    assert named([unflagged]) == {HIDDEN, OTHER}
    kept = shield(unflagged, frozenset({HIDDEN}))
    assert kept.persons == (OTHER,) and kept.business is None and kept.findings == unflagged.findings
    assert shield(unflagged, frozenset()) is unflagged
    assert sole_traders([OTHER, HIDDEN]) == [f"st:{HIDDEN}", f"st:{OTHER}"]
