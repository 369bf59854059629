"""Disclosure requests: an agency asks another for withheld information.

The requester states purpose, basis and the categories (fields) it asks for; the owning
agency approves or refuses with its assessment (the balancing OSL 10:27 asks for). An
approval discloses exactly those categories of that owner's items in that operation to
that recipient, nothing more. Every step is an audit entry.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, replace
from enum import StrEnum

from schemas.categories import Category
from services.disclosure.enforce import Approval
from services.disclosure.policy import Purpose


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

    def approval(self) -> Approval | None:
        if self.status != Status.APPROVED:
            return None
        return Approval(self.id, self.owner, self.requester, self.operation_id, self.categories)


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


def decide_request(request: DisclosureRequest, *, approve: bool, assessment: str, decided_by: str,
                   decider_agency: str, at: datetime.datetime) -> DisclosureRequest:
    if request.status != Status.PENDING:
        raise RequestError(f"request {request.id} was already {request.status.value}")
    if decider_agency != request.owner:
        raise RequestError(f"only {request.owner} decides on its own information, not {decider_agency}")
    if len(assessment.strip()) < 10:
        raise RequestError("record the assessment (the balancing of interests) in at least a sentence")
    return replace(request, status=Status.APPROVED if approve else Status.REFUSED,
                   assessment=assessment.strip(), decided_by=decided_by, decided_at=at)
