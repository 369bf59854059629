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

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    StringConstraints,
    ValidationError,
    model_validator,
)

from schemas.agencies import Registry, load_registry
from schemas.canonical import canonical_json
from schemas.notice_duties import NoticeDuties, load_notice_duties
from schemas.vocabulary import CategoryCode, Vocabulary, load_vocabulary
from schemas.yaml_lines import ConfigurationError, line_of, load_with_lines

ANY = "*"
UNKNOWN_PROVISION = "okänd kategori: ingen regel, inget utlämnande"
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


class Act(StrEnum):
    """What must have been done for a rule to apply, beyond its conditions.

    Only a standing rule applies by itself (the plan to participants, public decisions). The
    others open nothing until the act is on record, and then only what the act names."""

    STANDING = "standing"  # applies by itself, to every item its conditions cover
    NOTICE = "notice"  # only the holder's notice, to the body it is addressed to, citing the rule's basis
    DECISION = "decision"  # only the items a recorded disclosure decision under this rule names
    COLLABORATION = "collaboration"  # only under a recorded collaboration decision designating both


class Rule(_Frozen):
    id: RuleId
    description: str
    categories: list[CategoryCode] = Field(min_length=1)
    owners: list[Code] = Field(default=[ANY], description="Agencies whose information this opens.")
    recipients: list[Code] = Field(min_length=1, description="Agencies it may reach ('*' = any).")
    roles: list[Role] = Field(default=[Role.COORDINATOR, Role.OFFICER])
    purposes: list[Purpose] = Field(min_length=1)
    basis: RuleId
    act: Act = Field(default=Act.STANDING, description="The recorded act the rule needs (see `Act`).")
    same_operation: bool = Field(default=True, description="The recipient takes part in the same operation.")
    while_open: bool = Field(default=True, description="Ends when the operation closes; re-review after.")
    level: Literal["content", "existence"] = "content"
    valid_until: datetime.date | None = None
    verified: bool = Field(default=True, description="False where the rule's reach (these categories,"
                                                     " owners and recipients under its basis) is unconfirmed.")
    note: str = ""


class Policy(_Frozen):
    id: RuleId
    version: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    effective_from: datetime.date
    description: str = ""
    categories: dict[CategoryCode, CategoryRule]
    bases: list[LegalBasis]
    rules: list[Rule]

    @model_validator(mode="after")
    def _consistent(self) -> Policy:
        basis_ids = [b.id for b in self.bases]
        if len(set(basis_ids)) != len(basis_ids):
            raise ValueError("a legal basis id is used twice")
        rule_ids = [r.id for r in self.rules]
        if len(set(rule_ids)) != len(rule_ids):
            raise ValueError("a rule id is used twice")
        for rule in self.rules:
            if rule.basis not in basis_ids:
                raise ValueError(f"rule {rule.id} cites unknown basis {rule.basis!r}; known: {basis_ids}")
            basis = self.basis(rule.basis)
            if basis.requires_assessment and rule.act != Act.DECISION:
                raise ValueError(f"rule {rule.id} cites {basis.id}, which asks for a case-by-case assessment:"
                                 " only a recorded decision can apply it (act: decision)")
            if rule.act in (Act.NOTICE, Act.COLLABORATION) and basis.kind != "duty":
                raise ValueError(f"rule {rule.id}: a {rule.act.value} rule cites a duty, not {basis.kind}")
            if rule.act != Act.STANDING and rule.level != "content":
                raise ValueError(f"rule {rule.id}: an act opens content; a marker needs no act")
        return self

    def provision(self, category: str, holder: str) -> str:
        """The secrecy provision of `category` held by `holder` (a function or a participant);
        a category the policy does not know is withheld under a provision nobody can cite."""
        rule = self.categories.get(category)
        if rule is None:
            return UNKNOWN_PROVISION
        return rule.held_by.get(holder, rule.secrecy)

    def basis(self, basis_id: str) -> LegalBasis:
        return next(b for b in self.bases if b.id == basis_id)

    def rule(self, rule_id: str) -> Rule | None:
        return next((r for r in self.rules if r.id == rule_id), None)

    def verified(self, rule: Rule) -> bool:
        """Whether both the rule's basis and its reach are confirmed in primary sources."""
        return rule.verified and self.basis(rule.basis).verified

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


