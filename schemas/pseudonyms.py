"""The pseudonym service's request: a batch of blinded elements, signed by an adapter.

An adapter never holds the secret that makes pseudonyms. It blinds each personnummer
(RFC 9497 OPRF, `services.common.oprf`), sends the blinded elements in one request signed
with its agency's Ed25519 key, and unblinds what comes back. The request is a JSON object:

    {"type": "se.los.pseudonyms.evaluate.v1", "losagency": "TAX",
     "elements": ["<base64url of 32 bytes>", ...],
     "loskeyid": "...", "lossignedat": "<ISO 8601 with offset>", "lossignature": "..."}

signed like an event (`schemas.signing`: canonical form of everything but the signature), so
the same registry decides which keys count. Its own `type` keeps a request from ever passing
as an event, and an event from passing as a request. A request is valid for a few minutes
after `lossignedat`; the answer is `{"evaluated": [...]}` in the same order.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from schemas.signing import ADAPTER, KeyRegistry, PublicKey, SignatureRejected, b64, sign, unb64, verify

EVALUATE = "se.los.pseudonyms.evaluate.v1"
ELEMENT_BYTES = 32
MAX_ELEMENTS = 5_000
MAX_SKEW = datetime.timedelta(minutes=5)

REASONS = {
    "malformed": "not a request of this service (JSON object with type, losagency and elements)",
    "too_many": f"more than {MAX_ELEMENTS} elements in one request",
    "unsigned": "no signature (loskeyid, lossignedat, lossignature)",
    "unknown_key": "signed with a key the registry does not have",
    "wrong_agency": "the key belongs to another participant than the request names",
    "revoked_key": "the key was revoked",
    "key_not_valid_then": "the key was not valid when the request was signed",
    "bad_signature": "the signature does not match the request",
    "stale": f"signed more than {int(MAX_SKEW.total_seconds() // 60)} minutes before or after now",
    "unknown_participant": "the signer is not a participant of schemas/agencies.yaml",
    "key_not_allowed": "not an adapter key (a console or checkpoint key asks for no pseudonyms)",
}
"""Why a request is refused; each is a short code in the answer, with the detail."""


class RequestRefused(ValueError):
    """A request the service does not evaluate; `reason` is a key of `REASONS`."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class Checked:
    key: PublicKey
    elements: list[bytes]


def signed_request(agency: str, elements: Sequence[bytes], key: Ed25519PrivateKey, key_id: str,
                   signed_at: datetime.datetime) -> dict[str, Any]:
    """The request for `elements`, signed with the agency's key."""
    return sign({"type": EVALUATE, "losagency": agency, "elements": [b64(e) for e in elements]},
                key, key_id, signed_at)


def check_request(obj: Any, registry: KeyRegistry, participants: frozenset[str],
                  now: datetime.datetime) -> Checked:
    """The signer's key and the elements (still to be checked as group elements), or
    `RequestRefused`. Cheap checks first; the signature before anything is trusted."""
    if not isinstance(obj, Mapping) or obj.get("type") != EVALUATE or not isinstance(obj.get("losagency"), str):
        raise RequestRefused("malformed", REASONS["malformed"])
    elements = obj.get("elements")
    if not isinstance(elements, list) or not elements or not all(isinstance(e, str) for e in elements):
        raise RequestRefused("malformed", "elements: expected a non-empty list of base64url strings")
    if len(elements) > MAX_ELEMENTS:
        raise RequestRefused("too_many", f"{len(elements)} elements; send at most {MAX_ELEMENTS} per request")
    if set(obj) - {"type", "losagency", "elements", "loskeyid", "lossignedat", "lossignature"}:
        raise RequestRefused("malformed", "unknown fields")
    try:
        key = verify(obj, registry)
    except SignatureRejected as error:
        raise RequestRefused(error.reason, error.detail) from error
    signed_at = datetime.datetime.fromisoformat(str(obj["lossignedat"]).replace("Z", "+00:00"))
    if abs(now - signed_at) > MAX_SKEW:
        raise RequestRefused("stale", f"signed at {signed_at.isoformat()}, now is {now.isoformat()}")
    if key.kind != ADAPTER:
        raise RequestRefused("key_not_allowed", f"key {key.key_id!r} is a {key.kind[:40]} key")
    if key.agency not in participants:
        raise RequestRefused("unknown_participant", f"{key.agency} is not a participant")
    try:
        decoded = [unb64(e) for e in elements]
    except ValueError as error:
        raise RequestRefused("malformed", "elements: not base64url") from error
    if any(len(e) != ELEMENT_BYTES for e in decoded):
        raise RequestRefused("malformed", f"elements: each is {ELEMENT_BYTES} bytes")
    return Checked(key, decoded)
