"""A decision one agency took under its own law after an inspection."""

from __future__ import annotations

from enum import StrEnum
from uuid import UUID

from pydantic import AwareDatetime, Field, model_validator

from schemas.base import Contract
from schemas.categories import Category, category_field
from schemas.inspection import Reference
from schemas.operation import OperationId
from schemas.subjects import Business, Person, Premises, ShortText, Text
from schemas.vocabulary import CategoryCode, DecisionKindCode


class DecisionKind(StrEnum):
    KONTROLLAVGIFT = "kontrollavgift"  # control fee (Skatteverket, personalliggare)
    FORELAGGANDE = "föreläggande"  # injunction
    FORBUD = "förbud"  # ban / prohibition
    ATERKALLELSE = "återkallelse"  # licence revoked
    VARNING = "varning"  # warning (e.g. alcohol licence)
    ATERKRAV = "återkrav"  # recovery of wrongly paid benefits
    STOPPED_PAYMENT = "stoppad_utbetalning"  # payment stopped before payout
    POLISANMALAN = "polisanmälan"  # police report
    UTMATNING = "utmätning"  # attachment by Kronofogden
    SANKTIONSAVGIFT = "sanktionsavgift"  # sanction fee
    BYGGSANKTIONSAVGIFT = "byggsanktionsavgift"  # building sanction fee
    VITE = "vite"  # conditional fine
    UNDERRATTELSE = "underrättelse"  # notice given to another agency
    BUSINESS_CLOSED = "verksamhet_stängd"  # business closed
    OTHER = "annat"


class AmountKind(StrEnum):
    IMPOSED = "imposed"  # fees, fines, sanctions charged
    RECOVERED = "recovered"  # reclaimed or collected (återkrav, utmätning)
    STOPPED = "stopped"  # wrongful payments stopped before payout


class AppealStatus(StrEnum):
    NOT_APPEALED = "not_appealed"
    APPEALED = "appealed"
    UPHELD = "upheld"
    OVERTURNED = "overturned"
    FINAL = "final"


class DecisionTaken(Contract):
    decision_ref: Reference = category_field(Category.RECORD_METADATA)
    operation_id: OperationId | None = category_field(Category.RECORD_METADATA, default=None)
    inspection_ref: Reference | None = category_field(Category.RECORD_METADATA, default=None)
    decided_at: AwareDatetime = category_field(Category.RECORD_METADATA)
    kind: DecisionKind = category_field(Category.RECORD_METADATA)
    category: Category = category_field(Category.RECORD_METADATA,
                                        description="The information category of the matter.")
    legal_reference: ShortText = category_field(
        Category.RECORD_METADATA, description="The agency's own legal ground, e.g. 'SFL 50 kap. 3 §'.")
    summary: Text = Field(description="The decision in brief; in `category`.")
    amount_sek: int | None = Field(default=None, ge=0, le=10_000_000_000,
                                   description="Whole kronor; in `category`.")
    amount_kind: AmountKind | None = Field(default=None, description="In `category`.")
    business: Business | None = category_field(Category.BUSINESS_IDENTITY, default=None)
    premises: Premises | None = category_field(Category.PREMISES, default=None)
    persons: list[Person] = category_field(Category.PERSONAL_IDENTITY, default_factory=list,
                                           max_length=200)
    appeal_status: AppealStatus = category_field(Category.RECORD_METADATA,
                                                 default=AppealStatus.NOT_APPEALED)
    supersedes: UUID | None = category_field(Category.RECORD_METADATA, default=None)

    @model_validator(mode="after")
    def _amount_has_kind(self) -> DecisionTaken:
        if (self.amount_sek is None) != (self.amount_kind is None):
            raise ValueError("amount_sek and amount_kind come together or not at all")
        if self.business is None and self.premises is None and not self.persons:
            raise ValueError("a decision concerns a business, premises or person")
        return self


class DecisionTakenRegistered(DecisionTaken):
    """`DecisionTaken` whose kind and category are registered codes (schemas/vocabulary.yaml),
    for the `.v2` contract: an agency's own kinds of decision (`utvisning`) are data."""

    kind: DecisionKindCode = category_field(Category.RECORD_METADATA)  # type: ignore[assignment]
    category: CategoryCode = category_field(  # type: ignore[assignment]
        Category.RECORD_METADATA, description="The information category of the matter.")
