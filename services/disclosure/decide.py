"""The one disclosure decision: may this information reach this recipient for this purpose?

Default deny. A recipient's own information is not a disclosure; "own" means the same
participant, one authority: Linköping's social services and Norrköping's are two. Otherwise
the first rule (in file order) that matches every condition decides; `explain` lists every
rule with the reason it did or did not match, so a lawyer can see why. Rules name
participants by *function* (MUNI_SOCIAL covers every municipality's social services) or by
code.

A rule that asks for an act (`policy.Act`) matches only when the act is on record for this
very item and recipient (`Acts`): a notice the holder addressed to the recipient, a recorded
collaboration decision designating both, or a recorded disclosure decision under that rule.
The purpose is a condition a rule may add; it never stands in for an act.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field, replace

from services.disclosure.policy import ANY, Act, Policy, Purpose, Role, Rule

OWN = "own-information"


@dataclass(frozen=True)
class OperationContext:
    operation_id: str
    participants: frozenset[str]
    closed: bool = False


@dataclass(frozen=True)
class Acts:
    """The acts on record for one item and one recipient (empty: none)."""

    notices: frozenset[str] = frozenset()  # duties (basis ids) cited by the holder's notice to the recipient
    collaborations: frozenset[str] = frozenset()  # bases of collaboration decisions designating both
    decisions: frozenset[str] = frozenset()  # rules named by disclosure decisions covering the item


@dataclass(frozen=True)
class Request:
    category: str  # a registered category (schemas/vocabulary.yaml)
    owner: str  # the participant (authority) the information belongs to
    recipient: str
    role: Role
    purpose: Purpose
    operation: OperationContext | None = None
    acts: Acts = Acts()
    on: datetime.date = field(default_factory=datetime.date.today)
    owner_function: str | None = None  # what the policy names the owner by (default: its code)
    recipient_function: str | None = None

    @property
    def owner_names(self) -> tuple[str, ...]:
        return (self.owner, self.owner_function or self.owner)

    @property
    def recipient_names(self) -> tuple[str, ...]:
        return (self.recipient, self.recipient_function or self.recipient)


@dataclass(frozen=True)
class Decision:
    allowed: bool  # the content may be shown
    existence: bool  # a marker saying something is withheld may be shown
    rule: str | None  # the rule that decided, or OWN, or None for default deny
    basis: str | None  # the citation of the legal basis
    basis_verified: bool | None  # False where the basis, or the rule's reach under it, is unconfirmed
    requires_assessment: bool
    provision: str  # the secrecy provision for a withheld marker
    policy: str  # the policy label (id@version+digest)
    reason: str


def _mismatch(rule: Rule, request: Request) -> str | None:
    """Why `rule` does not apply, or None when it does."""
    if request.category not in rule.categories:
        return "another category"
    if ANY not in rule.owners and not set(request.owner_names) & set(rule.owners):
        return f"not information of {', '.join(rule.owners)}"
    if ANY not in rule.recipients and not set(request.recipient_names) & set(rule.recipients):
        return f"{request.recipient} is not among the recipients"
    if request.role not in rule.roles:
        return f"role {request.role.value} is not allowed"
    if request.purpose not in rule.purposes:
        return f"purpose {request.purpose.value} is not one of {', '.join(p.value for p in rule.purposes)}"
    if rule.valid_until is not None and request.on > rule.valid_until:
        return f"the rule ended on {rule.valid_until}"
    if rule.same_operation:
        op = request.operation
        if op is None:
            return "no shared operation"
        if request.recipient not in op.participants or request.owner not in op.participants:
            return f"{request.recipient} and {request.owner} do not both take part in {op.operation_id}"
        if rule.while_open and op.closed:
            return f"{op.operation_id} is closed: sharing ended, re-review needed"
    if rule.act == Act.NOTICE and rule.basis not in request.acts.notices:
        return f"only in a notice its holder addressed to {request.recipient} citing {rule.basis}"
    if rule.act == Act.COLLABORATION and rule.basis not in request.acts.collaborations:
        return (f"no recorded collaboration decision ({rule.basis}) designates both {request.owner} and"
                f" {request.recipient} for this operation")
    if rule.act == Act.DECISION and rule.id not in request.acts.decisions:
        return "only the items a recorded disclosure decision under this rule names, for its purpose and time"
    return None


def decide(policy: Policy, request: Request) -> Decision:
    provision = policy.provision(request.category, request.owner_function or request.owner)
    if request.owner == request.recipient and request.role != Role.AUDITOR:
        return Decision(True, True, OWN, None, None, False, provision, policy.label,
                        "the recipient's own information")
    matching = [rule for rule in policy.rules if _mismatch(rule, request) is None]
    # a rule that opens the content wins over one that only lets a marker through
    for rule in sorted(matching, key=lambda r: r.level != "content"):
        basis = policy.basis(rule.basis)
        return Decision(rule.level == "content", True, rule.id, basis.citation, policy.verified(rule),
                        basis.requires_assessment, provision, policy.label, rule.description)
    known = policy.categories.get(request.category)
    if known is None:  # a category the policy does not know: denied, never a crash
        return Decision(False, False, None, None, None, False, provision, policy.label,
                        f"category {request.category!r} is not in the policy (default deny)")
    return Decision(False, not known.existence_secret, None, None, None, False, provision, policy.label,
                    "no rule allows it (default deny)")


def decision_rules(policy: Policy, request: Request) -> list[Rule]:
    """The rules a disclosure decision about `request` could be taken under: those asking for a
    decision whose every other condition holds."""
    return [rule for rule in policy.rules if rule.act == Act.DECISION
            and _mismatch(rule, replace(request, acts=replace(request.acts, decisions=frozenset({rule.id}))))
            is None]


def explain(policy: Policy, request: Request) -> list[str]:
    """Every rule in order, with why it matched or not, then the decision."""
    lines = []
    for rule in policy.rules:
        why = _mismatch(rule, request)
        lines.append(f"{rule.id}: {'matches' if why is None else 'no: ' + why}")
    decision = decide(policy, request)
    verdict = "allowed" if decision.allowed else ("withheld (marker shown)" if decision.existence
                                                  else "withheld (not even its existence shown)")
    unverified = " [unverified]" if decision.basis_verified is False else ""
    lines.append(f"decision: {verdict} by {decision.rule or 'default deny'} "
                 f"({decision.basis or decision.provision}){unverified}; policy {decision.policy}")
    return lines
