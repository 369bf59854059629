"""Separate authorities, end to end: a regional campaign (Linköping and Norrköping act
together, with every national agency) goes through Kafka, the coordinator and the feeds; in
the joint action every national agency, the joint rescue service and each municipality's
social services, building committee and alcohol licensing record a finding carrying a value
planted for this test, in every category they originate. Over every feed, every console page,
API route and live stream for every participant and role, and the audit export, a planted
value shows only where the disclosure rules let it, its item's id (a trace that it exists)
only where a rule lets the viewer see it or a marker of it, never at the other municipality's
authorities without a rule, and a participant outside the action cannot tell it exists."""

from __future__ import annotations

import datetime
import json
import uuid
from pathlib import Path

import asyncpg
import httpx
import pytest

from deploy.local.harness import holder_keys
from deploy.local.stack import REPO
from schemas.agencies import load_agencies
from schemas.events import AnyEvent, InspectionConductedV1, OperationUpdatedV1, new_event
from schemas.inspection import Finding, InspectionConducted
from schemas.operation import OperationStatus
from schemas.topics import RECORD_CHANGES, feed_topic
from services.adapters.simulator import ScenarioConfig, generate_campaign
from services.audit import review
from services.audit.server import MIGRATIONS as AUDIT_MIGRATIONS
from services.common.migrate import migrate
from services.console.__main__ import apply_migrations
from services.console.app import create_app
from services.disclosure.decide import Decision, OperationContext, Request, decide
from services.disclosure.policy import Purpose, Role, load_policy
from services.disclosure.service import HERE
from tests.conftest import Database, Infra
from tests.e2e.test_coordinator_campaign import coordinator_env, messages, settled
from tests.integration.console.conftest import console_settings, user_subject
from tests.mandates import assign_everyone
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
from tests.unit.console.sweep import Target, report, sweep

pytestmark = [pytest.mark.e2e, pytest.mark.integration]
POLICY = load_policy(REPO / "deploy" / "policy" / "los-default.yaml")
AGENCIES = load_agencies()
TOWNS = {"0580": "Linköping", "0581": "Norrköping"}
MUNICIPAL = [f"{function}_{kommunkod}" for kommunkod in TOWNS
             for function in ("MUNI_SOCIAL", "MUNI_BUILDING", "MUNI_ALCOHOL")]
# every category an authority of the action originates: each national agency's, the joint rescue
# service's, and each municipality's social services, building and alcohol items
PLANTED_BY = [*(code for code, a in AGENCIES.items() if a.kind == "state"), "FIRE_RTOG", *MUNICIPAL]
CAMPAIGN = generate_campaign(11, pseudonym_key=b"i" * 32, config=ScenarioConfig(springs=1, joint_regional=1.0))


def planted(agency: str) -> str:
    return f"PLANTED_{agency}_{uuid.uuid5(uuid.NAMESPACE_URL, agency).hex[:8].upper()}"


def planted_id(agency: str) -> uuid.UUID:
    """The planted item's event id: where it shows, its existence is known."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"planted-item/{agency}")


def joint_action() -> tuple[str, AnyEvent]:
    """The campaign's joint action of Linköping and Norrköping: its latest plan."""
    plans = [e for e in CAMPAIGN.events if e.type.startswith("se.los.operation.")
             and {AGENCIES[p].municipality for p in e.data.participants if p in AGENCIES} >= set(TOWNS)]
    assert plans, "the simulator played no joint action of Linköping and Norrköping"
    latest = max(plans, key=lambda e: e.data.revision)
    return latest.data.operation_id, latest


