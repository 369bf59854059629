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
from schemas.events import DecisionTakenV1, EventRetractedV1, event_json, new_event
from schemas.notification import EventRetracted
from schemas.signing import KeyRegistry, PublicKey, sign
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
