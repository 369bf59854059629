"""Every agency's adapter on a simulated campaign, against the real broker: exactly the
expected events arrive, signed, also when the adapter is killed mid-run and restarted
(nothing lost, nothing published twice under different ids); a bad record waits in
quarantine while the rest flow."""

from __future__ import annotations

import datetime
import json
import shutil
import signal
from collections import Counter
from pathlib import Path

import pytest

from deploy.local.harness import holder_keys
from schemas.agencies import load_agencies
from schemas.signing import verify
from services.adapters.agencies import all_formats, formats_of
from services.adapters.sdk.mapping import MappingContext
from services.adapters.sdk.outbox import Outbox
from services.adapters.simulator import generate_campaign, write_native
from services.common.keys import load_registry
from services.common.pseudonyms import LocalPseudonymiser
from tests.conftest import Database, Infra
from tests.pseudonyms import start_pseudonym_service
from tests.support import all_event_topics, end_offsets, read_from, spawn_service, wait_for

pytestmark = pytest.mark.integration
KEY = b"p" * 32


def format_of(path: Path) -> str:
    names = [n for n in all_formats() if path.stem == n or path.stem.startswith(n + "-")]
    assert names, f"no format for {path.name}"
    return max(names, key=len)


def comparable(obj: dict) -> dict:
    return {k: v for k, v in obj.items() if k not in ("loskeyid", "lossignature", "lossignedat", "traceparent")}


async def test_all_adapters_publish_exactly_the_campaign_even_when_killed_mid_run(
        infra: Infra, database: Database, tmp_path: Path) -> None:
    campaign = generate_campaign(3, pseudonym_key=KEY)
    ctx = MappingContext(pseudonyms=LocalPseudonymiser(KEY), today=datetime.date(2026, 11, 1))
    exported = write_native(campaign, tmp_path / "export", ctx, split_by_operation=True, canonical=False)
    assert not exported.skipped, exported.skipped
    files = sorted(exported.files)
    expected = {str(e.id): e for e in campaign.events}

    bad = tmp_path / "export" / "tax-personalliggare-BAD.csv"
    tax_file = next(f for f in files if format_of(f) == "tax-personalliggare")
    header, first = tax_file.read_text(encoding="utf-8").splitlines()[:2]
    unknown_kind = "OKAND;" + first.split(";", 1)[1]  # a record type the format does not have
    bad.write_text(f"{header}\n{unknown_kind}\n", encoding="utf-8")

    keys = holder_keys(tmp_path / "keys", adapters=[a for a in load_agencies() if formats_of(a)])
    pseudonyms = await start_pseudonym_service(infra, database, tmp_path / "keys", tmp_path, seed=KEY)
    env = {**infra.env, **keys, "LOS_PSEUDONYM_URL": pseudonyms.url,
           "LOS_ADAPTER_SPOOL_DIR": str(tmp_path / "spool"), "LOS_ADAPTER_DROP_DIR": str(tmp_path / "drop"),
           "LOS_ADAPTER_POLL_SECONDS": "0.2"}
    start = await end_offsets(infra.bootstrap_servers, all_event_topics())

    def drop(paths: list[Path]) -> None:
        for path in paths:
            # the gateway's folder of the participant the file was written for, and its format
            folder = tmp_path / "drop" / (path.parent.name if path.parent.name != "export" else "tax") / format_of(path)
            folder.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, folder / (path.name + ".part"))
            (folder / (path.name + ".part")).rename(folder / path.name)  # appears whole

    log = tmp_path / "adapters.log"
    gateway = spawn_service("services.adapters.gateway", env, log)
    try:
        half = len(files) // 2
        drop(files[:half])
        await wait_for(lambda: _any_done(tmp_path / "drop"), timeout=60, what="the first files ingested")
        gateway.send_signal(signal.SIGKILL)  # mid-run: files half done, outboxes half sent
        gateway.wait(timeout=10)
        drop([*files[half:], bad])
        gateway = spawn_service("services.adapters.gateway", env, log)
        records = await read_from(infra.bootstrap_servers, start, expect=len(expected), timeout=120)
    finally:
        gateway.send_signal(signal.SIGTERM)
        gateway.wait(timeout=30)
        pseudonyms.stop()

    registry = load_registry(tmp_path / "keys")
    seen = Counter()
    for record in records:
        obj = json.loads(record.value)
        assert verify(obj, registry).agency == obj["losagency"]
        assert record.topic == f"los.events.{obj['losagency'].lower()}"  # each agency on its own topic only
        seen[obj["id"]] += 1
        original = json.loads(json.dumps(expected[obj["id"]].model_dump(mode="json")))
        assert comparable(obj) == comparable(original), f"event {obj['id']} differs from the campaign's"
    assert set(seen) == set(expected), (f"missing {len(set(expected) - set(seen))}, "
                                        f"unexpected {len(set(seen) - set(expected))}")
    resent = sum(n - 1 for n in seen.values())
    assert resent <= len(expected) // 2, f"{resent} events were sent again"  # same id: the coordinator dedupes

    quarantined = Outbox(tmp_path / "spool" / "tax" / "outbox.db").quarantined()
    [held] = [q for q in quarantined if q.file == bad.name]
    assert (held.line, held.field) == (2, "posttyp") and "OKAND" in held.message


async def _any_done(drop: Path) -> bool:
    return any(drop.glob("*/*/done/*"))
