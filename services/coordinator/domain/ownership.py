"""Who may send what: the ownership rules every signed event passes before it counts.

A valid signature proves which agency sent an event; these rules say whether that agency
may say it. They need what is already stored (who leads an operation, who sent the event a
correction names), so they are judged inside the coordinator's transaction, in the order
the events were consumed, each against the state its predecessors left. The rules are
written down once, in `RULES`, and docs/security.md lists them (a test keeps the two
together).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from schemas.notice_duties import NoticeDuties, load_notice_duties
from services.coordinator.domain.facts import Fact


@dataclass(frozen=True)
class Rule:
    kind: str  # the kind of event the rule is about
    may: str  # who may send it, in plain words
    reason: str  # the rejection reason of a violation


RULES: tuple[Rule, ...] = (
    Rule("plan of a new operation (planned or updated)",
         "the agency the plan names as lead; the first accepted plan claims the operation id", "not_plan_owner"),
    Rule("update, postponement, cancellation or closing of an operation",
         "the operation's current lead agency (it may hand the lead to another)", "not_plan_owner"),
    Rule("correction (`supersedes`)", "the agency that sent the event it corrects", "foreign_correction"),
    Rule("retraction", "the agency that sent the event it retracts", "foreign_retraction"),
    Rule("retraction of a plan", "nobody: a plan changes by a new revision", "not_retractable"),
    Rule("notice (underrättelse)", "any agency, to another agency in the registry", "unknown_recipient"),
    Rule("notice to oneself", "nobody", "notice_to_self"),
    Rule("notice citing a duty to notify (FUT, 2008:206; prop. 2024/25:65)",
         "the holder, only to a body that duty names (`schemas/notice_duties.yaml`)", "not_a_notice_addressee"),
    Rule("event id", "the agency that used it first, for that same event (a repeat is a duplicate and"
                     " counts once)", "conflicting_id"),
)
REASONS: tuple[str, ...] = tuple(dict.fromkeys(rule.reason for rule in RULES))


@dataclass(frozen=True)
class Violation:
    reason: str
    detail: str


@dataclass(frozen=True)
class Sent:
    """What the rules need of a stored event that a later one names."""

    agency: str
    kind: str


@dataclass(frozen=True)
class Lead:
    """Who leads an operation, from its highest accepted plan revision."""

    agency: str
    revision: int


def judge(facts: Iterable[Fact], *, leads: Mapping[str, Lead], sent: Mapping[str, Sent],
          agencies: Collection[str], functions: Mapping[str, str] | None = None,
          duties: NoticeDuties | None = None) -> list[Violation | None]:
    """One verdict per fact, in order; `leads` and `sent` are the stored state, which the
    accepted facts of this same sequence extend as they go. `functions` gives each
    participant's function (default: the code is its own), `duties` the register of duties to
    notify (default: the one in `schemas/`)."""
    leads, sent = dict(leads), dict(sent)
    notices = _Notices(agencies, functions or {}, duties or load_notice_duties())
    verdicts: list[Violation | None] = []
    for fact in facts:
        verdict = _judge_one(fact, leads, sent, notices)
        verdicts.append(verdict)
        if verdict is not None:
            continue
        sent.setdefault(fact.event_id, Sent(fact.agency, fact.kind))
        if fact.plan is not None:
            current = leads.get(fact.plan.operation_id)
            if current is None or fact.plan.revision > current.revision:
                leads[fact.plan.operation_id] = Lead(fact.plan.lead_agency, fact.plan.revision)
    return verdicts


@dataclass(frozen=True)
class _Notices:
    agencies: Collection[str]
    functions: Mapping[str, str]
    duties: NoticeDuties


def _judge_one(fact: Fact, leads: Mapping[str, Lead], sent: Mapping[str, Sent],
               notices: _Notices) -> Violation | None:
    if fact.plan is not None:
        return _plan(fact, leads.get(fact.plan.operation_id))
    if fact.retracts is not None:
        return _retraction(fact, sent.get(fact.retracts))
    if fact.supersedes is not None and (target := sent.get(fact.supersedes)) is not None \
            and target.agency != fact.agency:
        return Violation("foreign_correction",
                         f"{fact.agency} may not correct event {fact.supersedes}, sent by {target.agency}")
    if fact.kind == "notification":
        return _notice(fact, notices)
    return None


def _plan(fact: Fact, lead: Lead | None) -> Violation | None:
    assert fact.plan is not None
    op = fact.plan.operation_id
    if lead is None:
        if fact.agency != fact.plan.lead_agency:
            return Violation("not_plan_owner", f"{fact.agency} may not plan operation {op} in the name of"
                                               f" {fact.plan.lead_agency}: only the lead agency plans")
        return None
    if fact.agency != lead.agency:
        return Violation("not_plan_owner", f"operation {op} is led by {lead.agency};"
                                           f" {fact.agency} may not change its plan")
    return None


def _retraction(fact: Fact, target: Sent | None) -> Violation | None:
    if target is None:
        return None  # not seen yet: the fold ignores it if it turns out foreign, and review flags it
    if target.kind == "plan":
        return Violation("not_retractable", f"event {fact.retracts} is a plan; a plan changes by a new revision")
    if target.agency != fact.agency:
        return Violation("foreign_retraction",
                         f"{fact.agency} may not retract event {fact.retracts}, sent by {target.agency}")
    return None


def _notice(fact: Fact, notices: _Notices) -> Violation | None:
    if fact.to_agency == fact.agency:
        return Violation("notice_to_self", f"{fact.agency} sent a notice to itself")
    if fact.to_agency is None or fact.to_agency not in notices.agencies:
        return Violation("unknown_recipient", f"the notice is addressed to {fact.to_agency!r},"
                                              " which is not an agency in the registry")
    function = notices.functions.get(fact.to_agency, fact.to_agency)
    for duty in notices.duties.cited_by(fact.legal_basis):
        if function not in duty.functions:
            bodies = ", ".join(a.body for a in duty.addressees)
            return Violation("not_a_notice_addressee", f"the notice cites {duty.law}, which lets a notice reach"
                                                       f" only {bodies}; {fact.to_agency} is none of them")
    return None
