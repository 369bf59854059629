"""The console's only way to operation data: the disclosure enforcement point, and the audit
entries that record what it let through.

Pages never read a record into a response: they call `Enforcement.operation` (a whole
record) or `Enforcement.plan` (a list row, as a record with an empty timeline), both of
which are `view_operation`, and append `entries(...)` in the transaction that read it.

An operation the viewer may not see and one that does not exist take the same path: a
missing plan is decided as `absent_plan`, which no rule opens, so both are refused after the
same reads, the same decision and the same audit entry, with the same answer.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from schemas.agencies import Agency
from schemas.categories import Category
from services.audit.digests import AuditDigests
from services.audit.entries import access_entry, read_entry
from services.audit.texts import kept_text
from services.console.ports import PlanRow, Scope
from services.disclosure.collaboration import CollaborationDecision
from services.disclosure.enforce import OperationView, Viewer, view_operation
from services.disclosure.policy import ANY, Policy, Purpose, Role
from services.disclosure.pseudonyms import RecipientPseudonyms
from services.disclosure.requests import DisclosureRequest

CHANNEL = "console"
NOBODY = ""  # the lead and owner of a plan that does not exist
NEVER = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


def absent_plan(operation_id: str) -> PlanRow:
    """What a missing operation is decided as: a plan nobody leads and nobody takes part in,
    which no rule opens (a hidden operation is refused the same way, by the same rules)."""
    return PlanRow(operation_id, 0, "", "", datetime.date(1970, 1, 1), "planned", NOBODY, (), (), NEVER)


def subjects_by_event(record: dict[str, Any]) -> dict[str, list[str]]:
    """The business and persons each timeline item concerns (kept as digests in the log)."""
    return {e["event_id"]: [s for s in [e.get("business"), *e.get("persons", [])] if s]
            for e in record.get("timeline", [])}


def shown_subjects(view: dict[str, Any], record: dict[str, Any]) -> list[str]:
    """Businesses and persons a view lets the viewer see, as the platform keys them (the
    view names them in the viewer's pseudonyms; the audit log in the platform's own)."""
    kept = {e["event_id"]: e for e in record.get("timeline", [])}
    found: set[str] = set()
    for shown in view.get("timeline", []):
        entry = kept.get(shown["event_id"], {})
        if shown.get("business") and entry.get("business"):
            found.add(entry["business"])
        if "persons" in shown:
            found.update(entry.get("persons", []))
    return sorted(found)


class LabelledPolicy(Policy):
    """The same policy with its label worked out once.

    `decide` records `policy.label` with every item, and `Policy.label` hashes the whole
    policy each time: most of a page's time went there. Same fields, same digest."""

    @cached_property
    def digest(self) -> str:
        return str(Policy.digest.fget(self))  # type: ignore[attr-defined]

    @cached_property
    def label(self) -> str:
        return str(Policy.label.fget(self))  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Enforcement:
    policy: Policy
    agencies: dict[str, Agency]
    pseudonyms: RecipientPseudonyms
    digests: AuditDigests

    def __post_init__(self) -> None:
        if not isinstance(self.policy, LabelledPolicy):
            object.__setattr__(self, "policy", LabelledPolicy.model_validate(self.policy.model_dump()))

    def scope(self, viewer: Viewer, purpose: Purpose, on: datetime.date) -> Scope:
        """The widest set of plans any rule could open to this viewer: a safe SQL prefilter."""
        rules = [r for r in self.policy.rules
                 if Category.PLANNED_OPERATION in r.categories and r.level == "content"
                 and viewer.role in r.roles and purpose in r.purposes
                 and (ANY in r.recipients or viewer.agency in r.recipients)
                 and (r.valid_until is None or on <= r.valid_until)]
        own = viewer.role != Role.AUDITOR  # the own-information rule of `decide`
        if not rules:
            return Scope(viewer.agency, nothing=not own, own_only=own)
        return Scope(viewer.agency, participants_only=all(r.same_operation for r in rules),
                     open_only=all(r.same_operation and r.while_open for r in rules))

    def plan(self, row: PlanRow, viewer: Viewer, purpose: Purpose, on: datetime.date) -> OperationView:
        """A list row's plan as the viewer may see it (an `absent_plan` is never visible)."""
        return view_operation(self.policy, row.as_record(), viewer, purpose, self.agencies,
                              pseudonyms=self.pseudonyms, on=on)

    def operation(self, record: dict[str, Any], viewer: Viewer, purpose: Purpose, on: datetime.date,
                  requests: Iterable[DisclosureRequest] = (),
                  collaborations: Iterable[CollaborationDecision] = ()) -> OperationView:
        """The record as the viewer may see it, given the acts on record: approved disclosure
        requests and collaboration decisions."""
        approvals = [a for r in requests if (a := r.approval()) is not None]
        return view_operation(self.policy, record, viewer, purpose, self.agencies, pseudonyms=self.pseudonyms,
                              approvals=approvals, collaborations=list(collaborations), on=on)

    def entries(self, view: OperationView, viewer: Viewer, purpose: Purpose, at: datetime.datetime, *,
                record: dict[str, Any] | None = None, requests: Iterable[DisclosureRequest] = (),
                only_events: set[str] | None = None) -> list[dict[str, Any]]:
        """One audit entry per item disclosed to or withheld from the viewer (the plan, and of
        the timeline only `only_events` when a page shows part of it)."""
        subjects = subjects_by_event(record or {})
        decided = {r.id: r for r in requests}
        out = []
        for access in view.accesses:
            if only_events is not None and access.event_id is not None and access.event_id not in only_events:
                continue
            approved = decided.get(access.approval or "")
            assessment = (kept_text(self.digests, approved.id, "assessment", approved.assessment).ref
                          if approved and approved.assessment else None)  # kept when it was decided
            out.append(access_entry(
                access, self.digests, at=at, channel=CHANNEL, purpose=purpose.value, actor=viewer,
                subjects=subjects.get(access.event_id or "", []), assessment_ref=assessment,
                decision_maker=(f"{approved.decided_by} ({approved.owner}, delegation {approved.delegation})"
                                if approved else None)))
        return out

    def read(self, viewer: Viewer, purpose: Purpose, at: datetime.datetime, what: str,
             subjects: Iterable[str], bases: Iterable[str] = ()) -> dict[str, Any]:
        """The read of personal data, with the purpose the user stated."""
        return read_entry(self.digests, at=at, viewer=viewer, purpose=purpose.value, what=what, subjects=subjects,
                          policy=self.policy.label, bases=bases)
