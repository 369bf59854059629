"""Räddningstjänsten's supervision export (XML) as the LOS platform reads and writes it."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest

from schemas.categories import Category
from schemas.decision import AppealStatus, DecisionKind
from schemas.envelope import event_id_for
from schemas.events import AnyEvent, DecisionTakenV1, EventRetractedV1, InspectionConductedV1, event_json
from schemas.identifiers import pseudonymise
from schemas.subjects import Industry, PersonRole
from services.adapters.agencies import all_formats
from services.adapters.agencies.fire import FORMATS
from services.adapters.sdk.mapping import Mapped, MappingContext, RecordError, events_of

CTX = MappingContext(pseudonym_key=b"k" * 32, today=datetime.date(2026, 6, 1), system="rtj-tillsyn")
FORMAT = FORMATS[0]
SAMPLE = Path(__file__).parents[3] / "services/adapters/agencies/samples/fire-tillsyn.xml"
CLEAR = ["198503122387", "199507309871"]
CLEAR_IDS = {pseudonymise(pnr, CTX.pseudonym_key): pnr for pnr in CLEAR}
LINES = [4, 55, 77, 101, 129, 150, 168, 193]  # the <handling> start tags of the sample


def read(path: Path) -> list[Mapped | RecordError]:
    return list(FORMAT.read(path, CTX))


def sample_events() -> list[AnyEvent]:
    results = read(SAMPLE)
    assert [r for r in results if isinstance(r, RecordError)] == []
    assert [r.line for r in results] == LINES
    return events_of(results)


def test_the_format_is_registered_under_its_name() -> None:
    assert all_formats()["fire-tillsyn"] is FORMAT
    assert (FORMAT.agency, FORMAT.suffix, SAMPLE.suffix) == ("FIRE", ".xml", ".xml")


def test_the_sample_maps_reports_decisions_a_correction_and_a_withdrawal() -> None:
    events = sample_events()
    assert [type(e) for e in events] == [InspectionConductedV1] * 3 + [DecisionTakenV1] * 3 + [
        InspectionConductedV1, EventRetractedV1]
    assert {e.source for e in events} == {"urn:los:agency:FIRE/rtj-tillsyn"}


def test_blocked_exits_and_gas_cylinders_in_a_car_workshop_become_fire_safety_findings() -> None:
    report = sample_events()[0]
    assert isinstance(report, InspectionConductedV1)
    data = report.data
    assert (data.inspection_ref, data.municipality, data.operation_id) == (
        "RTJ-2026-0412", "Norrköping", "NKPG-2026-07")
    assert data.premises.industry is Industry.CAR_WORKSHOP
    assert [(f.code, f.count) for f in data.findings] == [
        ("UTRYMNINGSVAG_BLOCKERAD", None), ("BRANDFARLIG_VARA_FORVARING", 7),
        ("OVERNATTNING_I_LOKAL", 3), ("SBA_SAKNAS", None)]
    assert {f.category for f in data.findings} == {Category.MUNICIPAL_DECISION}
    assert [(p.role, p.protected_identity) for p in data.persons_present] == [
        (PersonRole.OWNER, False), (PersonRole.UNRECORDED_WORKER, True)]


def test_a_ban_on_sleeping_in_the_workshop_cites_lso_5_2_and_carries_no_amount() -> None:
    ban = sample_events()[3]
    assert isinstance(ban, DecisionTakenV1)
    assert (ban.data.kind, ban.data.legal_reference, ban.data.category) == (
        DecisionKind.FORBUD, "LSO 5 kap. 2 §", Category.MUNICIPAL_DECISION)
    assert ban.data.amount_sek is None and ban.data.amount_kind is None
    assert ban.data.inspection_ref == "RTJ-2026-0412"
    # the owner, given with a 10-digit number, is the same pseudonym as in the report
    assert [p.pseudonym for p in ban.data.persons] == [pseudonymise("198503122387", CTX.pseudonym_key)]


def test_an_injunction_about_flammable_goods_cites_lbe_and_a_default_ground_is_lso() -> None:
    events = sample_events()
    gas, alarm = events[4], events[5]
    assert isinstance(gas, DecisionTakenV1) and isinstance(alarm, DecisionTakenV1)
    assert (gas.data.kind, gas.data.legal_reference) == (DecisionKind.FORELAGGANDE, "LBE 25 §")
    assert gas.data.appeal_status is AppealStatus.APPEALED
    assert alarm.data.legal_reference == "LSO 5 kap. 2 §"


def test_a_corrected_report_supersedes_the_first_and_a_withdrawn_decision_is_retracted() -> None:
    events = sample_events()
    corrected, withdrawal = events[6], events[7]
    assert isinstance(corrected, InspectionConductedV1) and isinstance(withdrawal, EventRetractedV1)
    assert corrected.data.supersedes == events[2].id
    assert corrected.id == event_id_for("FIRE", "tillsyn", "RTJ-2026-0418", "2")
    assert withdrawal.data.retracts == events[5].id
    assert withdrawal.time == datetime.datetime.fromisoformat("2026-03-18T13:00:00+01:00")


def test_local_times_without_an_offset_are_read_as_swedish_time() -> None:
    report = sample_events()[1]
    assert isinstance(report, InspectionConductedV1)
    assert report.data.conducted_at.isoformat() == "2026-03-14T14:50:00+01:00"
    assert report.data.business is not None and report.data.business.orgnr == "559334-4558"


def test_no_clear_personnummer_reaches_an_event() -> None:
    text = json.dumps([event_json(e) for e in sample_events()])
    for pnr in CLEAR:
        assert pnr not in text and pnr[2:8] not in text


def test_reading_the_same_export_twice_gives_identical_events() -> None:
    assert [event_json(e) for e in sample_events()] == [event_json(e) for e in sample_events()]


def test_writing_the_events_back_reads_as_the_same_events(tmp_path: Path) -> None:
    events = sample_events()
    out = tmp_path / "export.xml"
    FORMAT.write(events, out, CTX, CLEAR_IDS)
    again = read(out)
    assert all(isinstance(r, Mapped) for r in again)
    assert events_of(again) == events
    assert [event_json(e) for e in events_of(again)] == [event_json(e) for e in events]


def test_writing_a_decision_with_an_amount_is_refused(tmp_path: Path) -> None:
    ban = sample_events()[3]
    assert isinstance(ban, DecisionTakenV1)
    fined = ban.model_copy(update={"data": ban.data.model_copy(
        update={"amount_sek": 100_000, "amount_kind": "imposed"})})
    with pytest.raises(ValueError, match="no place in this format"):
        FORMAT.write([fined], tmp_path / "x.xml", CTX, CLEAR_IDS)


@pytest.mark.parametrize(("record", "old", "new", "field", "message"), [
    (1, "<organisationsnummer>5593344558</organisationsnummer>",
     "<organisationsnummer>5593344559</organisationsnummer>", "verksamhetsutovare/organisationsnummer",
     "check digit"),
    (1, "<kommun>Linköping</kommun>", "", "kommun", "required"),
    (1, "<tillsynstid>2026-03-14 14:50</tillsynstid>", "<tillsynstid>i eftermiddags</tillsynstid>",
     "tillsynstid", "not a time"),
    (1, "<kod>BRANDLARM_SAKNAS</kod>", "<kod>brandlarm saknas</kod>", "brister/brist/kod", "not a code"),
    (0, "<antal>7</antal>", "<antal>-7</antal>", "brister/brist/antal", "negative"),
    (0, "<personnummer>199507309871</personnummer>", "<personnummer>199507309872</personnummer>",
     "personer/person/personnummer", "check digit"),
    (0, "<roll>EJ_REDOVISAD</roll>", "<roll>GAST</roll>", "personer/person/roll", "expected one of"),
    (0, "<sekretessmarkering>true</sekretessmarkering>", "<sekretessmarkering>ja</sekretessmarkering>",
     "personer/person/sekretessmarkering", "not true or false"),
    (0, "<fastighetsbeteckning>Norrköping Sandgatan 2:14</fastighetsbeteckning>\n      <adress>",
     "<fastighetsbeteckning>Norrköping Sandgatan 2:</fastighetsbeteckning>\n      <adress>",
     "objekt/fastighetsbeteckning", "unit number"),
    (3, "<beslutstyp>FORBUD</beslutstyp>", "<beslutstyp>STANGNING</beslutstyp>", "beslutstyp",
     "expected one of FORELAGGANDE, FORBUD"),
    (3, "<beslutstid>2026-03-14T18:00:00+01:00</beslutstid>", "<beslutstid/>", "beslutstid", "required"),
    (5, "<tillsynsdiarienummer>RTJ-2026-0415</tillsynsdiarienummer>",
     "<tillsynsdiarienummer>RTJ 2026 0415</tillsynsdiarienummer>", "tillsynsdiarienummer", "not a number"),
    (7, "makuleringsorsak>", "anteckning>", "makuleringsorsak", "required"),
])
def test_a_bad_document_is_quarantined_with_its_line_and_element_and_the_rest_still_map(
        tmp_path: Path, record: int, old: str, new: str, field: str, message: str) -> None:
    text = SAMPLE.read_text(encoding="utf-8")
    start, end = [*_starts(text), len(text)][record:record + 2]
    assert old in text[start:end]
    bad_text = text[:start] + text[start:end].replace(old, new) + text[end:]
    bad = tmp_path / "bad.xml"
    bad.write_text(bad_text, encoding="utf-8")
    results = read(bad)
    errors = [r for r in results if isinstance(r, RecordError)]
    assert [(e.file, e.line, e.field) for e in errors] == [(str(bad), LINES[record], field)]
    assert message in errors[0].message
    assert len(events_of(results)) == len(LINES) - 1


def _starts(text: str) -> list[int]:
    found, at = [], text.find("<handling>")
    while at >= 0:
        found.append(at)
        at = text.find("<handling>", at + 1)
    return found


def test_a_file_that_is_not_well_formed_is_one_error_for_the_whole_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.xml"
    bad.write_text(SAMPLE.read_text(encoding="utf-8").replace("</tillsynsexport>", ""), encoding="utf-8")
    results = read(bad)
    assert len(results) == 1 and isinstance(results[0], RecordError)
    assert (results[0].line, results[0].field) == (0, "-")
