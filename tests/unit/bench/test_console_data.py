"""The benchmark's data: copies of a simulated history with fresh ids, exactly as many events as asked."""

from __future__ import annotations

import datetime

from bench.console_data import copies, templates


def test_copies_hold_exactly_the_events_asked_for_under_new_ids() -> None:
    found = templates(3, 1500)
    assert found and all(t.record["timeline"] is not None for t in found)
    today = datetime.date(2026, 5, 4)
    made = list(copies(found, 4000, today))
    events = [body["id"] for _, batch in made for t in batch for _, body, _ in t.events]
    operations = [t.operation_id for _, batch in made for t in batch]
    assert len(events) == 4000 and len(set(events)) == 4000
    assert len(set(operations)) == len(operations)
    newest = max(t.record["planned_date"] for _, batch in made for t in batch)
    assert newest == today.isoformat()  # the history ends today, each copy a day earlier
    originals = {f.event_id for t in found for f, _, _ in t.events}
    copied = {e["event_id"] for _, batch in made for t in batch for e in t.record["timeline"]}
    assert copied and not copied & originals  # records point at the copies' events, not the templates'
