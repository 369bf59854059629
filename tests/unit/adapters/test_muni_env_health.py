"""The miljö- och hälsoskyddsnämnd's control export (CSV) as the LOS platform reads and writes it."""

from __future__ import annotations

from pathlib import Path

import pytest

from schemas.categories import Category
from schemas.decision import AmountKind, AppealStatus, DecisionKind
from schemas.envelope import event_id_for
from schemas.events import DecisionTakenV1, EventRetractedV1, InspectionConductedV1
from schemas.subjects import Industry, PersonRole
from services.adapters.sdk.mapping import RecordError
from tests.unit.adapters.samples import SAMPLES, write_rows

SAMPLE = SAMPLES["muni-env-health-kontroll"]
psn = SAMPLE.psn


def test_the_sample_maps_controls_decisions_a_correction_and_a_withdrawal() -> None:
    events = SAMPLE.events()
    assert [type(e) for e in events] == [InspectionConductedV1] * 3 + [DecisionTakenV1] * 5 + [
        EventRetractedV1]
    assert {e.source for e in events} == {"urn:los:agency:MUNI_ENV_HEALTH/ecos"}


def test_meat_of_unknown_origin_in_a_restaurant_becomes_a_municipal_finding() -> None:
    control = SAMPLE.events()[0]
    assert isinstance(control, InspectionConductedV1)
    data = control.data
    assert data.premises.industry is Industry.RESTAURANT
    assert data.premises.address == "Butängsgatan 8, 602 23 Norrköping"
    assert [(f.code, f.count) for f in data.findings] == [
        ("BRISTANDE_RENGORING", None), ("SPARBARHET_SAKNAS", 40), ("TEMPERATUR_KYLFORVARING", None)]
    assert {f.category for f in data.findings} == {Category.MUNICIPAL_DECISION}
    assert [(p.role, p.protected_identity) for p in data.persons_present] == [
        (PersonRole.EMPLOYEE, False), (PersonRole.UNRECORDED_WORKER, True)]


def test_a_ban_on_selling_the_meat_cites_the_food_act() -> None:
    ban = SAMPLE.events()[3]
    assert isinstance(ban, DecisionTakenV1)
    assert ban.data.kind is DecisionKind.FORBUD and ban.data.legal_reference == "LL 22 §"
    assert ban.data.amount_sek is None and ban.data.appeal_status is AppealStatus.FINAL
    assert ban.data.inspection_ref == "MHN-2026-001187"


def test_an_unregistered_kiosk_gets_a_sanction_fee_under_the_food_act() -> None:
    fee = SAMPLE.events()[4]
    assert isinstance(fee, DecisionTakenV1)
    assert (fee.data.kind, fee.data.amount_sek, fee.data.amount_kind) == (
        DecisionKind.SANKTIONSAVGIFT, 5000, AmountKind.IMPOSED)
    assert fee.data.legal_reference == "LL 30 §" and fee.data.category is Category.MUNICIPAL_DECISION
    assert fee.data.business is not None
    assert fee.data.business.sole_trader == psn("196805053458")


def test_a_corrected_environmental_sanction_fee_supersedes_the_first_amount() -> None:
    events = SAMPLE.events()
    first, corrected = events[5], events[6]
    assert isinstance(first, DecisionTakenV1) and isinstance(corrected, DecisionTakenV1)
    assert first.data.legal_reference.startswith("MB 30 kap. 1 §")
    assert (first.data.amount_sek, corrected.data.amount_sek) == (10000, 5000)
    assert corrected.id == event_id_for("MUNI_ENV_HEALTH", "beslut", "MHN-2026-001203", "2")
    assert corrected.data.supersedes == first.id


def test_a_double_registered_injunction_is_retracted() -> None:
    events = SAMPLE.events()
    injunction, withdrawal = events[7], events[8]
    assert isinstance(injunction, DecisionTakenV1) and isinstance(withdrawal, EventRetractedV1)
    assert injunction.data.legal_reference == "MB 26 kap. 9 §"
    assert withdrawal.data.retracts == injunction.id
    assert withdrawal.id == event_id_for("MUNI_ENV_HEALTH", "beslut.makulering", "MHN-2026-001204", "1")


def test_writing_a_retraction_without_the_retracted_event_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not among the events"):
        SAMPLE.write(SAMPLE.events()[-1:], tmp_path / "x.csv")


def test_writing_without_the_clear_number_of_a_person_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="clear_ids"):
        SAMPLE.write(SAMPLE.events()[:1], tmp_path / "x.csv", {})






CONTROL, FEE, WITHDRAWN = 0, 4, 8  # indexes of sample rows to break


@pytest.mark.parametrize(("row", "column", "value", "message"), [
    (CONTROL, "organisationsnummer", "559123-4562", "check digit"),
    (CONTROL, "kontrolltid", "2026-13-14 10:05", "not a time"),
    (CONTROL, "diarienummer", "", "required"),
    (CONTROL, "personnummer", "20020228-7892|921231-111", "personnummer"),
    (CONTROL, "avvikelse", "Fett|Kött|", "has no description"),
    (CONTROL, "antal", "|fyrtio|", "whole number"),
    (CONTROL, "anlaggningstyp", "PIZZERIA", "expected one of BILVERKSTAD"),
    (CONTROL, "besoksadress", "Box 123, 602 23 Norrköping", "post-office box"),
    (CONTROL, "version", "0", "start at 1"),
    (CONTROL, "makulerad", "kanske", "not J or N"),
    (FEE, "beslutstyp", "STANGNING", "expected one of SANKTIONSAVGIFT"),
    (FEE, "belopp", "-5000", "negative"),
    (FEE, "beslutstext", "", "required"),
    (FEE, "beslutstid", "2 april", "not a time"),
    (FEE, "verksamhetsutovare", "", "required"),
    (WITHDRAWN, "makuleringsorsak", "", "required"),
])
def test_a_bad_record_is_quarantined_with_its_line_and_native_column_and_the_rest_still_map(
        tmp_path: Path, row: int, column: str, value: str, message: str) -> None:
    rows = SAMPLE.rows()
    rows[row] = {**rows[row], column: value}
    SAMPLE.assert_quarantined(write_rows(tmp_path / "bad.csv", rows), row + 2, column, message)


def test_an_export_without_the_decision_type_column_maps_not_even_the_controls(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    write_rows(bad, SAMPLE.rows(), drop="beslutstyp")
    [error] = SAMPLE.read(bad)
    assert isinstance(error, RecordError)
    assert (error.line, error.field, error.whole_file) == (1, "beslutstyp", True)
