"""The socialtjänst's LOS export (JSON) as the LOS platform reads and writes it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from schemas.categories import Category
from schemas.decision import AmountKind, DecisionKind
from schemas.envelope import event_id_for
from schemas.events import (
    DecisionTakenV1,
    EventRetractedV1,
    InspectionConductedV1,
    NotificationSentV1,
)
from services.adapters.sdk.mapping import RecordError
from tests.unit.adapters.samples import SAMPLES

SAMPLE = SAMPLES["muni-social-los"]
psn = SAMPLE.psn


def test_the_sample_maps_observations_decisions_notices_a_correction_and_a_withdrawal() -> None:
    assert [type(e) for e in SAMPLE.events()] == [
        InspectionConductedV1, InspectionConductedV1, DecisionTakenV1, DecisionTakenV1, NotificationSentV1,
        NotificationSentV1, DecisionTakenV1, NotificationSentV1, EventRetractedV1]


def test_exploited_workers_who_need_help_become_social_services_findings() -> None:
    observation = SAMPLE.events()[0]
    assert isinstance(observation, InspectionConductedV1)
    findings = observation.data.findings
    assert [f.code for f in findings] == [
        "MISSTANKT_EXPLOATERING", "BOENDE_I_LOKAL", "ARBETE_UNDER_BISTAND", "BEHOV_AV_STOD"]
    assert {f.category for f in findings} == {Category.SOCIAL_SERVICES}
    assert findings[0].persons == [psn("199507309871"), psn("199001614560")]  # incl. a samordningsnummer
    assert findings[1].count == 3
    protected = [p for p in observation.data.persons_present if p.protected_identity]
    assert [p.pseudonym for p in protected] == [psn("199507309871")]


def test_economic_assistance_wrongly_paid_is_recovered_under_sol_9_1() -> None:
    recovery = SAMPLE.events()[2]
    assert isinstance(recovery, DecisionTakenV1)
    data = recovery.data
    assert (data.kind, data.amount_sek, data.amount_kind) == (
        DecisionKind.ATERKRAV, 38460, AmountKind.RECOVERED)
    assert (data.legal_reference, data.category) == ("SoL 9 kap. 1 §", Category.SOCIAL_SERVICES)
    assert [p.pseudonym for p in data.persons] == [psn("198912243212")]
    assert data.inspection_ref == "SOC-2026-0117" and data.business is None


def test_suspected_benefit_fraud_is_reported_to_the_police_under_the_usual_ground() -> None:
    report = SAMPLE.events()[3]
    assert isinstance(report, DecisionTakenV1)
    assert (report.data.kind, report.data.legal_reference) == (
        DecisionKind.POLISANMALAN, "Bidragsbrottslag (2007:612) 6 §")
    assert report.data.amount_sek is None


def test_a_fut_notice_tells_the_paying_agency_under_lag_2008_206() -> None:
    events = SAMPLE.events()
    to_fk, to_af = events[4], events[5]
    assert isinstance(to_fk, NotificationSentV1) and isinstance(to_af, NotificationSentV1)
    assert (to_fk.data.to_agency, to_fk.data.legal_basis) == ("SOCIAL_INSURANCE", "Lag (2008:206) 3 §")
    assert (to_af.data.to_agency, to_af.data.legal_basis) == ("EMPLOYMENT", "Lag (2008:206) 3 §")
    assert to_fk.data.category is Category.SOCIAL_SERVICES
    assert to_fk.data.notification_ref == "SOC-2026-0150"
    assert to_fk.id == event_id_for("MUNI_SOCIAL", "underrattelse", "SOC-2026-0150", "1")
    assert [p.protected_identity for p in to_af.data.persons] == [True]


def test_a_corrected_recovery_supersedes_the_first_amount() -> None:
    events = SAMPLE.events()
    first, corrected = events[2], events[6]
    assert isinstance(corrected, DecisionTakenV1)
    assert corrected.data.supersedes == first.id and corrected.data.amount_sek == 36960


def test_a_notice_that_was_never_sent_is_retracted() -> None:
    events = SAMPLE.events()
    notice, withdrawal = events[7], events[8]
    assert isinstance(notice, NotificationSentV1) and isinstance(withdrawal, EventRetractedV1)
    assert notice.data.to_agency == "SOCIAL_INSURANCE"  # given as the LOS code
    assert withdrawal.data.retracts == notice.id
    assert withdrawal.id == event_id_for("MUNI_SOCIAL", "underrattelse.makulering", "SOC-2026-0152", "1")


def test_writing_a_decision_outside_social_services_is_refused(tmp_path: Path) -> None:
    recovery = SAMPLE.events()[2]
    assert isinstance(recovery, DecisionTakenV1)
    leaked = recovery.model_copy(update={"data": recovery.data.model_copy(update={"category": Category.TAX})})
    with pytest.raises(ValueError, match="social_services"):
        SAMPLE.write([leaked], tmp_path / "x.json")




@pytest.mark.parametrize(("index", "path", "value", "field", "message"), [
    (0, ("arbetsgivare", "organisationsnummer"), "559012-3459", "arbetsgivare.organisationsnummer",
     "check digit"),
    (0, ("arbetsgivare", "namn"), "", "arbetsgivare.namn", "required"),
    (0, ("besokstid",), "14 mars", "besokstid", "not a time"),
    (0, ("personer",), [{"personnummer": "19950730-9872", "sekretessmarkering": True}],
     "personer.personnummer", "check digit"),
    (0, ("personer",), [{"roll": "EJ_REDOVISAD"}], "personer.personnummer", "required"),
    (0, ("iakttagelser",), [{"kod": "BEHOV_AV_STOD", "beskrivning": "x", "antal": -1}],
     "iakttagelser.antal", "negative"),
    (0, ("iakttagelser",), [{"kod": "BEHOV_AV_STOD"}], "iakttagelser.beskrivning", "required"),
    (0, ("dokumentnummer",), "SOC 2026 0117", "dokumentnummer", "not a number"),
    (2, ("beslutstyp",), "AVSLAG", "beslutstyp", "expected one of ATERKRAV, POLISANMALAN"),
    (2, ("belopp",), -38460, "belopp", "negative"),
    (2, ("belopp",), None, "belopp", "required"),
    (2, ("belopp",), "38 460 kr", "belopp", "whole number"),
    (2, ("beslutstid",), "2026-04-31T14:00:00+02:00", "beslutstid", "not a time"),
    (2, ("personer",), [], "-", "a decision concerns"),
    (3, ("belopp",), 1000, "belopp", "carries no amount"),
    (4, ("mottagare",), "Pensionsmyndigheten", "mottagare", "not another LOS participant"),
    (4, ("mottagare",), "Kommunen, socialtjänst", "mottagare", "not another LOS participant"),
    (4, ("mottagare",), None, "mottagare", "required"),
    (4, ("meddelande",), "x" * 2001, "meddelande", "at most 2000"),
    (4, ("lagstod",), "x" * 201, "lagstod", "at most 200"),
    (8, ("makuleringsorsak",), None, "makuleringsorsak", "required"),
    (8, ("makulerad",), "ja", "makulerad", "not true or false"),
])
def test_a_bad_document_is_quarantined_with_its_position_and_native_field_and_the_rest_still_map(
        tmp_path: Path, index: int, path: tuple[str, ...], value: Any, field: str, message: str) -> None:
    bad = SAMPLE.with_value(tmp_path, index + 1, path, value, none_deletes=False)
    SAMPLE.assert_quarantined(bad, index + 1, field, message)


def test_a_quarantined_record_keeps_no_clear_number_in_its_message(tmp_path: Path) -> None:
    doc = SAMPLE.document()
    doc["poster"][2]["personer"] = [{"personnummer": "19891224-3213"}]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc), encoding="utf-8")
    errors = [r for r in SAMPLE.read(bad) if isinstance(r, RecordError)]
    assert len(errors) == 1 and "3213" not in errors[0].message and "891224" not in errors[0].message
