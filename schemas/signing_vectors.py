"""Test vectors for signing an event byte by byte: `schemas/vectors/signing.json`.

An adapter written in another language checks its canonical form, signature, event id and
Kafka record against this file (docs/adapters.md, "Signing, byte by byte";
`examples/java-adapter` does). The file is a contract: every value in it is derived here,
from fixed inputs, with the code the coordinator verifies with (`schemas.canonical`,
`schemas.signing`, `schemas.envelope`). `tests/unit/schemas/test_signing_vectors.py` fails
when that code would derive anything else, which would mean that every adapter's signatures
changed: never rewrite the file to make such a change pass.

`python -m schemas.signing_vectors` compares the file with what the code derives (exit 1 when
they differ); `--write` writes it, for a new vector.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from schemas.canonical import canonical_json
from schemas.envelope import CONTENT_TYPE, EVENT_ID_NAMESPACE, dataschema_for, event_id_for, source_for
from schemas.events import InspectionConductedV1, parse_event_obj
from schemas.signing import b64, sign, signing_payload
from schemas.topics import events_topic

VECTORS_FILE = Path(__file__).resolve().parent / "vectors" / "signing.json"

SEED = bytes(range(32))  # 00 01 02 ... 1f: a test key, never a real one
KEY_ID = "TAX-20260310-0a1b2c"
SIGNED_AT = datetime.datetime(2026, 3, 14, 12, 5, tzinfo=datetime.UTC)

# What an agency's system knows about one inspection; `inspection_event` makes the event.
INSPECTION: dict[str, Any] = {
    "agency": "TAX",
    "record_kind": "kontroll",
    "record_ref": "SKV-2026-0042",
    "record_version": "1",
    "operation_id": "NKPG-2026-07",
    "time": "2026-03-14T12:00:00Z",
    "conducted_at": "2026-03-14T09:30:00+01:00",
    "municipality": "Norrköping",
    "premises": {"address": "Sandgatan 14 B, 602 22 Norrköping", "industry": "restaurant"},
    "finding": {"code": "PERSONALLIGGARE_SAKNAS", "category": "tax",
                "summary": "Personalliggare saknades; två personer arbetade \"oregistrerade\"", "count": 2},
}

# Values whose canonical form shows each rule: key order, escapes, UTF-8, nesting, integers.
CANONICAL_CASES: list[tuple[str, Any]] = [
    ("keys sorted at every level, no white space",
     {"b": 1, "a": {"d": [3, 2, 1], "c": None}, "A": True, "_": False}),
    ("only \", \\ and U+0000..U+001F are escaped; \\b \\t \\n \\f \\r short, others \\u00xx in lower case",
     {"s": "quote \" backslash \\ slash / tab \t newline \n bell \u0007 unit separator \u001f delete \u007f"}),
    ("non-ASCII characters are written as their UTF-8 bytes, never \\u escapes",
     {"s": "Norrköping Överby ÅÄÖ é € \u2028 😀"}),
    ("integers as plain decimal digits",
     {"n": [0, -1, 17500, 10000000000, 9007199254740991]}),
    ("empty containers and strings", {"a": [], "o": {}, "s": ""}),
]


def private_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(SEED)


def inspection_event(inputs: dict[str, Any]) -> dict[str, Any]:
    """The unsigned event of one inspection: only the fields that carry a value (a field that
    is absent and one that is null mean the same to the coordinator, but not to a signature)."""
    data: dict[str, Any] = {"inspection_ref": inputs["record_ref"]}
    if inputs.get("operation_id"):
        data["operation_id"] = inputs["operation_id"]
    data |= {"conducted_at": inputs["conducted_at"], "municipality": inputs["municipality"],
             "premises": inputs["premises"], "findings": [inputs["finding"]]}
    event_type = InspectionConductedV1.TYPE
    return {
        "specversion": "1.0",
        "id": str(event_id_for(inputs["agency"], inputs["record_kind"], inputs["record_ref"],
                               inputs["record_version"])),
        "source": source_for(inputs["agency"]),
        "type": event_type,
        "time": inputs["time"],
        "dataschema": dataschema_for(event_type),
        "datacontenttype": "application/json",
        "losagency": inputs["agency"],
        "data": data,
    }


def _partition_key(operation_id: str | None, orgnr: str | None, event_id: str) -> str:
    """`Envelope.partition_key` of an event with these values (checked against it in the tests)."""
    if operation_id:
        return f"op:{operation_id}"
    if orgnr:
        return "biz:" + hashlib.sha256(orgnr.encode()).hexdigest()[:16]
    return f"ev:{event_id}"


def vectors() -> dict[str, Any]:
    """Every vector, as the file holds them."""
    key = private_key()
    public = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    public_pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    unsigned = inspection_event(INSPECTION)
    parse_event_obj(unsigned)  # a valid event of its type, or this raises
    signed = sign(unsigned, key, KEY_ID, SIGNED_AT)
    payload = signing_payload(signed)
    value = canonical_json(signed)
    name = "\x1f".join([INSPECTION["agency"], INSPECTION["record_kind"], INSPECTION["record_ref"],
                        INSPECTION["record_version"]])
    event_id = str(unsigned["id"])
    return {
        "about": "Signing a LOS event byte by byte: see docs/adapters.md, 'Signing, byte by byte'. Derived by"
                 " `python -m schemas.signing_vectors` from fixed inputs; every adapter must reproduce it.",
        "canonical_form": [
            {"about": about, "value": value_, "canonical": canonical_json(value_).decode("utf-8"),
             "canonical_hex": canonical_json(value_).hex()}
            for about, value_ in CANONICAL_CASES
        ],
        "key": {
            "about": "A test key: the Ed25519 seed (RFC 8032's 32-byte private key), its public key, and the"
                     " same private key as the PKCS#8 PEM `python -m services.keys` writes.",
            "seed_hex": SEED.hex(),
            "public_key_hex": public.hex(),
            "public_key_b64url": b64(public),
            "private_key_pkcs8_pem": pem,
            "public_key_spki_pem": public_pem,
            "key_id": KEY_ID,
        },
        "event_id": {
            "about": "uuid5(namespace, agency + 0x1f + record kind + 0x1f + record ref + 0x1f + version)",
            "namespace": str(EVENT_ID_NAMESPACE),
            "agency": INSPECTION["agency"],
            "record_kind": INSPECTION["record_kind"],
            "record_ref": INSPECTION["record_ref"],
            "version": INSPECTION["record_version"],
            "name_utf8_hex": name.encode("utf-8").hex(),
            "id": event_id,
        },
        "inspection": {
            "about": "An agency's inspection record, the event made of it, and that event signed with `key`"
                     " at `signed_at`.",
            "inputs": INSPECTION,
            "unsigned_event": unsigned,
            "key_id": KEY_ID,
            "signed_at": signed["lossignedat"],
            "signing_payload": payload.decode("utf-8"),
            "signing_payload_sha256": hashlib.sha256(payload).hexdigest(),
            "signature": signed["lossignature"],
            "signed_event": signed,
        },
        "kafka_record": {
            "about": "The record an adapter produces: value = the signed event in canonical form.",
            "topic": events_topic(INSPECTION["agency"]),
            "key": _partition_key(INSPECTION["operation_id"], None, event_id),
            "headers": {"content-type": CONTENT_TYPE},
            "value": value.decode("utf-8"),
            "value_sha256": hashlib.sha256(value).hexdigest(),
        },
        "partition_keys": [
            {"operation_id": INSPECTION["operation_id"], "orgnr": "556036-0793", "event_id": event_id,
             "key": _partition_key(INSPECTION["operation_id"], "556036-0793", event_id)},
            {"operation_id": None, "orgnr": "556036-0793", "event_id": event_id,
             "key": _partition_key(None, "556036-0793", event_id)},
            {"operation_id": None, "orgnr": None, "event_id": event_id,
             "key": _partition_key(None, None, event_id)},
        ],
    }


def render() -> str:
    """The file's text: UTF-8, with the characters an editor would hide written as escapes."""
    text = json.dumps(vectors(), indent=2, ensure_ascii=False) + "\n"
    for invisible in ("\u007f", "\u2028", "\u2029"):  # they occur only inside JSON strings
        text = text.replace(invisible, f"\\u{ord(invisible):04x}")
    return text


def main(argv: list[str]) -> int:
    if argv[1:] == ["--write"]:
        VECTORS_FILE.parent.mkdir(parents=True, exist_ok=True)
        VECTORS_FILE.write_text(render(), encoding="utf-8", newline="\n")
        print(f"wrote {VECTORS_FILE.name}")
        return 0
    if argv[1:]:
        print("usage: python -m schemas.signing_vectors [--write]", file=sys.stderr)
        return 2
    if not VECTORS_FILE.is_file() or VECTORS_FILE.read_text(encoding="utf-8") != render():
        print(f"{VECTORS_FILE.name} differs from what the signing code derives: the signed bytes changed,"
              " which breaks every adapter", file=sys.stderr)
        return 1
    print(f"{VECTORS_FILE.name} agrees with the signing code")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
