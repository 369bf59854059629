"""A joint operation (tillslag): planned by the lead agency, updated as plans change."""

from __future__ import annotations

import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import Field, StringConstraints, field_validator

from schemas.agencies import AgencyCode
from schemas.base import Contract
from schemas.categories import Category, category_field
from schemas.subjects import Business, Premises, ShortText

OperationId = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9][A-Z0-9-]{2,39}$"), Field(
    description="The operation's id, chosen by the planner, e.g. 'NKPG-2026-07'.")]


class OperationStatus(StrEnum):
    PLANNED = "planned"
    EXECUTED = "executed"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class Target(Contract):
    """One premises to visit, with the business believed to run it."""

    premises: Premises = category_field(Category.PLANNED_OPERATION)
    business: Business | None = category_field(Category.PLANNED_OPERATION, default=None)
    note: ShortText | None = category_field(Category.PLANNED_OPERATION, default=None)


class OperationPlan(Contract):
    """The whole plan as it stands at `revision`; a later revision replaces an earlier one,
    whatever order they arrive in."""

    operation_id: OperationId = category_field(Category.RECORD_METADATA)
    revision: int = category_field(Category.RECORD_METADATA, ge=1, le=10_000)
    title: ShortText = category_field(Category.PLANNED_OPERATION)
    municipality: ShortText = category_field(Category.PLANNED_OPERATION)
    planned_date: datetime.date = category_field(Category.PLANNED_OPERATION)
    lead_agency: AgencyCode = category_field(Category.PLANNED_OPERATION)
    participants: list[AgencyCode] = category_field(Category.PLANNED_OPERATION, min_length=1,
                                                    max_length=40)
    targets: list[Target] = category_field(Category.PLANNED_OPERATION, max_length=100)
    status: OperationStatus = category_field(Category.RECORD_METADATA,
                                             default=OperationStatus.PLANNED)

    @field_validator("participants")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("participants must not repeat an agency")
        return value
