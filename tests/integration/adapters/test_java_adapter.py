"""An adapter in another language: the Java example (`examples/java-adapter`, kafka-clients and
the JDK's Ed25519) is built with Maven, which runs its own test against the signing vectors;
its jar signs an inspection with an adapter key registered for the agency and produces it as
`adapter-<agency>` to the real broker; a real coordinator process accepts the event.

Java 17+ and Maven are required, like for the broker itself: the test fails, never skips,
without them. Maven's repository is kept in the project's cache folder (`LOS_CACHE_DIR`), and
once a build has fetched everything the pom names, later builds run offline."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import shutil
import signal
import subprocess
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from deploy.local.harness import holder_keys, service_env
from deploy.local.stack import REPO, default_cache_dir
from schemas.canonical import canonical_json
from schemas.envelope import CONTENT_TYPE, event_id_for
from schemas.topics import events_topic
from services.common.kafka_security import adapter_principal
from services.common.keys import adapter_holder
from tests.conftest import Database, Infra
from tests.support import all_event_topics, end_offsets, kafka_login, read_from, spawn_service, start_from_now, wait_for

pytestmark = pytest.mark.integration

EXAMPLE = REPO / "examples" / "java-adapter"
JAR = EXAMPLE / "target" / "los-java-adapter.jar"
AGENCY = "WORK_ENV"  # Arbetsmiljöverket: its findings are `work_environment`


def _tools() -> tuple[str, str]:
    found = {name: shutil.which(name) for name in ("java", "javac", "mvn")}
    missing = [name for name, path in found.items() if path is None]
    if missing:
        pytest.fail(f"the Java adapter example needs a JDK 17+ and Maven; missing: {', '.join(missing)}"
                    " (apt-get install openjdk-17-jdk-headless maven)")
    return str(found["java"]), str(found["mvn"])


def build_java_adapter() -> Path:
    """`mvn -B -q package` in the example, offline when the cache has what this pom needs."""
    _, mvn = _tools()
    repository = default_cache_dir() / "maven"
    stamp = repository / ".los-java-adapter"  # the pom whose dependencies and plugins are all cached
    pom = hashlib.sha256((EXAMPLE / "pom.xml").read_bytes()).hexdigest()
    command = [mvn, "-B", "-q", f"-Dmaven.repo.local={repository}", "package"]
    offline = stamp.is_file() and stamp.read_text() == pom
    result = subprocess.run([*command, "-o"] if offline else command, cwd=EXAMPLE, capture_output=True,
                            text=True, timeout=900)
    if result.returncode != 0 and offline:  # the cache lost something: fetch it from Maven Central
        result = subprocess.run(command, cwd=EXAMPLE, capture_output=True, text=True, timeout=900)
    if result.returncode != 0:
        pytest.fail(f"`mvn -B -q package` failed in {EXAMPLE.relative_to(REPO)} (its tests check the signing"
                    f" vectors):\n{(result.stdout + result.stderr)[-5000:]}")
    repository.mkdir(parents=True, exist_ok=True)
    stamp.write_text(pom)
    return JAR


def _record(ref: str, operation_id: str) -> dict[str, Any]:
    return {
        "agency": AGENCY, "record_kind": "inspektion", "record_ref": ref, "record_version": "1",
        "operation_id": operation_id, "conducted_at": "2026-03-14T10:15:00+01:00", "municipality": "Norrköping",
        "premises": {"address": "Sandgatan 14 B, 602 22 Norrköping", "industry": "restaurant"},
        "finding": {"code": "SKYDDSRONDER_SAKNAS", "category": "work_environment",
                    "summary": "Inga skyddsronder dokumenterade i köket", "count": 1},
    }


async def test_the_java_adapter_publishes_an_event_the_coordinator_accepts(
        infra: Infra, database: Database, unique: str, tmp_path: Path) -> None:
    jar = await asyncio.to_thread(build_java_adapter)
    java, _ = _tools()
    keys = tmp_path / "keys"
    holder_keys(keys, adapters=[AGENCY])  # registered for WORK_ENV; its private half in the adapter's folder
    [key_file] = (adapter_holder(keys / "adapters", AGENCY) / "private").glob("*.pem")
    ref, operation_id = f"AV-{unique}", f"JAVA-{unique[:6].upper()}"
    record_file = tmp_path / "inspection.json"
    record_file.write_text(json.dumps(_record(ref, operation_id), ensure_ascii=False), encoding="utf-8")

    bootstrap, topic = infra.bootstrap_servers, events_topic(AGENCY)
    group = f"los-coordinator-{unique}"
    await start_from_now(database.owner_url, database.app_url, group, bootstrap, all_event_topics())
    start = await end_offsets(bootstrap, [topic])
    login = kafka_login(bootstrap, adapter_principal(AGENCY))
    assert login is not None
    env = {**os.environ, "LOS_KAFKA_BOOTSTRAP_SERVERS": bootstrap, "LOS_KAFKA_PASSWORD": login.password,
           "LOS_KAFKA_SECURITY_PROTOCOL": infra.env["LOS_KAFKA_SECURITY_PROTOCOL"],
           "LOS_KAFKA_CA_FILE": infra.env["LOS_KAFKA_CA_FILE"], "LOS_ADAPTER_KEY_FILE": str(key_file)}
    env.pop("LOS_KAFKA_USERNAME", None)  # the jar logs in as adapter-<agency> by default
    ran = await asyncio.to_thread(subprocess.run, [java, "-jar", str(jar), "--record", str(record_file)],
                                  env=env, capture_output=True, text=True, timeout=120)
    assert ran.returncode == 0, ran.stderr
    sent = json.loads(ran.stdout)
    event_id = str(event_id_for(AGENCY, "inspektion", ref, "1"))
    assert (sent["id"], sent["topic"], sent["key"]) == (event_id, topic, f"op:{operation_id}")

    [produced] = await read_from(bootstrap, start, expect=1, timeout=30)
    assert produced.key == f"op:{operation_id}".encode()
    assert dict(produced.headers)["content-type"] == CONTENT_TYPE.encode()
    assert canonical_json(json.loads(produced.value)) == produced.value, "the value is the canonical form"

    log = tmp_path / "coordinator.log"
    coordinator = spawn_service("services.coordinator", service_env(
        infra.env, database, keys, LOS_KAFKA_USERNAME="coordinator", LOS_COORDINATOR_GROUP_ID=group), log)
    try:
        conn = await asyncpg.connect(database.app_url)
        try:
            async def stored() -> asyncpg.Record | None:
                rejected = await conn.fetch("SELECT reason, detail FROM rejections")
                assert not rejected, f"the coordinator rejected the Java adapter's event: {rejected}"
                row: asyncpg.Record | None = await conn.fetchrow(
                    "SELECT agency, type, key_id, topic, explicit_operation FROM events WHERE event_id = $1",
                    event_id)
                return row

            row = await wait_for(stored, timeout=60, what="the Java adapter's event stored")
            assert await conn.fetchval("SELECT count(*) FROM rejections") == 0
        finally:
            await conn.close()
    finally:
        coordinator.send_signal(signal.SIGTERM)
        coordinator.wait(timeout=60)
    assert dict(row) == {"agency": AGENCY, "type": "se.los.inspection.conducted.v1", "key_id": key_file.stem,
                         "topic": topic, "explicit_operation": operation_id}
