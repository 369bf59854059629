"""A simulated LOS campaign through the real broker into Postgres: the stored records equal
the simulator's ground truth field by field, with one coordinator or with three sharing
the consumer group; every record has its receipt, and every event in an operation its
sender takes part in was last reported in that operation, however plans and events
interleaved."""

from __future__ import annotations

from pathlib import Path

import asyncpg
import pytest

from schemas.events import AnyEvent
from schemas.topics import events_topic
from services.adapters.simulator import generate_campaign
from tests.conftest import Database, Infra
from tests.support import (
    all_event_topics,
    produce,
    signed_bytes,
    spawn_service,
    start_from_now,
    stop_processes,
    wait_for,
)
from tests.truth import mismatches

pytestmark = [pytest.mark.e2e, pytest.mark.integration]
PSEUDONYM_KEY = b"p" * 32


def coordinator_env(infra: Infra, database: Database, keys: Path, group: str, batch: int = 200) -> dict[str, str]:
    return {**infra.env, "LOS_DATABASE_URL": database.app_url, "LOS_DATABASE_OWNER_URL": database.owner_url,
            "LOS_KEYS_DIR": str(keys), "LOS_COORDINATOR_GROUP_ID": group,
            "LOS_COORDINATOR_BATCH_SIZE": str(batch)}


def messages(events: list[AnyEvent], keys: Path) -> list[tuple[str, bytes, bytes]]:
    return [(events_topic(e.losagency), e.partition_key, signed_bytes(e, keys)) for e in events]


class Progress(str):
    """A readable 'not yet' for wait_for: empty (false) until settled."""


async def settled(database: Database, expected_events: int) -> str:
    conn = await asyncpg.connect(database.app_url)
    try:
        stored = await conn.fetchval("SELECT count(*) FROM events")
        pending = await conn.fetchval("SELECT count(*) FROM record_changes WHERE published_at IS NULL")
        rejected = await conn.fetch("SELECT reason, detail FROM rejections LIMIT 3")
    finally:
        await conn.close()
    assert not rejected, f"the campaign's events were rejected: {[dict(r) for r in rejected]}"
    if stored == expected_events and pending == 0:
        return f"{stored} events stored"
    print(f"stored {stored} of {expected_events}, {pending} changes unpublished")
    return ""


async def check_truth(database: Database, truth: dict) -> None:
    conn = await asyncpg.connect(database.app_url)
    try:
        problems = await mismatches(conn, truth)
    finally:
        await conn.close()
    assert not problems, "\n".join(problems[:30])


async def check_receipts(database: Database, records: int) -> None:
    conn = await asyncpg.connect(database.app_url)
    try:
        async def written() -> bool:  # a batch of repeats alone may still be on its way
            count = await conn.fetchval("SELECT count(*) FROM receipts WHERE status <> 'joined'")
            assert count <= records, f"{count} receipts for {records} records"
            return bool(count == records)

        await wait_for(written, timeout=60, what="a receipt for every record")
        rows = await conn.fetch(
            """SELECT e.event_id::text, e.agency, e.operation_id, told.status, told.operation_id AS told
               FROM events e
               JOIN operations o ON o.operation_id = e.operation_id AND o.plan IS NOT NULL
                    AND (e.agency = o.lead_agency OR e.agency = ANY(o.participants))
               LEFT JOIN LATERAL (
                   SELECT r.status, r.operation_id FROM receipts r
                   WHERE r.event_id = e.event_id AND r.participant = e.agency
                     AND r.status IN ('accepted', 'parked', 'joined')
                   ORDER BY r.seq DESC LIMIT 1) AS told ON true
               WHERE e.kind IN ('inspection', 'decision', 'notification')""")
    finally:
        await conn.close()
    wrong = [dict(r) for r in rows if r["told"] != r["operation_id"]]
    assert rows and not wrong, f"{len(wrong)} of {len(rows)} events last reported elsewhere: {wrong[:5]}"


@pytest.mark.parametrize("processes", [1, 3])
async def test_a_campaign_becomes_records_equal_to_the_ground_truth(
        infra: Infra, database: Database, unique: str, tmp_path: Path, processes: int) -> None:
    campaign = generate_campaign(11, pseudonym_key=PSEUDONYM_KEY)
    keys, group = tmp_path / "keys", f"coordinator-{unique}"
    await start_from_now(database.owner_url, database.app_url, group, infra.bootstrap_servers, all_event_topics())
    await produce(infra.bootstrap_servers, messages(campaign.events, keys))
    env = coordinator_env(infra, database, keys, group)
    procs = [spawn_service("services.coordinator", env, tmp_path / f"coordinator-{i}.log") for i in range(processes)]
    try:
        unique_events = len({e.id for e in campaign.events})
        await wait_for(lambda: settled(database, unique_events), timeout=240, what="every event stored")
        await check_truth(database, campaign.truth)
        await check_receipts(database, len(campaign.events))
    finally:
        stop_processes(procs)
