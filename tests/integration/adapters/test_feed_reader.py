"""`python -m services.adapters feed` on the real broker, logged in as the agency's own
principal: valid, repeated, unchanged, newer and invalid messages on `los.feed.<agency>`
become the latest view per operation in files (or POSTs to a local endpoint that fails
first), duplicates are dropped, invalid ones quarantined with their reason, the reader
commits what it handled and exits cleanly on SIGTERM; a wrong login is named."""

from __future__ import annotations

import copy
import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from deploy.local.stack import REPO
from schemas.topics import feed_topic
from services.common.kafka_security import adapter_principal
from tests.conftest import Infra
from tests.support import end_offsets, kafka_login, kafka_options, produce, wait_for
from tests.unit.schemas.test_feeds import sample_message

pytestmark = pytest.mark.integration
AGENCY = "EMPLOYMENT"
TOPIC = feed_topic(AGENCY)


def view_message(operation_id: str, change_seq: int, title: str = "Vårens tillslag") -> dict[str, Any]:
    body = copy.deepcopy(sample_message())
    body["operation_id"] = body["view"]["operation_id"] = operation_id
    body["change_seq"], body["view"]["title"] = change_seq, title
    return body


def record(body: dict[str, Any]) -> tuple[str, bytes, bytes]:
    return TOPIC, body["operation_id"].encode(), json.dumps(body, ensure_ascii=False).encode()


async def _positioned_group(bootstrap: str, group: str) -> None:
    """Commit the feed's current end for `group` (as the admin), so the reader sees only this test's messages."""
    ends = await end_offsets(bootstrap, [TOPIC])
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False,
                                **kafka_options(bootstrap))
    await consumer.start()
    try:
        consumer.assign([TopicPartition(t, p) for t, p in ends])
        await consumer.commit({TopicPartition(t, p): offset for (t, p), offset in ends.items()})
    finally:
        await consumer.stop()


async def _committed(bootstrap: str, group: str) -> dict[tuple[str, int], int]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False,
                                **kafka_options(bootstrap))
    await consumer.start()
    try:
        ends = await end_offsets(bootstrap, [TOPIC])
        return {tp: (await consumer.committed(TopicPartition(*tp))) or 0 for tp in ends}
    finally:
        await consumer.stop()


def _reader_env(bootstrap: str, principal: str, password: str | None = None) -> dict[str, str]:
    login = kafka_login(bootstrap, principal)
    assert login is not None
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOS_KAFKA_")}
    return {**env, "LOS_KAFKA_BOOTSTRAP_SERVERS": bootstrap, "LOS_KAFKA_USERNAME": principal,
            "LOS_KAFKA_PASSWORD": password or login.password, "LOS_KAFKA_CA_FILE": str(login.ca_file),
            "COLUMNS": "200"}


def _start_reader(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "services.adapters", "feed", "--agency", AGENCY, *args],
                            cwd=REPO, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


def _handled(path: Path, count: int) -> Callable[[], Awaitable[bool]]:
    async def enough() -> bool:
        return len(_lines(path)) >= count
    return enough


def _stop(reader: subprocess.Popen[bytes], log: Path) -> str:
    reader.send_signal(signal.SIGTERM)
    assert reader.wait(timeout=30) == 0, log.read_text()
    return log.read_text()


