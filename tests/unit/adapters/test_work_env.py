"""Arbetsmiljöverket's inspection export (JSON) as the LOS platform reads and writes it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from schemas.categories import Category
from schemas.decision import AmountKind, AppealStatus, DecisionKind
from schemas.events import DecisionTakenV1, EventRetractedV1, InspectionConductedV1
from schemas.subjects import Industry
from tests.unit.adapters.samples import SAMPLES

SAMPLE = SAMPLES["work-env-inspektioner"]
psn = SAMPLE.psn


def test_the_sample_maps_inspections_bans_fees_a_correction_and_a_withdrawal() -> None:
    events = SAMPLE.events()
    assert [type(e) for e in events] == [InspectionConductedV1, DecisionTakenV1, DecisionTakenV1,
                                         InspectionConductedV1, DecisionTakenV1, DecisionTakenV1,
                                         EventRetractedV1]
    assert {e.source for e in events} == {"urn:los:agency:WORK_ENV/av-inspektion"}


def test_uninspected_car_lifts_become_work_environment_findings() -> None:
    inspection = SAMPLE.events()[0]
    assert isinstance(inspection, InspectionConductedV1)
    data = inspection.data
    assert (data.inspection_ref, data.operation_id, data.premises.industry) == (
        "2026/018734", "NKPG-2026-07", Industry.CAR_WORKSHOP)
    assert [(f.code, f.category, f.count) for f in data.findings] == [
        ("BILLYFT_EJ_BESIKTIGAD", Category.WORK_ENVIRONMENT, 2),
        ("KEMIKALIER_FORVARAS_FEL", Category.WORK_ENVIRONMENT, None)]


def test_a_ban_on_using_the_car_lifts_is_a_forbud_under_the_work_environment_act() -> None:
    ban = SAMPLE.events()[1]
    assert isinstance(ban, DecisionTakenV1)
    data = ban.data
    assert (data.kind, data.legal_reference, data.category) == (
        DecisionKind.FORBUD, "AML 7 kap. 7 §", Category.WORK_ENVIRONMENT)
    assert (data.amount_sek, data.amount_kind, data.inspection_ref) == (None, None, "2026/018734")
    assert data.premises is not None and data.premises.fastighetsbeteckning == "Norrköping Verkstaden 3:7"


def test_missing_working_time_records_at_a_nail_salon_give_a_sanction_fee() -> None:
    events = SAMPLE.events()
    inspection, fee = events[3], events[4]
    assert isinstance(inspection, InspectionConductedV1) and isinstance(fee, DecisionTakenV1)
    assert inspection.data.premises.industry is Industry.NAIL_SALON
    assert inspection.data.findings[0].persons == [psn("200102289840"), psn("199512059883")]
    assert [p.protected_identity for p in inspection.data.persons_present] == [False, True]
    assert (fee.data.kind, fee.data.amount_sek, fee.data.amount_kind, fee.data.legal_reference) == (
        DecisionKind.SANKTIONSAVGIFT, 20_000, AmountKind.IMPOSED, "AML 8 kap. 5 §")
    assert fee.data.appeal_status is AppealStatus.NOT_APPEALED


def test_a_corrected_fee_supersedes_the_first_and_a_withdrawn_injunction_is_retracted() -> None:
    events = SAMPLE.events()
    corrected, withdrawal = events[5], events[6]
    assert isinstance(corrected, DecisionTakenV1) and isinstance(withdrawal, EventRetractedV1)
    assert (corrected.data.supersedes, corrected.data.amount_sek) == (events[4].id, 30_000)
    assert withdrawal.data.retracts == events[2].id
    injunction = events[2]
    assert isinstance(injunction, DecisionTakenV1) and injunction.data.appeal_status is AppealStatus.APPEALED


@pytest.mark.parametrize(("line", "keys", "value", "field", "message"), [
    (1, ("arbetsgivare", "organisationsnummer"), "559012-3452", "arbetsgivare.organisationsnummer",
     "check digit is 2, expected 0"),
    (4, ("kommun",), "", "kommun", "required"),
    (2, ("registrerad",), "14 mars 2026", "registrerad", "is not a time"),
    (3, ("beslutstyp",), "STOPPFORBUD", "beslutstyp", "is not one of FORBUD"),
    (5, ("belopp",), -20000, "belopp", "negative"),
    (5, ("belopp",), None, "belopp", "required"),
    (2, ("lagrum",), None, "lagrum", "required"),
    (4, ("brister", 0, "personnummer"), ["20010228-9840", "19951205-9884"], "brister[0].personnummer",
     "check digit"),
    (4, ("brister", 0, "kod"), "arbetstid", "brister[0].kod", "should match pattern"),
    (1, ("arbetsstalle", "verksamhetstyp"), "verkstad", "arbetsstalle.verksamhetstyp", "is not one of"),
])
def test_a_bad_record_is_quarantined_with_its_position_and_element_and_the_rest_still_map(
        tmp_path: Path, line: int, keys: tuple[str | int, ...], value: Any, field: str, message: str) -> None:
    path = SAMPLE.with_value(tmp_path, line, keys, value)
    SAMPLE.assert_quarantined(path, line, field, message, hidden=("9884",))
