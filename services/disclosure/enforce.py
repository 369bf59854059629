"""The enforcement point: what one viewer may see of one operation record.

Every egress (console pages and API, per-agency feeds, exports) builds what it shows with
`view_operation`. Each item of the record is decided separately by `decide`; an item that
may not be shown is replaced by a marker naming its provision when the policy lets its
existence be known, and is left out without a trace otherwise. Totals are recomputed from
what is visible, so a sum never reveals a withheld amount. Every item shown to another
agency, and every item withheld from it, comes back as an `Access` for the audit log.
Rules that ask for an act see only the acts on record for the item at hand: a notice opens
to its addressee and nothing else, a collaboration decision only between the agencies it
designates in the operations it names, a disclosure decision only its own items (as they
were when it was taken), for its purpose, until it expires.
Persons and sole traders leave in the viewer's own pseudonyms (`services.disclosure.pseudonyms`),
never in the platform's internal ones, so two recipients cannot join what they got on them.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from schemas.agencies import Agency
from schemas.canonical import canonical_json
from schemas.categories import Category
from schemas.notice_duties import NoticeDuties, load_notice_duties
from services.disclosure.collaboration import CollaborationDecision, bases_in_force
from services.disclosure.decide import OWN, Acts, Decision, OperationContext, Request, decide
from services.disclosure.policy import UNKNOWN_PROVISION, Policy, Purpose, Role
from services.disclosure.pseudonyms import RecipientPseudonyms

AMOUNT_KINDS = ("imposed", "recovered", "stopped")
log = logging.getLogger(__name__)
_REPORTED: set[str] = set()


@dataclass(frozen=True)
class Viewer:
    agency: str
    role: Role
    user: str  # the person, for the audit log


Item = tuple[str, str]  # (event id, `item_digest` of the timeline entry as it was)


@dataclass(frozen=True)
class Approval:
    """A recorded disclosure decision: these categories of exactly these items of this owner,
    to this recipient, for this purpose, under this rule, until `valid_until` (inclusive)."""

    request_id: str
    owner: str
    recipient: str
    operation_id: str
    categories: frozenset[str]
    purpose: Purpose
    rule: str
    items: frozenset[Item]
    valid_until: datetime.date

    def may_cover(self, owner: str, recipient: str, operation_id: str, category: str, purpose: Purpose,
                  event_id: str | None, on: datetime.date) -> bool:
        """Everything but the item's content matches (then `items` decides)."""
        return (self.owner == owner and self.recipient == recipient and self.operation_id == operation_id
                and category in self.categories and self.purpose == purpose and on <= self.valid_until
                and event_id is not None and any(e == event_id for e, _ in self.items))


@dataclass(frozen=True)
class Access:
    """One decision about one item for the audit log (a disclosure or a denial)."""

    operation_id: str
    event_id: str | None
    owner: str
    recipient: str
    category: str
    fields: tuple[str, ...]
    digest: str  # the item's fingerprint (sha256 of its canonical form); the audit entry keeps it keyed
    decision: Decision
    approval: str | None


@dataclass
class OperationView:
    visible: bool  # False: the viewer may not even know the operation exists
    record: dict[str, Any] = field(default_factory=dict)
    accesses: list[Access] = field(default_factory=list)


def digest(value: Any) -> str:
    return hashlib.sha256(canonical_json(value)).hexdigest()


ITEM_FIELDS = ("event_id", "agency", "kind", "at", "ref", "premises", "business", "persons", "detail")


def item_digest(entry: dict[str, Any]) -> str:
    """What a disclosure decision binds to: the timeline entry as it is (a later change, a
    correction or an erasure makes it another item, which needs a new decision)."""
    return digest({k: entry.get(k) for k in ITEM_FIELDS})


