"""Audit entries: what is recorded for each disclosure, denial and read, in plain JSON.

Recorded for every disclosure (FL 27 §, OSL registration duties): who disclosed (the
owning agency, by rule or by its decision-maker), to whom, which fields with a digest of
their values, the legal basis, the assessment where the basis asks for one, the
decision-maker, the purpose, the time and the policy version in force. Subjects are kept
as digests of their keys, so an access report can find them without the log holding them.
Every digest is keyed (`services.audit.digests`): whoever reads an entry cannot confirm a
guess of what it names. Free text (an assessment) is not in the entry either: the entry names
it by its keyed digest and `services.audit.texts` keeps it, erasably.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from typing import Any

from services.audit.digests import AuditDigests
from services.disclosure.enforce import Access, Viewer


def access_entry(access: Access, digests: AuditDigests, *, at: datetime.datetime, channel: str, purpose: str,
                 actor: Viewer | None, subjects: Iterable[str] = (), assessment_ref: str | None = None,
                 decision_maker: str | None = None) -> dict[str, Any]:
    """`assessment_ref`: the keyed digest of the approval's assessment, kept in `audit_texts`."""
    d = access.decision
    return {
        "kind": "disclosure" if d.allowed else "denial",
        "at": at.isoformat(),
        "channel": channel,  # feed | console | export | request
        "owner": access.owner,
        "recipient": access.recipient,
        "actor": {"agency": actor.agency, "role": actor.role.value, "user": actor.user} if actor else None,
        "operation_id": access.operation_id,
        "event_id": access.event_id,
        "category": str(access.category),
        "fields": list(access.fields),
        "digest": digests.item(access.digest),
        "rule": d.rule,
        "basis": d.basis,
        "basis_verified": d.basis_verified,
        "assessment_ref": assessment_ref,
        "decision_maker": decision_maker or (f"rule {d.rule}" if d.rule else "default deny"),
        "purpose": purpose,
        "approval": access.approval,
        "marker_shown": (not d.allowed) and d.existence,
        "provision": d.provision,
        "policy": d.policy,
        "subjects": sorted({digests.subject(s) for s in subjects}),
    }


def read_entry(digests: AuditDigests, *, at: datetime.datetime, viewer: Viewer, purpose: str, what: str,
               subjects: Iterable[str], policy: str, case_reference: str, mandate: str | None,
               bases: Iterable[str] = ()) -> dict[str, Any]:
    """A read of personal data in the console: who (user, authority, role), under which mandate
    (its purpose and the authority's case reference), what, about whom (keyed digests) and on
    which bases the items shown were opened."""
    return {"kind": "read", "at": at.isoformat(), "channel": "console",
            "actor": {"agency": viewer.agency, "role": viewer.role.value, "user": viewer.user},
            "what": what, "purpose": purpose, "case_reference": case_reference, "mandate": mandate,
            "bases": sorted(set(bases)), "policy": policy,
            "subjects": sorted({digests.subject(s) for s in subjects})}


def policy_entry(*, at: datetime.datetime, policy: str, previous: str | None, changed_by: str) -> dict[str, Any]:
    return {"kind": "policy_change", "at": at.isoformat(), "policy": policy, "previous": previous,
            "actor": {"user": changed_by}}


KEY_ACTIONS = ("key_registered", "key_retired", "key_revoked")


def key_entry(action: str, key: Mapping[str, Any], *, at: datetime.datetime, by: str,
              reason: str | None = None, generated: bool | None = None) -> dict[str, Any]:
    """A signing key registered, retired (its window closed by a rotation) or revoked: who did
    it, when, why, and the registry entry as it stands after the act (public half included,
    so the log alone can rebuild who could sign what, when). `generated` says whether the
    private half was made here and written to its holder's folder, or brought by the holder."""
    assert action in KEY_ACTIONS, action
    return {"kind": action, "at": at.isoformat(), "actor": {"user": by}, "key": dict(key),
            "reason": reason, "generated": generated}
