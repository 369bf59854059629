"""Which entries belong in an agency's own export (`shown_to`): all it owns, denials to
others included; of the entries naming it as recipient or actor, none that records a denial."""

from __future__ import annotations

from typing import Any

import pytest

from services.audit.review import shown_to


def entry(kind: str, owner: str | None, recipient: str | None, actor: str | None = None) -> dict[str, Any]:
    return {"kind": kind, "owner": owner, "recipient": recipient,
            "actor": {"agency": actor, "role": "officer", "user": "x"} if actor else None}


@pytest.mark.parametrize(("given", "agency", "shown"), [
    (entry("disclosure", "TAX", "POLICE"), "TAX", True),
    (entry("disclosure", "TAX", "POLICE"), "POLICE", True),
    (entry("denial", "TAX", "FIRE_RTOG", "FIRE_RTOG"), "TAX", True),  # the owner keeps its refusals
    (entry("denial", "TAX", "FIRE_RTOG", "FIRE_RTOG"), "FIRE_RTOG", False),  # they tell of TAX's record
    (entry("denial", "", "FIRE_RTOG", "FIRE_RTOG"), "FIRE_RTOG", False),  # nor of a missing one
    (entry("read", None, None, "FIRE_RTOG"), "FIRE_RTOG", True),
    (entry("read", None, None, "FIRE_RTOG"), "TAX", False),
    (entry("disclosure_request", "TAX", "FIRE_RTOG", "FIRE_RTOG"), "FIRE_RTOG", True),
    (entry("disclosure", "TAX", "POLICE"), "FIRE_RTOG", False),
    ({"kind": "erasure", "events": 3}, "TAX", False),
])
def test_an_agency_sees_its_own_entries_and_no_denial_of_another_owners_record(
        given: dict[str, Any], agency: str, shown: bool) -> None:
    assert shown_to(given, agency) is shown
