"""Noisy keys: a value shared by too many subjects must not glue the world together.

A shopping centre's property unit, an accountant's office address or a placeholder value
may appear with dozens of businesses. Joining on it would put unrelated businesses into
one operation or dossier. A premises key seen with more than `cap` distinct businesses
is noisy: correlation ignores it and it is listed for a person to review (MISP caps
correlations the same way, at 20 matches by default).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

DEFAULT_CAP = 20


def noisy_keys(businesses_by_key: Mapping[str, Iterable[str]], cap: int = DEFAULT_CAP) -> frozenset[str]:
    return frozenset(key for key, businesses in businesses_by_key.items() if len(set(businesses)) > cap)
