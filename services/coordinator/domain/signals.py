"""Cross-agency signals: a subject that several agencies found something about within a year.

Such a subject is what LOS exists for; the signal points the coordinators at it."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from services.coordinator.domain.effective import effective_facts
from services.coordinator.domain.facts import Fact


@dataclass(frozen=True)
class Signal:
    subject: str
    agencies: tuple[str, ...]
    first: datetime.date
    last: datetime.date


def cross_agency_signal(subject: str, facts: Iterable[Fact], *, min_agencies: int = 3,
                        window_days: int = 365) -> Signal | None:
    """The widest window of `window_days` in which at least `min_agencies` agencies had
    findings about `subject`; None when there is none."""
    found = sorted((f.local_date, f.agency) for f in effective_facts(facts)
                   if f.kind == "inspection" and f.findings)
    best: Signal | None = None
    start = 0
    for end in range(len(found)):
        while (found[end][0] - found[start][0]).days > window_days:
            start += 1
        agencies = {a for _, a in found[start:end + 1]}
        if len(agencies) >= min_agencies and (best is None or len(agencies) > len(best.agencies)):
            best = Signal(subject, tuple(sorted(agencies)), found[start][0], found[end][0])
    return best
