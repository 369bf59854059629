"""Every kind of bad input is rejected with a reason that says what is wrong."""

from __future__ import annotations

import datetime
import json
import uuid

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from schemas.agencies import load_agencies
from schemas.canonical import canonical_json
from schemas.categories import Category
from schemas.decision import DecisionKind, DecisionTaken
from schemas.events import (
    DecisionTakenV1,
    EventRetractedV1,
    InspectionConductedV1,
    NotificationSentV1,
    OperationPlannedV1,
    OperationUpdatedV1,
    event_json,
    new_event,
)
from schemas.inspection import InspectionConducted
from schemas.notification import EventRetracted, NotificationSent
from schemas.operation import OperationPlan, Target
from schemas.signing import KeyRegistry, PublicKey, b64, sign
from schemas.subjects import Premises
from schemas.topics import events_topic
from services.coordinator.domain.intake import Accepted, Rejection, check

T = datetime.datetime(2026, 5, 2, 10, 0, tzinfo=datetime.UTC)
KEY = Ed25519PrivateKey.generate()
RAW = KEY.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def registry(revoked: bool = False) -> KeyRegistry:
    return KeyRegistry([PublicKey("FIRE-1", "FIRE_RTOG", RAW, T - datetime.timedelta(days=30),
                                  revoked_at=T if revoked else None)])


def event(agency: str = "FIRE_RTOG") -> dict:
    data = EventRetracted(retracts=uuid.uuid4(), reason="Fel objekt")
    return dict(event_json(new_event(EventRetractedV1, data, agency=agency, event_id=uuid.uuid4(), time=T)))


def signed(obj: dict) -> bytes:
    return canonical_json(sign(obj, KEY, "FIRE-1", T))


PARTICIPANTS = {code: frozenset(a.categories) for code, a in load_agencies().items()}


def run(raw: bytes | None, *, topic: str = events_topic("FIRE_RTOG"), reg: KeyRegistry | None = None):
    return check(raw, topic, reg or registry(), max_bytes=10_000, participants=PARTICIPANTS)


def test_a_signed_event_on_its_own_topic_is_accepted() -> None:
    result = run(signed(event()))
    assert isinstance(result, Accepted) and result.key_id == "FIRE-1"


@pytest.mark.parametrize(("raw", "reason"), [
    (None, "empty"),
    (b"x" * 10_001, "oversized"),
    (b"\xff\xfe", "malformed_json"),
    (b"[1, 2]", "not_an_event"),
    (b'{"type": 7}', "not_an_event"),
])
def test_garbage_is_rejected_before_anything_else(raw: bytes | None, reason: str) -> None:
    result = run(raw)
    assert isinstance(result, Rejection) and result.reason == reason


def test_an_unknown_version_names_the_known_types() -> None:
    obj = event()
    obj["type"] = "se.los.event.retracted.v2"
    result = run(signed(obj))
    assert isinstance(result, Rejection) and result.reason == "unknown_type"
    assert "se.los.event.retracted.v1" in result.detail


def test_a_wrong_field_type_is_named() -> None:
    obj = event()
    obj["data"]["retracts"] = 12
    result = run(signed(obj))
    assert isinstance(result, Rejection) and result.reason == "invalid_schema"
    assert "data.retracts" in result.detail


def test_a_time_given_as_a_number_is_refused_even_when_signed() -> None:
    """A received event is parsed strictly: its JSON types are those of the contract's schema."""
    obj = event()
    obj["time"] = 1_777_716_000
    result = run(signed(obj))
    assert isinstance(result, Rejection) and result.reason == "invalid_schema" and "time" in result.detail


def test_the_dataschema_is_the_one_of_the_type() -> None:
    obj = event()
    obj["dataschema"] = "urn:los:schema:event.retracted:v1" + "x" * 5_000
    result = run(signed(obj))
    assert isinstance(result, Rejection) and result.reason == "invalid_schema" and "dataschema" in result.detail


def test_a_signature_has_one_encoding_only() -> None:
    """The last of the 86 characters carries 2 bits of the signature and 4 unused ones; the
    same bytes with an unused bit set would be a second, different event that verifies."""
    obj = json.loads(signed(event()))
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    last = obj["lossignature"][-1]
    obj["lossignature"] = obj["lossignature"][:-1] + alphabet[alphabet.index(last) ^ 0b0001]
    result = run(canonical_json(obj))
    assert isinstance(result, Rejection) and result.reason == "bad_signature"


