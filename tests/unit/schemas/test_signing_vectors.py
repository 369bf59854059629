"""The signing test vectors (`schemas/vectors/signing.json`) are what the project's own code
derives, the coordinator accepts the event they sign, and docs/adapters.md quotes them
unchanged: the documentation, the Python code and other languages' adapters (which check
themselves against the same file) cannot drift apart."""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from schemas import signing_vectors
from schemas.agencies import load_agencies
from schemas.canonical import canonical_json
from schemas.events import parse_event_obj
from schemas.signing import KeyRegistry, PublicKey
from services.coordinator.domain.intake import Accepted, check

REPO = Path(__file__).resolve().parents[3]
DOC = REPO / "docs" / "adapters.md"


@pytest.fixture(scope="module")
def vectors() -> dict[str, Any]:
    return json.loads(signing_vectors.VECTORS_FILE.read_text(encoding="utf-8"))


def test_the_committed_vectors_are_what_the_signing_code_derives() -> None:
    committed = signing_vectors.VECTORS_FILE.read_text(encoding="utf-8")
    assert committed == signing_vectors.render(), (
        "schemas/vectors/signing.json differs from what schemas.canonical/signing/envelope derive now: the"
        " bytes every adapter signs have changed. Restore the signing code; rewrite the file"
        " (`python -m schemas.signing_vectors --write`) only to add a vector.")


def test_each_canonical_case_is_the_canonical_form_of_its_value(vectors: dict[str, Any]) -> None:
    for case in vectors["canonical_form"]:
        expected = case["canonical"].encode("utf-8")
        assert canonical_json(case["value"]) == expected, case["about"]
        assert bytes.fromhex(case["canonical_hex"]) == expected, case["about"]
        # the rule as the documentation states it, with the standard library alone
        assert json.dumps(case["value"], sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                          allow_nan=False).encode("utf-8") == expected, case["about"]


def test_the_key_is_the_seed_in_every_encoding(vectors: dict[str, Any]) -> None:
    key = vectors["key"]
    from_seed = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(key["seed_hex"]))
    from_pem = serialization.load_pem_private_key(key["private_key_pkcs8_pem"].encode(), password=None)
    assert isinstance(from_pem, Ed25519PrivateKey)
    raw = serialization.Encoding.Raw
    assert from_pem.private_bytes(raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()) == bytes(
        range(32))
    public = from_seed.public_key().public_bytes(raw, serialization.PublicFormat.Raw)
    assert public.hex() == key["public_key_hex"]
    assert base64.urlsafe_b64decode(key["public_key_b64url"] + "=") == public
    spki = serialization.load_pem_public_key(key["public_key_spki_pem"].encode())
    assert isinstance(spki, Ed25519PublicKey) and spki.public_bytes(raw, serialization.PublicFormat.Raw) == public


def test_the_event_id_is_uuid5_of_the_record_as_the_documentation_says(vectors: dict[str, Any]) -> None:
    v = vectors["event_id"]
    name = "\x1f".join([v["agency"], v["record_kind"], v["record_ref"], v["version"]]).encode("utf-8")
    assert name.hex() == v["name_utf8_hex"]
    digest = bytearray(hashlib.sha1(uuid.UUID(v["namespace"]).bytes + name).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    assert str(uuid.UUID(bytes=bytes(digest))) == v["id"] == vectors["inspection"]["unsigned_event"]["id"]


def test_the_signature_covers_the_payload_and_the_coordinator_accepts_the_record(vectors: dict[str, Any]) -> None:
    inspection, record, key = vectors["inspection"], vectors["kafka_record"], vectors["key"]
    payload = inspection["signing_payload"].encode("utf-8")
    assert hashlib.sha256(payload).hexdigest() == inspection["signing_payload_sha256"]
    signed = inspection["signed_event"]
    expected_payload = {**inspection["unsigned_event"], "loskeyid": inspection["key_id"],
                        "lossignedat": inspection["signed_at"]}
    assert canonical_json(expected_payload) == payload
    assert {k: v for k, v in signed.items() if k != "lossignature"} == expected_payload
    assert signed["lossignature"] == inspection["signature"]
    signature = base64.urlsafe_b64decode(inspection["signature"] + "==")
    assert len(signature) == 64 and len(inspection["signature"]) == 86
    Ed25519PublicKey.from_public_bytes(bytes.fromhex(key["public_key_hex"])).verify(signature, payload)

    value = record["value"].encode("utf-8")
    assert value == canonical_json(signed) and hashlib.sha256(value).hexdigest() == record["value_sha256"]
    registry = KeyRegistry([PublicKey(key["key_id"], inspection["inputs"]["agency"],
                                      bytes.fromhex(key["public_key_hex"]),
                                      datetime.datetime(2026, 3, 10, tzinfo=datetime.UTC))])
    participants = {code: frozenset(a.categories) for code, a in load_agencies().items()}
    outcome = check(value, record["topic"], registry, max_bytes=262_144, participants=participants)
    assert isinstance(outcome, Accepted), outcome
    assert outcome.event.partition_key == record["key"].encode()


def test_partition_keys_are_the_envelopes(vectors: dict[str, Any]) -> None:
    unsigned = vectors["inspection"]["unsigned_event"]
    for case in vectors["partition_keys"]:
        data = {k: v for k, v in unsigned["data"].items() if k != "operation_id"}
        if case["operation_id"]:
            data["operation_id"] = case["operation_id"]
        if case["orgnr"]:
            data["business"] = {"orgnr": case["orgnr"], "name": "Sandgatans Pizzeria AB"}
        event = parse_event_obj({**unsigned, "id": case["event_id"], "data": data})
        assert event.partition_key == case["key"].encode(), case


def _doc_section() -> str:
    text = DOC.read_text(encoding="utf-8")
    match = re.search(r"^## Signing, byte by byte$(.*?)(?=^## |\Z)", text, re.S | re.M)
    assert match, "docs/adapters.md has no '## Signing, byte by byte' section"
    return match.group(1)


def test_the_documentation_quotes_the_vectors_unchanged(vectors: dict[str, Any]) -> None:
    section = _doc_section()
    inspection = vectors["inspection"]
    quoted = [
        vectors["key"]["seed_hex"], vectors["key"]["public_key_hex"], vectors["key"]["key_id"],
        vectors["event_id"]["namespace"], vectors["event_id"]["name_utf8_hex"], vectors["event_id"]["id"],
        inspection["signed_at"], inspection["signing_payload"], inspection["signing_payload_sha256"],
        inspection["signature"], vectors["kafka_record"]["topic"], vectors["kafka_record"]["key"],
        vectors["kafka_record"]["headers"]["content-type"], "schemas/vectors/signing.json",
    ]
    missing = [value for value in quoted if value not in section]
    assert not missing, f"docs/adapters.md does not quote these vector values as they are: {missing}"
