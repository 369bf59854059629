"""Arbetsförmedlingen's export of subsidised-employment checks (CSV) as LOS reads and writes it."""

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
from schemas.subjects import Industry, PersonRole
from services.adapters.agencies import all_formats
from services.adapters.agencies.employment import FORMATS
from services.adapters.sdk.mapping import Mapped, MappingContext, RecordError, events_of

CTX = MappingContext(pseudonym_key=b"k" * 32, today=datetime.date(2026, 6, 1), system="af-kontroll")
FORMAT = FORMATS[0]
SAMPLE = Path(__file__).parents[3] / "services/adapters/agencies/samples/employment-stodkontroller.csv"
CLEAR = ["197711239835", "196811039897", "198306069801", "199001019828", "200102289840"]
CLEAR_IDS = {pseudonymise(pnr, CTX.pseudonym_key): pnr for pnr in CLEAR}
LINES = list(range(2, 10))


def psn(pnr: str) -> str:
    return pseudonymise(pnr, CTX.pseudonym_key)


def read(path: Path) -> list[Mapped | RecordError]:
    return list(FORMAT.read(path, CTX))


def sample_events() -> list[AnyEvent]:
    results = read(SAMPLE)
    assert [r for r in results if isinstance(r, RecordError)] == []
    assert [r.line for r in results] == LINES
    return events_of(results)


def with_cell(tmp_path: Path, line: int, column: str, value: str) -> Path:
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    header, cells = lines[0].split(";"), lines[line - 1].split(";")
    cells[header.index(column)] = value
    lines[line - 1] = ";".join(cells)
    path = tmp_path / "af-bad.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_the_format_is_registered_under_its_name() -> None:
    assert all_formats()["employment-stodkontroller"] is FORMAT
    assert (FORMAT.agency, FORMAT.suffix) == ("EMPLOYMENT", ".csv")


def test_the_sample_maps_checks_decisions_a_correction_and_a_withdrawal() -> None:
    events = sample_events()
    assert [type(e) for e in events] == [InspectionConductedV1] * 3 + [DecisionTakenV1] * 4 + [
        EventRetractedV1]
    assert {e.source for e in events} == {"urn:los:agency:EMPLOYMENT/af-kontroll"}


def test_employees_with_subsidised_jobs_missing_from_the_workshop_become_an_employment_finding() -> None:
    check = sample_events()[0]
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
    check = sample_events()[1]
    assert isinstance(check, InspectionConductedV1)
    assert [(p.pseudonym, p.protected_identity) for p in check.data.persons_present] == [
        (psn("199001019828"), True)]
    assert check.data.findings[0].code == "OKLAR_ANSTALLNING"


def test_wage_subsidy_payments_are_stopped_and_then_recovered() -> None:
    events = sample_events()
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
    events = sample_events()
    corrected, withdrawal = events[6], events[7]
    assert isinstance(corrected, DecisionTakenV1) and isinstance(withdrawal, EventRetractedV1)
    assert (corrected.data.supersedes, corrected.data.amount_sek) == (events[4].id, 212_000)
    assert withdrawal.data.retracts == events[5].id


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
    path = tmp_path / "af-out.csv"
    FORMAT.write(events, path, CTX, CLEAR_IDS)
    assert events_of(read(path)) == events


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
    path = with_cell(tmp_path, line, column, value)
    results = read(path)
    errors = [r for r in results if isinstance(r, RecordError)]
    assert [(e.file, e.line, e.field) for e in errors] == [(str(path), line, field)]
    assert message in errors[0].message
    assert "9802" not in errors[0].message
    assert [r.line for r in results if isinstance(r, Mapped)] == [n for n in LINES if n != line]
