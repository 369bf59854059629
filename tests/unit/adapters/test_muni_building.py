"""The byggnadsnämnd's tillsyn export (CSV) as the LOS platform reads and writes it."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest

from schemas.categories import Category
from schemas.decision import AmountKind, AppealStatus, DecisionKind
from schemas.envelope import event_id_for
from schemas.events import DecisionTakenV1, EventRetractedV1, InspectionConductedV1, event_json
from schemas.subjects import PersonRole
from services.adapters.sdk.mapping import RecordError
from tests.unit.adapters.samples import SAMPLES, write_rows

SAMPLE = SAMPLES["muni-building-tillsyn"]
psn = SAMPLE.psn


def test_the_sample_maps_visits_decisions_a_correction_and_a_withdrawal() -> None:
    events = SAMPLE.events()
    assert [type(e) for e in events] == [InspectionConductedV1] * 4 + [DecisionTakenV1] * 3 + [
        EventRetractedV1]
    assert all(e.losagency == "MUNI_BUILDING" and e.source == "urn:los:agency:MUNI_BUILDING/byggr"
               for e in events)


def test_a_car_workshop_against_the_detailed_plan_becomes_a_municipal_finding() -> None:
    visit = SAMPLE.events()[0]
    assert isinstance(visit, InspectionConductedV1)
    data = visit.data
    assert data.inspection_ref == "BN-2026-000412" and data.operation_id == "NKPG-2026-07"
    assert data.premises.fastighetsbeteckning == "Norrköping Sandgatan 2:14"
    assert data.business is not None and data.business.orgnr == "559012-3450"
    assert [f.code for f in data.findings] == ["ANVANDNING_STRIDER_MOT_DETALJPLAN", "OVERNATTNING_I_LOKAL"]
    assert {f.category for f in data.findings} == {Category.MUNICIPAL_DECISION}
    assert [f.count for f in data.findings] == [None, 2]
    assert [p.role for p in data.persons_present] == [
        PersonRole.OWNER, PersonRole.UNRECORDED_WORKER, PersonRole.UNRECORDED_WORKER]
    assert [p.protected_identity for p in data.persons_present] == [False, False, True]
    assert visit.time == datetime.datetime(2026, 3, 14, 11, 2, tzinfo=datetime.timezone(
        datetime.timedelta(hours=1)))


def test_a_byggsanktionsavgift_is_an_imposed_amount_under_pbl_11_51() -> None:
    fee = SAMPLE.events()[4]
    assert isinstance(fee, DecisionTakenV1)
    assert fee.data.kind is DecisionKind.BYGGSANKTIONSAVGIFT
    assert (fee.data.amount_sek, fee.data.amount_kind) == (44160, AmountKind.IMPOSED)
    assert fee.data.legal_reference == "PBL 11 kap. 51 §"
    assert fee.data.category is Category.MUNICIPAL_DECISION
    assert fee.data.inspection_ref == "BN-2026-000412"


def test_a_ban_with_vite_is_a_ban_without_an_imposed_amount() -> None:
    ban, order = SAMPLE.events()[5:7]
    assert isinstance(ban, DecisionTakenV1) and isinstance(order, DecisionTakenV1)
    assert ban.data.kind is DecisionKind.FORBUD and ban.data.amount_sek is None
    assert ban.data.legal_reference == "PBL 11 kap. 33 och 37 §§"
    assert ban.data.appeal_status is AppealStatus.APPEALED
    assert order.data.kind is DecisionKind.FORELAGGANDE
    assert order.data.legal_reference == "PBL 11 kap. 20 §"  # the beslutstyp's usual ground


def test_a_sole_trader_and_the_persons_present_travel_only_as_pseudonyms() -> None:
    events = SAMPLE.events()
    text = json.dumps([event_json(e) for e in events])
    for pnr in SAMPLE.clear:
        assert pnr not in text and f"{pnr[:8]}-{pnr[8:]}" not in text and pnr[2:8] not in text
    car_wash = events[1]
    assert isinstance(car_wash, InspectionConductedV1) and car_wash.data.business is not None
    assert car_wash.data.business.sole_trader == psn("197711234562")


def test_a_corrected_visit_supersedes_the_first_version() -> None:
    first, corrected = SAMPLE.events()[0], SAMPLE.events()[2]
    assert isinstance(corrected, InspectionConductedV1)
    assert corrected.id == event_id_for("MUNI_BUILDING", "tillsyn", "BN-2026-000412", "2")
    assert corrected.data.supersedes == first.id
    assert corrected.data.findings[1].count == 3


def test_a_withdrawn_visit_retracts_the_event_it_was_published_as() -> None:
    events = SAMPLE.events()
    withdrawal = events[-1]
    assert isinstance(withdrawal, EventRetractedV1)
    assert withdrawal.data.retracts == events[3].id
    assert withdrawal.data.reason.startswith("Registrerad på fel ärende")


def test_writing_refuses_another_agencys_event(tmp_path: Path) -> None:
    event = SAMPLE.events()[0]
    foreign = event.model_copy(update={"losagency": "FIRE"})
    with pytest.raises(ValueError, match="FIRE"):
        SAMPLE.write([foreign], tmp_path / "x.csv")






VISIT, FEE = 0, 4  # indexes of sample rows to break


@pytest.mark.parametrize(("row", "column", "value", "message"), [
    (VISIT, "organisationsnummer", "559012-3451", "check digit"),
    (VISIT, "besokstid", "14/3 2026", "not a time"),
    (VISIT, "kommun", "", "required"),
    (VISIT, "personnummer", "19850312-2388|891224-3212|19950730-9871", "check digit"),
    (VISIT, "personroll", "AGARE|EJ_REDOVISAD", "has 2 values"),
    (VISIT, "sekretessmarkering", "N|N|kanske", "not J or N"),
    (VISIT, "iakttagelsekod", "ANVANDNING|overnattning", "not a code"),
    (VISIT, "antal", "|-2", "negative"),
    (VISIT, "fastighetsbeteckning", "Sandgatan", "fastighetsbeteckning"),
    (VISIT, "samverkansinsats", "nkpg 7", "pattern"),
    (VISIT, "posttyp", "KONTROLL", "expected one of TILLSYN, BESLUT"),
    (FEE, "beslutstyp", "LOVFORELAGGANDE", "expected one of BYGGSANKTIONSAVGIFT"),
    (FEE, "belopp", "-44160", "negative"),
    (FEE, "belopp", "", "required"),
    (FEE, "belopp", "44 160,50", "whole number"),
    (FEE, "beslutstid", "", "required"),
    (FEE, "overklagande", "KANSKE", "expected one of"),
    (FEE, "registrerad", "igår", "not a time"),
])
def test_a_bad_record_is_quarantined_with_its_line_and_native_column_and_the_rest_still_map(
        tmp_path: Path, row: int, column: str, value: str, message: str) -> None:
    rows = SAMPLE.rows()
    rows[row] = {**rows[row], column: value}
    SAMPLE.assert_quarantined(write_rows(tmp_path / "bad.csv", rows), row + 2, column, message)


def test_an_export_without_the_registration_column_is_one_error_naming_it_and_maps_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    write_rows(bad, SAMPLE.rows(), drop="registrerad")
    [error] = SAMPLE.read(bad)
    assert isinstance(error, RecordError)
    assert (error.line, error.field, error.whole_file) == (1, "registrerad", True)
    assert "posttyp;arendenummer;version;makulerad" in error.message


def test_a_fee_without_an_amount_code_for_a_ban_is_refused(tmp_path: Path) -> None:
    rows = SAMPLE.rows()
    rows[5] = {**rows[5], "belopp": "50000"}
    bad = tmp_path / "bad.csv"
    write_rows(bad, rows)
    errors = [r for r in SAMPLE.read(bad) if isinstance(r, RecordError)]
    assert [(e.line, e.field) for e in errors] == [(7, "belopp")]
    assert "carries no amount" in errors[0].message
