"""One trace per event, across real processes: the adapter that ingested it, the coordinator
that stored it (its Kafka consume span and its Postgres write) and the console whose live
timeline delivered the change, exported over OTLP/HTTP to a receiver in the test."""

from __future__ import annotations

import asyncio
import datetime
import json
import shutil
from pathlib import Path

import asyncpg
import httpx
import pytest

from deploy.local.harness import holder_keys
from deploy.local.processes import free_port
from schemas.agencies import load_agencies
from tests.conftest import Database, Infra
from tests.mandates import every_mandate, record_mandates
from tests.otlp import OtlpReceiver, ReceivedSpan
from tests.pseudonyms import start_pseudonym_service
from tests.support import all_event_topics, spawn_service, start_from_now, stop_processes, wait_for

pytestmark = pytest.mark.integration
SAMPLES = Path(__file__).parents[2] / "services" / "adapters" / "agencies" / "samples"
OPERATION = "NKPG-2026-07"  # planned in police-operations.json, inspected in tax-personalliggare.csv
EXPECTED = {"adapter.create_event", "adapter.publish", "coordinator.accept", "coordinator.store",
            "los.records.changes publish", "console.live_change"}


def drop(sample: str, fmt: str, drop_dir: Path) -> None:
    folder = drop_dir / fmt.split("-")[0] / fmt  # the gateway folder of the national agency running it
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(SAMPLES / sample, folder / (sample + ".part"))
    (folder / (sample + ".part")).rename(folder / sample)  # appears whole


def last_plan_revision() -> int:
    plans = json.loads((SAMPLES / "police-operations.json").read_text(encoding="utf-8"))["insatsplaner"]
    return max(p["revision"] for p in plans if p["insatsnummer"] == OPERATION)


async def plan_settled(database: Database) -> bool:
    conn = await asyncpg.connect(database.app_url)
    try:
        revision = await conn.fetchval(
            "SELECT revision FROM operations WHERE operation_id = $1 AND record IS NOT NULL", OPERATION)
        pending = await conn.fetchval("SELECT count(*) FROM record_changes WHERE published_at IS NULL")
    finally:
        await conn.close()
    return revision == last_plan_revision() and pending == 0


def tree_problems(spans: list[ReceivedSpan]) -> list[str]:
    """Why the spans are not one tree (empty when they are)."""
    ids = {s.span_id for s in spans}
    roots = [s for s in spans if s.parent_id is None]
    orphans = [s for s in spans if s.parent_id is not None and s.parent_id not in ids]
    return ([f"{len(roots)} roots: {[(r.service, r.name) for r in roots]}"] if len(roots) != 1 else []) + [
        f"{s.service} {s.name} has a parent outside the trace" for s in orphans]


