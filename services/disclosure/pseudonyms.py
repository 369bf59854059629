"""Each recipient's own pseudonyms: what leaves the platform cannot be joined across recipients.

Inside the platform a person is `psn:o1:<hex>` (the OPRF pseudonym, or `psn:k1:` in events
older than the pseudonym service). Whatever the enforcement point lets out to participant R
carries instead

    psn:r1:<hex of HMAC-SHA256(egress key, R || 0x1f || internal pseudonym)>

and a sole trader's business key `st:<internal>` becomes `st:<R's pseudonym>`. The same person
has one pseudonym per recipient, stable over time, so a recipient correlates its own data;
two recipients' pseudonyms of one person have nothing in common. The egress key is held by
the platform's egress services only (disclosure feeds, console) and computes nothing from a
personnummer: it maps internal pseudonyms, which never leave the platform. Mapping back is
done by the egress services for their own recipient (`resolve`), by computing the external
form of the internal pseudonyms the platform has; nothing reversible is handed out.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable

VERSION = "r1"
PREFIX = f"psn:{VERSION}:"
SOLE_TRADER = "st:"
MIN_KEY_BYTES = 32
_INTERNAL = re.compile(r"psn:(?!r1:)[A-Za-z0-9_.-]{1,32}:[0-9a-f]{64}")
EXTERNAL = re.compile(r"psn:r1:[0-9a-f]{64}")


def is_internal(key: str) -> bool:
    """A person's pseudonym as the platform keeps it (`psn:o1:`, `psn:k1:`)."""
    return _INTERNAL.fullmatch(key) is not None


class RecipientPseudonyms:
    """Internal person pseudonyms and sole traders' keys in each recipient's own form."""

    def __init__(self, key: bytes) -> None:
        if len(key) < MIN_KEY_BYTES:
            raise ValueError(f"the egress pseudonym key is {len(key)} bytes; expected {MIN_KEY_BYTES} or more")
        self._key = key

    def person(self, recipient: str, internal: str) -> str:
        mac = hmac.new(self._key, recipient.encode() + b"\x1f" + internal.encode(), hashlib.sha256)
        return PREFIX + mac.hexdigest()

    def subject(self, recipient: str, key: str) -> str:
        """A subject key as `recipient` sees it: persons and sole traders mapped, the rest as is."""
        if is_internal(key):
            return self.person(recipient, key)
        if key.startswith(SOLE_TRADER) and is_internal(key[len(SOLE_TRADER):]):
            return SOLE_TRADER + self.person(recipient, key[len(SOLE_TRADER):])
        return key

    def resolve(self, recipient: str, external: str, candidates: Iterable[str]) -> str | None:
        """The internal key among `candidates` that `recipient` sees as `external`, if any."""
        for candidate in candidates:
            if hmac.compare_digest(self.subject(recipient, candidate), external):
                return candidate
        return None
