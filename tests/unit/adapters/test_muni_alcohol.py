"""The municipality's alcohol-licensing export (JSON) as the LOS platform reads and writes it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from schemas.categories import Category
from schemas.decision import AppealStatus, DecisionKind
from schemas.envelope import event_id_for
from schemas.events import DecisionTakenV1, EventRetractedV1, InspectionConductedV1
from schemas.subjects import PersonRole
from services.adapters.sdk.mapping import RecordError, events_of
from tests.unit.adapters.samples import SAMPLES

SAMPLE = SAMPLES["muni-alcohol-tillsyn"]
psn = SAMPLE.psn


def test_the_sample_maps_visits_decisions_a_correction_and_a_withdrawal() -> None:
    events = SAMPLE.events()
    assert [type(e) for e in events] == [
        InspectionConductedV1, InspectionConductedV1, DecisionTakenV1, DecisionTakenV1, DecisionTakenV1,
        InspectionConductedV1, DecisionTakenV1, InspectionConductedV1, EventRetractedV1]
    assert {e.source for e in events} == {"urn:los:agency:MUNI_ALCOHOL/alkohol"}


def test_smuggled_spirits_and_no_responsible_person_become_findings_naming_the_employee() -> None:
    visit = SAMPLE.events()[0]
    assert isinstance(visit, InspectionConductedV1)
    findings = visit.data.findings
    assert [(f.code, f.count) for f in findings] == [
        ("SMUGGELALKOHOL", 24), ("INGEN_SERVERINGSANSVARIG", None)]
    assert {f.category for f in findings} == {Category.MUNICIPAL_DECISION}
    assert findings[1].persons == [psn("200202287892")]
    assert [(p.pseudonym, p.role) for p in visit.data.persons_present] == [
        (psn("200202287892"), PersonRole.EMPLOYEE), (psn("197402144443"), PersonRole.BOARD_MEMBER)]


def test_serving_without_a_licence_is_reported_to_the_police() -> None:
    events = SAMPLE.events()
    visit, report = events[1], events[3]
    assert isinstance(visit, InspectionConductedV1) and isinstance(report, DecisionTakenV1)
    assert visit.data.findings[0].code == "SERVERING_UTAN_TILLSTAND"
    assert visit.data.business is not None and visit.data.business.orgnr == "769612-3459"
    assert (report.data.kind, report.data.legal_reference) == (DecisionKind.POLISANMALAN, "AL 11 kap. 1 §")
    assert report.data.inspection_ref == "ALK-2026-0034"
    assert [(p.pseudonym, p.protected_identity) for p in report.data.persons] == [(psn("198807073336"), True)]


def test_a_warning_is_corrected_when_it_is_appealed() -> None:
    events = SAMPLE.events()
    first, corrected = events[2], events[4]
    assert isinstance(first, DecisionTakenV1) and isinstance(corrected, DecisionTakenV1)
    assert (first.data.kind, first.data.legal_reference) == (DecisionKind.VARNING, "AL 9 kap. 17 §")
    assert first.data.category is Category.MUNICIPAL_DECISION and first.data.amount_sek is None
    assert corrected.data.appeal_status is AppealStatus.APPEALED
    assert corrected.data.supersedes == first.id
    assert corrected.id == event_id_for("MUNI_ALCOHOL", "beslut", "ALK-2026-0040", "2")


def test_a_licence_is_revoked_under_the_usual_ground() -> None:
    revocation = SAMPLE.events()[6]
    assert isinstance(revocation, DecisionTakenV1)
    assert (revocation.data.kind, revocation.data.legal_reference) == (
        DecisionKind.ATERKALLELSE, "AL 9 kap. 18 §")


def test_a_double_registered_visit_is_retracted() -> None:
    events = SAMPLE.events()
    assert isinstance(events[8], EventRetractedV1)
    assert events[8].data.retracts == events[7].id
    assert events[8].id == event_id_for("MUNI_ALCOHOL", "tillsyn.makulering", "ALK-2026-0046", "1")


def test_the_native_file_carries_the_clear_number(tmp_path: Path) -> None:
    out = SAMPLE.write(SAMPLE.events(), tmp_path / "export.json")
    assert "198807073336" in out.read_text(encoding="utf-8")


def test_writing_a_correction_without_its_supersedes_is_refused(tmp_path: Path) -> None:
    corrected = SAMPLE.events()[4]
    assert isinstance(corrected, DecisionTakenV1)
    broken = corrected.model_copy(update={"data": corrected.data.model_copy(update={"supersedes": None})})
    with pytest.raises(ValueError, match="must supersede"):
        SAMPLE.write([broken], tmp_path / "x.json")




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
    bad = SAMPLE.with_value(tmp_path, index + 1, path, value, none_deletes=False)
    SAMPLE.assert_quarantined(bad, index + 1, field, message)


def test_a_post_that_is_not_an_object_is_quarantined_alone(tmp_path: Path) -> None:
    doc = SAMPLE.document()
    doc["arenden"].insert(1, "ALK-2026-0031")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc), encoding="utf-8")
    results = SAMPLE.read(bad)
    assert [(r.line, r.field) for r in results if isinstance(r, RecordError)] == [(2, "-")]
    assert len(events_of(results)) == 9

