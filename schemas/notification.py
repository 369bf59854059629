"""A notice (underrättelse) from one agency to another, e.g. under Lag (2008:206) (FUT)."""

from __future__ import annotations

from uuid import UUID

from pydantic import Field

from schemas.agencies import AgencyCode
from schemas.base import Contract
from schemas.categories import Category, category_field
from schemas.inspection import Reference
from schemas.operation import OperationId
from schemas.subjects import Business, Person, Premises, ShortText, Text
from schemas.vocabulary import CategoryCode


class NotificationSent(Contract):
    notification_ref: Reference = category_field(Category.RECORD_METADATA)
    to_agency: AgencyCode = category_field(Category.RECORD_METADATA)
    legal_basis: ShortText = category_field(
        Category.RECORD_METADATA, description="The provision obliging or allowing the notice.")
    operation_id: OperationId | None = category_field(Category.RECORD_METADATA, default=None)
    category: Category = category_field(Category.RECORD_METADATA)
    summary: Text = Field(description="What the recipient is told; in `category`.")
    business: Business | None = category_field(Category.BUSINESS_IDENTITY, default=None)
    premises: Premises | None = category_field(Category.PREMISES, default=None)
    persons: list[Person] = category_field(Category.PERSONAL_IDENTITY, default_factory=list,
                                           max_length=200)
    supersedes: UUID | None = category_field(Category.RECORD_METADATA, default=None)


class NotificationSentRegistered(NotificationSent):
    """`NotificationSent` whose category is a registered code (`.v2`)."""

    category: CategoryCode = category_field(Category.RECORD_METADATA)  # type: ignore[assignment]


class EventRetracted(Contract):
    """An earlier event of the same agency is withdrawn (entered by mistake, wrong subject)."""

    retracts: UUID = category_field(Category.RECORD_METADATA)
    reason: ShortText = category_field(Category.RECORD_METADATA)
