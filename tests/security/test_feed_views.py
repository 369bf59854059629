"""A feed fires only when its agency's own view changed, on the real database as the
disclosure service's role: a change an agency may not see sends it nothing, and the
`change_seq` it receives counts its own views (1, 2, 3 ...), so neither a message nor a gap
tells it that something it may not see happened."""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from deploy.local.harness import create_database, drop_database
from deploy.local.stack import REPO
from deploy.schema import migrate_all
from schemas.agencies import load_agencies
from schemas.topics import RECORD_CHANGES
from services.audit.digests import AuditDigests
from services.disclosure.feeds import Change, commit_batch, views_for_changes
from services.disclosure.policy import Purpose, load_policy
from services.disclosure.pseudonyms import RecipientPseudonyms
from tests.conftest import Database, Infra
from tests.support import NOW
from tests.unit.console.conftest import decision, entry, spring_operation

pytestmark = pytest.mark.integration
POLICY = load_policy(REPO / "deploy" / "policy" / "los-default.yaml")
PARTICIPANTS = ("FIRE_RTOG", "MUNI_SOCIAL_0581", "POLICE", "SOCIAL_INSURANCE", "TAX")


@pytest.fixture
async def roles_db(infra: Infra) -> AsyncIterator[Database]:
    db = await create_database(infra.env, prefix="feeds")
    try:
        await migrate_all(db.owner_url)
        yield db
    finally:
        await drop_database(infra.env, db.name)


class Feeds:
    """The feed service's batch work, one change at a time, as its own database role."""

    def __init__(self, db: Database) -> None:
        self.db, self.offset = db, 0

    async def change(self, record: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
        self.offset += 1
        changes = [Change(RECORD_CHANGES, 0, self.offset, {"record": record, "seq": 1000 * self.offset})]
        conn = await asyncpg.connect(self.db.url("disclosure"))
        try:
            async with conn.transaction():
                messages, entries = await views_for_changes(
                    conn, changes, POLICY, load_agencies(), purpose=Purpose.JOINT_OPERATION, now=NOW,
                    pseudonyms=RecipientPseudonyms(b"e" * 32), digests=AuditDigests(b"d" * 32))
                await commit_batch(conn, "feeds-test", changes, messages, entries)
        finally:
            await conn.close()
        sent: dict[str, list[dict[str, Any]]] = {}
        for m in messages:
            sent.setdefault(m.topic.rsplit(".", 1)[1].upper(), []).append(json.loads(m.value))
        return sent


async def test_only_an_agency_whose_view_changed_gets_a_message_numbered_by_its_own_views(
        roles_db: Database) -> None:
    feeds, record = Feeds(roles_db), spring_operation()
    first = await feeds.change(record)
    assert set(first) == set(PARTICIPANTS) and all(m[0]["change_seq"] == 1 for m in first.values())

    hidden = copy.deepcopy(record)  # social services find more: their own matter, secret to everyone else
    hidden["timeline"].append(entry("MUNI_SOCIAL_0581", "inspection", "e7", {"findings": [
        {"code": "ANNAN_KLIENTUPPGIFT", "category": "social_services", "count": 1}]}))
    second = await feeds.change(hidden)
    assert set(second) == {"MUNI_SOCIAL_0581"} and second["MUNI_SOCIAL_0581"][0]["change_seq"] == 2

    again = await feeds.change(hidden)  # the same record announced again: nobody's view changed
    assert again == {}

    public = copy.deepcopy(hidden)  # the rescue service bans the premises: every participant sees it
    public["timeline"].append(entry("FIRE_RTOG", "decision", "e8", decision("förbud", "municipal_decision")))
    third = await feeds.change(public)
    assert set(third) == set(PARTICIPANTS)
    assert {agency: m[0]["change_seq"] for agency, m in third.items()} == {
        **dict.fromkeys(PARTICIPANTS, 2), "MUNI_SOCIAL_0581": 3}, "a gap would tell of an unseen change"
    owner = await asyncpg.connect(roles_db.owner_url)
    try:
        kept = {r["agency"]: (r["change_seq"], r["view_digest"]) for r in await owner.fetch(
            "SELECT agency, change_seq, view_digest FROM feed_views")}
        logged = [json.loads(r["entry"]) for r in await owner.fetch("SELECT entry::text FROM audit_log")]
    finally:
        await owner.close()
    assert kept["FIRE_RTOG"][0] == 2 and kept["MUNI_SOCIAL_0581"][0] == 3 and all(d for _, d in kept.values())
    assert logged and all(e["digest"].startswith("hm1:") for e in logged if e.get("digest"))
