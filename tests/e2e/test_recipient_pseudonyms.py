"""What the feeds carry cannot be joined across recipients on the pseudonym: on the real
broker, with the real coordinator and disclosure service, two agencies shown the same person
get two different pseudonyms, each its own (`psn:r1:`, from the egress key), and neither is
the platform's internal one."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import asyncpg
import pytest

from schemas.agencies import load_agencies
from schemas.topics import feed_topic
from services.adapters.simulator import generate_campaign
from services.adapters.simulator.config import ScenarioConfig
from services.audit.server import MIGRATIONS as AUDIT_MIGRATIONS
from services.common.migrate import migrate
from services.disclosure.pseudonyms import RecipientPseudonyms
from services.disclosure.service import HERE
from tests.conftest import Database, Infra
from tests.e2e.test_coordinator_campaign import PSEUDONYM_KEY, coordinator_env, messages, settled
from tests.support import (
    all_event_topics,
    end_offsets,
    produce,
    read_from,
    spawn_service,
    start_from_now,
    stop_processes,
    wait_for,
)

pytestmark = [pytest.mark.e2e, pytest.mark.integration]


async def test_two_recipients_feeds_carry_different_pseudonyms_for_the_same_person(
        infra: Infra, database: Database, unique: str, tmp_path: Path) -> None:
    campaign = generate_campaign(5, pseudonym_key=PSEUDONYM_KEY, config=ScenarioConfig(springs=1))
    events = [e for e in campaign.events  # open operations share most (sharing ends when one closes)
              if not (e.type == "se.los.operation.updated.v1" and e.data.status.value in ("closed", "cancelled"))]
    keys, group, feeds_group = tmp_path / "keys", f"coordinator-{unique}", f"feeds-{unique}"
    await start_from_now(database.owner_url, database.app_url, group, infra.bootstrap_servers, all_event_topics())
    feeds = [feed_topic(code) for code in load_agencies()]
    feed_start = await end_offsets(infra.bootstrap_servers, feeds)
    changes_start = await end_offsets(infra.bootstrap_servers, ["los.records.changes"])
    env = {**coordinator_env(infra, database, keys, group), "LOS_FEEDS_GROUP_ID": feeds_group}
    procs = [spawn_service("services.coordinator", env, tmp_path / "coordinator.log")]
    await produce(infra.bootstrap_servers, messages(events, keys))
    conn = await asyncpg.connect(database.app_url)
    try:
        await wait_for(lambda: settled(database, len({e.id for e in events})), timeout=240, what="records")
        await migrate(database.owner_url, AUDIT_MIGRATIONS, component="audit")
        await migrate(database.owner_url, HERE / "migrations", component="disclosure")
        await conn.executemany("INSERT INTO consumer_offsets (group_id, topic, partition, next_offset)"
                               " VALUES ($1, $2, $3, $4)",
                               [(feeds_group, t, p, o) for (t, p), o in changes_start.items()])
        changes = await conn.fetchval("SELECT count(*) FROM record_changes WHERE carried_by IS NULL")
        records = {r["operation_id"]: json.loads(r["record"])
                   for r in await conn.fetch("SELECT operation_id, record::text FROM operations")}
        procs.append(spawn_service("services.disclosure", {**env, "LOS_DATABASE_URL": database.url("disclosure")},
                                   tmp_path / "disclosure.log"))

        async def feeds_done() -> bool:
            done = await conn.fetchval(
                "SELECT coalesce(sum(next_offset), 0) FROM consumer_offsets WHERE group_id = $1", feeds_group)
            return bool(done - sum(changes_start.values()) >= changes)

        await wait_for(feeds_done, timeout=240, what="every change through the feeds")
        feed_messages = await read_from(infra.bootstrap_servers, feed_start, expect=10**9, timeout=8)
    finally:
        await conn.close()
        stop_processes(procs)

    internal_of = {(op, e["event_id"]): e["persons"] for op, r in records.items() for e in r["timeline"]}
    shown: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))  # internal -> agency -> external
    text = ""
    for message in feed_messages:
        agency, body = message.topic.rsplit(".", 1)[1].upper(), json.loads(message.value)
        text += message.value.decode()
        for item in body["view"]["timeline"]:
            for inside, outside in zip(internal_of[(body["operation_id"], item["event_id"])], item.get("persons", []),
                                       strict=False):
                shown[inside][agency].add(outside)
    assert "psn:o1:" not in text and "psn:k1:" not in text, "an internal pseudonym left the platform"
    egress = RecipientPseudonyms(Path(infra.env["LOS_EGRESS_PSEUDONYM_KEY_FILE"]).read_bytes())
    for inside, by_agency in shown.items():
        for agency, outside in by_agency.items():
            assert outside == {egress.person(agency, inside)}, (inside, agency)  # one per recipient, stable
    shared = {inside: by_agency for inside, by_agency in shown.items() if len(by_agency) >= 2}
    assert shared, f"no person was shown to two recipients ({len(shown)} persons shown in all)"
    for by_agency in shared.values():
        forms = [next(iter(outside)) for outside in by_agency.values()]
        assert len(set(forms)) == len(forms), "two recipients got the same pseudonym for one person"
