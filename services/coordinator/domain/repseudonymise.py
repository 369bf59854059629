"""Events sent again with new pseudonyms: the one change an event id may carry.

Events stored before the pseudonym service carry `psn:k1:` pseudonyms (an HMAC every adapter
could compute). An adapter switched to the service and asked to send its recent exports
again produces the same events, under the same ids, with `psn:o1:` pseudonyms instead. Such
an event replaces the stored one (its fact and the records follow); any other difference
under a taken id is still a `conflicting_id`.

`is_repseudonymised(stored, received)` holds when the two event bodies are equal except that
strings which were old-generation pseudonyms (alone, or in a sole trader's `st:` key) are
now current-generation ones, each old pseudonym always becoming the same new one and no two
becoming one. A change back to an old generation is not one.
"""

from __future__ import annotations

import re
from typing import Any

CURRENT = "o1"  # services.common.pseudonyms.KEY_ID
OLD = frozenset({"k1"})  # the shared-HMAC generation (schemas.identifiers.pseudonymise)
_PSEUDONYM = re.compile(r"(st:)?psn:([A-Za-z0-9_.-]{1,32}):[0-9a-f]{64}")


class _Pairing:
    def __init__(self) -> None:
        self.forward: dict[str, str] = {}
        self.backward: dict[str, str] = {}

    def pair(self, old: str, new: str) -> bool:
        a, b = _PSEUDONYM.fullmatch(old), _PSEUDONYM.fullmatch(new)
        if a is None or b is None or a.group(1) != b.group(1) or a.group(2) not in OLD or b.group(2) != CURRENT:
            return False
        old_core, new_core = old.removeprefix("st:"), new.removeprefix("st:")
        if self.forward.setdefault(old_core, new_core) != new_core:
            return False
        return self.backward.setdefault(new_core, old_core) == old_core


def _same_but_pseudonyms(stored: Any, received: Any, pairing: _Pairing) -> bool:
    if isinstance(stored, str) and isinstance(received, str):
        return stored == received or pairing.pair(stored, received)
    if isinstance(stored, dict) and isinstance(received, dict):
        return stored.keys() == received.keys() and all(
            _same_but_pseudonyms(stored[k], received[k], pairing) for k in stored)
    if isinstance(stored, list) and isinstance(received, list):
        return len(stored) == len(received) and all(
            _same_but_pseudonyms(s, r, pairing) for s, r in zip(stored, received, strict=True))
    return type(stored) is type(received) and stored == received


def is_repseudonymised(stored: Any, received: Any) -> bool:
    """Whether `received` is `stored` with its old pseudonyms replaced by current ones (at least one)."""
    pairing = _Pairing()
    return _same_but_pseudonyms(stored, received, pairing) and bool(pairing.forward)
