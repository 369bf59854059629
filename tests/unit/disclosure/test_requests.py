"""A disclosure request, and the owner's answer as a decision: taken by a person with the
owner's delegation, with its assessment, under the one rule its basis matches, for the
items that exist when it is taken, the purpose asked for and until an expiry."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from deploy.local.stack import REPO
from schemas.agencies import load_agencies
from schemas.categories import Category
from services.disclosure.decide import OperationContext
from services.disclosure.delegations import Delegation, DelegationError, in_force, new_delegation, revoked
from services.disclosure.enforce import item_digest
from services.disclosure.policy import Policy, Purpose, load_policy
from services.disclosure.requests import (
    OBVIOUS,
    DisclosureRequest,
    RequestError,
    Status,
    decide_request,
    items_of,
    matching_rule,
    new_request,
)

AT = datetime.datetime(2026, 4, 20, 13, 0, tzinfo=datetime.UTC)
POLICY = load_policy(REPO / "deploy" / "policy" / "los-default.yaml")
AGENCIES = load_agencies()
FUNCTIONS = {code: a.function for code, a in AGENCIES.items()}
OP = "LKPG-2026-04"


def entry(agency: str, kind: str, event_id: str, detail: dict[str, Any]) -> dict[str, Any]:
    return {"at": "2026-04-14T08:00:00+00:00", "agency": agency, "kind": kind, "event_id": event_id,
            "ref": f"{agency}-{event_id}", "premises": "fb:LINKÖPING TANNEFORS 1:4", "business": "org:556036-0793",
            "persons": [], "detail": detail}


def stopped(event_id: str) -> dict[str, Any]:
    return entry("SOCIAL_INSURANCE", "decision", event_id, {
        "decision_kind": "stoppad_utbetalning", "category": "social_insurance", "legal_reference": "SFB 110 kap.",
        "amount_sek": 48_000, "amount_kind": "stopped", "appeal_status": "not_appealed"})


def record(*timeline: dict[str, Any]) -> dict[str, Any]:
    return {"operation_id": OP, "revision": 1, "title": "Vårens tillslag", "municipality": "Linköping",
            "planned_date": "2026-04-14", "status": "executed", "lead_agency": "POLICE",
            "participants": ["FIRE_RTOG", "POLICE", "SOCIAL_INSURANCE", "TAX"], "targets": [],
            "timeline": list(timeline)}


def delegation(authority: str = "SOCIAL_INSURANCE", **changes: Any) -> Delegation:
    fields: dict[str, Any] = dict(id="DEL-1", authority=authority, holder="fk-sektionschef",
                                  holder_name="Sektionschef Lind", reference="Delegationsordning FK 2026:1 p. 12",
                                  valid_from=datetime.date(2026, 1, 1), valid_until=None, recorded_by="admin",
                                  at=AT - datetime.timedelta(days=100), participants=AGENCIES)
    return new_delegation(**{**fields, **changes})


def ask(**overrides: Any) -> DisclosureRequest:
    fields: dict[str, Any] = dict(id="req-1", requester="FIRE_RTOG", requested_by="Insatsledare Berg",
                                  owner="SOCIAL_INSURANCE", operation_id=OP,
                                  categories=frozenset({Category.SOCIAL_INSURANCE}), purpose=Purpose.JOINT_OPERATION,
                                  basis="osl-10-27", reason="Brandrisk i lokal där personer sägs bo", at=AT)
    return new_request(**{**fields, **overrides})


def approve(request: DisclosureRequest | None = None, **overrides: Any) -> DisclosureRequest:
    fields: dict[str, Any] = dict(
        approve=True, assessment="Livsfara vid brand; det är uppenbart att intresset väger tyngre.",
        decided_by="Sektionschef Lind <fk-sektionschef>", decider_agency="SOCIAL_INSURANCE", at=AT,
        delegation=delegation(), policy=POLICY, record=record(stopped("e7")), functions=FUNCTIONS,
        valid_until=AT.date() + datetime.timedelta(days=30), obvious=True)
    return decide_request(request or ask(), **{**fields, **overrides})


def test_an_approval_names_its_rule_items_purpose_expiry_and_delegation() -> None:
    request = ask()
    assert request.status == Status.PENDING and request.approval() is None
    approved = approve(request)
    approval = approved.approval()
    assert approval is not None
    assert (approval.owner, approval.recipient, approval.categories) == (
        "SOCIAL_INSURANCE", "FIRE_RTOG", frozenset({Category.SOCIAL_INSURANCE}))
    assert approval.rule == "general-clause-case-by-case" and approval.purpose == Purpose.JOINT_OPERATION
    assert approval.items == frozenset({("e7", item_digest(stopped("e7")))})
    assert approval.valid_until == datetime.date(2026, 5, 20)
    assert approved.delegation == "DEL-1" and approved.threshold == OBVIOUS and "uppenbart" in OBVIOUS


def test_a_refusal_opens_nothing_and_is_a_decision_too() -> None:
    refused = approve(approve=False, assessment="Sekretessintresset väger tyngre här.")
    assert refused.status == Status.REFUSED and refused.approval() is None
    assert refused.delegation == "DEL-1"
    with pytest.raises(RequestError, match="no delegation"):
        approve(approve=False, assessment="Sekretessintresset väger tyngre här.", delegation=None)


def test_only_the_owner_decides_and_only_once() -> None:
    with pytest.raises(RequestError, match="only SOCIAL_INSURANCE decides"):
        approve(decider_agency="FIRE_RTOG")
    done = approve()
    with pytest.raises(RequestError, match="already approved"):
        approve(done, approve=False, assessment="Ändrade mig om detta.")


def test_a_decision_maker_needs_a_delegation_of_that_authority_in_force() -> None:
    with pytest.raises(RequestError, match="no delegation"):
        approve(delegation=None)
    with pytest.raises(RequestError, match="no delegation"):
        approve(delegation=delegation("TAX"))
    ended = delegation(valid_until=datetime.date(2026, 3, 31))
    gone = revoked(delegation(), by="admin", reason="Slutat", at=AT - datetime.timedelta(days=1))
    for d in (ended, gone):
        assert in_force([d], "SOCIAL_INSURANCE", "fk-sektionschef", AT) is None
    assert in_force([delegation()], "SOCIAL_INSURANCE", "fk-sektionschef", AT) is not None
    assert in_force([delegation()], "SOCIAL_INSURANCE", "someone-else", AT) is None
    with pytest.raises(DelegationError, match="not a participant"):
        delegation("NOBODY")


def test_the_general_clause_asks_that_disclosure_obviously_outweighs_secrecy() -> None:
    with pytest.raises(RequestError, match="uppenbart"):
        approve(obvious=False)
    assert "uppenbart" in POLICY.basis("osl-10-27").citation and "klart" not in POLICY.basis("osl-10-27").citation


def test_tax_is_out_of_the_general_clause_and_social_services_out_of_everything() -> None:
    context = OperationContext(OP, frozenset(record()["participants"]))
    tax = ask(owner="TAX", categories=frozenset({Category.TAX}))
    with pytest.raises(RequestError, match="no rule of the policy"):
        matching_rule(POLICY, tax, context, FUNCTIONS, AT.date())
    social = ask(owner="MUNI_SOCIAL_0581", categories=frozenset({Category.PERSONAL_IDENTITY}))
    with pytest.raises(RequestError, match="no rule of the policy"):
        matching_rule(POLICY, social, context, FUNCTIONS, AT.date())
    # the police ask the tax agency under the law from prop. 2024/25:65: a decision of its own
    to_police = ask(requester="POLICE", owner="TAX", categories=frozenset({Category.TAX}),
                    purpose=Purpose.CRIME_PREVENTION, basis="prop-2024-25-65")
    assert matching_rule(POLICY, to_police, context, FUNCTIONS, AT.date()).id == "information-to-police"


def test_a_basis_matching_two_rules_decides_nothing() -> None:
    rule = next(r for r in POLICY.rules if r.id == "general-clause-case-by-case")
    doubled = Policy.model_validate({**POLICY.model_dump(), "rules": [
        *POLICY.model_dump()["rules"], {**rule.model_dump(), "id": "general-clause-again"}]})
    with pytest.raises(RequestError, match="more than one rule"):
        approve(policy=doubled)


def test_an_approval_has_an_expiry_within_a_year() -> None:
    for until in (None, AT.date() - datetime.timedelta(days=1), AT.date() + datetime.timedelta(days=366)):
        with pytest.raises(RequestError, match="expiry"):
            approve(valid_until=until)


def test_an_approval_covers_only_items_that_exist_when_it_is_taken() -> None:
    with pytest.raises(RequestError, match="no such items"):
        approve(record=record())
    rec = record(stopped("e7"), entry("TAX", "decision", "e2", {"category": "tax", "decision_kind": "kontrollavgift"}))
    assert items_of(rec, "SOCIAL_INSURANCE", frozenset({Category.SOCIAL_INSURANCE})) == {
        ("e7", item_digest(stopped("e7")))}
    with pytest.raises(RequestError, match="as it stands"):
        approve(record={**rec, "operation_id": "OTHER"})


@pytest.mark.parametrize(("overrides", "message"), [
    ({"requester": "SOCIAL_INSURANCE"}, "its own information"),
    ({"categories": frozenset()}, "at least one category"),
    ({"categories": frozenset({Category.SOCIAL_SERVICES})}, "social services"),
    ({"reason": "behövs"}, "say why"),
])
def test_a_request_that_cannot_be_made_says_why(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(RequestError, match=message):
        ask(**overrides)


def test_an_assessment_is_required_to_decide() -> None:
    with pytest.raises(RequestError, match="assessment"):
        approve(assessment="ok")
