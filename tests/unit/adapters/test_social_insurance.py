"""Försäkringskassan's export of benefit checks and decisions (XML) as the LOS platform reads and
writes it."""

from __future__ import annotations

from pathlib import Path

import pytest

from schemas.categories import Category
from schemas.decision import AmountKind, AppealStatus, DecisionKind
from schemas.events import DecisionTakenV1, EventRetractedV1, InspectionConductedV1
from schemas.subjects import PersonRole
from tests.unit.adapters.samples import SAMPLES

SAMPLE = SAMPLES["social-insurance-kontroller"]
psn = SAMPLE.psn


def test_the_sample_maps_a_check_stops_recoveries_a_report_a_correction_and_a_withdrawal() -> None:
    events = SAMPLE.events()
    assert [type(e) for e in events] == [InspectionConductedV1] + [DecisionTakenV1] * 5 + [EventRetractedV1]
    assert {e.source for e in events} == {"urn:los:agency:SOCIAL_INSURANCE/fk-kontroll"}


def test_a_worker_on_full_sickness_benefit_becomes_a_social_insurance_finding() -> None:
    check = SAMPLE.events()[0]
    assert isinstance(check, InspectionConductedV1)
    data = check.data
    assert (data.inspection_ref, data.operation_id, data.municipality) == (
        "FK-2026-4471902", "NKPG-2026-07", "Norrköping")
    assert [(f.code, f.category, f.persons) for f in data.findings] == [
        ("ARBETE_UNDER_SJUKPENNING", Category.SOCIAL_INSURANCE, [psn("197402179878")]),
        ("FELAKTIGT_BOSTADSBIDRAG", Category.SOCIAL_INSURANCE, [psn("198809129862")])]
    assert [(p.role, p.protected_identity) for p in data.persons_present] == [
        (PersonRole.UNRECORDED_WORKER, False), (PersonRole.UNRECORDED_WORKER, True)]


def test_benefit_paid_without_entitlement_is_stopped_then_recovered_and_reported() -> None:
    events = SAMPLE.events()
    stop, recovery, report = events[1], events[2], events[3]
    assert isinstance(stop, DecisionTakenV1) and isinstance(recovery, DecisionTakenV1)
    assert isinstance(report, DecisionTakenV1)
    assert (stop.data.kind, stop.data.amount_sek, stop.data.amount_kind, stop.data.category) == (
        DecisionKind.STOPPED_PAYMENT, 148_600, AmountKind.STOPPED, Category.SOCIAL_INSURANCE)
    assert (recovery.data.kind, recovery.data.amount_sek, recovery.data.amount_kind) == (
        DecisionKind.ATERKRAV, 96_400, AmountKind.RECOVERED)
    assert (recovery.data.legal_reference, recovery.data.appeal_status) == (
        "SFB 108 kap. 2 §", AppealStatus.APPEALED)
    assert (report.data.kind, report.data.amount_sek) == (DecisionKind.POLISANMALAN, None)
    assert [p.pseudonym for p in recovery.data.persons] == [psn("197402179878")]
    assert (recovery.data.business, recovery.data.premises) == (None, None)


def test_a_corrected_recovery_supersedes_the_first_and_a_withdrawal_retracts_its_decision() -> None:
    events = SAMPLE.events()
    corrected, withdrawal = events[5], events[6]
    assert isinstance(corrected, DecisionTakenV1) and isinstance(withdrawal, EventRetractedV1)
    assert (corrected.data.supersedes, corrected.data.amount_sek) == (events[2].id, 104_250)
    assert withdrawal.data.retracts == events[4].id


@pytest.mark.parametrize(("old", "new", "line", "field", "message"), [
    ("<organisationsnummer>559012-3450<", "<organisationsnummer>559012-3455<", 3, "organisationsnummer",
     "check digit is 5, expected 0"),
    ("<kommun>Norrköping</kommun>", "<kommun></kommun>", 3, "kommun", "required"),
    ("<tidpunkt>2026-03-20T13:45:00+01:00<", "<tidpunkt>20 mars<", 47, "tidpunkt", "is not a time"),
    ("<beslutstyp>ANMALAN<", "<beslutstyp>VARNING<", 88, "beslutstyp", "is not one of STOPP"),
    ("<belopp>18 900<", "<belopp>-18 900<", 107, "belopp", "negative"),
    ("<belopp>96 400</belopp>", "", 67, "belopp", "required"),
    ("<lagrum>Bidragsbrottslagen", "<belopp>5000</belopp><lagrum>Bidragsbrottslagen", 88, "belopp",
     "has no amount"),
    ("<personnummer>19880912-9862<", "<personnummer>19880912-9863<", 3, "personer/person[2]/personnummer",
     "check digit"),
    ("<sekretessmarkering>true<", "<sekretessmarkering>ja<", 3, "personer/person[2]/sekretessmarkering",
     "is not one of true, false"),
    ("<kod>ARBETE_UNDER_SJUKPENNING<", "<kod>arbete<", 3, "iakttagelser/iakttagelse[1]/kod",
     "should match pattern"),
    ("<antal>1</antal>", "<antal>en</antal>", 3, "iakttagelser/iakttagelse[1]/antal", "not a whole number"),
    ("<arendetyp>beslut<", "<arendetyp>utredning<", 47, "arendetyp", "is not one of kontroll, beslut"),
])
def test_a_bad_record_is_quarantined_with_its_line_and_element_and_the_rest_still_map(
        tmp_path: Path, old: str, new: str, line: int, field: str, message: str) -> None:
    SAMPLE.assert_quarantined(SAMPLE.replaced(tmp_path, old, new), line, field, message, hidden=("9863",))