def test_forgery_tampering_and_theft_are_told_apart() -> None:
    obj = event()
    tampered = json.loads(signed(obj))
    tampered["data"]["reason"] = "Något annat"
    assert run(canonical_json(tampered)).reason == "bad_signature"  # type: ignore[union-attr]
    assert run(canonical_json(obj)).reason == "unsigned"  # type: ignore[union-attr]
    assert run(signed(obj), reg=registry(revoked=True)).reason == "revoked_key"  # type: ignore[union-attr]
    assert run(signed(obj), reg=KeyRegistry()).reason == "unknown_key"  # type: ignore[union-attr]
    claims_tax = event(agency="TAX")
    assert run(signed(claims_tax)).reason == "wrong_agency"  # type: ignore[union-attr]


def test_an_event_on_another_agencys_topic_is_rejected() -> None:
    result = run(signed(event()), topic=events_topic("POLICE"))
    assert isinstance(result, Rejection) and result.reason == "wrong_topic"


def decision(agency: str, category: Category) -> dict:
    data = DecisionTaken(decision_ref="BN-2026-1", decided_at=T, kind=DecisionKind.FORBUD, category=category,
                         legal_reference="PBL 11 kap. 30 §", summary="Användningsförbud",
                         premises=Premises(address="Sandgatan 14, 602 22 Norrköping"))
    return dict(event_json(new_event(DecisionTakenV1, data, agency=agency, event_id=uuid.uuid4(), time=T)))


def test_a_category_belongs_to_its_holder() -> None:
    """The rescue service records municipal decisions; one labelled social services is refused."""
    assert isinstance(run(signed(decision("FIRE_RTOG", Category.MUNICIPAL_DECISION))), Accepted)
    result = run(signed(decision("FIRE_RTOG", Category.SOCIAL_SERVICES)))
    assert isinstance(result, Rejection) and result.reason == "category_not_owned"
    assert "FIRE_RTOG may not originate social_services" in result.detail


def test_an_agency_outside_the_registry_is_refused_even_with_a_registered_key() -> None:
    registered = KeyRegistry([PublicKey("X-1", "MUNI_SOCIAL_9999", RAW, T - datetime.timedelta(days=30))])
    obj = sign(event("MUNI_SOCIAL_9999"), KEY, "X-1", T)
    result = run(canonical_json(obj), topic=events_topic("MUNI_SOCIAL_9999"), reg=registered)
    assert isinstance(result, Rejection) and result.reason == "unknown_participant"


# --- key kinds: a console key signs its own agency's plans, naming the planner -------------
CONSOLE_KEY = Ed25519PrivateKey.generate()
CONSOLE_RAW = CONSOLE_KEY.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
PREMISES = Premises(address="Storgatan 1, 582 24 Linköping")


def kinds_registry(**kinds: str) -> KeyRegistry:
    """FIRE_RTOG's adapter key FIRE-1 and its console key FIRE-C, or other kinds for them."""
    return KeyRegistry([
        PublicKey("FIRE-1", "FIRE_RTOG", RAW, T - datetime.timedelta(days=30), kind=kinds.get("adapter", "adapter")),
        PublicKey("FIRE-C", "FIRE_RTOG", CONSOLE_RAW, T - datetime.timedelta(days=30),
                  kind=kinds.get("console", "console"))])


def of_kind(kind: type, agency: str = "FIRE_RTOG", system: str | None = "console.karin") -> dict:
    def plan() -> OperationPlan:
        return OperationPlan(operation_id="LKPG-2026-09", revision=1, title="Tillslag", municipality="Linköping",
                             planned_date=T.date(), lead_agency=agency, participants=[agency],
                             targets=[Target(premises=PREMISES)])

    data = {
        OperationPlannedV1: plan, OperationUpdatedV1: plan,
        InspectionConductedV1: lambda: InspectionConducted(
            inspection_ref="R-1", conducted_at=T, municipality="Linköping", premises=PREMISES, findings=[]),
        DecisionTakenV1: lambda: DecisionTaken(
            decision_ref="B-1", decided_at=T, kind=DecisionKind.FORBUD, category=Category.MUNICIPAL_DECISION,
            legal_reference="LSO 5 kap. 2 §", summary="Förbud", premises=PREMISES),
        NotificationSentV1: lambda: NotificationSent(
            notification_ref="U-1", to_agency="TAX", legal_basis="2008:206", category=Category.RECORD_METADATA,
            summary="Underrättelse"),
        EventRetractedV1: lambda: EventRetracted(retracts=uuid.uuid4(), reason="Fel"),
    }[kind]()
    return dict(event_json(new_event(kind, data, agency=agency, event_id=uuid.uuid4(), time=T, system=system)))


