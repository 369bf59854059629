"""A disclosure request: asked with a purpose, decided by the owner with its assessment,
and an approval opens exactly what was asked."""

from __future__ import annotations

import datetime

import pytest

from schemas.categories import Category
from services.disclosure.policy import Purpose
from services.disclosure.requests import RequestError, Status, decide_request, new_request

AT = datetime.datetime(2026, 4, 20, 13, 0, tzinfo=datetime.UTC)


def ask(**overrides):  # type: ignore[no-untyped-def]
    fields = dict(id="req-1", requester="FIRE_RTOG", requested_by="Insatsledare Berg", owner="TAX",
                  operation_id="LKPG-2026-04", categories=frozenset({Category.TAX}),
                  purpose=Purpose.JOINT_OPERATION, basis="osl-10-27",
                  reason="Brandrisk i lokal där personalliggaren visar nattarbete", at=AT)
    return new_request(**{**fields, **overrides})


def test_an_approval_opens_exactly_the_requested_category_to_the_requester() -> None:
    request = ask()
    assert request.status == Status.PENDING and request.approval() is None
    approved = decide_request(request, approve=True, assessment="Intresset av brandskydd väger klart tyngre.",
                              decided_by="Skatteverket, sektionschef", decider_agency="TAX", at=AT)
    approval = approved.approval()
    assert approval is not None
    assert (approval.owner, approval.recipient, approval.categories) == ("TAX", "FIRE_RTOG", frozenset({Category.TAX}))


def test_a_refusal_opens_nothing() -> None:
    refused = decide_request(ask(), approve=False, assessment="Sekretessintresset väger tyngre här.",
                             decided_by="Skatteverket", decider_agency="TAX", at=AT)
    assert refused.status == Status.REFUSED and refused.approval() is None


def test_only_the_owner_decides_and_only_once() -> None:
    with pytest.raises(RequestError, match="only TAX decides"):
        decide_request(ask(), approve=True, assessment="Det är lämpligt att lämna ut.", decided_by="x",
                       decider_agency="FIRE_RTOG", at=AT)
    done = decide_request(ask(), approve=True, assessment="Det är lämpligt att lämna ut.", decided_by="x",
                          decider_agency="TAX", at=AT)
    with pytest.raises(RequestError, match="already approved"):
        decide_request(done, approve=False, assessment="Ändrade mig om detta.", decided_by="x",
                       decider_agency="TAX", at=AT)


@pytest.mark.parametrize(("overrides", "message"), [
    ({"requester": "TAX"}, "its own information"),
    ({"categories": frozenset()}, "at least one category"),
    ({"categories": frozenset({Category.SOCIAL_SERVICES})}, "social services"),
    ({"reason": "behövs"}, "say why"),
])
def test_a_request_that_cannot_be_made_says_why(overrides: dict, message: str) -> None:
    with pytest.raises(RequestError, match=message):
        ask(**overrides)


def test_an_assessment_is_required_to_decide() -> None:
    with pytest.raises(RequestError, match="assessment"):
        decide_request(ask(), approve=True, assessment="ok", decided_by="x", decider_agency="TAX", at=AT)
