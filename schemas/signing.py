"""Authenticity of events: Ed25519 signatures over the canonical form, and the key registry.

The signature covers the whole event except `lossignature` itself, in the canonical byte
form of `schemas.canonical`. A verifier checks the bytes it *received* (parsed to a plain
JSON value), never a re-serialisation of its own model, so a field it does not know or
normalises differently can never slip past the signature.

Keys: each agency holds its private keys; the registry holds the public halves with their
validity window. Rotation is a new key with an overlapping window; revocation marks a key
so that nothing signed with it is accepted any more, whatever time the event claims.
"""

from __future__ import annotations

import base64
import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from schemas.canonical import canonical_json


class SignatureRejected(ValueError):
    """An event whose signature cannot be accepted; `reason` is a short machine-readable code."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def signing_payload(event: Mapping[str, Any]) -> bytes:
    return canonical_json({k: v for k, v in event.items() if k != "lossignature"})


def sign(event: Mapping[str, Any], key: Ed25519PrivateKey, key_id: str,
         signed_at: datetime.datetime) -> dict[str, Any]:
    """Return a copy of the JSON event with `loskeyid`, `lossignedat` and `lossignature` set.

    The key's validity is judged at `signed_at`, not at the event's `time`: an agency may
    export records of last year with this year's key."""
    unsigned = {**event, "loskeyid": key_id, "lossignedat": signed_at.isoformat()}
    unsigned.pop("lossignature", None)
    return {**unsigned, "lossignature": b64(key.sign(signing_payload(unsigned)))}


@dataclass(frozen=True)
class PublicKey:
    key_id: str
    agency: str
    public_key: bytes
    not_before: datetime.datetime
    not_after: datetime.datetime | None = None
    revoked_at: datetime.datetime | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "key_id": self.key_id, "agency": self.agency, "public_key": b64(self.public_key),
            "not_before": self.not_before.isoformat(),
            "not_after": self.not_after.isoformat() if self.not_after else None,
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
        }

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> PublicKey:
        def when(value: Any) -> datetime.datetime | None:
            return datetime.datetime.fromisoformat(value) if value else None

        not_before = when(obj["not_before"])
        assert not_before is not None
        return cls(str(obj["key_id"]), str(obj["agency"]), unb64(str(obj["public_key"])),
                   not_before, when(obj.get("not_after")), when(obj.get("revoked_at")))


class KeyRegistry:
    """Public keys by id. Pure data: loading and saving it is the caller's business."""

    def __init__(self, keys: Iterable[PublicKey] = ()) -> None:
        self._keys = {k.key_id: k for k in keys}

    def __iter__(self) -> Any:
        return iter(self._keys.values())

    def get(self, key_id: str) -> PublicKey | None:
        return self._keys.get(key_id)

    def add(self, key: PublicKey) -> None:
        if key.key_id in self._keys:
            raise ValueError(f"key id {key.key_id} is already registered")
        self._keys[key.key_id] = key

    def revoke(self, key_id: str, at: datetime.datetime) -> None:
        key = self._keys[key_id]
        self._keys[key_id] = PublicKey(key.key_id, key.agency, key.public_key, key.not_before,
                                       key.not_after, at)

    def to_json(self) -> dict[str, Any]:
        return {"keys": [k.to_json() for k in self._keys.values()]}

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> KeyRegistry:
        return cls(PublicKey.from_json(k) for k in obj.get("keys", []))


def verify(event: Mapping[str, Any], registry: KeyRegistry) -> PublicKey:
    """Check the signature of a received JSON event; return the key that signed it.

    Raises `SignatureRejected` with reason `unsigned`, `unknown_key`, `wrong_agency`,
    `revoked_key`, `key_not_valid_then` or `bad_signature`.
    """
    key_id, signature = event.get("loskeyid"), event.get("lossignature")
    if not isinstance(key_id, str) or not isinstance(signature, str):
        raise SignatureRejected("unsigned", "the event has no loskeyid/lossignature")
    key = registry.get(key_id)
    if key is None:
        raise SignatureRejected("unknown_key", f"key {key_id!r} is not in the key registry")
    if key.agency != event.get("losagency"):
        raise SignatureRejected(
            "wrong_agency", f"key {key_id!r} belongs to {key.agency}, event claims {event.get('losagency')}")
    if key.revoked_at is not None:
        raise SignatureRejected("revoked_key", f"key {key_id!r} was revoked at {key.revoked_at.isoformat()}")
    try:
        signed_at = datetime.datetime.fromisoformat(str(event.get("lossignedat")).replace("Z", "+00:00"))
    except ValueError as error:
        raise SignatureRejected("unsigned", "the event has no valid lossignedat timestamp") from error
    if signed_at.tzinfo is None or signed_at < key.not_before or (key.not_after and signed_at > key.not_after):
        raise SignatureRejected("key_not_valid_then",
                                f"key {key_id!r} was not valid at signing time {signed_at.isoformat()}")
    try:
        Ed25519PublicKey.from_public_bytes(key.public_key).verify(unb64(signature), signing_payload(event))
    except (InvalidSignature, ValueError) as error:
        raise SignatureRejected("bad_signature", "the signature does not match the event") from error
    return key
