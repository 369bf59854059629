"""Keyed digests for the audit log: what an entry says about an item, a subject or a text.

An entry proves what was disclosed without holding it: it keeps a digest. A plain SHA-256 of
a small value (a finding `{"code": ..., "count": 3}`, `org:5560360793`) can be guessed by
hashing candidates, so whoever reads an exported entry could confirm what an item held. These
digests are HMAC-SHA256 under the audit digest key (`LOS_AUDIT_DIGEST_KEY_FILE`), which only the
services whose entries carry digests hold (the disclosure feeds, the console) and the
platform's audit tool; a recipient holding an export cannot test a guess.

Every keyed digest names its key generation: `hm1:<hex>`. A domain label goes into the MAC
first, so an item's digest is never a subject's. Entries written before the key existed carry
plain SHA-256 hex (no prefix); they stay as they are (the chain hashes them as written), the
audit tool still finds subjects by their old form (`legacy_subject`), and recipients' exports
leave those digests out (`is_keyed`).

The chain itself is not keyed: anyone may verify it (`services.audit.chain`).
"""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

GENERATION = "hm1"
PREFIX = f"{GENERATION}:"
MIN_KEY_BYTES = 32
VARIABLE = "LOS_AUDIT_DIGEST_KEY_FILE"


def is_keyed(digest: object) -> bool:
    """Whether a digest found in an entry is keyed (a plain SHA-256 of old entries is not)."""
    return isinstance(digest, str) and digest.startswith(PREFIX)


def legacy_subject(subject_key: str) -> str:
    """A subject's digest as entries written before the key held it (plain SHA-256)."""
    return hashlib.sha256(subject_key.encode()).hexdigest()


class AuditDigests:
    """HMAC-SHA256 under the audit digest key, one domain per kind of value."""

    def __init__(self, key: bytes) -> None:
        if len(key) < MIN_KEY_BYTES:
            raise ValueError(f"the audit digest key is {len(key)} bytes; expected {MIN_KEY_BYTES} or more")
        self._key = key

    def _mac(self, domain: str, data: bytes) -> str:
        return PREFIX + hmac.new(self._key, domain.encode() + b"\x1f" + data, hashlib.sha256).hexdigest()

    def item(self, fingerprint: str) -> str:
        """An item disclosed or withheld, by its fingerprint (SHA-256 of its canonical JSON,
        `services.disclosure.enforce.digest`), which is never written: the entry keeps this."""
        return self._mac("item", fingerprint.encode())

    def subject(self, subject_key: str) -> str:
        """A business, premises or person as the platform keys it (`org:...`, `psn:o1:...`)."""
        return self._mac("subject", subject_key.encode())

    def subject_forms(self, subject_key: str) -> list[str]:
        """Every digest an entry may name the subject by: keyed, and as older entries did."""
        return [self.subject(subject_key), legacy_subject(subject_key)]

    def text(self, context: str, text: str) -> str:
        """A free text (an assessment, a reason) of one act (`context`: a request id, ...)."""
        return self._mac("text", context.encode() + b"\x1f" + text.encode())


def load_audit_digests(path: Path) -> AuditDigests:
    """The key file's digests; refuses a missing or short file, naming the variable."""
    if not path.exists():
        raise FileNotFoundError(f"no key file at {path} ({VARIABLE}); the local runner makes one")
    return AuditDigests(path.read_bytes())
