"""One broker of a three-node cluster stops while a campaign streams in (replication 3,
min.insync.replicas 2, acks=all): nothing acknowledged is lost and the records equal the
ground truth."""

from __future__ import annotations

import asyncio
import shutil
import signal
import uuid
from pathlib import Path

import pytest

from deploy.local.kafka import KafkaCluster
from deploy.local.stack import REPO, provision
from services.adapters.simulator import generate_campaign
from tests.conftest import Database, Infra
from tests.e2e.test_coordinator_campaign import PSEUDONYM_KEY, check_truth, coordinator_env, messages, settled
from tests.support import all_event_topics, produce, spawn_service, start_from_now, wait_for

pytestmark = [pytest.mark.faults, pytest.mark.integration]


async def test_a_broker_stopping_mid_stream_loses_nothing(
        infra: Infra, database: Database, unique: str, tmp_path: Path) -> None:
    state = REPO / ".state" / f"cluster-{uuid.uuid4().hex[:8]}"
    cluster = KafkaCluster(state, REPO / ".cache", size=3)
    try:
        bootstrap = await asyncio.to_thread(cluster.start)
        await provision(cluster)
        campaign = generate_campaign(17, pseudonym_key=PSEUDONYM_KEY)
        keys, group = tmp_path / "keys", f"coordinator-{unique}"
        await start_from_now(database.owner_url, database.app_url, group, bootstrap, all_event_topics())
        stream = messages(campaign.events, keys)
        env = {**coordinator_env(infra, database, keys, group, batch=50), "LOS_KAFKA_BOOTSTRAP_SERVERS": bootstrap,
               "LOS_KAFKA_CREDENTIALS_FILE": str(cluster.credentials_file),  # this cluster's admin
               "LOS_KAFKA_CA_FILE": str(cluster.ca_file)}
        proc = spawn_service("services.coordinator", env, tmp_path / "coordinator.log")
        try:
            third = len(stream) // 3
            await produce(bootstrap, stream[:third])
            await asyncio.to_thread(cluster.stop_node, 2)  # a broker goes away mid-stream
            await produce(bootstrap, stream[third:])  # acks=all still succeeds with two in sync
            await wait_for(lambda: settled(database, len({e.id for e in campaign.events})), timeout=300,
                           what="every event stored with one broker down")
            await check_truth(database, campaign.truth)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)
        assert len(cluster.running_nodes()) == 2
    finally:
        await asyncio.to_thread(cluster.destroy)
        shutil.rmtree(state, ignore_errors=True)
