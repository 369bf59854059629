"""Kafka is down while an agency exports: the adapter keeps every event in its outbox, and
when Kafka is back they are all published, each under its own id."""

from __future__ import annotations

import asyncio
import datetime
import json
import shutil
import signal
import uuid
from pathlib import Path

import pytest

from deploy.local.harness import holder_keys
from deploy.local.kafka import KafkaCluster
from deploy.local.stack import REPO, provision
from deploy.topics import load_topics
from services.adapters.outbox_status import unsent_counts
from services.adapters.sdk.mapping import MappingContext
from services.adapters.simulator import generate_campaign, write_native
from services.common.pseudonyms import LocalPseudonymiser
from tests.conftest import Database, Infra
from tests.integration.adapters.test_adapters_campaign import KEY, format_of
from tests.pseudonyms import start_pseudonym_service
from tests.support import read_from, spawn_service, wait_for

pytestmark = [pytest.mark.faults, pytest.mark.integration]


async def test_events_wait_in_the_outbox_while_kafka_is_down_and_all_arrive_after(
        infra: Infra, database: Database, tmp_path: Path) -> None:
    state = REPO / ".state" / f"kafka-down-{uuid.uuid4().hex[:8]}"
    kafka = KafkaCluster(state, REPO / ".cache")
    try:
        bootstrap = await asyncio.to_thread(kafka.start)
        await provision(kafka)  # topics, and each agency's Kafka principal
        await asyncio.to_thread(kafka.stop)  # the broker is down before the agency exports

        campaign = generate_campaign(13, pseudonym_key=KEY)
        tax_events = {str(e.id) for e in campaign.events if e.losagency == "TAX"}
        ctx = MappingContext(pseudonyms=LocalPseudonymiser(KEY), today=datetime.date(2026, 11, 1))
        exported = write_native(campaign, tmp_path / "export", ctx, canonical=False)
        tax_files = [f for f in exported.files if format_of(f) == "tax-personalliggare"]
        pseudonyms = await start_pseudonym_service(infra, database, tmp_path / "keys", tmp_path, seed=KEY)
        env = {"LOS_KAFKA_BOOTSTRAP_SERVERS": bootstrap, "LOS_KAFKA_CREDENTIALS_FILE": str(kafka.credentials_file),
               "LOS_KAFKA_CA_FILE": str(kafka.ca_file),
               **holder_keys(tmp_path / "keys", adapters=["TAX"]),
               "LOS_PSEUDONYM_URL": pseudonyms.url,
               "LOS_ADAPTER_SPOOL_DIR": str(tmp_path / "spool"), "LOS_ADAPTER_DROP_DIR": str(tmp_path / "drop"),
               "LOS_ADAPTER_POLL_SECONDS": "0.2"}
        gateway = spawn_service("services.adapters.gateway", env, tmp_path / "adapters.log")
        try:
            folder = tmp_path / "drop" / "tax" / "tax-personalliggare"
            folder.mkdir(parents=True)
            for path in tax_files:
                shutil.copy(path, folder / path.name)

            async def all_waiting() -> bool:
                return unsent_counts(tmp_path / "spool").get("TAX", 0) == len(tax_events)

            await wait_for(all_waiting, timeout=60, what="every TAX event waiting in the outbox")
            await asyncio.to_thread(kafka.start)  # Kafka is back
            start = {(t.name, p): 0 for t in load_topics() if t.name == "los.events.tax" for p in range(t.partitions)}
            records = await read_from(bootstrap, start, expect=len(tax_events), timeout=120)

            async def drained() -> bool:
                return unsent_counts(tmp_path / "spool").get("TAX", 0) == 0

            await wait_for(drained, timeout=60, what="the outbox drained")
        finally:
            gateway.send_signal(signal.SIGTERM)
            gateway.wait(timeout=30)
            pseudonyms.stop()
        ids = [json.loads(r.value)["id"] for r in records]
        assert set(ids) == tax_events
        assert "Kafka unavailable" in (tmp_path / "adapters.log").read_text()
    finally:
        await asyncio.to_thread(kafka.destroy)
        shutil.rmtree(state, ignore_errors=True)