class _Decider:
    def __init__(self, policy: Policy, viewer: Viewer, purpose: Purpose, context: OperationContext,
                 approvals: list[Approval], collaborations: list[CollaborationDecision], on: datetime.date,
                 agencies: dict[str, Agency], duties: NoticeDuties) -> None:
        self.policy, self.viewer, self.purpose, self.context = policy, viewer, purpose, context
        self.on, self.agencies, self.duties = on, agencies, duties
        self.approvals = [a for a in approvals if a.recipient == viewer.agency
                          and a.operation_id == context.operation_id]
        self.collaborations = collaborations
        self.accesses: list[Access] = []
        self._decisions: dict[tuple[str, str, Acts], Decision] = {}  # same question, same answer
        self._collaborating: dict[str, frozenset[str]] = {}

    def notices(self, entry: dict[str, Any]) -> frozenset[str]:
        """The duties a notice cites, when the viewer is the body it is addressed to."""
        detail = entry["detail"]
        if entry["kind"] != "notification" or detail.get("to_agency") != self.viewer.agency:
            return frozenset()
        return frozenset(d.id for d in self.duties.cited_by(detail.get("legal_basis")))

    def __call__(self, category: str, owner: str, item: Any, fields: tuple[str, ...],
                 event_id: str | None, *, notices: frozenset[str] = frozenset(),
                 entry: dict[str, Any] | None = None) -> Decision:
        approvals = self._approvals(category, owner, event_id, entry)
        if owner not in self._collaborating:
            self._collaborating[owner] = bases_in_force(self.collaborations, self.context.operation_id, owner,
                                                        self.viewer.agency, self.on)
        acts = Acts(notices, self._collaborating[owner], frozenset(a.rule for a in approvals))
        question = (category, owner, acts)
        decision = self._decisions.get(question)
        if decision is None:
            decision = self._decisions[question] = decide(self.policy, Request(
                category=category, owner=owner, recipient=self.viewer.agency, role=self.viewer.role,
                purpose=self.purpose, operation=self.context, acts=acts, on=self.on,
                owner_function=self._function(owner), recipient_function=self._function(self.viewer.agency)))
        approval = next((a for a in approvals if a.rule == decision.rule), None)
        if decision.provision == UNKNOWN_PROVISION and category not in _REPORTED:
            _REPORTED.add(category)  # once per process: the denials themselves are each in the audit log
            log.warning("category %r is not in policy %s: its items are denied to everyone but their owner"
                        " until the policy says how they may be shared", category, self.policy.label)
        if decision.rule != OWN:
            self.accesses.append(Access(self.context.operation_id, event_id, owner, self.viewer.agency,
                                        category, fields, digest(item), decision,
                                        approval.request_id if approval and decision.allowed else None))
        return decision


    def _approvals(self, category: str, owner: str, event_id: str | None,
                   entry: dict[str, Any] | None) -> list[Approval]:
        found = [a for a in self.approvals if a.may_cover(owner, self.viewer.agency, self.context.operation_id,
                                                          category, self.purpose, event_id, self.on)]
        if not found or entry is None:
            return []
        item = (str(event_id), item_digest(entry))
        return [a for a in found if item in a.items]

    def _function(self, code: str) -> str | None:
        agency = self.agencies.get(code)
        return agency.function if agency else None


def _marker(decision: Decision, category: str) -> dict[str, Any]:
    return {"withheld": True, "category": str(category), "provision": decision.provision}


def view_operation(policy: Policy, record: dict[str, Any], viewer: Viewer, purpose: Purpose,
                   agencies: dict[str, Agency], *, pseudonyms: RecipientPseudonyms,
                   approvals: list[Approval] | None = None,
                   collaborations: list[CollaborationDecision] | None = None,
                   on: datetime.date | None = None, duties: NoticeDuties | None = None) -> OperationView:
    """The viewer's view of `record`, given the disclosure decisions (`approvals`) and
    collaboration decisions on record. Accesses (for the audit log) name what was decided in
    the platform's own terms; the view itself names persons in the viewer's pseudonyms."""
    on = on or datetime.date.today()
    context = OperationContext(record["operation_id"], frozenset(record["participants"]),
                               closed=record["status"] in ("closed", "cancelled"))
    decide_item = _Decider(policy, viewer, purpose, context, approvals or [], collaborations or [], on, agencies,
                           duties or load_notice_duties())
    plan_fields = ("title", "municipality", "planned_date", "status", "lead_agency", "participants", "targets")
    plan = {k: record[k] for k in plan_fields}
    if not decide_item(Category.PLANNED_OPERATION, record["lead_agency"], plan, plan_fields, None).allowed:
        return OperationView(False, accesses=decide_item.accesses)
    entries = [_recipient_form(e, pseudonyms, viewer.agency) for entry in record["timeline"]
               if (e := _entry(entry, decide_item, agencies)) is not None]
    view = {"operation_id": record["operation_id"], "revision": record["revision"], **plan,
            "timeline": entries, **_totals(entries)}
    return OperationView(True, view, decide_item.accesses)


