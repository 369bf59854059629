"""Kronofogden's export of förrättningar at LOS premises (JSON) as the platform reads and writes it."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import pytest

from schemas.categories import Category
from schemas.decision import AmountKind, AppealStatus, DecisionKind
from schemas.events import (
    AnyEvent,
    DecisionTakenV1,
    EventRetractedV1,
    InspectionConductedV1,
    event_json,
    to_bytes,
)
from schemas.identifiers import pseudonymise
from schemas.subjects import Industry, PersonRole
from services.adapters.agencies import all_formats
from services.adapters.agencies.enforcement import FORMATS
from services.adapters.sdk.mapping import Mapped, MappingContext, RecordError, events_of

CTX = MappingContext(pseudonym_key=b"k" * 32, today=datetime.date(2026, 6, 1), system="kfm-los")
FORMAT = FORMATS[0]
SAMPLE = Path(__file__).parents[3] / "services/adapters/agencies/samples/enforcement-forrattningar.json"
CLEAR = ["197711239835", "198503149810", "199512059883"]
CLEAR_IDS = {pseudonymise(pnr, CTX.pseudonym_key): pnr for pnr in CLEAR}
LINES = list(range(1, 8))


def psn(pnr: str) -> str:
    return pseudonymise(pnr, CTX.pseudonym_key)


def read(path: Path) -> list[Mapped | RecordError]:
    return list(FORMAT.read(path, CTX))


def sample_events() -> list[AnyEvent]:
    results = read(SAMPLE)
    assert [r for r in results if isinstance(r, RecordError)] == []
    assert [r.line for r in results] == LINES
    return events_of(results)


def with_value(tmp_path: Path, line: int, keys: tuple[str | int, ...], value: Any) -> Path:
    doc = json.loads(SAMPLE.read_text(encoding="utf-8"))
    target = doc["forrattningar"][line - 1]
    for key in keys[:-1]:
        target = target[key]
    if value is None:
        del target[keys[-1]]
    else:
        target[keys[-1]] = value
    path = tmp_path / "kfm-bad.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


def test_the_format_is_registered_under_its_name() -> None:
    assert all_formats()["enforcement-forrattningar"] is FORMAT
    assert (FORMAT.agency, FORMAT.suffix) == ("ENFORCEMENT", ".json")


def test_the_sample_maps_debt_mappings_attachments_a_correction_and_a_withdrawal() -> None:
    events = sample_events()
    assert [type(e) for e in events] == [InspectionConductedV1, DecisionTakenV1, DecisionTakenV1,
                                         InspectionConductedV1, DecisionTakenV1, DecisionTakenV1,
                                         EventRetractedV1]
    assert {e.source for e in events} == {"urn:los:agency:ENFORCEMENT/kfm-los"}


def test_debts_under_collection_at_a_car_workshop_become_an_enforcement_finding() -> None:
    mapping = sample_events()[0]
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
    decision = sample_events()[1]
    assert isinstance(decision, DecisionTakenV1)
    data = decision.data
    assert (data.kind, data.amount_sek, data.amount_kind) == (
        DecisionKind.UTMATNING, 48_200, AmountKind.RECOVERED)
    assert (data.legal_reference, data.category, data.inspection_ref) == (
        "UB 4 kap. 1 §", Category.ENFORCEMENT, "KFM-2026-118842")


def test_an_attached_car_whose_value_is_not_yet_known_has_no_amount() -> None:
    decision = sample_events()[2]
    assert isinstance(decision, DecisionTakenV1)
    assert (decision.data.amount_sek, decision.data.amount_kind) == (None, None)
    assert (decision.data.premises, decision.data.appeal_status) == (None, AppealStatus.APPEALED)


def test_a_sole_trader_debtor_and_a_protected_employee_are_pseudonymised() -> None:
    mapping = sample_events()[3]
    assert isinstance(mapping, InspectionConductedV1)
    assert mapping.data.business is not None and mapping.data.business.sole_trader == psn("198503149810")
    assert [(p.pseudonym, p.role, p.protected_identity) for p in mapping.data.persons_present] == [
        (psn("198503149810"), PersonRole.OWNER, False), (psn("199512059883"), PersonRole.EMPLOYEE, True)]


def test_a_corrected_attachment_supersedes_the_first_and_a_withdrawal_retracts_its_decision() -> None:
    events = sample_events()
    corrected, withdrawal = events[5], events[6]
    assert isinstance(corrected, DecisionTakenV1) and isinstance(withdrawal, EventRetractedV1)
    assert (corrected.data.supersedes, corrected.data.amount_sek) == (events[1].id, 52_700)
    assert withdrawal.data.retracts == events[4].id
    assert withdrawal.time == datetime.datetime(2026, 3, 15, 8, 30, tzinfo=datetime.timezone(
        datetime.timedelta(hours=1)))


def test_no_clear_personnummer_reaches_an_event() -> None:
    text = json.dumps([event_json(e) for e in sample_events()], ensure_ascii=False)
    for pnr in CLEAR:
        for form in (pnr, f"{pnr[:8]}-{pnr[8:]}", pnr[2:], f"{pnr[2:8]}-{pnr[8:]}"):
            assert form not in text


def test_reading_the_same_export_twice_gives_identical_events() -> None:
    first, second = sample_events(), sample_events()
    assert [to_bytes(event_json(e)) for e in first] == [to_bytes(event_json(e)) for e in second]
    assert len({e.id for e in first}) == len(first)


def test_writing_the_events_and_reading_them_back_gives_the_same_events(tmp_path: Path) -> None:
    events = sample_events()
    path = tmp_path / "kfm-out.json"
    FORMAT.write(events, path, CTX, CLEAR_IDS)
    assert events_of(read(path)) == events


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
    path = with_value(tmp_path, line, keys, value)
    results = read(path)
    errors = [r for r in results if isinstance(r, RecordError)]
    assert [(e.file, e.line, e.field) for e in errors] == [(str(path), line, field)]
    assert message in errors[0].message
    assert "9884" not in errors[0].message
    assert [r.line for r in results if isinstance(r, Mapped)] == [n for n in LINES if n != line]


def test_a_file_without_the_record_list_is_one_error_for_the_whole_file(tmp_path: Path) -> None:
    path = tmp_path / "kfm-empty.json"
    path.write_text('{"arenden": []}', encoding="utf-8")
    [error] = read(path)
    assert isinstance(error, RecordError)
    assert (error.line, error.field) == (0, "forrattningar")
