"""A stolen adapter host reveals nothing: the adapter gateway, started as the local runner
starts it, ingests a campaign's exports through the pseudonym service, and afterwards neither
its configuration nor any file in its keys, spool or drop folders holds a secret from which
pseudonyms can be computed or reversed (the OPRF key, the key derived from it, the egress
key), in any encoding, nor a file named like a pseudonym key. Its events carry exactly the
platform's pseudonyms all the same."""

from __future__ import annotations

import base64
import datetime
import json
import shutil
import sqlite3
from pathlib import Path

import asyncpg
import pytest

from deploy.access import ensure_secret_key
from deploy.local.harness import holder_keys
from deploy.local.stack import load_services
from services.adapters.agencies import all_formats
from services.adapters.sdk.mapping import MappingContext
from services.adapters.simulator import generate_campaign, write_native
from services.adapters.simulator.config import ScenarioConfig
from services.common.pseudonyms import LocalPseudonymiser, oprf_secret
from tests.conftest import Database, Infra
from tests.pseudonyms import start_pseudonym_service
from tests.support import spawn_service, wait_for

pytestmark = pytest.mark.integration
SUSPICIOUS_NAMES = ("pseudonym", "oprf", "egress", "hmac", "secret")


def encodings(secret: bytes) -> list[bytes]:
    return [secret, secret.hex().encode(), secret.hex().upper().encode(), base64.b64encode(secret).rstrip(b"="),
            base64.urlsafe_b64encode(secret).rstrip(b"=")]


def format_of(path: Path) -> str:
    return max((n for n in all_formats() if path.stem == n or path.stem.startswith(n + "-")), key=len)


async def test_an_adapter_run_leaves_no_secret_that_computes_or_reverses_pseudonyms(
        infra: Infra, database: Database, tmp_path: Path) -> None:
    keys, spool, drop = tmp_path / "adapter" / "keys", tmp_path / "adapter" / "spool", tmp_path / "adapter" / "drop"
    service = await start_pseudonym_service(infra, database, keys, tmp_path / "platform")
    egress_key = ensure_secret_key(tmp_path / "platform" / "egress" / "pseudonym.key")
    # what the local runner would hand every process, secrets included; it filters per service
    stack_env = {**infra.env, "LOS_ADAPTER_SPOOL_DIR": str(spool),
                 "LOS_ADAPTER_DROP_DIR": str(drop), "LOS_ADAPTER_POLL_SECONDS": "0.2",
                 "LOS_PSEUDONYM_URL": service.url, "LOS_OPRF_KEY_FILE": str(service.key_file),
                 "LOS_EGRESS_PSEUDONYM_KEY_FILE": str(egress_key)}
    [adapters] = [s for s in load_services() if s.name == "adapters"]

    campaign = generate_campaign(41, pseudonym_key=service.seed, config=ScenarioConfig(springs=1))
    ctx = MappingContext(pseudonyms=LocalPseudonymiser(service.seed), today=datetime.date(2026, 11, 1))
    files = sorted(write_native(campaign, tmp_path / "export", ctx, split_by_operation=True, canonical=False).files)
    first = campaign.events[0].data.operation_id  # type: ignore[union-attr]
    files = [f for f in files if first in f.name] or files[:6]
    key_env = holder_keys(keys, adapters=sorted({f.parent.name.upper() for f in files}))
    env = infra.stack.process_env(adapters, {**stack_env, **key_env})
    for variable in ("LOS_OPRF_KEY_FILE", "LOS_EGRESS_PSEUDONYM_KEY_FILE", "LOS_LEGACY_PSEUDONYM_KEY_FILE"):
        assert variable not in env
    gateway = spawn_service("services.adapters.gateway", {k: v for k, v in env.items() if k.startswith("LOS_")},
                            tmp_path / "gateway.log")
    try:
        for path in files:
            folder = drop / path.parent.name / format_of(path)
            folder.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, folder / (path.name + ".part"))
            (folder / (path.name + ".part")).rename(folder / path.name)
        await wait_for(lambda: _all_done(drop, len(files)), timeout=90, what="every file ingested")
    finally:
        gateway.terminate()
        gateway.wait(timeout=30)
        service.stop()

    # the events carry the platform's pseudonyms, so the service made them
    expected = {str(e.id): json.loads(e.model_dump_json())["data"] for e in campaign.events}
    stored = [json.loads(value) for outbox in spool.glob("*/outbox.db")
              for (value,) in sqlite3.connect(outbox).execute("SELECT value FROM outbox")]
    with_persons = [e for e in stored if "psn:" in json.dumps(e["data"])]
    assert with_persons, "no event with a person was ingested"
    assert all(e["data"] == expected[e["id"]] for e in stored)
    assert all("psn:o1:" in json.dumps(e["data"]) for e in with_persons)
    conn = await asyncpg.connect(database.url("pseudonyms"))
    try:
        served = await conn.fetch("SELECT entry -> 'actor' ->> 'agency' AS agency FROM audit_log"
                                  " WHERE kind = 'pseudonym_evaluation'")
    finally:
        await conn.close()
    assert served, "the service recorded no batch"

    # and nothing on the adapter's side can make or reverse one
    secrets = [service.seed, oprf_secret(service.seed), egress_key.read_bytes()]
    needles = [n for s in secrets for n in encodings(s)]
    config = json.dumps(env).encode()
    assert not [n for n in needles if n in config], "a pseudonym secret is in the adapter's configuration"
    assert not [v for v in env.values() if v in (str(service.key_file), str(egress_key))]
    scanned = 0
    for folder in (keys, spool, drop):
        for path in folder.rglob("*"):
            if not path.is_file():
                continue
            scanned += 1
            assert not any(word in path.name.lower() for word in SUSPICIOUS_NAMES), f"{path} looks like a key"
            data = path.read_bytes()
            assert not [n for n in needles if n in data], f"{path} holds a pseudonym secret"
    assert scanned >= len(files) + 2  # signing keys, registry, outboxes, the exports done


async def _all_done(drop: Path, count: int) -> bool:
    return len(list(drop.glob("*/*/done/*"))) >= count
