"""Mandates: the rules of giving one, and which mandate a read happens under."""

from __future__ import annotations

import datetime

import pytest

from services.console.mandates import Mandate, MandateError, mandate_for, new_mandate, revoked
from services.disclosure.policy import Purpose

AT = datetime.datetime(2026, 5, 4, 10, 0, tzinfo=datetime.UTC)
UNTIL = datetime.date(2026, 9, 30)


def given(**changes: object) -> Mandate:
    args: dict[str, object] = {
        "id": "UPP-1", "authority": "TAX", "user": "sub-1", "user_name": "Tina Skatt",
        "purpose": Purpose.JOINT_OPERATION, "case_reference": "Skatteverket 131 4711-26/121",
        "operation_id": "LKPG-2026-04", "valid_until": UNTIL, "assigned_by": "Sam Samordnare",
        "assigner_authority": "TAX", "at": AT, **changes}
    return new_mandate(**args)  # type: ignore[arg-type]


def test_a_mandate_is_given_within_the_own_authority_for_a_case_until_a_set_day() -> None:
    assert given().case_reference == "Skatteverket 131 4711-26/121"
    with pytest.raises(MandateError, match="egen myndighet"):
        given(assigner_authority="POLICE")
    with pytest.raises(MandateError, match="diarienummer"):
        given(case_reference="–")
    with pytest.raises(MandateError, match="högst"):
        given(valid_until=AT.date() + datetime.timedelta(days=400))
    with pytest.raises(MandateError, match="högst"):
        given(valid_until=AT.date() - datetime.timedelta(days=1))


def test_operation_work_names_an_operation_and_standing_work_none() -> None:
    with pytest.raises(MandateError, match="ange operationen"):
        given(operation_id=None)
    with pytest.raises(MandateError, match="lämna operationen tom"):
        given(purpose=Purpose.AUDIT)
    assert given(purpose=Purpose.AUDIT, operation_id="").operation_id is None


def test_work_under_lag_2016_774_needs_a_collaboration_decision_naming_the_authority() -> None:
    with pytest.raises(MandateError, match="2016:774"):
        given(purpose=Purpose.ORGANISED_CRIME)
    assert given(purpose=Purpose.ORGANISED_CRIME, collaboration_named=True).purpose is Purpose.ORGANISED_CRIME


def test_a_read_happens_under_a_mandate_in_force_for_that_person_and_operation() -> None:
    joint, police_work = given(), given(id="UPP-2", purpose=Purpose.CRIME_PREVENTION)
    held = [police_work, joint]
    found = mandate_for(held, authority="TAX", user="sub-1", operation_id="LKPG-2026-04", purpose=None, at=AT)
    assert found == joint  # a joint operation first, unless the person names another of theirs
    assert mandate_for(held, authority="TAX", user="sub-1", operation_id="LKPG-2026-04",
                       purpose=Purpose.CRIME_PREVENTION, at=AT) == police_work
    for other in ({"user": "sub-2"}, {"authority": "POLICE"}, {"operation_id": "LKPG-2026-05"},
                  {"purpose": Purpose.WRONGFUL_PAYMENTS}):
        asked: dict[str, object] = {"authority": "TAX", "user": "sub-1", "operation_id": "LKPG-2026-04",
                                    "purpose": None, "at": AT, **other}
        assert mandate_for(held, **asked) is None  # type: ignore[arg-type]
    after = datetime.datetime.combine(UNTIL + datetime.timedelta(days=1), datetime.time(), datetime.UTC)
    assert mandate_for(held, authority="TAX", user="sub-1", operation_id="LKPG-2026-04", purpose=None,
                       at=after) is None
    gone = revoked(joint, by="Sam", by_authority="TAX", at=AT + datetime.timedelta(hours=1))
    assert mandate_for([gone], authority="TAX", user="sub-1", operation_id="LKPG-2026-04", purpose=None,
                       at=AT + datetime.timedelta(hours=2)) is None
    with pytest.raises(MandateError, match="redan"):
        revoked(gone, by="Sam", by_authority="TAX", at=AT)
    with pytest.raises(MandateError, match="din myndighet"):
        revoked(joint, by="Polis", by_authority="POLICE", at=AT)