async def test_the_feed_becomes_files_without_duplicates_and_bad_messages_are_quarantined(
        infra: Infra, unique: str, tmp_path: Path) -> None:
    bootstrap, group = infra.bootstrap_servers, f"{adapter_principal(AGENCY)}-feed-{unique}"
    a, b = f"FEED-{unique[:6].upper()}-A", f"FEED-{unique[:6].upper()}-B"
    await _positioned_group(bootstrap, group)
    sent = [
        record(view_message(a, 10)),  # delivered
        record(view_message(a, 10)),  # the same again: duplicate
        record(view_message(b, 11)),  # delivered
        (TOPIC, a.encode(), b"{not json"),  # quarantined
        (TOPIC, b.encode(), json.dumps({"type": "operation.view", "operation_id": b}).encode()),  # quarantined
        record(view_message(a, 12)),  # newer, same content: unchanged
        record(view_message(a, 13, title="Ändrad plan")),  # delivered
        record(view_message(a, 11, title="Gammal plan")),  # older than what the folder has
    ]
    await produce(bootstrap, sent)
    out, state, log = tmp_path / "out", tmp_path / "state", tmp_path / "reader.log"
    reader = _start_reader(["--out", str(out), "--state-dir", str(state), "--group", group],
                           _reader_env(bootstrap, adapter_principal(AGENCY)), log)
    try:
        await wait_for(_handled(out / "received.jsonl", len(sent)), timeout=60, what="every record handled")
    finally:
        output = _stop(reader, log)

    outcomes = {(e.get("operation_id"), e.get("change_seq")): e["outcome"] for e in _lines(out / "received.jsonl")}
    assert outcomes == {(a, 10): "duplicate", (b, 11): "delivered", (None, None): "quarantined",
                        (a, 12): "unchanged", (a, 13): "delivered", (a, 11): "older"}
    assert sorted(e["outcome"] for e in _lines(out / "received.jsonl")).count("delivered") == 3
    assert json.loads((out / f"{a}.json").read_text(encoding="utf-8")) == view_message(a, 13, title="Ändrad plan")
    assert json.loads((out / f"{b}.json").read_text(encoding="utf-8")) == view_message(b, 11)
    quarantined = {q["value"][:9]: q["reason"] for q in _lines(state / "quarantine.jsonl")}
    assert set(quarantined) == {"{not json", '{"type": '}, "kept as received"
    assert "not UTF-8 JSON" in quarantined["{not json"] and "view: Field required" in quarantined['{"type": ']
    assert f"{TOPIC}: 8 received, 3 delivered, 1 duplicate, 1 older, 1 unchanged, 2 quarantined" in output
    ends = await end_offsets(bootstrap, [TOPIC])
    assert await _committed(bootstrap, group) == ends, "every handled record is committed"

    # a new destination, read again from the oldest retained message: given every view anew
    again, log = tmp_path / "again", tmp_path / "again.log"
    reader = _start_reader(["--out", str(again), "--state-dir", str(state), "--group", group, "--from-beginning"],
                           _reader_env(bootstrap, adapter_principal(AGENCY)), log)

    async def both_written() -> bool:
        return {(e.get("operation_id"), e.get("change_seq"), e["outcome"])
                for e in _lines(again / "received.jsonl")} >= {(a, 13, "delivered"), (b, 11, "delivered")}

    try:
        await wait_for(both_written, timeout=60, what="this test's views read again from the beginning")
    finally:
        _stop(reader, log)
    assert json.loads((again / f"{a}.json").read_text(encoding="utf-8")) == view_message(a, 13, title="Ändrad plan")
    assert json.loads((again / f"{b}.json").read_text(encoding="utf-8")) == view_message(b, 11)


@dataclass
class CaseSystem:
    """A local endpoint that refuses the first `failures` requests, then takes every one."""

    failures: int
    requests: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    accepted: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


@pytest.fixture
def case_system() -> Iterator[tuple[CaseSystem, str]]:
    case = CaseSystem(failures=2)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["content-length"]))
            with case.lock:
                case.requests.append((dict(self.headers), body))
                refuse = len(case.requests) <= case.failures
                if not refuse:
                    case.accepted.append(json.loads(body))
            self.send_response(503 if refuse else 204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield case, f"http://127.0.0.1:{server.server_address[1]}/los/feed"
    finally:
        server.shutdown()
        server.server_close()


async def test_new_views_are_posted_to_the_case_system_until_it_takes_them(
        infra: Infra, unique: str, tmp_path: Path, case_system: tuple[CaseSystem, str]) -> None:
    case, url = case_system
    bootstrap, group = infra.bootstrap_servers, f"{adapter_principal(AGENCY)}-post-{unique}"
    op = f"POST-{unique[:6].upper()}"
    await _positioned_group(bootstrap, group)
    await produce(bootstrap, [record(view_message(op, 20)), record(view_message(op, 20)),
                              record(view_message(op, 21, title="Ny titel"))])
    state, log = tmp_path / "state", tmp_path / "reader.log"
    reader = _start_reader(["--post", url, "--state-dir", str(state), "--group", group],
                           _reader_env(bootstrap, adapter_principal(AGENCY)), log)
    try:
        await wait_for(_handled(state / "received.jsonl", 3), timeout=60, what="three records handled")
    finally:
        _stop(reader, log)
    assert [(m["operation_id"], m["change_seq"]) for m in case.accepted] == [(op, 20), (op, 21)]
    assert len(case.requests) == 2 + 2, "two refusals, then each new view once"
    headers = {k.lower(): v for k, v in case.requests[-1][0].items()}
    assert headers["idempotency-key"] == f"{op}:21"
    assert case.accepted[-1] == view_message(op, 21, title="Ny titel")
    assert [e["outcome"] for e in _lines(state / "received.jsonl")] == ["delivered", "duplicate", "delivered"]


@pytest.mark.parametrize(("principal", "password", "says"), [
    (adapter_principal(AGENCY), "wrong-password", "cannot connect or log in to Kafka"),
    (adapter_principal("TAX"), None, f"may not read {TOPIC}"),
])
def test_a_wrong_login_is_named_with_what_to_set(infra: Infra, tmp_path: Path, principal: str, password: str | None,
                                                 says: str) -> None:
    env = _reader_env(infra.bootstrap_servers, principal, password)
    ran = subprocess.run([sys.executable, "-m", "services.adapters", "feed", "--agency", AGENCY, "--out",
                          str(tmp_path / "out"), "--state-dir", str(tmp_path / "state"),
                          "--group", f"{adapter_principal(AGENCY)}-login"],
                         cwd=REPO, env=env, capture_output=True, text=True, timeout=90)
    assert ran.returncode == 1, ran.stderr
    assert says in ran.stderr and "LOS_KAFKA_PASSWORD" in ran.stderr, ran.stderr
