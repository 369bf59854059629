"""The disclosure policy as data that the people who answer for it legally can review.

A policy file (YAML, `deploy/policy/`) names the information categories with their
secrecy provisions, the legal bases with citations (and whether the citation is
verified), and the rules that open a category to recipients under conditions. What no
rule opens is denied. Every policy has an id and a version, and every decision records
the version it used.
"""

from __future__ import annotations

import datetime
import hashlib
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    StringConstraints,
    ValidationError,
    model_validator,
)

from schemas.canonical import canonical_json
from schemas.categories import Category

ANY = "*"
Code = Annotated[str, StringConstraints(pattern=r"^(\*|[A-Z][A-Z0-9_]{1,31})$")]
RuleId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]


class PolicyError(ValueError):
    """A policy file that cannot be used; the message names the file and what is wrong."""


class Role(StrEnum):
    COORDINATOR = "coordinator"
    OFFICER = "officer"
    AUDITOR = "auditor"


class Purpose(StrEnum):
    JOINT_OPERATION = "joint_operation"  # planning, carrying out and following up the joint action
    ORGANISED_CRIME = "organised_crime"  # collaboration decided under Lag (2016:774)
    WRONGFUL_PAYMENTS = "wrongful_payments"  # Lag (2008:206) (FUT)
    CRIME_PREVENTION = "crime_prevention"  # prevent or detect crime (OSL 10:15 a, prop. 2024/25:65)
    RESULTS_REPORTING = "results_reporting"  # aggregated LOS results
    AUDIT = "audit"  # review of disclosures (auditors see digests, not content)
    SUBJECT_ACCESS = "subject_access"  # GDPR art. 15 report to the person concerned


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class LegalBasis(_Frozen):
    id: RuleId
    citation: str = Field(min_length=3)
    kind: Literal["duty", "permission", "general_clause", "public", "own_work"]
    verified: bool = Field(description="False where the citation could not be confirmed in primary sources.")
    requires_assessment: bool = Field(
        default=False, description="The basis asks for a case-by-case balancing, recorded with the decision.")
    note: str = ""


class CategoryRule(_Frozen):
    secrecy: str = Field(description="The secrecy provision shown on a withheld marker, e.g. 'OSL 27 kap. 1 §'.")
    held_by: dict[Code, str] = Field(
        default_factory=dict, description="The provision instead, when the holder is this function (or participant):"
                                          " a tax matter held by the police is under OSL 35 kap., not 27 kap.")
    existence_secret: bool = Field(
        description="Even that such a record exists is withheld unless a rule allows it.")
    verified: bool = True


class Rule(_Frozen):
    id: RuleId
    description: str
    categories: list[Category] = Field(min_length=1)
    owners: list[Code] = Field(default=[ANY], description="Agencies whose information this opens.")
    recipients: list[Code] = Field(min_length=1, description="Agencies it may reach ('*' = any).")
    roles: list[Role] = Field(default=[Role.COORDINATOR, Role.OFFICER])
    purposes: list[Purpose] = Field(min_length=1)
    basis: RuleId
    same_operation: bool = Field(default=True, description="The recipient takes part in the same operation.")
    requires_approval: bool = Field(
        default=False, description="Only through an approved disclosure request (case-by-case).")
    while_open: bool = Field(default=True, description="Ends when the operation closes; re-review after.")
    addressee_only: bool = Field(default=False, description="Only to the agency a notice is addressed to.")
    level: Literal["content", "existence"] = "content"
    valid_until: datetime.date | None = None


class Policy(_Frozen):
    id: RuleId
    version: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    effective_from: datetime.date
    description: str = ""
    categories: dict[Category, CategoryRule]
    bases: list[LegalBasis]
    rules: list[Rule]

    @model_validator(mode="after")
    def _consistent(self) -> Policy:
        missing = set(Category) - set(self.categories)
        if missing:
            raise ValueError(f"categories without a secrecy entry: {sorted(c.value for c in missing)}")
        basis_ids = [b.id for b in self.bases]
        if len(set(basis_ids)) != len(basis_ids):
            raise ValueError("a legal basis id is used twice")
        rule_ids = [r.id for r in self.rules]
        if len(set(rule_ids)) != len(rule_ids):
            raise ValueError("a rule id is used twice")
        for rule in self.rules:
            if rule.basis not in basis_ids:
                raise ValueError(f"rule {rule.id} cites unknown basis {rule.basis!r}; known: {basis_ids}")
        return self

    def provision(self, category: Category, holder: str) -> str:
        """The secrecy provision of `category` held by `holder` (a function or a participant)."""
        rule = self.categories[category]
        return rule.held_by.get(holder, rule.secrecy)

    def basis(self, basis_id: str) -> LegalBasis:
        return next(b for b in self.bases if b.id == basis_id)

    _digest: str = PrivateAttr(default="")

    def model_post_init(self, context: object, /) -> None:
        # computed once: every decision records the label, and hashing per decision is costly
        self._digest = hashlib.sha256(canonical_json(self.model_dump(mode="json"))).hexdigest()

    @property
    def label(self) -> str:
        """`id@version+digest`: what every decision and audit entry records."""
        return f"{self.id}@{self.version}+{self._digest[:12]}"

    @property
    def digest(self) -> str:
        return self._digest


def load_policy(path: Path) -> Policy:
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise PolicyError(f"{path}: cannot read the policy: {error}") from error
    try:
        return Policy.model_validate(doc)
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
                             for e in error.errors(include_url=False))
        raise PolicyError(f"{path}: the policy is not valid: {problems}") from error
