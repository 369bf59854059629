"""Authenticity of events: Ed25519 signatures over the canonical form, and the key registry.

The signature covers the whole event except `lossignature` itself, in the canonical byte
form of `schemas.canonical`. A verifier checks the bytes it *received* (parsed to a plain
JSON value), never a re-serialisation of its own model, so a field it does not know or
normalises differently can never slip past the signature.

Keys: each holder keeps its private keys; the registry holds the public halves with their
agency, kind and validity window. Rotation is a new key while the old one's window closes;
revocation marks a key so that nothing signed with it is accepted any more, whatever time
the event claims.

Kinds (`KINDS`): an `adapter` key belongs to one agency's own system and signs that agency's
events; a `console` key is held by the console for one agency (authority) and signs only
that authority's plans (`CONSOLE_EVENT_TYPES`), each naming the planning user in its
`source` (`urn:los:agency:<CODE>/console.<user>`); a `checkpoint` key signs the audit
chain's checkpoints and no event. `permitted` says whether a key's kind may sign an event.
"""

from __future__ import annotations

import base64
import datetime
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from schemas.canonical import canonical_json
from schemas.events import OperationPlannedV1, OperationUpdatedV1

ADAPTER, CONSOLE, CHECKPOINT = "adapter", "console", "checkpoint"
KINDS = (ADAPTER, CONSOLE, CHECKPOINT)
CONSOLE_EVENT_TYPES = frozenset({OperationPlannedV1.TYPE, OperationUpdatedV1.TYPE})
CONSOLE_SYSTEM_PREFIX = "console."
_SOURCE = re.compile(r"^urn:los:agency:([A-Z][A-Z0-9_]{1,31})(?:/([A-Za-z0-9_.-]{1,64}))?$")


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
    """A registered public key. `kind` is one of `KINDS` (a registry entry without one is an
    `adapter` key, as every key was before kinds existed); an unknown kind may sign nothing."""

    key_id: str
    agency: str
    public_key: bytes
    not_before: datetime.datetime
    not_after: datetime.datetime | None = None
    revoked_at: datetime.datetime | None = None
    kind: str = ADAPTER
    revoked_reason: str | None = None

    def valid_at(self, at: datetime.datetime) -> bool:
        """Unrevoked and inside its window at `at`."""
        return (self.revoked_at is None and self.not_before <= at
                and (self.not_after is None or at <= self.not_after))

    def to_json(self) -> dict[str, Any]:
        return {
            "key_id": self.key_id, "agency": self.agency, "kind": self.kind, "public_key": b64(self.public_key),
            "not_before": self.not_before.isoformat(),
            "not_after": self.not_after.isoformat() if self.not_after else None,
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
            "revoked_reason": self.revoked_reason,
        }

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> PublicKey:
        def when(value: Any) -> datetime.datetime | None:
            return datetime.datetime.fromisoformat(value) if value else None

        not_before = when(obj["not_before"])
        assert not_before is not None
        reason = obj.get("revoked_reason")
        return cls(str(obj["key_id"]), str(obj["agency"]), unb64(str(obj["public_key"])),
                   not_before, when(obj.get("not_after")), when(obj.get("revoked_at")),
                   str(obj.get("kind") or ADAPTER), str(reason) if reason else None)


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

    def revoke(self, key_id: str, at: datetime.datetime, reason: str | None = None) -> PublicKey:
        """Nothing signed with the key is accepted any more; returns the revoked entry."""
        self._keys[key_id] = replace(self._keys[key_id], revoked_at=at, revoked_reason=reason)
        return self._keys[key_id]

    def retire(self, key_id: str, at: datetime.datetime) -> PublicKey:
        """Close the key's window at `at` (rotation): what it signed before stays valid."""
        self._keys[key_id] = replace(self._keys[key_id], not_after=at)
        return self._keys[key_id]

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
        why = f" ({key.revoked_reason})" if key.revoked_reason else ""
        raise SignatureRejected("revoked_key", f"key {key_id!r} was revoked at {key.revoked_at.isoformat()}{why}")
    try:
        signed_at = datetime.datetime.fromisoformat(str(event.get("lossignedat")).replace("Z", "+00:00"))
    except ValueError as error:
        raise SignatureRejected("unsigned", "the event has no valid lossignedat timestamp") from error
    if signed_at.tzinfo is None or signed_at < key.not_before or (key.not_after and signed_at > key.not_after):
        raise SignatureRejected("key_not_valid_then",
                                f"key {key_id!r} was not valid at signing time {signed_at.isoformat()}")
    try:
        signature_bytes = unb64(signature)
        if b64(signature_bytes) != signature:  # one encoding only: a variant would pass as another event
            raise ValueError("not the unpadded base64url of the signature's bytes")
        Ed25519PublicKey.from_public_bytes(key.public_key).verify(signature_bytes, signing_payload(event))
    except (InvalidSignature, ValueError) as error:
        raise SignatureRejected("bad_signature", "the signature does not match the event") from error
    return key


def console_system(user: str) -> str:
    """The `source` system of a plan made in the console by `user` (a safe user id)."""
    return CONSOLE_SYSTEM_PREFIX + user


def permitted(key: PublicKey, event: Mapping[str, Any]) -> str | None:
    """None when a key of this kind may sign the JSON event, else why not.

    A console key signs only plans (`CONSOLE_EVENT_TYPES`) whose `source` is its own agency's
    console with the planning user named (`urn:los:agency:<CODE>/console.<user>`); a
    checkpoint key, or one of a kind this code does not know, signs no event; an adapter key
    signs its agency's events but never one that names a console user, so such a source
    always means a plan made in the console."""
    found = _SOURCE.match(str(event.get("source")))
    system = (found.group(2) or "") if found else ""
    if key.kind == ADAPTER:
        if system.startswith(CONSOLE_SYSTEM_PREFIX):
            return f"adapter key {key.key_id!r} cannot sign for a console user ({event.get('source')})"
        return None
    if key.kind == CONSOLE:
        if event.get("type") not in CONSOLE_EVENT_TYPES:
            return (f"console key {key.key_id!r} signs plans only "
                    f"({', '.join(sorted(CONSOLE_EVENT_TYPES))}), not {str(event.get('type'))[:100]}")
        user = system.removeprefix(CONSOLE_SYSTEM_PREFIX)
        if not found or found.group(1) != key.agency or not system.startswith(CONSOLE_SYSTEM_PREFIX) or not user:
            return (f"console key {key.key_id!r} signs plans whose source names its agency's console user "
                    f"(urn:los:agency:{key.agency}/console.<user>), not {str(event.get('source'))[:100]}")
        return None
    return f"a {key.kind[:40]} key ({key.key_id!r}) signs no events"
