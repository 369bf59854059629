"""Information categories: what the disclosure rules act on.

Every field of every event belongs to one category, declared on the field (the
`x-los-category` key of its JSON Schema) or, for findings and decisions whose category
depends on the agency and the matter, carried by the item itself. The secrecy provisions
in the descriptions are those of the domain brief; the policy files cite them in full.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import Field

CATEGORY_KEY = "x-los-category"


class Category(StrEnum):
    TAX = "tax"  # personalliggare, cash registers, employer returns: OSL 27:1, absolute
    SOCIAL_INSURANCE = "social_insurance"  # Försäkringskassan payments: OSL 28:1
    SOCIAL_SERVICES = "social_services"  # socialtjänst client data: OSL 26:1, strongest
    POLICE_INTELLIGENCE = "police_intelligence"  # OSL 18:1, 35:1
    ENFORCEMENT = "enforcement"  # Kronofogden debts and attachment: OSL 34:1
    EMPLOYMENT_SUPPORT = "employment_support"  # Arbetsförmedlingen support: OSL 28:11 (unverified)
    PLANNED_OPERATION = "planned_operation"  # targets and date: OSL 17:1, participants only
    MUNICIPAL_DECISION = "municipal_decision"  # building, alcohol, fire, environment: mostly public
    WORK_ENVIRONMENT = "work_environment"  # Arbetsmiljöverket findings (unverified)
    PERSONAL_IDENTITY = "personal_identity"  # a natural person: pseudonymised, never clear
    BUSINESS_IDENTITY = "business_identity"  # organisationsnummer, name: public
    PREMISES = "premises"  # property designation, address, kind of business: public
    RECORD_METADATA = "record_metadata"  # ids, times, references: needed to use the record at all


def category_field(category: Category, **kwargs: Any) -> Any:
    """A pydantic `Field` tagged with its information category."""
    extra = kwargs.pop("json_schema_extra", {}) or {}
    return Field(json_schema_extra={**extra, CATEGORY_KEY: category.value}, **kwargs)
