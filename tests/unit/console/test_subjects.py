"""Subjekt: a business's, a premises' or a person's history across the operations the viewer
may see; what concerns the subject in each passes the enforcement point."""

from __future__ import annotations

import pytest

from services.console.errors import BadRequest
from services.console.views.subjects import subject_key
from tests.mandates import CASE
from tests.unit.console.conftest import EGRESS, PERSON, PLANTED, Console
from tests.unit.console.test_hidden_or_missing import Counted

SOCIAL = "MUNI_SOCIAL_0581"


def test_what_a_person_types_becomes_the_key_correlation_uses() -> None:
    assert subject_key("business", " 5560360793 ") == "org:556036-0793"
    assert subject_key("premises", "Linköping Tanneforss 1:4") == "fb:LINKÖPING TANNEFORSS 1:4"
    assert subject_key("premises", "Storgatan 1, 582 24 Linköping").startswith("ad:STORGATAN 1|58224")
    seen_by_social = EGRESS.person(SOCIAL, PERSON)
    assert subject_key("person", seen_by_social) == seen_by_social
    assert subject_key("business", f"st:{seen_by_social}") == f"st:{seen_by_social}"
    with pytest.raises(BadRequest, match="Personnummer söks inte"):
        subject_key("person", "19800101-1234")
    with pytest.raises(BadRequest, match="som den visas för din myndighet"):
        subject_key("person", PERSON)  # the platform's own pseudonym never reaches a user
    with pytest.raises(BadRequest, match="st:psn:r1"):
        subject_key("business", f"st:{PERSON}")
    with pytest.raises(BadRequest, match="Kan inte tolka"):
        subject_key("business", "123")


async def test_a_business_history_shows_what_the_viewer_may_see_of_each_operation(console: Console) -> None:
    async with console.client("FIRE_RTOG") as client:
        found = (await client.get("/api/subjects", params={"kind": "business", "key": "556036-0793",
                                                           "purpose": "joint_operation"})).json()
    [operation] = found["operations"]
    assert operation["operation_id"] == "LKPG-2026-04"
    assert {i["event_id"] for i in operation["items"]} == {"e3", "e4"}  # FIRE's own: others' are withheld
    assert PLANTED not in str(found)
    read = console.audit[-1]
    assert read["kind"] == "read" and read["what"] == "subject business" and len(read["subjects"]) == 1


async def test_only_social_services_find_the_person_in_their_own_matter(console: Console) -> None:
    async with console.client("FIRE_RTOG") as fire, console.client(SOCIAL) as social:
        query = {"kind": "person", "key": EGRESS.person(SOCIAL, PERSON), "purpose": "joint_operation"}
        by_fire = (await fire.get("/api/subjects", params=query)).json()
        by_social = (await social.get("/api/subjects", params=query)).json()
        as_fire_sees = {**query, "key": EGRESS.person("FIRE_RTOG", PERSON)}
        by_social_with_fires = (await social.get("/api/subjects", params=as_fire_sees)).json()
    assert by_fire["operations"] == []
    assert [o["operation_id"] for o in by_social["operations"]] == ["LKPG-2026-04"]
    [item] = by_social["operations"][0]["items"]
    assert item["persons"] == [EGRESS.person(SOCIAL, PERSON)] and by_social["key"] == query["key"]
    assert by_social_with_fires["operations"] == []  # another agency's pseudonym names nobody here
    assert PERSON not in str(by_social) + str(by_fire)
    read = console.audit[-1]  # the audit log keeps the platform's key, as a digest
    assert read["kind"] == "read" and read["subjects"] != [] and PERSON not in str(console.audit)


async def test_the_page_lists_the_history_and_the_search_is_logged(console: Console) -> None:
    async with console.client("FIRE_RTOG") as client:
        premises = {"kind": "premises", "key": "fb:LINKÖPING TANNEFORS 1:4"}
        page = await client.get("/subjekt", params={**premises, "purpose": "joint_operation"})
        any_mandate = await client.get("/subjekt", params=premises)
    assert page.status_code == 200 and "Vårens tillslag" in page.text and "UTRYMNING_BLOCKERAD" in page.text
    assert any_mandate.status_code == 200 and "Vårens tillslag" in any_mandate.text
    search = console.audit[-1]
    assert (search["kind"], search["what"], search["case_reference"]) == ("read", "subject premises", CASE)


async def test_the_search_runs_only_over_operations_within_the_viewers_scope(console: Console) -> None:
    """The business is in operations ENFORCEMENT takes no part in: the query itself leaves them
    out, so no record of theirs is read, decided or logged as refused."""
    counted = Counted(console)
    async with console.client("ENFORCEMENT") as client:
        found = (await client.get("/api/subjects", params={"kind": "business", "key": "556036-0793",
                                                           "purpose": "joint_operation"})).json()
    assert found["operations"] == []
    assert "record" not in counted.calls and "approved_requests" not in counted.calls
    assert not [e for e in console.audit if e["kind"] == "denial"]
    assert [e["kind"] for e in console.audit] == ["read"]


async def test_a_pseudonym_is_mapped_back_only_among_persons_within_scope(console: Console) -> None:
    counted = Counted(console)
    async with console.client("ENFORCEMENT") as client:
        query = {"kind": "person", "key": EGRESS.person("ENFORCEMENT", PERSON), "purpose": "joint_operation"}
        assert (await client.get("/api/subjects", params=query)).json()["operations"] == []
    assert "record" not in counted.calls
