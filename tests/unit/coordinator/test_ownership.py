"""Who may say what: a signed event counts only when its agency owns what it changes. The
police plan and lead their operation; Skatteverket, a participant, may not rewrite it, nor
retract or correct anyone's events but its own."""

from __future__ import annotations

import datetime
import uuid
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from schemas.events import EventRetractedV1, NotificationSentV1, OperationPlannedV1, OperationUpdatedV1, new_event
from schemas.notification import EventRetracted, NotificationSent
from schemas.operation import OperationPlan, OperationStatus, Target
from services.coordinator.domain import intake
from services.coordinator.domain.facts import Fact, fact_of
from services.coordinator.domain.ownership import REASONS, RULES, Lead, Sent, judge
from tests.unit.coordinator.test_records import SHOPS, inspection

T = datetime.datetime(2026, 4, 14, 8, 0, tzinfo=datetime.UTC)
OP = "LKPG-2026-04"
AGENCIES = frozenset({"POLICE", "TAX", "WORK_ENV", "SOCIAL_INSURANCE", "MUNI_SOCIAL", "MUNI_SECURITY"})


def plan(signer: str, revision: int, *, lead: str = "POLICE", participants: tuple[str, ...] = ("POLICE", "TAX"),
         status: OperationStatus = OperationStatus.PLANNED) -> Fact:
    kind = OperationPlannedV1 if revision == 1 else OperationUpdatedV1
    data = OperationPlan(operation_id=OP, revision=revision, title="Vårens tillslag", municipality="Linköping",
                         planned_date=T.date(), lead_agency=lead, participants=list(participants),
                         targets=[Target(premises=SHOPS[0])], status=status)
    return fact_of(new_event(kind, data, agency=signer, event_id=uuid.uuid4(), time=T))


def retraction(signer: str, target: str) -> Fact:
    data = EventRetracted(retracts=uuid.UUID(target), reason="Fel verksamhet")
    return fact_of(new_event(EventRetractedV1, data, agency=signer, event_id=uuid.uuid4(), time=T))


def notice(signer: str, to: str, basis: str = "Lag (2008:206) 3 §") -> Fact:
    data = NotificationSent(notification_ref="N-1", to_agency=to, legal_basis=basis,
                            category="social_insurance", summary="Misstänkt felaktig utbetalning")
    return fact_of(new_event(NotificationSentV1, data, agency=signer, event_id=uuid.uuid4(), time=T))


def reasons(facts: list[Fact], *, leads: dict[str, Lead] | None = None,
            sent: dict[str, Sent] | None = None) -> list[str | None]:
    return [v.reason if v else None
            for v in judge(facts, leads=leads or {}, sent=sent or {}, agencies=AGENCIES)]


def test_the_lead_plans_and_changes_its_operation() -> None:
    assert reasons([plan("POLICE", 1), plan("POLICE", 2, status=OperationStatus.CANCELLED)]) == [None, None]


def test_a_participant_cannot_rewrite_the_police_plan_in_any_way() -> None:
    led = {OP: Lead("POLICE", 1)}
    attempts = [
        plan("TAX", 2, participants=("POLICE", "TAX", "WORK_ENV")),  # new participants
        plan("TAX", 2, lead="TAX", participants=("TAX", "POLICE")),  # takes the lead
        plan("TAX", 9, status=OperationStatus.CANCELLED),  # cancels
        plan("TAX", 3, status=OperationStatus.CLOSED),  # closes
        plan("TAX", 1),  # a first revision of its own for the same id
    ]
    assert reasons(attempts, leads=led) == ["not_plan_owner"] * len(attempts)


def test_nobody_plans_in_another_agency_name() -> None:
    assert reasons([plan("TAX", 1, lead="POLICE")]) == ["not_plan_owner"]


def test_the_first_accepted_plan_claims_the_operation_id() -> None:
    assert reasons([plan("POLICE", 1), plan("TAX", 1, lead="TAX", participants=("TAX",))]) == \
        [None, "not_plan_owner"]


def test_the_lead_may_hand_the_operation_over_and_then_only_the_new_lead_changes_it() -> None:
    handover = plan("POLICE", 2, lead="MUNI_SECURITY", participants=("MUNI_SECURITY", "POLICE"))
    after = [plan("POLICE", 3, lead="MUNI_SECURITY"), plan("MUNI_SECURITY", 3, lead="MUNI_SECURITY",
                                                             participants=("MUNI_SECURITY", "POLICE"))]
    assert reasons([handover, *after], leads={OP: Lead("POLICE", 1)}) == [None, "not_plan_owner", None]


