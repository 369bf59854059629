"""Which facts count: corrections replace what they supersede, retractions remove.

An agency may only correct or retract its own events; a reference to another agency's
event is ignored here (and the service flags it for review).
"""

from __future__ import annotations

from collections.abc import Iterable

from services.coordinator.domain.facts import Fact


def effective_facts(facts: Iterable[Fact]) -> list[Fact]:
    """The facts that count, de-duplicated by event id, in a deterministic order."""
    by_id = {f.event_id: f for f in facts}
    owner = {f.event_id: f.agency for f in by_id.values()}
    retracted = {f.retracts for f in by_id.values()
                 if f.kind == "retraction" and f.retracts and owner.get(f.retracts, f.agency) == f.agency}
    superseded = {f.supersedes for f in by_id.values()
                  if f.supersedes and f.event_id not in retracted
                  and owner.get(f.supersedes, f.agency) == f.agency}
    kept = [f for f in by_id.values()
            if f.kind != "retraction" and f.event_id not in retracted and f.event_id not in superseded]
    return sorted(kept, key=lambda f: (f.at, f.event_id))