async def test_one_trace_runs_from_the_adapter_through_kafka_the_coordinator_and_postgres_to_the_console(
        infra: Infra, database: Database, unique: str, tmp_path: Path) -> None:
    keys, group, drop_dir = tmp_path / "keys", f"coordinator-{unique}", tmp_path / "drop"
    now = datetime.datetime.now(datetime.UTC)
    # before any process starts: the coordinator knows every key, each adapter holds its own
    key_env = holder_keys(keys, adapters=load_agencies(), now=now - datetime.timedelta(minutes=1))
    pseudonyms = await start_pseudonym_service(infra, database, keys, tmp_path)
    await start_from_now(database.owner_url, database.app_url, group, infra.bootstrap_servers, all_event_topics())
    console_port = free_port()
    with OtlpReceiver() as receiver:
        env = {**infra.env, **receiver.env(), "LOS_DATABASE_URL": database.app_url,
               "LOS_DATABASE_OWNER_URL": database.owner_url, **key_env,
               "LOS_PSEUDONYM_URL": pseudonyms.url,
               "LOS_ADAPTER_SPOOL_DIR": str(tmp_path / "spool"), "LOS_ADAPTER_DROP_DIR": str(drop_dir),
               "LOS_ADAPTER_POLL_SECONDS": "0.2", "LOS_COORDINATOR_GROUP_ID": group,
               "LOS_CONSOLE_PORT": str(console_port), "LOS_CONSOLE_DEV_IDP": "true",
               "LOS_CONSOLE_SSE_POLL_SECONDS": "0.2"}
        own_role = {"services.console": {"LOS_DATABASE_URL": database.url("console")}}  # else the coordinator's
        procs = [spawn_service(module, {**env, **own_role.get(module, {})},
                               tmp_path / f"{module.rsplit('.', 1)[1]}.log")
                 for module in ("services.coordinator", "services.console", "services.adapters.gateway")]
        try:
            drop("police-operations.json", "police-operations", drop_dir)
            await wait_for(lambda: plan_settled(database), timeout=30, what="the plan's record")
            console = f"http://127.0.0.1:{console_port}"
            async with httpx.AsyncClient(base_url=console, timeout=10) as client:
                await wait_for(lambda: _answers(client), timeout=20, what="the console")
                # Skatteverket's coordinator, with a mandate in the operation, follows it live: the tax
                # agency's own inspection changes its own view (a change a viewer may not see sends nothing)
                await record_mandates(database.owner_url, every_mandate("TAX", "dev-tax-tracing", [OPERATION], now))
                token = (await client.post("/dev-idp/token", json={
                    "agency": "TAX", "role": "coordinator", "name": "Spårning Test",
                    "subject": "dev-tax-tracing"})).json()["access_token"]
                # the live timeline is open when the inspections come in
                async with client.stream("GET", f"/api/operations/{OPERATION}/events",
                                         params={"purpose": "joint_operation"},
                                         headers={"Authorization": f"Bearer {token}"}) as stream:
                    assert stream.status_code == 200
                    lines = stream.aiter_lines()
                    assert (await anext(lines)).startswith("retry")
                    drop("tax-personalliggare.csv", "tax-personalliggare", drop_dir)
                    changed = await asyncio.wait_for(_next_event(lines, "changed"), timeout=30)
            assert json.loads(changed)["operation_id"] == OPERATION

            def delivered() -> list[ReceivedSpan]:
                return [s for s in receiver.received() if s.name == "console.live_change"]

            async def complete_trace() -> list[ReceivedSpan] | None:
                for live in delivered():  # spans arrive in batches, from three processes
                    spans = receiver.traces()[live.trace_id]
                    if not tree_problems(spans) and {s.name for s in spans} >= EXPECTED:
                        return spans
                return None

            spans = await wait_for(complete_trace, timeout=15, what="one whole trace with the console's span")
        finally:
            stop_processes(procs)
            pseudonyms.stop()

    by_id = {s.span_id: s for s in spans}
    [root] = [s for s in spans if s.parent_id is None]
    assert (root.service, root.name, root.kind) == ("los-adapters", "adapter.create_event", "PRODUCER")
    assert root.attributes["los.agency"] == "TAX"
    [accept] = [s for s in spans if s.name == "coordinator.accept"]
    assert (accept.service, accept.kind, accept.parent_id) == ("los-coordinator", "CONSUMER", root.span_id)
    assert accept.attributes["messaging.system"] == "kafka"
    assert accept.attributes["messaging.destination.name"] == "los.events.tax"
    assert accept.attributes["messaging.message.id"] == root.attributes["messaging.message.id"]
    assert accept.links, "the event's span links to the batch span it was consumed in"
    [store] = [s for s in spans if s.name == "coordinator.store"]
    assert (store.service, store.attributes["db.system"], store.parent_id) == (
        "los-coordinator", "postgresql", accept.span_id)
    # the linked batch transaction holds the real queries (asyncpg spans)
    batch = [s for s in receiver.received() if s.span_id == store.links[0][1]]
    assert batch and batch[0].name == "coordinator.store_batch"
    queries = [s for s in receiver.received() if s.parent_id == batch[0].span_id]
    assert any(q.attributes.get("db.system") == "postgresql" for q in queries)
    assert any(s.name == "adapter.publish" and s.parent_id == root.span_id for s in spans)
    [live] = [s for s in spans if s.name == "console.live_change"]
    assert (live.service, by_id[live.parent_id].name) == ("los-console", "coordinator.accept")
    # the console's own queries while delivering the change belong to the same trace
    assert any(s.service == "los-console" and s.attributes.get("db.system") == "postgresql"
               and s.parent_id == live.span_id for s in spans)
    # the relay published the change to Kafka inside the same trace
    [relayed] = [s for s in spans if s.name == "los.records.changes publish"]
    assert (relayed.service, relayed.kind) == ("los-coordinator", "PRODUCER")


async def _answers(client: httpx.AsyncClient) -> bool:
    try:
        return (await client.get("/dev-idp/jwks.json")).status_code == 200
    except httpx.TransportError:
        return False


async def _next_event(lines, name: str) -> str:  # type: ignore[no-untyped-def]
    """The data of the next server-sent event called `name`."""
    current = None
    async for line in lines:
        if line.startswith("event: "):
            current = line[len("event: "):]
        elif line.startswith("data: ") and current == name:
            return line[len("data: "):]
    raise AssertionError(f"the stream ended before a {name!r} event")