def test_an_older_revision_arriving_late_does_not_hand_the_lead_back() -> None:
    led = {OP: Lead("MUNI_SECURITY", 2)}
    late = plan("MUNI_SECURITY", 1, lead="POLICE")  # signed by the current lead, but an older revision
    assert reasons([late, plan("POLICE", 3)], leads=led) == [None, "not_plan_owner"]


def test_only_the_sender_retracts_or_corrects_an_event() -> None:
    social = inspection("MUNI_SOCIAL", 1)
    sent = {social.event_id: Sent("MUNI_SOCIAL", "inspection")}
    correction = inspection("TAX", 1, supersedes=uuid.UUID(social.event_id))
    own = inspection("MUNI_SOCIAL", 1, supersedes=uuid.UUID(social.event_id), day=1)
    assert reasons([retraction("TAX", social.event_id), correction, retraction("MUNI_SOCIAL", social.event_id),
                    own], sent=sent) == ["foreign_retraction", "foreign_correction", None, None]


def test_a_retraction_of_an_event_not_seen_yet_is_accepted_for_the_fold_to_judge() -> None:
    assert reasons([retraction("TAX", str(uuid.uuid4()))]) == [None]


def test_an_event_accepted_earlier_in_the_same_batch_is_known_to_the_next() -> None:
    tax = inspection("TAX", 2)
    assert reasons([tax, retraction("WORK_ENV", tax.event_id), retraction("TAX", tax.event_id)]) == \
        [None, "foreign_retraction", None]


def test_a_plan_is_revised_never_retracted() -> None:
    first = plan("POLICE", 1)
    assert reasons([first, retraction("POLICE", first.event_id)]) == [None, "not_retractable"]


def test_a_notice_goes_to_another_agency_of_the_registry() -> None:
    assert reasons([notice("TAX", "SOCIAL_INSURANCE"), notice("TAX", "TAX"), notice("TAX", "PENSIONS")]) == \
        [None, "notice_to_self", "unknown_recipient"]


def test_a_notice_citing_fut_reaches_only_a_body_that_decided_a_benefit() -> None:
    """FUT is a duty of the holder to notify the paying body; it reaches nobody else."""
    to = ["SOCIAL_INSURANCE", "MUNI_SOCIAL", "POLICE", "WORK_ENV"]
    assert reasons([notice("TAX", agency) for agency in to]) == [None, None, "not_a_notice_addressee",
                                                                "not_a_notice_addressee"]
    # a notice citing no registered duty is judged by the registry alone; the disclosure
    # policy opens it to nobody unless a rule names its basis
    assert reasons([notice("TAX", "POLICE", basis="OSL 10 kap. 28 §")]) == [None]


def test_contact_details_go_to_the_police_only() -> None:
    basis = "Lag om uppgiftsskyldighet till Polismyndigheten (prop. 2024/25:65)"
    assert reasons([notice("MUNI_SOCIAL", "POLICE", basis), notice("MUNI_SOCIAL", "TAX", basis)]) == \
        [None, "not_a_notice_addressee"]


def test_participants_are_judged_by_their_function() -> None:
    facts = [notice("TAX", "MUNI_SOCIAL_0580"), notice("TAX", "MUNI_BUILDING_0580")]
    verdicts = judge(facts, leads={}, sent={}, agencies={"TAX", "MUNI_SOCIAL_0580", "MUNI_BUILDING_0580"},
                     functions={"MUNI_SOCIAL_0580": "MUNI_SOCIAL", "MUNI_BUILDING_0580": "MUNI_BUILDING"})
    assert [v.reason if v else None for v in verdicts] == [None, "not_a_notice_addressee"]


def test_inspections_and_decisions_are_their_senders_own() -> None:
    assert reasons([inspection("TAX", 0), inspection("WORK_ENV", 1)], leads={OP: Lead("POLICE", 1)}) == [None, None]


@given(st.lists(st.sampled_from(sorted(AGENCIES)), min_size=1, max_size=8))
def test_whoever_else_signs_changes_to_a_police_operation_every_change_is_refused(signers: list[str]) -> None:
    attempts = [plan(s, r + 2) for r, s in enumerate(signers) if s != "POLICE"]
    assert set(reasons(attempts, leads={OP: Lead("POLICE", 1)})) <= {"not_plan_owner"}


def test_every_rule_has_a_reason_in_the_taxonomy() -> None:
    assert {rule.reason for rule in RULES} == set(REASONS)


def test_docs_list_every_rule_and_every_rejection_reason() -> None:
    text = (Path(__file__).parents[3] / "docs" / "security.md").read_text(encoding="utf-8")
    for rule in RULES:
        assert f"| {rule.may} | `{rule.reason}` |" in text, f"docs/security.md lacks the rule: {rule}"
    for reason in (*intake.REASONS, *REASONS):
        assert f"`{reason}`" in text, f"docs/security.md does not explain the rejection reason {reason}"
