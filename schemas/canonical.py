"""The one canonical byte form of a JSON value, used for signatures and the audit hash chain.

Sorted keys, no insignificant white space, UTF-8, no floats (contracts carry amounts as
whole kronor), so every producer and verifier derives identical bytes from the same value.
This is RFC 8785 (JCS) restricted to values without floats.

The bytes are those of `json.dumps(value, sort_keys=True, separators=(",", ":"),
ensure_ascii=False)`; orjson produces them about four times faster (a property test holds
the two equal), and integers beyond 64 bits, which orjson refuses, take the standard path.
"""

from __future__ import annotations

import json
from typing import Any

import orjson


class CanonicalFormError(ValueError):
    """A value that has no canonical form here (a float, a non-string key, NaN...)."""


def _check(value: Any) -> None:
    """Refuse floats and non-string keys anywhere in `value` (iterative: deep values are fine)."""
    stack = [value]
    pop, extend = stack.pop, stack.extend
    while stack:
        item = pop()
        kind = type(item)
        if kind is str or kind is int or kind is bool or item is None:
            continue
        if isinstance(item, dict):
            if not all(type(key) is str for key in item):
                raise CanonicalFormError("object keys must be strings")
            extend(item.values())
        elif isinstance(item, list | tuple):
            extend(item)
        elif isinstance(item, float):
            raise CanonicalFormError(f"{item!r}: floats have no canonical form; use an integer")


def canonical_json(value: Any) -> bytes:
    _check(value)
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:
        try:  # integers wider than 64 bits; anything else fails here too, with the reason
            return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                              allow_nan=False).encode("utf-8")
        except (TypeError, ValueError, RecursionError) as error:
            raise CanonicalFormError(str(error)) from error
