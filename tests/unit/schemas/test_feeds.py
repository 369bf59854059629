"""The feed message contract (`schemas.feeds`) describes what the disclosure service sends:
every view the enforcement point makes, for every agency, is a valid message; the message's
own fields are strict, the view's shape open to additions."""

from __future__ import annotations

import copy
import json
import uuid
from typing import Any

import pytest
from pydantic import ValidationError

from schemas.feeds import OperationViewMessage, feed_message_json, parse_feed_message
from tests.unit.disclosure.test_enforce import AGENCIES, POLICY, record, view


def _record_with_event_ids() -> dict[str, Any]:
    rec = record()
    for item in rec["timeline"]:  # real records name events by their UUIDs
        item["event_id"] = str(uuid.uuid5(uuid.NAMESPACE_URL, item["event_id"]))
    return rec


def sample_message(agency: str = "POLICE") -> dict[str, Any]:
    shown = view(agency, rec=_record_with_event_ids())
    assert shown.visible
    return json.loads(json.dumps(feed_message_json("LKPG-2026-04", 17, POLICY.label, shown.record),
                                 ensure_ascii=False))


@pytest.mark.parametrize("agency", sorted(AGENCIES))
def test_every_view_the_enforcement_point_makes_is_a_valid_message(agency: str) -> None:
    shown = view(agency, rec=_record_with_event_ids())
    if not shown.visible:
        return  # nothing is sent to an agency that may not know the operation exists
    raw = json.dumps(feed_message_json("LKPG-2026-04", 3, POLICY.label, shown.record), ensure_ascii=False)
    message = parse_feed_message(raw)
    assert (message.type, message.operation_id, message.change_seq) == ("operation.view", "LKPG-2026-04", 3)
    assert message.policy == POLICY.label
    assert len(message.view.timeline) == len(shown.record["timeline"])


@pytest.mark.parametrize(("change", "where"), [
    (lambda m: m.pop("change_seq"), "change_seq"),
    (lambda m: m.update(change_seq=0), "change_seq"),
    (lambda m: m.update(type="operation.record"), "type"),
    (lambda m: m.update(smuggled=True), "smuggled"),
    (lambda m: m.update(policy="no label"), "policy"),
    (lambda m: m.update(operation_id="lkpg 2026"), "operation_id"),
    (lambda m: m["view"].pop("timeline"), "timeline"),
    (lambda m: m["view"].update(status="lost"), "status"),
    (lambda m: m["view"]["timeline"][0].update(event_id="e1"), "event_id"),
    (lambda m: m["view"].update(operation_id="OTHER-2026-01"), "operation"),
])
def test_a_broken_message_is_refused_naming_what_is_wrong(change: Any, where: str) -> None:
    message = sample_message()
    change(message)
    with pytest.raises(ValidationError) as error:
        parse_feed_message(json.dumps(message))
    assert where in str(error.value)


def test_the_view_may_grow_fields_the_message_may_not() -> None:
    message = sample_message()
    grown = copy.deepcopy(message)
    grown["view"]["new_summary"] = {"visits": 2}
    grown["view"]["timeline"][0]["new_field"] = "x"
    parsed = parse_feed_message(json.dumps(grown))
    assert parsed.view.model_dump(mode="json")["new_summary"] == {"visits": 2}
    assert OperationViewMessage.model_json_schema()["additionalProperties"] is False
