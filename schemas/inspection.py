"""An inspection conducted by one agency at premises, with what it found."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from pydantic import AwareDatetime, Field, StringConstraints

from schemas.base import Contract
from schemas.categories import Category, category_field
from schemas.operation import OperationId
from schemas.subjects import Business, Person, Premises, Pseudonym, ShortText, Text
from schemas.vocabulary import CategoryCode

Reference = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_./:-]{0,63}$"), Field(
    description="The agency's own case or record number.")]
Code = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9_]{2,64}$")]


class Finding(Contract):
    """One thing an agency found. Its category is the matter's (a missing staff register is
    tax data even when the police saw it), so it travels with the finding."""

    code: Code = category_field(Category.RECORD_METADATA,
                                description="Agency-specific finding code, e.g. PERSONALLIGGARE_SAKNAS.")
    category: Category = category_field(Category.RECORD_METADATA)
    summary: Text = Field(description="What was found; its category is the finding's `category`.")
    count: int | None = Field(default=None, ge=0, le=100_000,
                              description="How many (e.g. unrecorded workers); in `category`.")
    persons: list[Pseudonym] = category_field(Category.PERSONAL_IDENTITY, default_factory=list,
                                              max_length=200)


class InspectionConducted(Contract):
    inspection_ref: Reference = category_field(Category.RECORD_METADATA)
    operation_id: OperationId | None = category_field(Category.RECORD_METADATA, default=None)
    conducted_at: AwareDatetime = category_field(Category.RECORD_METADATA)
    municipality: ShortText = category_field(Category.PREMISES)
    premises: Premises = category_field(Category.PREMISES)
    business: Business | None = category_field(Category.BUSINESS_IDENTITY, default=None)
    persons_present: list[Person] = category_field(Category.PERSONAL_IDENTITY,
                                                   default_factory=list, max_length=200)
    findings: list[Finding] = Field(default_factory=list, max_length=200)
    supersedes: UUID | None = category_field(
        Category.RECORD_METADATA, default=None,
        description="Id of an earlier event this one corrects; the earlier one no longer counts.")


class RegisteredFinding(Finding):
    """A finding whose category is a registered code (schemas/vocabulary.yaml), not one of a
    closed list: the `.v2` contracts, which a participant with a matter of its own can use."""

    category: CategoryCode = category_field(Category.RECORD_METADATA)  # type: ignore[assignment]


class InspectionConductedRegistered(InspectionConducted):
    """`InspectionConducted` whose findings carry registered categories (`.v2`)."""

    findings: list[RegisteredFinding] = Field(default_factory=list, max_length=200)  # type: ignore[assignment]
