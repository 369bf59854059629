"""The one canonical byte form of a JSON value, used for signatures and the audit hash chain.

Sorted keys, no insignificant white space, UTF-8, no floats (contracts carry amounts as
whole kronor), so every producer and verifier derives identical bytes from the same value.
This is RFC 8785 (JCS) restricted to values without floats.
"""

from __future__ import annotations

import json
from typing import Any


class CanonicalFormError(ValueError):
    """A value that has no canonical form here (a float, a non-string key, NaN...)."""


def _check(value: Any, path: str) -> None:
    if isinstance(value, float):
        raise CanonicalFormError(f"{path}: floats have no canonical form; use an integer")
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise CanonicalFormError(f"{path}: object keys must be strings")
            _check(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check(item, f"{path}[{index}]")


def canonical_json(value: Any) -> bytes:
    _check(value, "$")
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")
