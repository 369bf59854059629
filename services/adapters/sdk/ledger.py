"""Did it arrive? The outbox's events matched with the coordinator's receipts (pure).

An event is matched with the receipts that name its id, and with those of a record that
could not be read as an event but sits where the outbox says it was sent (topic, partition,
offset). Its state is that of its latest receipt, a `duplicate` counting only when there is
nothing else (a repeat never changes what became of the first copy). Receipts of records
this outbox did not send (plans made in the console, an earlier outbox) are counted apart.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from schemas.receipts import Receipt
from services.adapters.sdk.outbox import Entry

NOT_SENT, NO_RECEIPT = "not_sent", "no_receipt"
STATES = ("accepted", "joined", "parked", "duplicate", "rejected", NO_RECEIPT, NOT_SENT)
LABELS = {"accepted": "accepted", "joined": "joined later", "parked": "parked", "duplicate": "duplicate",
          "rejected": "rejected", NO_RECEIPT: "no receipt yet", NOT_SENT: "not yet sent"}


@dataclass(frozen=True)
class Tracked:
    """One outbox event with what the coordinator made of it."""

    entry: Entry
    state: str  # one of STATES
    receipt: Receipt | None  # the receipt the state comes from
    history: tuple[Receipt, ...] = ()  # every receipt of the event, oldest first


@dataclass(frozen=True)
class Ledger:
    events: list[Tracked]
    unmatched: int  # receipts of records this outbox did not send
    counts: Counter[str] = field(default_factory=Counter)

    def summary(self) -> str:
        sent = sum(1 for t in self.events if t.entry.sent_at is not None)
        parts = [f"{self.counts[s]} {LABELS[s]}" for s in STATES if self.counts[s] and s != NOT_SENT]
        line = (f"{_count(len(self.events), 'event')} in the outbox: {sent} sent,"
                f" {len(self.events) - sent} not yet sent" + (f"; {', '.join(parts)}" if parts else ""))
        if self.unmatched:
            line += (f" ({_count(self.unmatched, 'receipt')} for records not in this outbox,"
                     " e.g. plans made in the console)")
        return line


def _count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def match(entries: Sequence[Entry], receipts: Iterable[Receipt]) -> Ledger:
    by_id: dict[str, list[Receipt]] = {}
    by_position: dict[tuple[str, int, int], list[Receipt]] = {}
    for receipt in sorted(receipts, key=lambda r: r.seq):
        if receipt.event_id is not None:
            by_id.setdefault(str(receipt.event_id), []).append(receipt)
        else:
            by_position.setdefault((receipt.topic, receipt.partition, receipt.offset), []).append(receipt)
    used: set[int] = set()
    events = []
    for entry in entries:
        found = list(by_id.get(entry.event_id, ()))
        if entry.partition is not None and entry.offset is not None:
            found += by_position.get((entry.topic, entry.partition, entry.offset), ())
        found.sort(key=lambda r: r.seq)
        history = tuple({r.seq: r for r in found}.values())  # a receipt published twice counts once
        used |= {r.seq for r in history}
        events.append(_tracked(entry, history))
    every = {r.seq for rs in [*by_id.values(), *by_position.values()] for r in rs}
    return Ledger(events, len(every - used), Counter(t.state for t in events))


def _tracked(entry: Entry, history: tuple[Receipt, ...]) -> Tracked:
    if entry.sent_at is None:
        return Tracked(entry, NOT_SENT, history[-1] if history else None, history)
    decisive = [r for r in history if r.status != "duplicate"] or list(history)
    if not decisive:
        return Tracked(entry, NO_RECEIPT, None, history)
    latest = decisive[-1]
    return Tracked(entry, latest.status, latest, history)
