"""Mutating a correctly signed event: every mutation is rejected, not merely explained.

`test_bad_input` proves the intake never crashes and always names a reason; this proves the
decision itself. Each base event below is accepted as sent; flipped bits, truncation, values
of the wrong JSON type, oversized fields and signers other than the event's own agency key
are each rejected with a reason from `REASONS`, and the coordinator's checking step
(`check_records`) passes no record on to be stored.
"""

from __future__ import annotations

import copy
import datetime
import uuid
from collections.abc import Iterator
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.canonical import canonical_json
from schemas.categories import Category
from schemas.decision import AmountKind, DecisionKind, DecisionTaken
from schemas.events import (
    DecisionTakenV1,
    EventRetractedV1,
    InspectionConductedV1,
    OperationPlannedV1,
    event_json,
    new_event,
)
from schemas.inspection import Finding, InspectionConducted
from schemas.notification import EventRetracted
from schemas.operation import OperationPlan, Target
from schemas.signing import CHECKPOINT, CONSOLE, KeyRegistry, PublicKey, sign
from schemas.subjects import Business, Premises
from schemas.topics import events_topic
from services.coordinator.domain.intake import REASONS, Accepted, Rejection, check
from services.coordinator.ports import IncomingRecord
from services.coordinator.service import Settings, check_records

T = datetime.datetime(2026, 5, 2, 10, 0, tzinfo=datetime.UTC)
SIGNATURE_FIELDS = ("loskeyid", "lossignedat", "lossignature")
SETTINGS = Settings(group_id="fuzz")


def _key(seed: int) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(bytes([seed]) * 32)


