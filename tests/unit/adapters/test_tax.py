"""Skatteverket's personalliggare export (CSV) as the LOS platform reads and writes it."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from schemas.categories import Category
from schemas.decision import AmountKind, AppealStatus, DecisionKind
from schemas.events import DecisionTakenV1, EventRetractedV1, InspectionConductedV1
from schemas.inspection import Finding
from schemas.subjects import Industry, PersonRole
from services.adapters.sdk.mapping import RecordError
from tests.unit.adapters.samples import SAMPLES

SAMPLE = SAMPLES["tax-personalliggare"]
psn = SAMPLE.psn


def test_the_sample_maps_controls_fees_a_correction_and_a_withdrawal() -> None:
    events = SAMPLE.events()
    assert [type(e) for e in events] == [InspectionConductedV1] * 4 + [DecisionTakenV1] * 3 + [
        InspectionConductedV1, DecisionTakenV1, EventRetractedV1]
    assert {e.source for e in events} == {"urn:los:agency:TAX/skv-kontroll"}
    assert events[0].time == datetime.datetime(2026, 3, 14, 14, 10, tzinfo=datetime.timezone(
        datetime.timedelta(hours=1)))


def test_two_unrecorded_workers_at_a_car_workshop_become_a_tax_finding() -> None:
    control = SAMPLE.events()[0]
    assert isinstance(control, InspectionConductedV1)
    data = control.data
    assert (data.inspection_ref, data.operation_id, data.municipality) == (
        "PL-2026-0417", "NKPG-2026-07", "Norrköping")
    assert data.business is not None and data.business.orgnr == "559012-3450"
    assert data.premises.fastighetsbeteckning == "Norrköping Verkstaden 3:7"
    assert data.premises.industry is Industry.CAR_WORKSHOP
    assert data.findings == [Finding(
        code="PERSONALLIGGARE_BRISTER", category=Category.TAX,
        summary="Två personer i arbete fanns inte antecknade i personalliggaren", count=2,
        persons=[psn("199206309859"), psn("198809129862")])]
    assert [(p.role, p.protected_identity) for p in data.persons_present] == [
        (PersonRole.OWNER, False), (PersonRole.UNRECORDED_WORKER, False),
        (PersonRole.UNRECORDED_WORKER, True)]


def test_a_missing_staff_register_becomes_a_tax_finding_with_a_control_fee() -> None:
    events = SAMPLE.events()
    control, fee = events[1], events[5]
    assert isinstance(control, InspectionConductedV1) and isinstance(fee, DecisionTakenV1)
    assert [f.code for f in control.data.findings] == ["PERSONALLIGGARE_SAKNAS"]
    assert control.data.findings[0].count is None
    assert control.data.premises.industry is Industry.CAR_WASH
    decision = fee.data
    assert (decision.kind, decision.amount_sek, decision.amount_kind) == (
        DecisionKind.KONTROLLAVGIFT, 12_500, AmountKind.IMPOSED)
    assert (decision.legal_reference, decision.category, decision.inspection_ref) == (
        "SFL 50 kap. 3 §", Category.TAX, "PL-2026-0418")
    assert decision.appeal_status is AppealStatus.APPEALED


def test_a_kiosk_run_by_a_sole_trader_is_identified_by_a_pseudonym() -> None:
    control = SAMPLE.events()[2]
    assert isinstance(control, InspectionConductedV1)
    assert control.data.business is not None
    assert (control.data.business.orgnr, control.data.business.sole_trader) == (None, psn("198503149810"))
    assert [f.code for f in control.data.findings] == ["KASSAREGISTER_FEL"]


def test_a_control_without_deviation_has_no_findings() -> None:
    control = SAMPLE.events()[3]
    assert isinstance(control, InspectionConductedV1)
    assert (control.data.municipality, control.data.findings) == ("Linköping", [])


def test_a_corrected_control_and_fee_supersede_their_first_versions() -> None:
    events = SAMPLE.events()
    control_v2, fee_v2 = events[7], events[8]
    assert isinstance(control_v2, InspectionConductedV1) and isinstance(fee_v2, DecisionTakenV1)
    assert control_v2.data.supersedes == events[0].id
    assert control_v2.data.findings[0].count == 3
    assert fee_v2.data.supersedes == events[4].id
    assert fee_v2.data.amount_sek == 20_000  # 12 500 + 3 x 2 500
    assert isinstance(events[4], DecisionTakenV1) and events[4].data.supersedes is None


def test_a_withdrawn_fee_retracts_the_decision_it_names() -> None:
    events = SAMPLE.events()
    withdrawal = events[9]
    assert isinstance(withdrawal, EventRetractedV1)
    assert withdrawal.data.retracts == events[6].id
    assert withdrawal.data.reason == "Beslutet registrerades på fel kontroll"


def test_the_writer_marks_a_protected_person_with_sekretess(tmp_path: Path) -> None:
    path = SAMPLE.write(SAMPLE.events(), tmp_path / "tax-out.csv")
    assert "19880912-9862:ej_registrerad:sekretess" in path.read_text(encoding="utf-8")


def test_the_writer_refuses_what_the_format_cannot_hold(tmp_path: Path) -> None:
    events = SAMPLE.events()
    control = events[0]
    assert isinstance(control, InspectionConductedV1)
    twice = control.model_copy(update={"data": control.data.model_copy(
        update={"findings": control.data.findings * 2})})
    with pytest.raises(ValueError, match="at most one finding"):
        SAMPLE.write([twice], tmp_path / "out.csv")
    with pytest.raises(ValueError, match="same export"):
        SAMPLE.write([events[9]], tmp_path / "out.csv")
    with pytest.raises(ValueError, match="clear_ids"):
        SAMPLE.write([control], tmp_path / "out.csv", {})


@pytest.mark.parametrize(("line", "column", "value", "field", "message"), [
    (2, "organisationsnummer", "559012-3451", "organisationsnummer", "check digit is 1, expected 0"),
    (3, "kommun", "", "kommun", "required"),
    (4, "tidpunkt", "14/3 2026 10:30", "tidpunkt", "is not a time"),
    (5, "avvikelse", "PERSONALLIGGARE_FEL", "avvikelse", "is not one of"),
    (6, "beslutstyp", "STRAFFAVGIFT", "beslutstyp", "is not one of KONTROLLAVGIFT"),
    (7, "belopp", "-12 500", "belopp", "negative"),
    (8, "belopp", "", "belopp", "required"),
    (2, "personal", "19771123-9835:agare|19920630-9850:ej_registrerad", "personal[2]", "check digit"),
    (2, "antal", "-2", "antal", "greater than or equal to 0"),
    (4, "organisationsnummer", "19850314-9811", "organisationsnummer", "sole trader's personnummer"),
    (11, "makulerad", "JA", "makulerad", "is not one of J, N"),
    (9, "version", "0", "version", "1 or more"),
])
def test_a_bad_record_is_quarantined_with_its_line_and_column_and_the_rest_still_map(
        tmp_path: Path, line: int, column: str, value: str, field: str, message: str) -> None:
    path = SAMPLE.with_cell(tmp_path, line, column, value)
    SAMPLE.assert_quarantined(path, line, field, message, hidden=("9850", "9811"))  # no personnummer echoed


def test_an_export_without_the_lagrum_column_is_one_error_and_not_even_the_controls_map(tmp_path: Path) -> None:
    lines = [";".join(cells[:22] + cells[23:]) for cells in (
        line.split(";") for line in SAMPLE.path.read_text(encoding="utf-8").splitlines())]
    path = tmp_path / "tax-no-lagrum.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    [error] = SAMPLE.read(path)
    assert isinstance(error, RecordError)
    assert (error.file, error.line, error.field, error.whole_file) == (str(path), 1, "lagrum", True)
    assert error.message.startswith("the header has no column lagrum; the header found is 'posttyp;diarienummer;")
