"""The feed reader's parts without Kafka: a record is checked against the published contract
(never raising), judged against what the destination was given, delivered to files
atomically or to an HTTP endpoint until it answers 2xx, and remembered across restarts."""

from __future__ import annotations

import asyncio
import copy
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.adapters.feed.checks import Delivered, Invalid, Outcome, Valid, check, judge
from services.adapters.feed.reader import FeedReader, WriteFailed
from services.adapters.feed.sinks import FolderSink, HttpSink, Stopped
from services.adapters.feed.store import DeliveredViews, JsonLines, destination_file
from services.common.retry import Backoff
from tests.unit.schemas.test_feeds import sample_message

FAST = Backoff(initial=0.001, maximum=0.002)


def message(change_seq: int, *, title: str | None = None) -> dict[str, Any]:
    body = sample_message()
    body["change_seq"] = change_seq
    if title:
        body["view"]["title"] = title
    return body


def raw(body: dict[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False).encode()


def valid(body: dict[str, Any]) -> Valid:
    result = check(raw(body))
    assert isinstance(result, Valid), result
    return result


@pytest.mark.parametrize(("value", "reason"), [
    (None, "empty"),
    (b"", "empty"),
    (b"\xff\xfe", "not UTF-8 JSON"),
    (b"{", "not UTF-8 JSON"),
    (b"[1, 2]", "not a JSON object"),
    (b'{"type": "operation.view"}', "change_seq: Field required"),
    (raw({**message(1), "change_seq": "1x"}), "change_seq"),
    (raw({**message(1), "view": {**message(1)["view"], "withheld_items": 1.5}}), "withheld_items"),
    (raw({**message(1), "view": {**message(1)["view"], "score": 0.5}}), "canonical form"),
])
def test_an_invalid_record_is_named_never_raised(value: bytes | None, reason: str) -> None:
    result = check(value)
    assert isinstance(result, Invalid) and reason in result.reason, result


def test_the_digest_is_the_views_content_whatever_its_change_seq() -> None:
    assert valid(message(1)).digest == valid(message(7)).digest != valid(message(1, title="Annat")).digest


@pytest.mark.parametrize(("seq", "title", "expected"), [
    (5, None, Outcome.DUPLICATE),
    (4, "Annat", Outcome.OLDER),
    (6, None, Outcome.UNCHANGED),
    (6, "Annat", Outcome.DELIVERED),
])
def test_only_a_newer_different_view_is_delivered(seq: int, title: str | None, expected: Outcome) -> None:
    last = Delivered(5, valid(message(5)).digest)
    assert judge(valid(message(seq, title=title)), last) is expected
    assert judge(valid(message(seq, title=title)), None) is Outcome.DELIVERED


def _reader(tmp_path: Path, sink: FolderSink | HttpSink) -> FeedReader:
    views = DeliveredViews(destination_file(tmp_path / "state", sink.destination), sink.destination)
    logs = sink.folder if isinstance(sink, FolderSink) else tmp_path  # as the command places them
    return FeedReader(sink, views, JsonLines(logs / "received.jsonl"),
                      JsonLines(tmp_path / "state" / "quarantine.jsonl"))


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


async def test_the_folder_holds_each_operations_latest_view_and_the_logs_say_why(tmp_path: Path) -> None:
    out = tmp_path / "out"
    reader = _reader(tmp_path, FolderSink(out))
    sequence = [(message(1), Outcome.DELIVERED), (message(1), Outcome.DUPLICATE), (message(2), Outcome.UNCHANGED),
                (message(3, title="Ändrad plan"), Outcome.DELIVERED), (message(2), Outcome.OLDER)]
    for offset, (body, expected) in enumerate(sequence):
        assert await reader.handle("los.feed.police", 0, offset, b"LKPG-2026-04", raw(body)) is expected
    assert await reader.handle("los.feed.police", 0, 9, b"x", b"not json") is Outcome.QUARANTINED

    written = json.loads((out / "LKPG-2026-04.json").read_text(encoding="utf-8"))
    assert written == message(3, title="Ändrad plan"), "the latest view, exactly as received"
    assert sorted(p.name for p in out.iterdir()) == ["LKPG-2026-04.json", "received.jsonl"], "no temporary file left"
    log = _lines(out / "received.jsonl")
    assert [e["outcome"] for e in log] == [o.value for _, o in sequence] + ["quarantined"]
    assert [e["offset"] for e in log] == [0, 1, 2, 3, 4, 9]
    [quarantined] = _lines(tmp_path / "state" / "quarantine.jsonl")
    assert (quarantined["offset"], quarantined["value"], quarantined["key"]) == (9, "not json", "x")
    assert "not UTF-8 JSON" in quarantined["reason"]
    assert reader.counts.outcomes[Outcome.DELIVERED] == 2 and reader.counts.received == 6


async def test_what_was_delivered_is_remembered_per_destination(tmp_path: Path) -> None:
    first = _reader(tmp_path, FolderSink(tmp_path / "out"))
    await first.handle("t", 0, 0, None, raw(message(4)))
    first.views.close()
    again = _reader(tmp_path, FolderSink(tmp_path / "out"))
    assert await again.handle("t", 0, 0, None, raw(message(4))) is Outcome.DUPLICATE
    elsewhere = _reader(tmp_path, FolderSink(tmp_path / "elsewhere"))
    assert await elsewhere.handle("t", 0, 0, None, raw(message(4))) is Outcome.DELIVERED


async def test_the_endpoint_is_asked_again_until_it_answers_2xx(tmp_path: Path) -> None:
    answers = iter([503, 500, 201])
    seen: list[httpx.Request] = []

    def endpoint(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(next(answers))

    sink = HttpSink("http://case.invalid/los", asyncio.Event(), backoff=FAST, transport=httpx.MockTransport(endpoint))
    body = message(8)
    await sink.deliver(valid(body))
    await sink.close()
    assert len(seen) == 3
    assert json.loads(seen[-1].content) == body
    assert seen[-1].headers["idempotency-key"] == "LKPG-2026-04:8"
    assert seen[-1].headers["content-type"].startswith("application/json")


async def test_shutdown_during_retries_leaves_the_view_undelivered(tmp_path: Path) -> None:
    stop = asyncio.Event()

    def endpoint(request: httpx.Request) -> httpx.Response:
        stop.set()  # shutdown arrives while the case system is down
        raise httpx.ConnectError("refused", request=request)

    reader = _reader(tmp_path, HttpSink("http://case.invalid/los", stop, backoff=FAST,
                                        transport=httpx.MockTransport(endpoint)))
    with pytest.raises(Stopped):
        await reader.handle("t", 0, 0, None, raw(message(2)))
    assert reader.views.last("LKPG-2026-04") is None, "not remembered as delivered"
    assert not (tmp_path / "received.jsonl").read_text(), "no line for a record not handled"


def test_the_view_written_keeps_unknown_fields(tmp_path: Path) -> None:
    body = copy.deepcopy(message(3))
    body["view"]["added_later"] = {"x": 1}
    FolderSink(tmp_path)._write(valid(body))
    assert json.loads((tmp_path / "LKPG-2026-04.json").read_text())["view"]["added_later"] == {"x": 1}


async def test_a_view_that_cannot_be_written_stops_the_reader_unacknowledged(tmp_path: Path) -> None:
    out = tmp_path / "out"
    reader = _reader(tmp_path, FolderSink(out))
    (out / "LKPG-2026-04.json").mkdir()  # the file's place is taken: the rename fails
    with pytest.raises(WriteFailed, match="IsADirectoryError"):
        await reader.handle("t", 0, 0, None, raw(message(1)))
    assert reader.views.last("LKPG-2026-04") is None
    assert _lines(out / "received.jsonl") == []