def events_with_planted_values() -> tuple[list[AnyEvent], str, frozenset[str], str]:
    """The campaign with every operation left open, the joint action revised by the police so
    that every planting authority takes part, and each of them recording one finding."""
    op, latest = joint_action()
    events = [e for e in CAMPAIGN.events
              if not (e.type == "se.los.operation.updated.v1" and e.data.status.value in ("closed", "cancelled"))]
    participants = sorted({*latest.data.participants, *PLANTED_BY})
    reopened = latest.data.model_copy(update={"revision": latest.data.revision + 1, "participants": participants,
                                              "status": OperationStatus.EXECUTED})
    at = datetime.datetime.combine(latest.data.planned_date, datetime.time(9), datetime.UTC)
    events.append(new_event(OperationUpdatedV1, reopened, agency="POLICE", event_id=uuid.uuid4(),
                            time=at + datetime.timedelta(hours=4)))
    for agency in PLANTED_BY:
        town = TOWNS.get(AGENCIES[agency].municipality or "", "Norrköping")
        target = next(t for t in latest.data.targets if (t.premises.fastighetsbeteckning or t.premises.address or "")
                      .lower().find(town.lower()) >= 0)
        data = InspectionConducted(
            inspection_ref=f"PLANT-{agency}", operation_id=op, conducted_at=at, municipality=town,
            premises=target.premises, business=target.business,
            findings=[Finding(code=planted(agency), category=AGENCIES[agency].category,
                              summary=f"Provuppgift {planted(agency)}")])
        events.append(new_event(InspectionConductedV1, data, agency=agency, event_id=planted_id(agency),
                                time=at + datetime.timedelta(hours=5)))
    return events, op, frozenset(participants), reopened.title


def decisions(value_owner: str, viewer: str, participants: frozenset[str], op: str,
              role: Role) -> list[Decision]:
    context = OperationContext(op, participants)
    return [decide(POLICY, Request(
        category=AGENCIES[value_owner].category, owner=value_owner, recipient=viewer, role=role, purpose=purpose,
        operation=context, owner_function=AGENCIES[value_owner].function,
        recipient_function=AGENCIES[viewer].function)) for purpose in Purpose]  # type: ignore[arg-type]


def may_see(value_owner: str, viewer: str, participants: frozenset[str], op: str, role: Role) -> bool:
    """The oracle: whether any purpose lets `viewer` see what `value_owner` planted."""
    return any(d.allowed for d in decisions(value_owner, viewer, participants, op, role))


def may_know(value_owner: str, viewer: str, participants: frozenset[str], op: str, role: Role) -> bool:
    """Whether any purpose lets `viewer` see it, or a marker that it exists."""
    return any(d.allowed or d.existence for d in decisions(value_owner, viewer, participants, op, role))