def _entry(entry: dict[str, Any], decide_item: _Decider, agencies: dict[str, Agency]) -> dict[str, Any] | None:
    owner, event_id, detail = entry["agency"], entry["event_id"], entry["detail"]
    home = agencies[owner].category if owner in agencies else Category.POLICE_INTELLIGENCE
    shown: dict[str, Any] = {"at": entry["at"], "agency": owner, "kind": entry["kind"], "event_id": event_id}
    anything = False
    identity = {"ref": entry["ref"], "premises": entry["premises"], "business": entry["business"]}
    acts: dict[str, Any] = {"notices": decide_item.notices(entry), "entry": entry}
    if entry["kind"] == "inspection":
        findings = []
        for finding in detail.get("findings", []):
            category = str(finding["category"])
            decision = decide_item(category, owner, finding, ("code", "count"), event_id, **acts)
            if decision.allowed:
                findings.append(finding)
            elif decision.existence:
                findings.append(_marker(decision, category))
        if not detail.get("findings"):  # an inspection with nothing found: the agency's own matter
            decision = decide_item(home, owner, identity, ("inspection",), event_id, **acts)
            if not (decision.allowed or decision.existence):
                return None
            anything = decision.allowed
        elif not findings:
            return None
        shown["findings"] = findings
        anything = anything or any(not f.get("withheld") for f in findings)
    else:
        category = str(detail["category"])
        decision = decide_item(category, owner, detail, tuple(sorted(detail)), event_id, **acts)
        if decision.allowed:
            shown["detail"] = detail
            anything = True
        elif decision.existence:
            shown["detail"] = _marker(decision, category)
        else:
            return None
    if anything:
        for name, category in (("ref", Category.RECORD_METADATA), ("premises", Category.PREMISES),
                               ("business", Category.BUSINESS_IDENTITY)):
            if identity[name] is not None and decide_item(category, owner, identity[name], (name,),
                                                          event_id, **acts).allowed:
                shown[name] = identity[name]
        if entry.get("persons") and decide_item(Category.PERSONAL_IDENTITY, owner, entry["persons"],
                                                ("persons",), event_id, **acts).allowed:
            shown["persons"] = entry["persons"]
    return shown


def _recipient_form(shown: dict[str, Any], pseudonyms: RecipientPseudonyms, recipient: str) -> dict[str, Any]:
    if shown.get("business") is not None:
        shown["business"] = pseudonyms.subject(recipient, shown["business"])
    if "persons" in shown:
        shown["persons"] = [pseudonyms.subject(recipient, p) for p in shown["persons"]]
    return shown


def _totals(entries: list[dict[str, Any]]) -> dict[str, Any]:
    """What the viewer may know in sum: only visible items count."""
    decisions = [e for e in entries if e["kind"] == "decision" and "decision_kind" in e.get("detail", {})]
    amounts = dict.fromkeys(AMOUNT_KINDS, 0)
    for d in decisions:
        kind, amount = d["detail"].get("amount_kind"), d["detail"].get("amount_sek")
        if kind in amounts and amount is not None:
            amounts[kind] += amount
    inspections = [e for e in entries if e["kind"] == "inspection"]
    return {
        "inspections_by_agency": dict(sorted(Counter(e["agency"] for e in inspections).items())),
        "decisions_by_kind": dict(sorted(Counter(d["detail"]["decision_kind"] for d in decisions).items())),
        "amounts_sek": amounts,
        "premises_visited": sorted({e["premises"] for e in inspections if e.get("premises")}),
        "withheld_items": sum(1 for e in entries if e.get("detail", {}).get("withheld"))
        + sum(1 for e in inspections for f in e.get("findings", []) if f.get("withheld")),
    }
