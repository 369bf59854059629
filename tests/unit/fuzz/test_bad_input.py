"""Fuzzing the parsers: whatever bytes arrive, the intake and every native format answer with
an explained rejection, never a crash."""

from __future__ import annotations

import datetime
import json
import uuid
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deploy.local.stack import REPO
from schemas.canonical import canonical_json
from schemas.events import EventRetractedV1, event_json, new_event
from schemas.notification import EventRetracted
from schemas.signing import KeyRegistry, PublicKey, sign
from schemas.topics import events_topic
from services.adapters.agencies import all_formats
from services.adapters.sdk.mapping import Mapped, MappingContext, RecordError
from services.common.pseudonyms import LocalPseudonymiser
from services.coordinator.domain.intake import REASONS, Accepted, Rejection, check

T = datetime.datetime(2026, 5, 2, 10, 0, tzinfo=datetime.UTC)
KEY = Ed25519PrivateKey.generate()
REGISTRY = KeyRegistry([PublicKey("FIRE-1", "FIRE_RTOG", KEY.public_key().public_bytes(
    serialization.Encoding.Raw, serialization.PublicFormat.Raw), T - datetime.timedelta(days=1))])
GOOD = event_json(new_event(EventRetractedV1, EventRetracted(retracts=uuid.uuid4(), reason="Fel"), agency="FIRE_RTOG",
                            event_id=uuid.uuid4(), time=T))
CTX = MappingContext(pseudonyms=LocalPseudonymiser(b"k" * 32), today=datetime.date(2026, 6, 1))
json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=30),
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner,
                                                                                         max_size=4), max_leaves=12)


def explained(result: Accepted | Rejection) -> None:
    if isinstance(result, Rejection):
        assert result.reason in REASONS and result.detail


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000))
def test_random_bytes_are_rejected_with_a_reason(raw: bytes) -> None:
    explained(check(raw, events_topic("FIRE_RTOG"), REGISTRY, max_bytes=10_000))


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from([*sorted(GOOD), "extra"]), json_values, max_size=6))
def test_a_mangled_event_is_rejected_with_a_reason(changes: dict) -> None:
    mangled = {**GOOD, **changes}
    for signed in (mangled, sign(mangled, KEY, "FIRE-1", T)):
        try:
            raw = canonical_json(signed)
        except ValueError:
            raw = json.dumps(signed, default=str).encode()
        explained(check(raw, events_topic("FIRE_RTOG"), REGISTRY, max_bytes=100_000))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(sorted(all_formats())), st.binary(max_size=1500), st.booleans())
def test_every_native_format_explains_garbage(tmp_path: Path, name: str, noise: bytes, keep_sample: bool) -> None:
    fmt = all_formats()[name]
    sample = REPO / "services" / "adapters" / "agencies" / "samples" / f"{name}{fmt.suffix}"
    data = sample.read_bytes()
    if keep_sample:  # corrupt a real export at a random place
        cut = len(noise) % max(1, len(data))
        data = data[:cut] + noise + data[cut:]
    else:
        data = noise
    path = tmp_path / f"fuzz{fmt.suffix}"
    path.write_bytes(data)
    for result in fmt.read(path, CTX):
        assert isinstance(result, Mapped | RecordError)
        if isinstance(result, RecordError):
            assert result.message and result.field
