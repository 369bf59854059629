"""The outbox matched with the receipts: every event gets its state from its latest receipt,
a repeat never hides what became of the first copy, and receipts of other records are
counted apart."""

from __future__ import annotations

import datetime
import uuid
from pathlib import Path

from schemas.receipts import Receipt
from services.adapters.sdk.ledger import NO_RECEIPT, NOT_SENT, match
from services.adapters.sdk.outbox import Entry, Outbox

TOPIC = "los.events.tax"
AT = datetime.datetime(2026, 3, 12, 9, 30, tzinfo=datetime.UTC)


def entry(seq: int, offset: int | None = None) -> Entry:
    sent = offset is not None
    return Entry(seq, str(uuid.UUID(int=seq)), TOPIC, "2026-03-12T09:00:00+00:00",
                 "2026-03-12T09:00:01+00:00" if sent else None, 0 if sent else None, offset)


def receipt(seq: int, status: str, *, event: Entry | None = None, offset: int = 0, **fields: object) -> Receipt:
    return Receipt(seq=seq, participant="TAX", topic=TOPIC, partition=0, offset=event.offset if event else offset,
                   event_id=uuid.UUID(event.event_id) if event else None, status=status, at=AT, **fields)  # type: ignore[arg-type]


def test_each_event_gets_the_state_of_its_latest_receipt() -> None:
    good, parked, bad, waiting, unsent = entry(1, 10), entry(2, 11), entry(3, 12), entry(4, 13), entry(5)
    ledger = match([good, parked, bad, waiting, unsent], [
        receipt(1, "accepted", event=good, operation_id="NKPG-1"),
        receipt(2, "parked", event=parked),
        receipt(3, "rejected", event=bad, reason="invalid_schema", detail="data.premises: Field required"),
        receipt(9, "joined", event=parked, operation_id="NKPG-2"),
    ])
    states = {t.entry.seq: (t.state, t.receipt.operation_id if t.receipt else None) for t in ledger.events}
    assert states == {1: ("accepted", "NKPG-1"), 2: ("joined", "NKPG-2"), 3: ("rejected", None),
                      4: (NO_RECEIPT, None), 5: (NOT_SENT, None)}
    assert ledger.unmatched == 0
    assert ledger.summary() == ("5 events in the outbox: 4 sent, 1 not yet sent; 1 accepted, 1 joined later,"
                                " 1 rejected, 1 no receipt yet")


def test_a_repeat_never_hides_what_became_of_the_first_copy() -> None:
    first = entry(1, 10)
    ledger = match([first], [receipt(4, "duplicate", event=first), receipt(2, "parked", event=first)])
    assert ledger.events[0].state == "parked"
    assert [r.seq for r in ledger.events[0].history] == [2, 4]
    only = match([first], [receipt(4, "duplicate", event=first)])  # stored before this outbox knew it
    assert only.events[0].state == "duplicate"


def test_a_record_without_a_readable_id_is_matched_where_it_was_sent() -> None:
    sent = entry(1, 42)
    ledger = match([sent], [receipt(3, "rejected", offset=42, reason="malformed_json", detail="not JSON"),
                            receipt(4, "rejected", offset=43, reason="empty", detail="no value")])
    assert ledger.events[0].state == "rejected" and ledger.events[0].receipt.reason == "malformed_json"  # type: ignore[union-attr]
    assert ledger.unmatched == 1


def test_a_receipt_published_twice_counts_once_and_others_records_apart() -> None:
    sent = entry(1, 10)
    console_plan = receipt(7, "accepted", offset=99, operation_id="NKPG-3").model_copy(
        update={"event_id": uuid.uuid4()})
    ledger = match([sent], [receipt(2, "accepted", event=sent), receipt(2, "accepted", event=sent), console_plan])
    assert len(ledger.events[0].history) == 1
    assert ledger.unmatched == 1 and ledger.summary() == (
        "1 event in the outbox: 1 sent, 0 not yet sent; 1 accepted (1 receipt for records not in this outbox,"
        " e.g. plans made in the console)")


def test_the_outbox_lists_its_entries_by_time_or_event(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox.db")
    try:
        outbox.accept([("a", TOPIC, b"k", b"{}", []), ("b", TOPIC, b"k", b"{}", [])])
        first, _ = outbox.entries()
        outbox.mark_sent([(first.seq, 0, 5)])
        assert [(e.event_id, e.sent_at is not None, e.offset) for e in outbox.entries()] == [
            ("a", True, 5), ("b", False, None)]
        assert [e.event_id for e in outbox.entries(event_id="b")] == ["b"]
        assert outbox.entries(since="2999-01-01T00:00:00+00:00") == []
        assert len(outbox.entries(since=first.accepted_at)) == 2
    finally:
        outbox.close()