async def test_no_planted_value_crosses_an_authority_without_a_rule(
        infra: Infra, database: Database, unique: str, tmp_path: Path) -> None:
    events, op, participants, title = events_with_planted_values()
    assert {code for code, a in AGENCIES.items() if a.kind == "state"} <= {e.losagency for e in events}
    keys, group = tmp_path / "keys", f"coordinator-{unique}"
    await start_from_now(database.owner_url, database.app_url, group, infra.bootstrap_servers, all_event_topics())
    await migrate(database.owner_url, AUDIT_MIGRATIONS, component="audit")
    await migrate(database.owner_url, HERE / "migrations", component="disclosure")
    feeds = [feed_topic(code) for code in AGENCIES]
    feed_start = await end_offsets(infra.bootstrap_servers, feeds)
    changes_start = await end_offsets(infra.bootstrap_servers, [RECORD_CHANGES])
    conn = await asyncpg.connect(database.app_url)
    await conn.executemany("INSERT INTO consumer_offsets (group_id, topic, partition, next_offset)"
                           " VALUES ($1, $2, $3, $4)",
                           [(f"feeds-{unique}", t, p, o) for (t, p), o in changes_start.items()])
    env = {**coordinator_env(infra, database, keys, group), "LOS_FEEDS_GROUP_ID": f"feeds-{unique}",
           "LOS_COORDINATOR_CHANGE_INTERVAL_SECONDS": "0"}
    procs = [spawn_service("services.coordinator", env, tmp_path / "coordinator.log"),
             spawn_service("services.disclosure", {**env, "LOS_DATABASE_URL": database.url("disclosure")},
                           tmp_path / "disclosure.log")]
    try:
        await produce(infra.bootstrap_servers, messages(events, keys))
        await wait_for(lambda: settled(database, len({e.id for e in events})), timeout=240, what="records")
        record = json.loads(await conn.fetchval("SELECT record::text FROM operations WHERE operation_id = $1", op))
        for agency in PLANTED_BY:
            assert planted(agency) in json.dumps(record, ensure_ascii=False), f"{agency}'s value is not stored"

        async def fed() -> bool:
            left = await conn.fetchval("SELECT count(*) FROM record_changes WHERE published_at IS NULL")
            done = await conn.fetchval("SELECT coalesce(sum(next_offset), 0) FROM consumer_offsets"
                                       " WHERE group_id = $1", f"feeds-{unique}")
            ends = await end_offsets(infra.bootstrap_servers, [RECORD_CHANGES])
            return left == 0 and done >= sum(ends.values())

        await wait_for(fed, timeout=240, what="every change through the feeds")
        feed_messages = await read_from(infra.bootstrap_servers, feed_start, expect=10**9, timeout=8)
        exported = json.dumps(await review.entries(conn), ensure_ascii=False)
    finally:
        stop_processes(procs)
        await conn.close()

    # the feeds: each participant's feed shows a planted value exactly where the rules allow it
    seen: dict[str, str] = {}
    for message in feed_messages:
        agency = message.topic.rsplit(".", 1)[1].upper()
        seen[agency] = seen.get(agency, "") + message.value.decode()
    leaks, shown = [], 0
    for viewer in AGENCIES:
        text = seen.get(viewer, "")
        if viewer not in participants and op in text:
            leaks.append(f"{viewer}, outside the joint action, was told of {op}")
        for owner in PLANTED_BY:
            allowed = may_see(owner, viewer, participants, op, Role.OFFICER)
            if planted(owner) in text:
                shown += 1
                if not allowed:
                    leaks.append(f"{owner}'s value reached {viewer}'s feed without a rule")
            elif viewer == owner:
                leaks.append(f"{owner} does not see its own value in its feed")
            if str(planted_id(owner)) in text and not may_know(owner, viewer, participants, op, Role.OFFICER):
                leaks.append(f"{viewer}'s feed shows that {owner}'s item exists, which no rule lets it know")
    assert not leaks, "\n".join(leaks)
    assert shown > len(PLANTED_BY), "only the owners saw their values: the check could not have failed"
    for owner in MUNICIPAL:  # in a joint action the other municipality sees no social services value
        other = f"MUNI_SOCIAL_{'0581' if owner.endswith('0580') else '0580'}"
        if AGENCIES[owner].function == "MUNI_SOCIAL":
            assert planted(owner) not in seen.get(other, "")
    for owner in PLANTED_BY:
        assert planted(owner) not in exported, "the audit log holds digests, never values"

    # the console: every route, every participant and role, signed out too
    await apply_migrations(database.owner_url)
    holder_keys(keys, consoles=AGENCIES)  # every authority may plan from the console
    app = create_app(console_settings(infra, database, keys))
    secrets = {planted(owner): frozenset(v for v in AGENCIES if may_see(owner, v, participants, op, Role.OFFICER)
                                         or may_see(owner, v, participants, op, Role.COORDINATOR))
               for owner in PLANTED_BY}
    traces = {str(planted_id(owner)): frozenset(  # a trace of existence: the item's id
        v for v in AGENCIES if may_know(owner, v, participants, op, Role.OFFICER)
        or may_know(owner, v, participants, op, Role.COORDINATOR)) for owner in PLANTED_BY}
    first = PLANTED_BY[0]
    target = Target(op, "no-such-request", participants, first, planted(first), title, secrets=secrets,
                    traces=traces)

    # every role of every authority holds every mandate on the operation: what it sees is what the rules decide
    await assign_everyone(database.owner_url, AGENCIES, [r.value for r in Role], user_subject)

    def client_for(agency: str | None, role: Role) -> httpx.AsyncClient:
        headers = {}
        if agency:
            token = app.state.console.dev_idp.issue(agency=agency, role=role, name=f"{agency} {role.value}",
                                                    subject=user_subject(agency, role.value))
            headers["Authorization"] = f"Bearer {token}"
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver",
                                 headers=headers, timeout=60)

    async with app.router.lifespan_context(app):
        app.state.console.settings = app.state.console.settings.model_copy(update={"console_sse_max_seconds": 0.1})
        count, findings = await sweep(app, target, client_for, sorted(AGENCIES), thorough=False, concurrency=6)
    assert not findings, report(findings)
    assert count > 5_000
