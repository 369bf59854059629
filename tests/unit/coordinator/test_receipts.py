"""What a sender is told of each record: one receipt per record, on the receipts of the
topic's owner, naming an operation only when the sender takes part in it, and never
telling what another participant stored."""

from __future__ import annotations

import datetime
import json
import uuid

import pytest

from schemas.agencies import load_agencies
from schemas.receipts import MAX_DETAIL, Receipt
from services.coordinator.domain import ownership
from services.coordinator.domain.receipts import (
    WITHHELD_DETAIL,
    ReceiptRow,
    Taking,
    duplicate,
    event_id_of,
    rejected,
    sort_checked,
    stored,
)
from services.coordinator.receipts import _chunks, _message

TAX = "los.events.tax"
EVENT = str(uuid.uuid4())
OPS = {"NKPG-1": Taking("POLICE", frozenset({"POLICE", "TAX"})), "NKPG-2": Taking("POLICE", frozenset({"POLICE"}))}


def test_an_inspection_joined_to_an_operation_the_sender_takes_part_in_is_accepted_with_it() -> None:
    assert stored(TAX, 3, 17, EVENT, "inspection", "NKPG-1", OPS) == ReceiptRow(
        "TAX", TAX, 3, 17, EVENT, "accepted", operation_id="NKPG-1")


@pytest.mark.parametrize("operation", [None, "NKPG-9", "NKPG-2"],
                         ids=["no operation", "not planned", "another's operation"])
def test_an_event_in_no_operation_the_sender_takes_part_in_is_parked_and_names_none(operation: str | None) -> None:
    for kind in ("inspection", "decision", "notification"):
        receipt = stored(TAX, 0, 1, EVENT, kind, operation, OPS)
        assert receipt is not None and (receipt.status, receipt.operation_id) == ("parked", None)


def test_the_lead_takes_part_even_when_it_lists_no_participant() -> None:
    ops = {"OP-1": Taking("TAX", frozenset())}
    assert stored(TAX, 0, 1, EVENT, "decision", "OP-1", ops).operation_id == "OP-1"  # type: ignore[union-attr]


def test_a_plan_is_accepted_with_its_operation_and_a_retraction_with_none() -> None:
    assert stored(TAX, 0, 1, EVENT, "plan", "OP-7", {}) == ReceiptRow("TAX", TAX, 0, 1, EVENT, "accepted",
                                                                      operation_id="OP-7")
    assert stored(TAX, 0, 1, EVENT, "retraction", None, OPS) == ReceiptRow("TAX", TAX, 0, 1, EVENT, "accepted")


def test_a_repeat_is_a_duplicate() -> None:
    assert duplicate(TAX, 1, 2, EVENT) == ReceiptRow("TAX", TAX, 1, 2, EVENT, "duplicate")


def test_a_rejection_goes_to_the_topic_owner_whatever_the_record_claims() -> None:
    forged = json.dumps({"id": EVENT, "type": "x", "losagency": "POLICE"}).encode()
    receipt = rejected(TAX, 0, 5, "wrong_agency", "the key belongs to TAX, the event claims POLICE", forged)
    assert receipt == ReceiptRow("TAX", TAX, 0, 5, EVENT, "rejected", "wrong_agency",
                                 "the key belongs to TAX, the event claims POLICE")


def test_a_rejection_names_the_event_id_only_when_the_record_has_one() -> None:
    assert rejected(TAX, 0, 1, "malformed_json", "not valid UTF-8 JSON", b"{not json").event_id is None  # type: ignore[union-attr]
    assert rejected(TAX, 0, 1, "empty", "the record has no value", None).event_id is None  # type: ignore[union-attr]
    assert rejected(TAX, 0, 1, "invalid_schema", "data: missing", b'{"id": "nope"}').event_id is None  # type: ignore[union-attr]
    assert rejected(TAX, 0, 1, "invalid_schema", "x", json.dumps({"id": EVENT}).encode()).event_id == EVENT  # type: ignore[union-attr]
    assert event_id_of(b"\xff\xfe") is None and event_id_of(b"[1]") is None


def test_a_long_detail_is_cut_to_what_a_receipt_holds() -> None:
    receipt = rejected(TAX, 0, 1, "invalid_schema", "x" * 5000, b"{}")
    assert receipt is not None and receipt.detail == "x" * MAX_DETAIL


@pytest.mark.parametrize("reason", sorted(WITHHELD_DETAIL))
def test_a_refusal_resting_on_what_another_stored_tells_the_reason_but_nothing_of_theirs(reason: str) -> None:
    detail = "operation NKPG-2026-07 is led by POLICE; TAX may not change its plan"
    receipt = rejected(TAX, 0, 1, reason, detail, json.dumps({"id": EVENT}).encode())
    assert receipt is not None and receipt.reason == reason and receipt.detail == WITHHELD_DETAIL[reason]
    assert not any(code in receipt.detail for code in load_agencies()) and "NKPG" not in receipt.detail


def test_every_ownership_rule_that_looks_at_stored_state_is_withheld() -> None:
    # the registry and the register of duties to notify are public
    judged_on_the_event_alone = {"unknown_recipient", "notice_to_self", "not_a_notice_addressee"}
    assert set(WITHHELD_DETAIL) == set(ownership.REASONS) - judged_on_the_event_alone


def test_a_record_on_no_events_topic_gets_no_receipt() -> None:
    assert rejected("los.other", 0, 1, "empty", "", None) is None
    assert stored("los.other", 0, 1, EVENT, "plan", "OP-1", {}) is None
    assert duplicate("los.other", 0, 1, EVENT) is None


def test_the_checked_records_split_into_stored_and_duplicates_in_order() -> None:
    a, b, c = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    checked = [(1, a), (2, b), (3, a), (4, c), (5, b), (6, c)]
    # a is new; b was stored before and (2) replaces it with new pseudonyms; c was stored before,
    # (4) re-used its id for a different event and was refused
    stored_now, duplicates = sort_checked(checked, inserted={a}, replaced={2}, refused={4})
    assert stored_now == [(1, a), (2, b)]
    assert duplicates == [(3, a), (5, b), (6, c)]


def test_a_relayed_receipt_is_a_valid_contract() -> None:
    row = {"seq": 12, "participant": "TAX", "topic": TAX, "partition": 0, "offset": 9, "event_id": EVENT,
           "status": "accepted", "reason": None, "detail": None, "operation_id": "NKPG-1",
           "created_at": datetime.datetime(2026, 3, 12, 9, 30, tzinfo=datetime.UTC)}
    receipt = Receipt.model_validate_json(_message(row))  # type: ignore[arg-type]
    assert (receipt.seq, receipt.status, str(receipt.event_id), receipt.operation_id) == (12, "accepted", EVENT,
                                                                                          "NKPG-1")


def test_receipts_are_relayed_in_runs_that_fit_one_producer_batch() -> None:
    rows = [{"seq": i, "detail": "x" * (1000 if i % 7 == 0 else 0), "participant": "TAX", "topic": TAX,
             "partition": 0, "offset": i, "event_id": EVENT, "status": "rejected", "reason": "invalid_schema",
             "operation_id": None, "created_at": datetime.datetime(2026, 3, 12, tzinfo=datetime.UTC)}
            for i in range(1, 200)]
    chunks = list(_chunks(rows))  # type: ignore[arg-type]
    assert [r["seq"] for chunk in chunks for r in chunk] == list(range(1, 200))
    for chunk in chunks:
        encoded = sum(len(_message(r)) + 80 for r in chunk)  # type: ignore[arg-type]
        assert encoded < 16 * 1024, "aiokafka's default batch holds the chunk"
