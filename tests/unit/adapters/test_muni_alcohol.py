"""The municipality's alcohol-licensing export (JSON) as the LOS platform reads and writes it."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import pytest

from schemas.categories import Category
from schemas.decision import AppealStatus, DecisionKind
from schemas.envelope import event_id_for
from schemas.events import AnyEvent, DecisionTakenV1, EventRetractedV1, InspectionConductedV1, event_json
from schemas.identifiers import pseudonymise
from schemas.subjects import PersonRole
from services.adapters.agencies import all_formats
from services.adapters.agencies.muni_alcohol import FORMATS
from services.adapters.sdk.mapping import Mapped, MappingContext, RecordError, events_of

CTX = MappingContext(pseudonym_key=b"k" * 32, today=datetime.date(2026, 6, 1), system="alkohol")
FORMAT = FORMATS[0]
SAMPLE = Path(__file__).parents[3] / "services/adapters/agencies/samples/muni-alcohol-tillsyn.json"
CLEAR = ["200202287892", "197402144443", "198807073336"]
CLEAR_IDS = {pseudonymise(pnr, CTX.pseudonym_key): pnr for pnr in CLEAR}


def psn(pnr: str) -> str:
    return pseudonymise(pnr, CTX.pseudonym_key)


def sample_events() -> list[AnyEvent]:
    results = list(FORMAT.read(SAMPLE, CTX))
    assert [r for r in results if isinstance(r, RecordError)] == []
    return events_of(results)


def test_the_format_is_registered_under_its_name() -> None:
    assert all_formats()["muni-alcohol-tillsyn"] is FORMAT
    assert (FORMAT.agency, FORMAT.suffix, SAMPLE.suffix) == ("MUNI_ALCOHOL", ".json", ".json")


def test_the_sample_maps_visits_decisions_a_correction_and_a_withdrawal() -> None:
    events = sample_events()
    assert [type(e) for e in events] == [
        InspectionConductedV1, InspectionConductedV1, DecisionTakenV1, DecisionTakenV1, DecisionTakenV1,
        InspectionConductedV1, DecisionTakenV1, InspectionConductedV1, EventRetractedV1]
    assert {e.source for e in events} == {"urn:los:agency:MUNI_ALCOHOL/alkohol"}


def test_smuggled_spirits_and_no_responsible_person_become_findings_naming_the_employee() -> None:
    visit = sample_events()[0]
    assert isinstance(visit, InspectionConductedV1)
    findings = visit.data.findings
    assert [(f.code, f.count) for f in findings] == [
        ("SMUGGELALKOHOL", 24), ("INGEN_SERVERINGSANSVARIG", None)]
    assert {f.category for f in findings} == {Category.MUNICIPAL_DECISION}
    assert findings[1].persons == [psn("200202287892")]
    assert [(p.pseudonym, p.role) for p in visit.data.persons_present] == [
        (psn("200202287892"), PersonRole.EMPLOYEE), (psn("197402144443"), PersonRole.BOARD_MEMBER)]


def test_serving_without_a_licence_is_reported_to_the_police() -> None:
    events = sample_events()
    visit, report = events[1], events[3]
    assert isinstance(visit, InspectionConductedV1) and isinstance(report, DecisionTakenV1)
    assert visit.data.findings[0].code == "SERVERING_UTAN_TILLSTAND"
    assert visit.data.business is not None and visit.data.business.orgnr == "769612-3459"
    assert (report.data.kind, report.data.legal_reference) == (DecisionKind.POLISANMALAN, "AL 11 kap. 1 §")
    assert report.data.inspection_ref == "ALK-2026-0034"
    assert [(p.pseudonym, p.protected_identity) for p in report.data.persons] == [(psn("198807073336"), True)]


def test_a_warning_is_corrected_when_it_is_appealed() -> None:
    events = sample_events()
    first, corrected = events[2], events[4]
    assert isinstance(first, DecisionTakenV1) and isinstance(corrected, DecisionTakenV1)
    assert (first.data.kind, first.data.legal_reference) == (DecisionKind.VARNING, "AL 9 kap. 17 §")
    assert first.data.category is Category.MUNICIPAL_DECISION and first.data.amount_sek is None
    assert corrected.data.appeal_status is AppealStatus.APPEALED
    assert corrected.data.supersedes == first.id
    assert corrected.id == event_id_for("MUNI_ALCOHOL", "beslut", "ALK-2026-0040", "2")


def test_a_licence_is_revoked_under_the_usual_ground() -> None:
    revocation = sample_events()[6]
    assert isinstance(revocation, DecisionTakenV1)
    assert (revocation.data.kind, revocation.data.legal_reference) == (
        DecisionKind.ATERKALLELSE, "AL 9 kap. 18 §")


def test_a_double_registered_visit_is_retracted() -> None:
    events = sample_events()
    assert isinstance(events[8], EventRetractedV1)
    assert events[8].data.retracts == events[7].id
    assert events[8].id == event_id_for("MUNI_ALCOHOL", "tillsyn.makulering", "ALK-2026-0046", "1")


def test_no_clear_personnummer_reaches_an_event() -> None:
    text = json.dumps([event_json(e) for e in sample_events()])
    for pnr in CLEAR:
        assert pnr not in text and pnr[2:8] not in text


def test_reading_the_same_export_twice_gives_identical_events() -> None:
    assert [event_json(e) for e in sample_events()] == [event_json(e) for e in sample_events()]


def test_writing_the_events_back_reads_as_the_same_events(tmp_path: Path) -> None:
    events = sample_events()
    out = tmp_path / "export.json"
    FORMAT.write(events, out, CTX, CLEAR_IDS)
    again = list(FORMAT.read(out, CTX))
    assert all(isinstance(r, Mapped) for r in again)
    assert events_of(again) == events
    assert [event_json(e) for e in events_of(again)] == [event_json(e) for e in events]
    assert "198807073336" in out.read_text(encoding="utf-8")  # the native file carries the clear number


def test_writing_a_correction_without_its_supersedes_is_refused(tmp_path: Path) -> None:
    corrected = sample_events()[4]
    assert isinstance(corrected, DecisionTakenV1)
    broken = corrected.model_copy(update={"data": corrected.data.model_copy(update={"supersedes": None})})
    with pytest.raises(ValueError, match="must supersede"):
        FORMAT.write([broken], tmp_path / "x.json", CTX, CLEAR_IDS)


def _sample() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(SAMPLE.read_text(encoding="utf-8"))
    return doc


@pytest.mark.parametrize(("index", "path", "value", "field", "message"), [
    (0, ("tillstandshavare", "organisationsnummer"), "559123-4560", "tillstandshavare.organisationsnummer",
     "check digit"),
    (0, ("tillsynstid",), "2026-03-14T25:45:00+01:00", "tillsynstid", "not a time"),
    (0, ("kommun",), None, "kommun", "required"),
    (0, ("personer",), [{"personnummer": "20020230-7892", "roll": "ANSTALLD"}], "personer.personnummer",
     "not a real date"),
    (0, ("personer",), [{"personnummer": "200202287892", "sekretessmarkering": "ja"}],
     "personer.sekretessmarkering", "not true or false"),
    (0, ("personer",), "200202287892", "personer", "must be a list"),
    (0, ("iakttagelser",), [{"kod": "SMUGGEL", "beskrivning": "x", "antal": -24}], "iakttagelser.antal",
     "negative"),
    (0, ("iakttagelser",), [{"kod": "SMUGGEL", "beskrivning": "x", "antal": 2.5}], "iakttagelser.antal",
     "whole number"),
    (0, ("iakttagelser",), [{"kod": "SMUGGEL", "beskrivning": "x", "personnummer": ["20020228-7893"]}],
     "iakttagelser.personnummer", "check digit"),
    (0, ("iakttagelser",), [{"kod": "", "beskrivning": "x"}], "iakttagelser.kod", "not a code"),
    (0, ("serveringsstalle",), {"verksamhetstyp": "RESTAURANG"}, "serveringsstalle.fastighetsbeteckning",
     "required"),
    (0, ("serveringsstalle", "adress"), "Box 12, 602 23 Norrköping", "serveringsstalle.adress",
     "post-office box"),
    (0, ("version",), 0, "version", "start at 1"),
    (2, ("beslutstyp",), "ERINRAN", "beslutstyp", "expected one of VARNING, ATERKALLELSE, POLISANMALAN"),
    (2, ("beslutstid",), "den 8 april", "beslutstid", "not a time"),
    (2, ("motivering",), "  ", "motivering", "required"),
    (2, ("overklagande",), "VET_EJ", "overklagande", "expected one of"),
    (2, ("samverkansinsats",), "insats 7", "samverkansinsats", "pattern"),
    (2, ("lagrum",), "x" * 201, "lagrum", "at most 200"),
    (2, ("typ",), "ANMALAN", "typ", "expected one of TILLSYN, BESLUT"),
    (2, ("registrerad",), None, "registrerad", "required"),
])
def test_a_bad_post_is_quarantined_with_its_position_and_native_field_and_the_rest_still_map(
        tmp_path: Path, index: int, path: tuple[str, ...], value: Any, field: str, message: str) -> None:
    doc = _sample()
    target = doc["arenden"][index]
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    results = list(FORMAT.read(bad, CTX))
    errors = [r for r in results if isinstance(r, RecordError)]
    assert [(e.file, e.line, e.field) for e in errors] == [(str(bad), index + 1, field)]
    assert message in errors[0].message
    assert len(events_of(results)) == len(doc["arenden"]) - 1


def test_a_post_that_is_not_an_object_is_quarantined_alone(tmp_path: Path) -> None:
    doc = _sample()
    doc["arenden"].insert(1, "ALK-2026-0031")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc), encoding="utf-8")
    results = list(FORMAT.read(bad, CTX))
    assert [(r.line, r.field) for r in results if isinstance(r, RecordError)] == [(2, "-")]
    assert len(events_of(results)) == 9


def test_a_file_without_the_list_of_posts_is_one_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"poster": []}), encoding="utf-8")
    results = list(FORMAT.read(bad, CTX))
    assert len(results) == 1 and isinstance(results[0], RecordError)
    assert (results[0].line, results[0].field) == (0, "arenden")
