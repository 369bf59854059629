"""Arbetsförmedlingen's export of subsidised-employment checks (CSV) as LOS reads and writes it."""

from __future__ import annotations

from pathlib import Path

import pytest

from schemas.categories import Category
from schemas.decision import AmountKind, AppealStatus, DecisionKind
from schemas.events import DecisionTakenV1, EventRetractedV1, InspectionConductedV1
from schemas.subjects import Industry, PersonRole
from tests.unit.adapters.samples import SAMPLES

SAMPLE = SAMPLES["employment-stodkontroller"]
psn = SAMPLE.psn


def test_the_sample_maps_checks_decisions_a_correction_and_a_withdrawal() -> None:
    events = SAMPLE.events()
    assert [type(e) for e in events] == [InspectionConductedV1] * 3 + [DecisionTakenV1] * 4 + [
        EventRetractedV1]
    assert {e.source for e in events} == {"urn:los:agency:EMPLOYMENT/af-kontroll"}


def test_employees_with_subsidised_jobs_missing_from_the_workshop_become_an_employment_finding() -> None:
    check = SAMPLE.events()[0]
    assert isinstance(check, InspectionConductedV1)
    data = check.data
    assert (data.inspection_ref, data.operation_id, data.premises.industry) == (
        "AF-2026/0031877", "NKPG-2026-07", Industry.CAR_WORKSHOP)
    [finding] = data.findings
    assert (finding.code, finding.category, finding.count) == (
        "ARBETSTAGARE_EJ_PA_PLATS", Category.EMPLOYMENT_SUPPORT, 2)
    assert finding.persons == [psn("196811039897"), psn("198306069801")]
    assert [p.role for p in data.persons_present] == [PersonRole.OWNER, PersonRole.EMPLOYEE]


def test_an_unclear_employment_of_a_protected_person_keeps_the_protection_flag() -> None:
    check = SAMPLE.events()[1]
    assert isinstance(check, InspectionConductedV1)
    assert [(p.pseudonym, p.protected_identity) for p in check.data.persons_present] == [
        (psn("199001019828"), True)]
    assert check.data.findings[0].code == "OKLAR_ANSTALLNING"


def test_wage_subsidy_payments_are_stopped_and_then_recovered() -> None:
    events = SAMPLE.events()
    stop, recovery = events[3], events[4]
    assert isinstance(stop, DecisionTakenV1) and isinstance(recovery, DecisionTakenV1)
    assert (stop.data.kind, stop.data.amount_sek, stop.data.amount_kind) == (
        DecisionKind.STOPPED_PAYMENT, 96_000, AmountKind.STOPPED)
    assert (recovery.data.kind, recovery.data.amount_sek, recovery.data.amount_kind) == (
        DecisionKind.ATERKRAV, 184_000, AmountKind.RECOVERED)
    assert recovery.data.legal_reference == "Förordning (2018:43) om stöd för nystartsjobb"
    assert (recovery.data.category, recovery.data.appeal_status, recovery.data.inspection_ref) == (
        Category.EMPLOYMENT_SUPPORT, AppealStatus.APPEALED, "AF-2026/0031877")
    assert recovery.data.business is not None and recovery.data.business.orgnr == "559012-3450"


def test_a_corrected_recovery_supersedes_the_first_and_a_withdrawal_retracts_its_decision() -> None:
    events = SAMPLE.events()
    corrected, withdrawal = events[6], events[7]
    assert isinstance(corrected, DecisionTakenV1) and isinstance(withdrawal, EventRetractedV1)
    assert (corrected.data.supersedes, corrected.data.amount_sek) == (events[4].id, 212_000)
    assert withdrawal.data.retracts == events[5].id


@pytest.mark.parametrize(("line", "column", "value", "field", "message"), [
    (2, "organisationsnummer", "559012-3459", "organisationsnummer", "check digit is 9, expected 0"),
    (3, "avvikelsebeskrivning", "", "avvikelsebeskrivning", "required"),
    (4, "registrerad", "2026-13-01", "registrerad", "is not a time"),
    (5, "beslutstyp", "VITE", "beslutstyp", "is not one of ATERKRAV, STOPP"),
    (6, "belopp", "-184 000", "belopp", "negative"),
    (7, "belopp", "62 500 kr", "belopp", "not a whole number"),
    (2, "berorda", "19681103-9897|19830606-9802", "berorda", "check digit"),
    (3, "personer", "19900101-9828:kund", "personer[1]", "roll one of"),
    (4, "bransch", "frisörsalong", "bransch", "is not one of"),
])
def test_a_bad_record_is_quarantined_with_its_line_and_column_and_the_rest_still_map(
        tmp_path: Path, line: int, column: str, value: str, field: str, message: str) -> None:
    SAMPLE.assert_quarantined(SAMPLE.with_cell(tmp_path, line, column, value), line, field, message,
                              hidden=("9802",))