def load_policy(path: Path, *, registry: Registry | None = None, vocabulary: Vocabulary | None = None,
                duties: NoticeDuties | None = None) -> Policy:
    """The policy at `path`, checked as a whole with the registry, the vocabulary and the
    register of duties to notify this process runs on: a mistake is a start-up error naming
    the file and the line."""
    try:
        doc, lines = load_with_lines(path)
    except ConfigurationError as error:
        raise PolicyError(f"{path}: cannot read the policy: {error}") from error
    try:
        policy = Policy.model_validate(doc)
    except ValidationError as error:
        invalid = "; ".join(f"{path}:{line_of(lines, tuple(str(p) for p in e['loc']))}: "
                            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
                            for e in error.errors(include_url=False))
        raise PolicyError(f"{path}: the policy is not valid: {invalid}") from error
    problems = policy_problems(policy, registry or load_registry(), vocabulary or load_vocabulary(),
                               duties or load_notice_duties())
    if problems:
        raise PolicyError("; ".join(f"{path}:{line_of(lines, at)}: {what}" for at, what in problems))
    return policy


def policy_problems(policy: Policy, registry: Registry, vocabulary: Vocabulary,
                    duties: NoticeDuties | None = None) -> list[tuple[tuple[str, ...], str]]:
    """What does not fit between the policy, the participants, the registered categories and
    the duties to notify: (where in the policy, what is wrong). A category no rule mentions is
    a mistake too: a participant that registers one must say how it may be shared, even if
    never. A notice rule reaches only bodies its duty names."""
    duties = duties or load_notice_duties()
    found: list[tuple[tuple[str, ...], str]] = []
    names = set(registry.functions) | set(registry.participants) | {ANY}
    for category in policy.categories:
        if category not in vocabulary.categories:
            found.append((("categories", category), f"category {category!r} is not registered in {vocabulary.source}"))
    for category in vocabulary.categories:
        if category not in policy.categories:
            found.append((("categories",), f"registered category {category!r} has no secrecy entry"))
    for category, entry in policy.categories.items():
        for holder in entry.held_by:
            if holder not in names:
                found.append((("categories", category, "held_by", holder), f"{holder!r} is no function or participant"))
    mentioned = set()
    for index, rule in enumerate(policy.rules):
        at = ("rules", str(index))
        for category in rule.categories:
            mentioned.add(category)
            if category not in vocabulary.categories:
                found.append(((*at, "categories"), f"rule {rule.id}: category {category!r} is not registered"))
        for side in ("owners", "recipients"):
            for name in getattr(rule, side):
                if name not in names:
                    found.append(((*at, side), f"rule {rule.id}: {side[:-1]} {name!r} is no function or participant"
                                               " of the registry"))
        if rule.act == Act.NOTICE:
            found += _notice_problems(rule, at, registry, duties)
    for category in vocabulary.categories:
        if category not in mentioned:
            found.append((("rules",), f"no rule mentions the registered category {category!r}: say how it may be"
                                      " shared, if ever (a rule with `level: existence` and no recipient but"
                                      " its own function is enough)"))
    return found


def _notice_problems(rule: Rule, at: tuple[str, ...], registry: Registry,
                     duties: NoticeDuties) -> list[tuple[tuple[str, ...], str]]:
    duty = duties.duties.get(rule.basis)
    if duty is None:
        return [((*at, "basis"), f"rule {rule.id}: a notice rule cites a duty to notify of {duties.source};"
                                 f" {rule.basis!r} is none (known: {', '.join(duties.duties)})")]
    found = []
    for name in rule.recipients:
        function = registry.function_of(name) or name
        if name == ANY or function not in duty.functions:
            found.append(((*at, "recipients"), f"rule {rule.id}: {name!r} is no body {duty.law} lets a notice"
                                               f" reach ({', '.join(sorted(duty.functions))})"))
    for function in duty.functions:
        if function not in registry.functions:
            found.append(((*at, "basis"), f"{duties.source}: {rule.basis} names function {function!r},"
                                          " which the registry does not have"))
    return found