def by_console(obj: dict, key_id: str = "FIRE-C") -> bytes:
    return canonical_json(sign(obj, CONSOLE_KEY, key_id, T))


def test_a_console_key_signs_its_agencys_plans_naming_the_planner() -> None:
    for kind in (OperationPlannedV1, OperationUpdatedV1):
        result = run(by_console(of_kind(kind)), reg=kinds_registry())
        assert isinstance(result, Accepted), result
        assert (result.key_id, result.key_kind) == ("FIRE-C", "console"), "told apart from the agency system's"
    by_adapter = run(signed(of_kind(OperationPlannedV1, system="ledning")), reg=kinds_registry())
    assert isinstance(by_adapter, Accepted) and by_adapter.key_kind == "adapter"


@pytest.mark.parametrize("kind", [InspectionConductedV1, DecisionTakenV1, NotificationSentV1, EventRetractedV1])
def test_a_console_key_signs_no_inspection_decision_notice_or_retraction(kind: type) -> None:
    result = run(by_console(of_kind(kind)), reg=kinds_registry())
    assert isinstance(result, Rejection) and result.reason == "key_not_allowed", result
    assert "signs plans only" in result.detail and result.agency == "FIRE_RTOG"
    # on another agency's topic too: what the key may sign is judged before the topic
    elsewhere = run(by_console(of_kind(kind)), topic=events_topic("POLICE"), reg=kinds_registry())
    assert isinstance(elsewhere, Rejection) and elsewhere.reason == "key_not_allowed"


def test_a_console_key_cannot_plan_for_another_agency() -> None:
    claims_police = of_kind(OperationPlannedV1, agency="POLICE")
    result = run(by_console(claims_police), topic=events_topic("POLICE"), reg=kinds_registry())
    assert isinstance(result, Rejection) and result.reason == "wrong_agency"
    another_source = of_kind(OperationPlannedV1)
    another_source["source"] = "urn:los:agency:POLICE/console.karin"
    result = run(by_console(another_source), reg=kinds_registry())
    assert isinstance(result, Rejection) and result.reason == "key_not_allowed"


@pytest.mark.parametrize("system", [None, "console", "console.", "ledning"])
def test_a_console_plan_names_its_planner(system: str | None) -> None:
    result = run(by_console(of_kind(OperationPlannedV1, system=system)), reg=kinds_registry())
    assert isinstance(result, Rejection) and result.reason == "key_not_allowed"
    assert "console.<user>" in result.detail


def test_only_a_console_key_may_name_a_console_user() -> None:
    result = run(signed(of_kind(OperationPlannedV1)), reg=kinds_registry())  # the adapter's key
    assert isinstance(result, Rejection) and result.reason == "key_not_allowed"


@pytest.mark.parametrize("kind", ["checkpoint", "gadget"])
def test_a_key_of_another_or_unknown_kind_signs_no_event(kind: str) -> None:
    result = run(signed(event()), reg=kinds_registry(adapter=kind))
    assert isinstance(result, Rejection) and result.reason == "key_not_allowed"
    assert "signs no events" in result.detail


def test_the_signature_is_checked_before_what_the_key_may_sign() -> None:
    tampered = json.loads(by_console(of_kind(InspectionConductedV1)))
    tampered["data"]["inspection_ref"] = "R-2"
    result = run(canonical_json(tampered), reg=kinds_registry())
    assert isinstance(result, Rejection) and result.reason == "bad_signature"


def test_a_revoked_key_is_rejected_with_the_reason_it_was_revoked_for() -> None:
    reg = registry()
    reg.revoke("FIRE-1", T, "Stulen med en bärbar dator")
    result = run(signed(event()), reg=reg)
    assert isinstance(result, Rejection) and result.reason == "revoked_key"
    assert "Stulen med en bärbar dator" in result.detail


def test_the_registry_reads_entries_without_a_kind_as_adapter_keys_and_keeps_kinds() -> None:
    old = {"keys": [{"key_id": "FIRE-1", "agency": "FIRE_RTOG", "public_key": b64(RAW),
                     "not_before": T.isoformat(), "not_after": None, "revoked_at": None}]}
    [key] = list(KeyRegistry.from_json(old))
    assert (key.kind, key.revoked_reason) == ("adapter", None)
    reg = kinds_registry()
    reg.revoke("FIRE-C", T, "Röjd")
    again = KeyRegistry.from_json(json.loads(json.dumps(reg.to_json())))
    assert [(k.key_id, k.kind, k.revoked_reason) for k in again] == [("FIRE-1", "adapter", None),
                                                                       ("FIRE-C", "console", "Röjd")]
