"""Kronofogden's export of förrättningar at LOS premises (JSON) as the platform reads and writes it."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest

from schemas.categories import Category
from schemas.decision import AmountKind, AppealStatus, DecisionKind
from schemas.events import DecisionTakenV1, EventRetractedV1, InspectionConductedV1
from schemas.subjects import Industry, PersonRole
from tests.unit.adapters.samples import SAMPLES

SAMPLE = SAMPLES["enforcement-forrattningar"]
psn = SAMPLE.psn


def test_the_sample_maps_debt_mappings_attachments_a_correction_and_a_withdrawal() -> None:
    events = SAMPLE.events()
    assert [type(e) for e in events] == [InspectionConductedV1, DecisionTakenV1, DecisionTakenV1,
                                         InspectionConductedV1, DecisionTakenV1, DecisionTakenV1,
                                         EventRetractedV1]
    assert {e.source for e in events} == {"urn:los:agency:ENFORCEMENT/kfm-los"}


def test_debts_under_collection_at_a_car_workshop_become_an_enforcement_finding() -> None:
    mapping = SAMPLE.events()[0]
    assert isinstance(mapping, InspectionConductedV1)
    data = mapping.data
    assert (data.inspection_ref, data.operation_id, data.premises.industry) == (
        "KFM-2026-118842", "NKPG-2026-07", Industry.CAR_WORKSHOP)
    assert [(f.code, f.category, f.count) for f in data.findings] == [
        ("SKULDER_UNDER_INDRIVNING", Category.ENFORCEMENT, 6),
        ("TILLGANGAR_ANTRADDA", Category.ENFORCEMENT, None)]
    assert data.findings[0].persons == [psn("197711239835")]
    assert data.business is not None and data.business.orgnr == "559012-3450"


def test_cash_attached_on_the_spot_is_an_utmatning_with_the_amount_recovered() -> None:
    decision = SAMPLE.events()[1]
    assert isinstance(decision, DecisionTakenV1)
    data = decision.data
    assert (data.kind, data.amount_sek, data.amount_kind) == (
        DecisionKind.UTMATNING, 48_200, AmountKind.RECOVERED)
    assert (data.legal_reference, data.category, data.inspection_ref) == (
        "UB 4 kap. 1 §", Category.ENFORCEMENT, "KFM-2026-118842")


def test_an_attached_car_whose_value_is_not_yet_known_has_no_amount() -> None:
    decision = SAMPLE.events()[2]
    assert isinstance(decision, DecisionTakenV1)
    assert (decision.data.amount_sek, decision.data.amount_kind) == (None, None)
    assert (decision.data.premises, decision.data.appeal_status) == (None, AppealStatus.APPEALED)


def test_a_sole_trader_debtor_and_a_protected_employee_are_pseudonymised() -> None:
    mapping = SAMPLE.events()[3]
    assert isinstance(mapping, InspectionConductedV1)
    assert mapping.data.business is not None and mapping.data.business.sole_trader == psn("198503149810")
    assert [(p.pseudonym, p.role, p.protected_identity) for p in mapping.data.persons_present] == [
        (psn("198503149810"), PersonRole.OWNER, False), (psn("199512059883"), PersonRole.EMPLOYEE, True)]


def test_a_corrected_attachment_supersedes_the_first_and_a_withdrawal_retracts_its_decision() -> None:
    events = SAMPLE.events()
    corrected, withdrawal = events[5], events[6]
    assert isinstance(corrected, DecisionTakenV1) and isinstance(withdrawal, EventRetractedV1)
    assert (corrected.data.supersedes, corrected.data.amount_sek) == (events[1].id, 52_700)
    assert withdrawal.data.retracts == events[4].id
    assert withdrawal.time == datetime.datetime(2026, 3, 15, 8, 30, tzinfo=datetime.timezone(
        datetime.timedelta(hours=1)))


@pytest.mark.parametrize(("line", "keys", "value", "field", "message"), [
    (1, ("galdenar", "identitetsnummer"), "559012-3451", "galdenar.identitetsnummer", "check digit"),
    (1, ("kommun",), None, "kommun", "required"),
    (2, ("tidpunkt",), "igår", "tidpunkt", "is not a time"),
    (3, ("beslutstyp",), "KVARSTAD", "beslutstyp", "is not one of UTMATNING, HINDER"),
    (5, ("belopp",), -6150, "belopp", "negative"),
    (5, ("belopp",), 6150.5, "belopp", "not a whole number"),
    (2, ("beslutstyp",), "HINDER", "belopp", "has no amount"),
    (4, ("personer", 1, "personnummer"), "19951205-9884", "personer[1].personnummer", "check digit"),
    (1, ("iakttagelser", 0, "antal"), -1, "iakttagelser[0].antal", "greater than or equal to 0"),
    (4, ("plats",), None, "plats", "required"),
    (1, ("plats", "adress"), "Box 123, 602 38 Norrköping", "plats.adress", "post-office box"),
    (7, ("makulerad",), "ja", "makulerad", "is not one of true, false"),
])
def test_a_bad_record_is_quarantined_with_its_position_and_element_and_the_rest_still_map(
        tmp_path: Path, line: int, keys: tuple[str | int, ...], value: Any, field: str, message: str) -> None:
    path = SAMPLE.with_value(tmp_path, line, keys, value)
    SAMPLE.assert_quarantined(path, line, field, message, hidden=("9884",))

