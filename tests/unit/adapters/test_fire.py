"""Räddningstjänsten's supervision export (XML) as the LOS platform reads and writes it."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from schemas.categories import Category
from schemas.decision import AppealStatus, DecisionKind
from schemas.envelope import event_id_for
from schemas.events import DecisionTakenV1, EventRetractedV1, InspectionConductedV1
from schemas.subjects import Industry, PersonRole
from tests.unit.adapters.samples import SAMPLES

SAMPLE = SAMPLES["fire-tillsyn"]
psn = SAMPLE.psn


def test_the_sample_maps_reports_decisions_a_correction_and_a_withdrawal() -> None:
    events = SAMPLE.events()
    assert [type(e) for e in events] == [InspectionConductedV1] * 3 + [DecisionTakenV1] * 3 + [
        InspectionConductedV1, EventRetractedV1]
    assert {e.source for e in events} == {"urn:los:agency:FIRE/rtj-tillsyn"}


def test_blocked_exits_and_gas_cylinders_in_a_car_workshop_become_fire_safety_findings() -> None:
    report = SAMPLE.events()[0]
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
    ban = SAMPLE.events()[3]
    assert isinstance(ban, DecisionTakenV1)
    assert (ban.data.kind, ban.data.legal_reference, ban.data.category) == (
        DecisionKind.FORBUD, "LSO 5 kap. 2 §", Category.MUNICIPAL_DECISION)
    assert ban.data.amount_sek is None and ban.data.amount_kind is None
    assert ban.data.inspection_ref == "RTJ-2026-0412"
    # the owner, given with a 10-digit number, is the same pseudonym as in the report
    assert [p.pseudonym for p in ban.data.persons] == [psn("198503122387")]


def test_an_injunction_about_flammable_goods_cites_lbe_and_a_default_ground_is_lso() -> None:
    events = SAMPLE.events()
    gas, alarm = events[4], events[5]
    assert isinstance(gas, DecisionTakenV1) and isinstance(alarm, DecisionTakenV1)
    assert (gas.data.kind, gas.data.legal_reference) == (DecisionKind.FORELAGGANDE, "LBE 25 §")
    assert gas.data.appeal_status is AppealStatus.APPEALED
    assert alarm.data.legal_reference == "LSO 5 kap. 2 §"


def test_a_corrected_report_supersedes_the_first_and_a_withdrawn_decision_is_retracted() -> None:
    events = SAMPLE.events()
    corrected, withdrawal = events[6], events[7]
    assert isinstance(corrected, InspectionConductedV1) and isinstance(withdrawal, EventRetractedV1)
    assert corrected.data.supersedes == events[2].id
    assert corrected.id == event_id_for("FIRE", "tillsyn", "RTJ-2026-0418", "2")
    assert withdrawal.data.retracts == events[5].id
    assert withdrawal.time == datetime.datetime.fromisoformat("2026-03-18T13:00:00+01:00")


def test_local_times_without_an_offset_are_read_as_swedish_time() -> None:
    report = SAMPLE.events()[1]
    assert isinstance(report, InspectionConductedV1)
    assert report.data.conducted_at.isoformat() == "2026-03-14T14:50:00+01:00"
    assert report.data.business is not None and report.data.business.orgnr == "559334-4558"


def test_writing_a_decision_with_an_amount_is_refused(tmp_path: Path) -> None:
    ban = SAMPLE.events()[3]
    assert isinstance(ban, DecisionTakenV1)
    fined = ban.model_copy(update={"data": ban.data.model_copy(
        update={"amount_sek": 100_000, "amount_kind": "imposed"})})
    with pytest.raises(ValueError, match="no place in this format"):
        SAMPLE.write([fined], tmp_path / "x.xml")


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
    text = SAMPLE.path.read_text(encoding="utf-8")
    start, end = [*_starts(text), len(text)][record:record + 2]
    assert old in text[start:end]
    bad = tmp_path / "bad.xml"
    bad.write_text(text[:start] + text[start:end].replace(old, new) + text[end:], encoding="utf-8")
    SAMPLE.assert_quarantined(bad, SAMPLE.lines[record], field, message)


def _starts(text: str) -> list[int]:
    found, at = [], text.find("<handling>")
    while at >= 0:
        found.append(at)
        at = text.find("<handling>", at + 1)
    return found

