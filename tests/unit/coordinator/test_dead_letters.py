"""A dead letter is the rejected record itself when it fits the topic, and a reference to
the copy kept in `rejections` when it does not: Kafka never has to refuse one."""

from __future__ import annotations

import hashlib
import json

from services.coordinator.dead_letters import ENVELOPE_BYTES, Rejection, dead_letter

LIMIT = 1_048_588


def rejection(raw: bytes, reason: str = "oversized") -> Rejection:
    return Rejection(41, "los.events.tax", 2, 907, "TAX", reason, f"{len(raw)} bytes, the limit is 262144", raw)


def test_a_record_that_fits_goes_whole_with_its_reason_in_headers() -> None:
    raw = b'{"type": "se.los.inspection.conducted.v1"}'
    letter = dead_letter(rejection(raw, "invalid_schema"), max_message_bytes=LIMIT)
    assert letter.form == "whole" and letter.value == raw
    assert letter.headers["los-reason"] == "invalid_schema"
    assert letter.headers["los-source-topic"] == "los.events.tax"
    assert letter.headers["los-source-offset"] == "907"
    assert letter.headers["los-sha256"] == hashlib.sha256(raw).hexdigest()


def test_a_record_too_large_for_the_topic_goes_as_a_reference_to_the_kept_copy() -> None:
    raw = b"x" * (LIMIT - ENVELOPE_BYTES + 1)
    letter = dead_letter(rejection(raw), max_message_bytes=LIMIT)
    assert letter.form == "reference"
    body = json.loads(letter.value)
    assert body["rejection_id"] == 41 and body["size"] == len(raw)
    assert body["sha256"] == hashlib.sha256(raw).hexdigest()
    assert (body["topic"], body["partition"], body["offset"]) == ("los.events.tax", 2, 907)
    assert body["reason"] == "oversized" and len(letter.value) < 2_000


def test_the_largest_whole_letter_leaves_room_for_headers_and_key() -> None:
    raw = b"x" * (LIMIT - ENVELOPE_BYTES)
    letter = dead_letter(rejection(raw), max_message_bytes=LIMIT)
    assert letter.form == "whole"
    overhead = len(letter.key) + sum(len(k) + len(v) for k, v in letter.headers.items())
    assert len(letter.value) + overhead + 100 < LIMIT  # 100: the record batch's own header


def test_a_reference_can_be_asked_for_even_when_the_record_would_fit() -> None:
    letter = dead_letter(rejection(b"{}"), max_message_bytes=LIMIT, whole=False)
    assert letter.form == "reference" and json.loads(letter.value)["size"] == 2
