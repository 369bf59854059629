"""An event sent again with the pseudonym service's pseudonyms replaces the stored one; any
other difference under a taken id is still a conflict."""

from __future__ import annotations

import copy
from typing import Any

from services.coordinator.domain.repseudonymise import is_repseudonymised

K1A, K1B = "psn:k1:" + "a" * 64, "psn:k1:" + "b" * 64
O1A, O1B = "psn:o1:" + "1" * 64, "psn:o1:" + "2" * 64


def data(owner: str, worker: str, *, trader: str | None = None, count: int = 3) -> dict[str, Any]:
    business = {"sole_trader": trader, "orgnr": None, "name": "Bilverkstad"} if trader else \
        {"orgnr": "556036-0793", "sole_trader": None, "name": "Bilverkstad AB"}
    return {"business": business, "findings": [{"code": "X", "count": count}],
            "persons_present": [{"pseudonym": owner, "role": "owner", "protected_identity": False},
                                {"pseudonym": worker, "role": "employee", "protected_identity": False}]}


def test_old_pseudonyms_replaced_one_for_one_is_a_repseudonymisation() -> None:
    assert is_repseudonymised(data(K1A, K1B), data(O1A, O1B))
    assert is_repseudonymised(data(K1A, K1B, trader=K1A), data(O1A, O1B, trader=O1A))


def test_the_same_event_again_is_not_one() -> None:
    assert not is_repseudonymised(data(K1A, K1B), copy.deepcopy(data(K1A, K1B)))


def test_anything_else_that_differs_is_not_one() -> None:
    assert not is_repseudonymised(data(K1A, K1B), data(O1A, O1B, count=4))  # and a finding changed
    assert not is_repseudonymised(data(K1A, K1B), data(O1A, O1A))  # two persons became one
    assert not is_repseudonymised(data(K1A, K1A), data(O1A, O1B))  # one person became two
    assert not is_repseudonymised(data(K1A, K1B, trader=K1A), data(O1A, O1B, trader=O1B))  # not the same mapping
    assert not is_repseudonymised(data(O1A, O1B), data(K1A, K1B))  # back to the old generation
    assert not is_repseudonymised(data(K1A, K1B), data("psn:x9:" + "1" * 64, O1B))  # an unknown generation
    assert not is_repseudonymised(data(K1A, K1B, trader=K1A), data(O1A, O1B, trader=None))
