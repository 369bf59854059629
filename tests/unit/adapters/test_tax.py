"""Skatteverket's personalliggare export (CSV) as the LOS platform reads and writes it."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

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
from schemas.inspection import Finding
from schemas.subjects import Industry, PersonRole
from services.adapters.agencies import all_formats
from services.adapters.agencies.tax import FORMATS
from services.adapters.sdk.mapping import Mapped, MappingContext, RecordError, events_of

CTX = MappingContext(pseudonym_key=b"k" * 32, today=datetime.date(2026, 6, 1), system="skv-kontroll")
FORMAT = FORMATS[0]
SAMPLE = Path(__file__).parents[3] / "services/adapters/agencies/samples/tax-personalliggare.csv"
CLEAR = ["197711239835", "199206309859", "198809129862", "199001019828", "198503149810",
         "200102289840", "197402179878"]
CLEAR_IDS = {pseudonymise(pnr, CTX.pseudonym_key): pnr for pnr in CLEAR}


def psn(pnr: str) -> str:
    return pseudonymise(pnr, CTX.pseudonym_key)


def read(path: Path) -> list[Mapped | RecordError]:
    return list(FORMAT.read(path, CTX))


def sample_events() -> list[AnyEvent]:
    results = read(SAMPLE)
    assert [r for r in results if isinstance(r, RecordError)] == []
    assert [r.line for r in results] == list(range(2, 12))
    return events_of(results)


def with_cell(tmp_path: Path, line: int, column: str, value: str) -> Path:
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    header, cells = lines[0].split(";"), lines[line - 1].split(";")
    cells[header.index(column)] = value
    lines[line - 1] = ";".join(cells)
    path = tmp_path / "tax-bad.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_the_format_is_registered_under_its_name() -> None:
    assert all_formats()["tax-personalliggare"] is FORMAT
    assert (FORMAT.agency, FORMAT.suffix) == ("TAX", ".csv")


def test_the_sample_maps_controls_fees_a_correction_and_a_withdrawal() -> None:
    events = sample_events()
    assert [type(e) for e in events] == [InspectionConductedV1] * 4 + [DecisionTakenV1] * 3 + [
        InspectionConductedV1, DecisionTakenV1, EventRetractedV1]
    assert {e.source for e in events} == {"urn:los:agency:TAX/skv-kontroll"}
    assert events[0].time == datetime.datetime(2026, 3, 14, 14, 10, tzinfo=datetime.timezone(
        datetime.timedelta(hours=1)))


def test_two_unrecorded_workers_at_a_car_workshop_become_a_tax_finding() -> None:
    control = sample_events()[0]
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
    events = sample_events()
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
    control = sample_events()[2]
    assert isinstance(control, InspectionConductedV1)
    assert control.data.business is not None
    assert (control.data.business.orgnr, control.data.business.sole_trader) == (None, psn("198503149810"))
    assert [f.code for f in control.data.findings] == ["KASSAREGISTER_FEL"]


def test_a_control_without_deviation_has_no_findings() -> None:
    control = sample_events()[3]
    assert isinstance(control, InspectionConductedV1)
    assert (control.data.municipality, control.data.findings) == ("Linköping", [])


def test_no_clear_personnummer_reaches_an_event() -> None:
    text = json.dumps([event_json(e) for e in sample_events()], ensure_ascii=False)
    for pnr in CLEAR:
        for form in (pnr, f"{pnr[:8]}-{pnr[8:]}", pnr[2:], f"{pnr[2:8]}-{pnr[8:]}"):
            assert form not in text


def test_a_corrected_control_and_fee_supersede_their_first_versions() -> None:
    events = sample_events()
    control_v2, fee_v2 = events[7], events[8]
    assert isinstance(control_v2, InspectionConductedV1) and isinstance(fee_v2, DecisionTakenV1)
    assert control_v2.data.supersedes == events[0].id
    assert control_v2.data.findings[0].count == 3
    assert fee_v2.data.supersedes == events[4].id
    assert fee_v2.data.amount_sek == 20_000  # 12 500 + 3 x 2 500
    assert isinstance(events[4], DecisionTakenV1) and events[4].data.supersedes is None


def test_a_withdrawn_fee_retracts_the_decision_it_names() -> None:
    events = sample_events()
    withdrawal = events[9]
    assert isinstance(withdrawal, EventRetractedV1)
    assert withdrawal.data.retracts == events[6].id
    assert withdrawal.data.reason == "Beslutet registrerades på fel kontroll"


def test_reading_the_same_export_twice_gives_identical_events() -> None:
    first, second = sample_events(), sample_events()
    assert [e.id for e in first] == [e.id for e in second]
    assert [to_bytes(event_json(e)) for e in first] == [to_bytes(event_json(e)) for e in second]
    assert len({e.id for e in first}) == len(first)


def test_writing_the_events_and_reading_them_back_gives_the_same_events(tmp_path: Path) -> None:
    events = sample_events()
    path = tmp_path / "tax-out.csv"
    FORMAT.write(events, path, CTX, CLEAR_IDS)
    assert events_of(read(path)) == events
    assert "19880912-9862:ej_registrerad:sekretess" in path.read_text(encoding="utf-8")


def test_the_writer_refuses_what_the_format_cannot_hold(tmp_path: Path) -> None:
    events = sample_events()
    control = events[0]
    assert isinstance(control, InspectionConductedV1)
    twice = control.model_copy(update={"data": control.data.model_copy(
        update={"findings": control.data.findings * 2})})
    with pytest.raises(ValueError, match="at most one finding"):
        FORMAT.write([twice], tmp_path / "out.csv", CTX, CLEAR_IDS)
    with pytest.raises(ValueError, match="same export"):
        FORMAT.write([events[9]], tmp_path / "out.csv", CTX, CLEAR_IDS)
    with pytest.raises(ValueError, match="clear_ids"):
        FORMAT.write([control], tmp_path / "out.csv", CTX, {})


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
    path = with_cell(tmp_path, line, column, value)
    results = read(path)
    errors = [r for r in results if isinstance(r, RecordError)]
    assert [(e.file, e.line, e.field) for e in errors] == [(str(path), line, field)]
    assert message in errors[0].message
    assert "9850" not in errors[0].message and "9811" not in errors[0].message  # no personnummer echoed
    assert [r.line for r in results if isinstance(r, Mapped)] == [n for n in range(2, 12) if n != line]


def test_an_export_without_the_lagrum_column_quarantines_every_decision(tmp_path: Path) -> None:
    lines = [";".join(cells[:22] + cells[23:]) for cells in (
        line.split(";") for line in SAMPLE.read_text(encoding="utf-8").splitlines())]
    path = tmp_path / "tax-no-lagrum.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    results = read(path)
    errors = [r for r in results if isinstance(r, RecordError)]
    assert [(e.line, e.field) for e in errors] == [(line, "lagrum") for line in (6, 7, 8, 10)]
    assert len(events_of(results)) == 6
