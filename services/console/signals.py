"""Cross-agency signals, each viewer's own: a business that several agencies found something
about within a year, counted only over findings the disclosure rules let the viewer see.

Such a business is what LOS exists for; the signal points the coordinators at it. It is
derived from what the enforcement point showed (`sightings` of a view), never from the record:
a finding the viewer may not see adds no agency, so a signal cannot tell that a secret
finding exists. Each signal names the bases that opened the findings it counts, and is
computed when shown, never stored: when retention erases its sources, it is gone too.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from services.disclosure.enforce import Access

STOCKHOLM = ZoneInfo("Europe/Stockholm")
OWN_BASIS = "egna uppgifter"  # the viewer's own findings are no disclosure and need no basis


@dataclass(frozen=True)
class Sighting:
    """One visible finding about a business, as the viewer's view shows it."""

    business: str  # in the viewer's own form (its pseudonyms for sole traders)
    agency: str
    day: datetime.date
    basis: str  # the citation of the rule that opened it, or OWN_BASIS
    internal: str  # the platform's key of the business, for the audit log


@dataclass(frozen=True)
class Signal:
    business: str
    agencies: tuple[str, ...]
    first: datetime.date
    last: datetime.date
    bases: tuple[str, ...]
    internal: str


def sightings(view: dict[str, Any], accesses: Iterable[Access], record: dict[str, Any]) -> list[Sighting]:
    """The visible findings of a visible view with a visible business, each with the basis of
    the decision that let it through (`accesses` of that view; `record` maps the business back)."""
    opened = {(a.event_id, a.category): a.decision.basis or "" for a in accesses if a.decision.allowed}
    internal = {e["event_id"]: e.get("business") for e in record.get("timeline", [])}
    found = []
    for entry in view.get("timeline", []):
        if entry["kind"] != "inspection" or not entry.get("business"):
            continue
        day = datetime.datetime.fromisoformat(entry["at"]).astimezone(STOCKHOLM).date()
        for finding in entry.get("findings", []):
            if finding.get("withheld"):
                continue
            basis = opened.get((entry["event_id"], finding["category"]), OWN_BASIS) or OWN_BASIS
            found.append(Sighting(entry["business"], entry["agency"], day, basis,
                                  internal.get(entry["event_id"]) or entry["business"]))
    return found


def cross_agency_signals(found: Iterable[Sighting], *, min_agencies: int = 3,
                         window_days: int = 365) -> list[Signal]:
    """Per business, the widest window of `window_days` in which at least `min_agencies`
    agencies had visible findings; businesses with none are left out."""
    by_business: dict[str, list[Sighting]] = {}
    for s in found:
        by_business.setdefault(s.business, []).append(s)
    out = []
    for business, seen in sorted(by_business.items()):
        ordered = sorted(seen, key=lambda s: (s.day, s.agency, s.basis))
        best: Signal | None = None
        start = 0
        for end in range(len(ordered)):
            while (ordered[end].day - ordered[start].day).days > window_days:
                start += 1
            window = ordered[start:end + 1]
            agencies = {s.agency for s in window}
            if len(agencies) >= min_agencies and (best is None or len(agencies) > len(best.agencies)):
                best = Signal(business, tuple(sorted(agencies)), window[0].day, window[-1].day,
                              tuple(sorted({s.basis for s in window})), window[0].internal)
        if best is not None:
            out.append(best)
    return sorted(out, key=lambda s: (-len(s.agencies), -s.last.toordinal(), s.business))
