"""A campaign through coordinator and feeds: a planted secret no rule opens reaches no
other agency's feed nor any export, every disclosure made has an audit entry with its legal
basis, and an agency's feed gets a view only when its own view changed."""

from __future__ import annotations

import datetime
import json
import uuid
from collections import defaultdict
from pathlib import Path

import asyncpg
import pytest

from schemas.agencies import load_agencies
from schemas.categories import Category
from schemas.events import InspectionConductedV1, new_event
from schemas.feeds import parse_feed_message
from schemas.inspection import Finding, InspectionConducted
from schemas.topics import feed_topic
from services.adapters.simulator import generate_campaign
from services.audit import review
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
PLANTED = "PLANTED_SOCIAL_SERVICES_SECRET_0042"


def planted_event(campaign) -> InspectionConductedV1:  # type: ignore[no-untyped-def]
    """A social services finding (OSL 26 kap.) at a target of the campaign's first operation."""
    plan = next(e for e in campaign.events if e.type == "se.los.operation.planned.v1").data
    target = plan.targets[0]
    data = InspectionConducted(
        inspection_ref="SOC-PLANT-1", operation_id=plan.operation_id,
        conducted_at=datetime.datetime.combine(plan.planned_date, datetime.time(10), datetime.UTC),
        municipality=plan.municipality, premises=target.premises, business=target.business,
        findings=[Finding(code=PLANTED, category=Category.SOCIAL_SERVICES, summary="Klientuppgift")])
    return new_event(InspectionConductedV1, data, agency="MUNI_SOCIAL_0581", event_id=uuid.uuid4(),  # type: ignore[return-value]
                     time=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC))


async def test_secrets_stay_put_and_every_disclosure_is_audited(
        infra: Infra, database: Database, unique: str, tmp_path: Path) -> None:
    campaign = generate_campaign(5, pseudonym_key=PSEUDONYM_KEY)
    # the operations stay open (sharing ends when one closes): leave out the closing updates
    events = [e for e in campaign.events
              if not (e.type == "se.los.operation.updated.v1" and e.data.status.value in ("closed", "cancelled"))]
    events.append(planted_event(campaign))
    keys, group = tmp_path / "keys", f"coordinator-{unique}"
    await start_from_now(database.owner_url, database.app_url, group, infra.bootstrap_servers, all_event_topics())
    feeds = [feed_topic(code) for code in load_agencies()]
    feed_start = await end_offsets(infra.bootstrap_servers, feeds)
    changes_start = await end_offsets(infra.bootstrap_servers, ["los.records.changes"])
    env = {**coordinator_env(infra, database, keys, group), "LOS_FEEDS_GROUP_ID": f"feeds-{unique}"}
    procs = [spawn_service("services.coordinator", env, tmp_path / "coordinator.log")]
    await produce(infra.bootstrap_servers, messages(events, keys))
    try:
        await wait_for(lambda: settled(database, len({e.id for e in events})), timeout=240, what="records")
        # the feed service starts where this test's changes start (other tests share the topic)
        conn = await asyncpg.connect(database.app_url)
        from services.audit.server import MIGRATIONS as AUDIT_MIGRATIONS
        from services.common.migrate import migrate
        from services.disclosure.service import HERE

        await migrate(database.owner_url, AUDIT_MIGRATIONS, component="audit")
        await migrate(database.owner_url, HERE / "migrations", component="disclosure")
        await conn.executemany("INSERT INTO consumer_offsets (group_id, topic, partition, next_offset)"
                               " VALUES ($1, $2, $3, $4)",
                               [(f"feeds-{unique}", t, p, o) for (t, p), o in changes_start.items()])
        changes = await conn.fetchval("SELECT count(*) FROM record_changes WHERE carried_by IS NULL")  # messages
        planted_op = planted_event(campaign).data.operation_id
        stored = await conn.fetchval("SELECT record::text FROM operations WHERE operation_id = $1", planted_op)
        assert PLANTED in stored, "the planted finding did not reach the coordinator's record"
        procs.append(spawn_service("services.disclosure", {**env, "LOS_DATABASE_URL": database.url("disclosure")},
                                   tmp_path / "disclosure.log"))

        async def feeds_done() -> bool:
            fed = await conn.fetchval("SELECT count(*) FROM consumer_offsets WHERE group_id = $1 AND"
                                      " next_offset > 0", f"feeds-{unique}")
            done = await conn.fetchval(
                "SELECT coalesce(sum(next_offset), 0) FROM consumer_offsets WHERE group_id = $1", f"feeds-{unique}")
            start = sum(changes_start.values())
            return bool(fed) and done - start >= changes

        await wait_for(feeds_done, timeout=240, what="every change through the feeds")
        feed_messages = await read_from(infra.bootstrap_servers, feed_start, expect=10**9, timeout=8)
        exported = json.dumps(await review.entries(conn), ensure_ascii=False)
        audit_rows = await review.entries(conn, kinds=["disclosure"])
        await conn.close()
    finally:
        stop_processes(procs)

    assert feed_messages, "no feed message was published"
    by_agency: dict[str, list[dict]] = defaultdict(list)
    for m in feed_messages:
        parse_feed_message(m.value)  # what the disclosure service sends meets the published contract
        by_agency[m.topic.rsplit(".", 1)[1].upper()].append(json.loads(m.value))
    assert len(by_agency) >= 5, f"only {sorted(by_agency)} received views"
    for agency, views in by_agency.items():
        text = json.dumps(views, ensure_ascii=False)
        if agency != "MUNI_SOCIAL_0581":
            assert PLANTED not in text, f"the planted social services secret reached {agency}'s feed"
    assert PLANTED not in exported  # the audit log holds digests, never values
    for agency, views in by_agency.items():  # a view only when the agency's own view changed,
        sent: dict[str, dict[int, dict]] = defaultdict(dict)  # numbered by its own views: no gap tells
        for message in views:  # of a change it may not see (a resent view keeps its number)
            sent[message["operation_id"]][message["change_seq"]] = message["view"]
        for op, numbered in sent.items():
            assert sorted(numbered) == list(range(1, len(numbered) + 1)), (agency, op, sorted(numbered))
            assert all(numbered[n] != numbered[n + 1] for n in range(1, len(numbered))), (agency, op)
    assert any(PLANTED in json.dumps(v, ensure_ascii=False) for v in by_agency["MUNI_SOCIAL_0581"]), (
        "MUNI_SOCIAL should see its own finding: the planted value was not planted where it shows")

    audited = {(r["operation_id"], r["event_id"], r["recipient"]) for r in audit_rows}
    assert all(r["basis"] for r in audit_rows), "a disclosure without a legal basis"
    disclosed = 0
    for agency, views in by_agency.items():
        for message in views:
            view = message["view"]
            for item in view["timeline"]:
                if item["agency"] == agency:
                    continue
                shown = [f for f in item.get("findings", []) if not f.get("withheld")]
                if shown or ("detail" in item and not item["detail"].get("withheld")):
                    disclosed += 1
                    assert (view["operation_id"], item["event_id"], agency) in audited, (
                        f"{agency} was shown {item['event_id']} of {item['agency']} without an audit entry")
    assert disclosed > 0