def _public(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


# Each agency holds its adapter key (which signs the base events) and, registered to it too, a
# revoked key, a key valid from next year, a console key and an audit checkpoint key.
AGENCIES = ("FIRE_RTOG", "TAX")
YEAR = datetime.timedelta(days=365)
KEYS = {(agency, role): _key(10 * n + r) for n, agency in enumerate(AGENCIES, start=1)
        for r, role in enumerate(("adapter", "revoked", "later", "console", "checkpoint"))}
STRANGER = _key(99)
REGISTRY = KeyRegistry([entry for agency in AGENCIES for entry in (
    PublicKey(f"{agency}-1", agency, _public(KEYS[agency, "adapter"]), T - YEAR),
    PublicKey(f"{agency}-OLD", agency, _public(KEYS[agency, "revoked"]), T - YEAR, revoked_at=T - YEAR / 2),
    PublicKey(f"{agency}-NEXT", agency, _public(KEYS[agency, "later"]), T + YEAR),
    PublicKey(f"{agency}-C", agency, _public(KEYS[agency, "console"]), T - YEAR, kind=CONSOLE),
    PublicKey(f"{agency}-AUDIT", agency, _public(KEYS[agency, "checkpoint"]), T - YEAR, kind=CHECKPOINT))])
PREMISES = Premises(address="Sandgatan 14, 602 22 Norrköping", fastighetsbeteckning="Norrköping Sanden 1:2")


def _event(kind: type, data: Any, agency: str, n: int) -> dict[str, Any]:
    event_id = uuid.UUID(int=n)
    return dict(event_json(new_event(kind, data, agency=agency, event_id=event_id, time=T, system="ledning")))


BASES: dict[str, dict[str, Any]] = {
    "plan": _event(OperationPlannedV1, OperationPlan(
        operation_id="NKPG-2026-07", revision=2, title="Samordnad kontroll", municipality="Norrköping",
        planned_date=T.date(), lead_agency="FIRE_RTOG", participants=["FIRE_RTOG", "TAX"],
        targets=[Target(premises=PREMISES, business=Business(orgnr="556036-0793", name="Sandgatans Pizzeria AB"),
                        note="Bakre ingången")]), "FIRE_RTOG", 1),
    "inspection": _event(InspectionConductedV1, InspectionConducted(
        inspection_ref="SKV-2026-0042", operation_id="NKPG-2026-07", conducted_at=T, municipality="Norrköping",
        premises=PREMISES, business=Business(orgnr="556036-0793", name="Sandgatans Pizzeria AB"),
        findings=[Finding(code="PERSONALLIGGARE_SAKNAS", category=Category.TAX, count=2,
                          summary="Personalliggare saknades")]), "TAX", 2),
    "decision": _event(DecisionTakenV1, DecisionTaken(
        decision_ref="RTOG-2026-12", decided_at=T, kind=DecisionKind.FORBUD, category=Category.MUNICIPAL_DECISION,
        legal_reference="LSO 5 kap. 2 §", summary="Användningsförbud", premises=PREMISES, amount_sek=25_000,
        amount_kind=AmountKind.IMPOSED),
        "FIRE_RTOG", 3),
    "retraction": _event(EventRetractedV1, EventRetracted(retracts=uuid.UUID(int=3), reason="Fel objekt"),
                         "FIRE_RTOG", 4),
}


def signed_by_own_key(event: dict[str, Any], agency: str) -> dict[str, Any]:
    return sign(event, KEYS[agency, "adapter"], f"{agency}-1", T)


def topic_of(event: dict[str, Any]) -> str:
    return events_topic(event["losagency"])


def intake(raw: bytes, topic: str) -> Accepted | Rejection:
    return check(raw, topic, REGISTRY, max_bytes=SETTINGS.max_event_bytes, participants=SETTINGS.categories,
                 decision_kinds=SETTINGS.decision_kinds)


def rejected(raw: bytes, topic: str) -> Rejection:
    """The intake rejects `raw` with a known reason, and the coordinator keeps no record of it."""
    result = intake(raw, topic)
    assert isinstance(result, Rejection), f"accepted a mutated event: {raw[:400]!r}"
    assert result.reason in REASONS and result.detail
    stored, refused = check_records([IncomingRecord(topic, 0, 7, None, raw)], REGISTRY, SETTINGS)
    assert stored == [], "a rejected event reached the store"
    assert [(r.reason, r.detail) for r in refused] == [(result.reason, result.detail)]
    return result


def paths(value: Any, at: tuple[str | int, ...] = ()) -> Iterator[tuple[tuple[str | int, ...], Any]]:
    """Every place in a JSON value, with what is there (the root excluded)."""
    if at:
        yield at, value
    if isinstance(value, dict):
        for name, item in value.items():
            yield from paths(item, (*at, name))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from paths(item, (*at, index))


def replaced(event: dict[str, Any], at: tuple[str | int, ...], value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(event)
    parent: Any = changed
    for step in at[:-1]:
        parent = parent[step]
    parent[at[-1]] = value
    return changed


base_names = st.sampled_from(sorted(BASES))
text = st.text(max_size=20)
some_list = st.lists(st.integers() | text, min_size=0, max_size=3)
some_object = st.dictionaries(text, st.integers() | text, min_size=1, max_size=3)


def wrong_type(original: Any) -> st.SearchStrategy[Any]:
    """A value of a JSON type the contract never accepts where `original` stands. No null:
    an optional field may be null. Strict parsing takes no number for a string, no `true`
    for a number, no string for either."""
    if isinstance(original, bool):
        return st.integers() | text | some_list | some_object
    if isinstance(original, int):
        return st.booleans() | text | some_list | some_object
    if isinstance(original, str):
        return st.booleans() | st.integers() | some_list | some_object
    if isinstance(original, list):
        return st.booleans() | st.integers() | text | some_object
    if isinstance(original, dict):
        return st.booleans() | st.integers() | text | some_list
    return st.booleans() | some_list  # null stands for an absent model, text or number


def test_every_base_event_is_accepted_as_sent() -> None:
    for name, event in BASES.items():
        raw = canonical_json(signed_by_own_key(event, event["losagency"]))
        result = intake(raw, topic_of(event))
        assert isinstance(result, Accepted), (name, result)
        assert result.key_id == f"{event['losagency']}-1" and str(result.event.id) == event["id"]
        stored, refused = check_records([IncomingRecord(topic_of(event), 0, 7, None, raw)], REGISTRY, SETTINGS)
        assert refused == [] and [str(c.fact.event_id) for c in stored] == [event["id"]]


@settings(max_examples=400, deadline=None)
@given(base_names, st.data())
def test_a_flipped_bit_is_rejected(name: str, data: st.DataObject) -> None:
    raw = bytearray(canonical_json(signed_by_own_key(BASES[name], BASES[name]["losagency"])))
    at = data.draw(st.integers(0, len(raw) - 1), label="byte")
    raw[at] ^= 1 << data.draw(st.integers(0, 7), label="bit")
    rejected(bytes(raw), topic_of(BASES[name]))


@settings(max_examples=200, deadline=None)
@given(base_names, st.data())
def test_a_truncated_event_is_rejected(name: str, data: st.DataObject) -> None:
    raw = canonical_json(signed_by_own_key(BASES[name], BASES[name]["losagency"]))
    rejected(raw[:data.draw(st.integers(0, len(raw) - 1), label="length")], topic_of(BASES[name]))


@settings(max_examples=300, deadline=None)
@given(base_names, st.data(), st.booleans())
def test_a_value_of_the_wrong_type_is_rejected_signed_or_not(name: str, data: st.DataObject, resign: bool) -> None:
    """Re-signed by the agency's own key the schema refuses it; with the old signature kept,
    the signature does (or the schema, first)."""
    agency = BASES[name]["losagency"]
    event = signed_by_own_key(BASES[name], agency)
    places = [(at, value) for at, value in paths(event) if not (resign and at[0] in SIGNATURE_FIELDS)]
    at, original = data.draw(st.sampled_from(places), label="place")
    mutated = replaced(event, at, data.draw(wrong_type(original), label="value"))
    result = rejected(canonical_json(signed_by_own_key(mutated, agency) if resign else mutated), topic_of(BASES[name]))
    if resign and at[0] != "type":
        assert result.reason == "invalid_schema", result


@settings(max_examples=150, deadline=None)
@given(base_names, st.data(), st.sampled_from(["x", "7", "å", "A-"]), st.integers(2_001, 300_000))
def test_an_oversized_field_is_rejected(name: str, data: st.DataObject, fill: str, length: int) -> None:
    """No field of an event holds more than 2,000 characters (a `Text`); a whole event is
    bounded by the configured limit. Signed by the agency's own key, it is refused all the same."""
    event = BASES[name]
    strings = [at for at, value in paths(event) if isinstance(value, str)]
    at = data.draw(st.sampled_from(strings), label="field")
    raw = canonical_json(signed_by_own_key(replaced(event, at, (fill * length)[:length]), event["losagency"]))
    result = rejected(raw, topic_of(event))
    assert result.reason in {"oversized", "invalid_schema", "unknown_type"}, result
    assert (result.reason == "oversized") == (len(raw) > SETTINGS.max_event_bytes)


LISTS = [(name, at) for name, event in sorted(BASES.items()) for at, value in paths(event)
         if isinstance(value, list) and value]


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(LISTS), st.integers(201, 2_000))
def test_an_oversized_list_is_rejected(place: tuple[str, tuple[str | int, ...]], length: int) -> None:
    """No list of an event holds more than 200 items."""
    name, at = place
    event = BASES[name]
    [items] = [value for where, value in paths(event) if where == at]
    raw = canonical_json(signed_by_own_key(replaced(event, at, (items * length)[:length]), event["losagency"]))
    result = rejected(raw, topic_of(event))
    assert result.reason == ("oversized" if len(raw) > SETTINGS.max_event_bytes else "invalid_schema"), result


SIGNERS = ("another agency's key", "another agency claiming itself", "a key nobody registered",
           "its key id with another key", "its revoked key", "its key not yet valid", "its console key",
           "its audit checkpoint key")


@settings(max_examples=100, deadline=None)
@given(base_names, st.sampled_from(SIGNERS))
def test_a_foreign_signer_is_rejected(name: str, signer: str) -> None:
    """On an agency's topic, only that agency's adapter key signs its events."""
    event = BASES[name]
    own = event["losagency"]
    other = next(agency for agency in AGENCIES if agency != own)
    key_id, key, expected = {
        "another agency's key": (f"{other}-1", KEYS[other, "adapter"], "wrong_agency"),
        "another agency claiming itself": (f"{other}-1", KEYS[other, "adapter"], "wrong_topic"),
        "a key nobody registered": (f"{own}-9", STRANGER, "unknown_key"),
        "its key id with another key": (f"{own}-1", STRANGER, "bad_signature"),
        "its revoked key": (f"{own}-OLD", KEYS[own, "revoked"], "revoked_key"),
        "its key not yet valid": (f"{own}-NEXT", KEYS[own, "later"], "key_not_valid_then"),
        "its console key": (f"{own}-C", KEYS[own, "console"], "key_not_allowed"),
        "its audit checkpoint key": (f"{own}-AUDIT", KEYS[own, "checkpoint"], "key_not_allowed"),
    }[signer]
    if signer == "another agency claiming itself":
        event = {**event, "losagency": other, "source": f"urn:los:agency:{other}/ledning"}
    result = rejected(canonical_json(sign(event, key, key_id, T)), topic_of(BASES[name]))
    assert result.reason == expected, (signer, result)
