"""Polisen's two LOS exports, operation plans (JSON) and case records (XML), as the platform reads
and writes them."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest

from schemas.categories import Category
from schemas.decision import DecisionKind
from schemas.envelope import event_id_for
from schemas.events import (
    DecisionTakenV1,
    EventRetractedV1,
    InspectionConductedV1,
    OperationPlannedV1,
    OperationUpdatedV1,
)
from schemas.operation import OperationStatus
from schemas.subjects import Industry, PersonRole
from tests.unit.adapters.samples import SAMPLES

PLANS, CASES = SAMPLES["police-operations"], SAMPLES["police-cases"]
psn = PLANS.psn


# --- police-operations --------------------------------------------------------------------

def test_the_plans_map_to_a_planned_operation_its_revisions_and_a_withdrawn_duplicate() -> None:
    events = PLANS.events()
    assert [type(e) for e in events] == [OperationPlannedV1, OperationUpdatedV1, OperationPlannedV1,
                                         OperationPlannedV1, EventRetractedV1, OperationUpdatedV1]
    assert [e.id for e in events[:2]] == [event_id_for("POLICE", "insatsplan", "NKPG-2026-07", "1"),
                                          event_id_for("POLICE", "insatsplan", "NKPG-2026-07", "2")]


def test_a_joint_operation_against_car_workshops_is_planned_with_its_targets() -> None:
    planned = PLANS.events()[0]
    assert isinstance(planned, OperationPlannedV1)
    plan = planned.data
    assert (plan.operation_id, plan.revision, plan.municipality, plan.planned_date, plan.status) == (
        "NKPG-2026-07", 1, "Norrköping", datetime.date(2026, 3, 14), OperationStatus.PLANNED)
    assert (plan.lead_agency, plan.participants) == ("POLICE", ["POLICE", "TAX", "ENFORCEMENT", "WORK_ENV"])
    assert [t.premises.industry for t in plan.targets] == [Industry.CAR_WORKSHOP, Industry.CAR_WASH]
    assert plan.targets[0].business is not None and plan.targets[0].business.orgnr == "559012-3450"
    assert plan.targets[1].premises.fastighetsbeteckning is None


def test_a_revised_plan_adds_a_kiosk_run_by_a_sole_trader_and_agencies() -> None:
    events = PLANS.events()
    revised, executed = events[1], events[5]
    assert isinstance(revised, OperationUpdatedV1) and isinstance(executed, OperationUpdatedV1)
    assert (revised.data.revision, len(revised.data.targets)) == (2, 3)
    kiosk = revised.data.targets[2].business
    assert kiosk is not None and (kiosk.orgnr, kiosk.sole_trader) == (None, psn("198503149810"))
    assert "SOCIAL_INSURANCE" in revised.data.participants
    assert (executed.data.revision, executed.data.status) == (3, OperationStatus.EXECUTED)


def test_a_plan_registered_by_mistake_is_retracted() -> None:
    events = PLANS.events()
    withdrawal = events[4]
    assert isinstance(withdrawal, EventRetractedV1)
    assert withdrawal.data.retracts == events[3].id
    assert withdrawal.data.reason.startswith("Registrerad av misstag")


def test_the_plans_export_cannot_hold_a_case(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="cannot hold"):
        PLANS.write(CASES.events()[:1], tmp_path / "wrong.json")


@pytest.mark.parametrize(("line", "keys", "value", "field", "message"), [
    (1, ("deltagande_myndigheter",), ["POLICE", "SKATT"], "deltagande_myndigheter", "not an agency code"),
    (2, ("deltagande_myndigheter",), ["POLICE", "POLICE"], "deltagande_myndigheter", "must not repeat"),
    (3, ("insatsdatum",), "21/3", "insatsdatum", "is not a date"),
    (1, ("objekt", 0, "organisationsnummer"), "559012-3451", "objekt[0].organisationsnummer",
     "check digit is 1, expected 0"),
    (2, ("objekt", 2, "organisationsnummer"), "19850314-9811", "objekt[2].organisationsnummer",
     "sole trader's personnummer"),
    (1, ("objekt", 1, "adress"), None, "objekt[1].fastighetsbeteckning", "or adress is required"),
    (3, ("status",), "pagaende", "status", "is not one of planerad"),
    (1, ("revision",), 0, "revision", "1 or more"),
    (3, ("rubrik",), None, "rubrik", "required"),
    (1, ("insatsnummer",), "nkpg-2026-07", "insatsnummer", "should match pattern"),
])
def test_a_bad_plan_is_quarantined_with_its_position_and_element_and_the_rest_still_map(
        tmp_path: Path, line: int, keys: tuple[str | int, ...], value: Any, field: str, message: str) -> None:
    PLANS.assert_quarantined(PLANS.with_value(tmp_path, line, keys, value), line, field, message,
                             hidden=("9811",))


# --- police-cases ---------------------------------------------------------------------------

def test_the_cases_map_inspections_police_reports_a_correction_and_a_withdrawal() -> None:
    events = CASES.events()
    assert [type(e) for e in events] == [InspectionConductedV1] + [DecisionTakenV1] * 3 + [
        InspectionConductedV1, InspectionConductedV1, EventRetractedV1]
    assert {e.source for e in events} == {"urn:los:agency:POLICE/polis-los"}


def test_workers_without_work_permits_found_in_an_aliens_act_check_become_police_findings() -> None:
    inspection = CASES.events()[0]
    assert isinstance(inspection, InspectionConductedV1)
    data = inspection.data
    assert (data.inspection_ref, data.operation_id, data.premises.industry) == (
        "5000-K48213-26", "NKPG-2026-07", Industry.CAR_WORKSHOP)
    assert [(f.code, f.category, f.count) for f in data.findings] == [
        ("UTLL_ARBETSTILLSTAND_SAKNAS", Category.POLICE_INTELLIGENCE, 2),
        ("MISSTANKT_HALERI", Category.POLICE_INTELLIGENCE, None)]
    assert data.findings[0].persons == [psn("199206309859"), psn("198809129862")]
    assert [(p.pseudonym, p.role, p.protected_identity) for p in data.persons_present] == [
        (psn("197711239835"), PersonRole.OWNER, False),
        (psn("199206309859"), PersonRole.UNRECORDED_WORKER, False),  # given as 920630-9859
        (psn("198809129862"), PersonRole.UNRECORDED_WORKER, True)]


def test_the_police_report_employment_without_permits_and_receiving_stolen_goods() -> None:
    events = CASES.events()
    permits, receiving, seizure = events[1], events[2], events[3]
    assert isinstance(permits, DecisionTakenV1) and isinstance(receiving, DecisionTakenV1)
    assert isinstance(seizure, DecisionTakenV1)
    assert (permits.data.kind, permits.data.legal_reference, permits.data.category) == (
        DecisionKind.POLISANMALAN, "UtlL 20 kap. 5 §", Category.POLICE_INTELLIGENCE)
    assert (permits.data.inspection_ref, permits.data.premises, permits.data.amount_sek) == (
        "5000-K48213-26", None, None)
    assert [p.role for p in permits.data.persons] == [PersonRole.OWNER]
    assert (receiving.data.kind, receiving.data.legal_reference) == (
        DecisionKind.POLISANMALAN, "BrB 9 kap. 6 §")
    assert (seizure.data.kind, seizure.data.legal_reference, seizure.data.business) == (
        DecisionKind.OTHER, "RB 27 kap. 1 §", None)


def test_a_corrected_inspection_supersedes_the_first_and_a_seizure_on_the_wrong_business_is_retracted(
        ) -> None:
    events = CASES.events()
    corrected, withdrawal = events[5], events[6]
    assert isinstance(corrected, InspectionConductedV1) and isinstance(withdrawal, EventRetractedV1)
    assert corrected.data.supersedes == events[0].id
    assert corrected.data.findings[1].count == 6
    assert withdrawal.data.retracts == events[3].id


@pytest.mark.parametrize(("old", "new", "line", "field", "message"), [
    ("<organisationsnummer>559012-3450<", "<organisationsnummer>559012-3457<", 3, "organisationsnummer",
     "check digit is 7, expected 0"),
    ("<tidpunkt>2026-03-14T16:00:00+01:00<", "<tidpunkt>kl 16<", 49, "tidpunkt", "is not a time"),
    ("<beslutstyp>OVRIGT<", "<beslutstyp>BESLAG<", 86, "beslutstyp", "is not one of ANMALAN, OVRIGT"),
    ("<lagrum>BrB 9 kap. 6 §</lagrum>", "", 70, "lagrum", "required"),
    ("<roll>agare<", "<roll>chef<", 3, "personer/person[1]/roll", "is not one of agare"),
    ("<personnummer>199206309859<", "<personnummer>199206309850<", 3,
     "iakttagelser/iakttagelse[1]/berorda/personnummer", "check digit"),
    ("<antal>40<", "<antal>-40<", 99, "iakttagelser/iakttagelse[1]/antal", "greater than or equal to 0"),
    ("<posttyp>kontroll<", "<posttyp>inspektion<", 3, "posttyp", "is not kontroll or beslut"),
    ("<version>2<", "<version>två<", 119, "version", "not a whole number"),
    ("<fastighetsbeteckning>Norrköping Hörnet 12<", "<fastighetsbeteckning>Hörnet<", 99,
     "fastighetsbeteckning", "expected '<area> <name>"),
])
def test_a_bad_case_is_quarantined_with_its_line_and_element_and_the_rest_still_map(
        tmp_path: Path, old: str, new: str, line: int, field: str, message: str) -> None:
    CASES.assert_quarantined(CASES.replaced(tmp_path, old, new), line, field, message, hidden=("9850",))
