"""The canonical form signatures and the audit chain rest on: one byte string per value."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.canonical import CanonicalFormError, canonical_json

JSON = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70) | st.text(),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(), inner, max_size=5),
    max_leaves=30,
)


def reference(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


@settings(max_examples=400)
@given(JSON)
def test_the_bytes_are_those_of_sorted_compact_utf8_json(value: Any) -> None:
    try:
        expected = reference(value)
    except UnicodeEncodeError:  # lone surrogates have no UTF-8 form
        with pytest.raises(CanonicalFormError):
            canonical_json(value)
        return
    assert canonical_json(value) == expected


def test_control_characters_and_non_ascii_letters() -> None:
    value = {"ö": "Grön\u00e5\n\t\x01\x7f\u2028\"\\", "a": [1, True, None]}
    assert canonical_json(value) == reference(value)


@pytest.mark.parametrize("value", [1.5, {"amount": 2.0}, [[{"x": float("nan")}]], {1: "x"}, {"x": {2, 3}}])
def test_values_without_a_canonical_form_are_refused(value: Any) -> None:
    with pytest.raises(CanonicalFormError):
        canonical_json(value)


def nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


def test_nesting_deeper_than_any_contract_is_refused_with_a_reason() -> None:
    assert canonical_json(nested(200)) == reference(nested(200))
    with pytest.raises(CanonicalFormError):
        canonical_json(nested(5000))
