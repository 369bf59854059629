"""Disclosure requests and the disclosure decisions that answer them.

The requester states the operation, the owner, the categories, the purpose, the basis and
why. The owner's answer is a decision of that authority, taken by a person it has delegated
it to (`delegations`), and it is bound like one: an approval names the one rule of the policy
it is taken under (the requested basis must match exactly one), the items that exist when it
is taken (event id and digest), the recipient, the purpose and an expiry. It opens those
items, for that purpose, until then, and nothing else: an item added or changed later needs
a new decision. Where the basis asks for a balancing (OSL 10 kap. 27 §) the decision-maker
records the assessment and states that the interest in disclosure *obviously* (uppenbart)
outweighs the interest secrecy protects. Every step is an audit entry.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from schemas.categories import Category
from services.disclosure.decide import OperationContext, Request, decision_rules
from services.disclosure.delegations import Delegation
from services.disclosure.enforce import Approval, Item, item_digest
from services.disclosure.policy import Policy, Purpose, Role, Rule

MAX_VALIDITY_DAYS = 365
OBVIOUS = ("det är uppenbart att intresset av att uppgifterna lämnas har företräde framför det intresse"
           " som sekretessen ska skydda (OSL 10 kap. 27 §)")


class RequestError(ValueError):
    """A request that cannot be made or decided as asked; the message says why."""


class Status(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REFUSED = "refused"


@dataclass(frozen=True)
class DisclosureRequest:
    id: str
    requester: str  # agency asking
    requested_by: str  # the person asking
    owner: str  # agency whose information is asked for
    operation_id: str
    categories: frozenset[str]
    purpose: Purpose
    basis: str  # the basis the requester relies on (a policy basis id)
    reason: str
    created_at: datetime.datetime
    status: Status = Status.PENDING
    assessment: str | None = None
    decided_by: str | None = None
    decided_at: datetime.datetime | None = None
    rule: str | None = None  # the policy rule the approval is taken under
    items: frozenset[Item] = frozenset()  # what the approval covers, as it was then
    valid_until: datetime.date | None = None  # the approval holds until this day (inclusive)
    delegation: str | None = None  # the decision-maker's delegation (register id)
    threshold: str | None = None  # what the decision-maker stated the basis asks for (OBVIOUS)

    def approval(self) -> Approval | None:
        if self.status != Status.APPROVED or self.rule is None or self.valid_until is None or not self.items:
            return None
        return Approval(self.id, self.owner, self.requester, self.operation_id, self.categories, self.purpose,
                        self.rule, self.items, self.valid_until)


def new_request(*, id: str, requester: str, requested_by: str, owner: str, operation_id: str,
                categories: frozenset[str], purpose: Purpose, basis: str, reason: str,
                at: datetime.datetime) -> DisclosureRequest:
    if requester == owner:
        raise RequestError("an agency does not need to request its own information")
    if not categories:
        raise RequestError("name at least one category of information")
    if Category.SOCIAL_SERVICES in categories:
        raise RequestError("social services client data cannot be requested here (OSL 26 kap.)")
    if len(reason.strip()) < 10:
        raise RequestError("say why the information is needed (at least a sentence)")
    return DisclosureRequest(id, requester, requested_by, owner, operation_id, categories, purpose, basis,
                             reason.strip(), at)


def matching_rule(policy: Policy, request: DisclosureRequest, operation: OperationContext,
                  functions: Mapping[str, str], on: datetime.date) -> Rule:
    """The one rule a decision on `request` can be taken under: it asks for a decision, cites
    the requested basis and covers every requested category, owner, recipient and purpose."""
    found: list[Rule] | None = None
    for category in sorted(request.categories):
        question = Request(category=category, owner=request.owner, recipient=request.requester,
                           role=Role.OFFICER, purpose=request.purpose, operation=operation, on=on,
                           owner_function=functions.get(request.owner),
                           recipient_function=functions.get(request.requester))
        rules = [r for r in decision_rules(policy, question) if r.basis == request.basis]
        found = rules if found is None else [r for r in found if r in rules]
    if not found:
        raise RequestError(f"no rule of the policy lets a decision on basis {request.basis} disclose"
                           f" {', '.join(sorted(request.categories))} of {request.owner} to {request.requester}"
                           f" for {request.purpose.value}")
    if len(found) > 1:
        raise RequestError(f"the basis matches more than one rule ({', '.join(r.id for r in found)}): the policy"
                           " must say which one applies")
    return found[0]


def items_of(record: dict[str, Any], owner: str, categories: frozenset[str]) -> frozenset[Item]:
    """The owner's items in the record that hold any of `categories` now."""
    found = set()
    for entry in record.get("timeline", []):
        if entry["agency"] != owner:
            continue
        detail = entry.get("detail", {})
        held = {str(f["category"]) for f in detail.get("findings", [])}
        if "category" in detail:
            held.add(str(detail["category"]))
        if entry.get("persons"):
            held.add(Category.PERSONAL_IDENTITY)
        if held & categories:
            found.add((str(entry["event_id"]), item_digest(entry)))
    return frozenset(found)


def decide_request(request: DisclosureRequest, *, approve: bool, assessment: str, decided_by: str,
                   decider_agency: str, at: datetime.datetime, delegation: Delegation | None,
                   policy: Policy | None = None, record: dict[str, Any] | None = None,
                   functions: Mapping[str, str] | None = None, valid_until: datetime.date | None = None,
                   obvious: bool = False) -> DisclosureRequest:
    """The owner's decision. A refusal needs the delegation and the assessment; an approval
    also the policy and the operation's record as it is now, an expiry, and for a basis that
    asks for a balancing the statement that disclosure obviously outweighs secrecy."""
    if request.status != Status.PENDING:
        raise RequestError(f"request {request.id} was already {request.status.value}")
    if decider_agency != request.owner:
        raise RequestError(f"only {request.owner} decides on its own information, not {decider_agency}")
    if delegation is None or not delegation.in_force(request.owner, delegation.holder, at):
        raise RequestError(f"the decision-maker has no delegation to decide on disclosure for {request.owner}")
    if len(assessment.strip()) < 10:
        raise RequestError("record the assessment (the balancing of interests) in at least a sentence")
    decided = replace(request, assessment=assessment.strip(), decided_by=decided_by, decided_at=at,
                      delegation=delegation.id)
    if not approve:
        return replace(decided, status=Status.REFUSED)
    if policy is None or record is None or record.get("operation_id") != request.operation_id:
        raise RequestError(f"an approval is taken on operation {request.operation_id} as it stands")
    operation = OperationContext(request.operation_id, frozenset(record["participants"]),
                                 closed=record["status"] in ("closed", "cancelled"))
    rule = matching_rule(policy, request, operation, functions or {}, at.date())
    if valid_until is None or not at.date() <= valid_until <= at.date() + datetime.timedelta(MAX_VALIDITY_DAYS):
        raise RequestError(f"give the approval an expiry between today and {MAX_VALIDITY_DAYS} days ahead")
    requires_assessment = policy.basis(rule.basis).requires_assessment
    if requires_assessment and not obvious:
        raise RequestError("the general clause needs the statement that disclosure obviously (uppenbart)"
                           " outweighs the interest secrecy protects")
    items = items_of(record, request.owner, request.categories)
    if not items:
        raise RequestError(f"{request.owner} has no such items in {request.operation_id} yet: nothing to approve")
    return replace(decided, status=Status.APPROVED, rule=rule.id, items=items, valid_until=valid_until,
                   threshold=OBVIOUS if requires_assessment else None)
