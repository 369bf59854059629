"""Joining is data. Migrationsverket joins with a matter of its own: a new function and
participant in the registry, a new information category (migration cases, OSL 37 kap.) and
two decision kinds of its own (utvisning, avvisning) in the vocabulary, and a sharing rule in
the policy, with no code changed. Its events go through Kafka, the coordinator and the feeds,
and its items reach exactly whom the rule names. A mistake in those files stops a service at
start with the file and line; and a service that does not know the new category yet denies
those items while every feed keeps flowing."""

from __future__ import annotations

import datetime
import json
import subprocess
import sys
import uuid
from pathlib import Path

import asyncpg
import pytest

from deploy.local.harness import holder_keys
from deploy.local.stack import REPO, provision
from schemas.agencies import REGISTRY_FILE, use_data_files
from schemas.categories import Category
from schemas.decision import DecisionTakenRegistered
from schemas.events import (
    AnyEvent,
    DecisionTakenV2,
    InspectionConductedV1,
    InspectionConductedV2,
    OperationPlannedV1,
    new_event,
)
from schemas.inspection import Finding, InspectionConducted, InspectionConductedRegistered, RegisteredFinding
from schemas.operation import OperationPlan, OperationStatus, Target
from schemas.subjects import Business, Premises
from schemas.topics import RECORD_CHANGES, feed_topic
from schemas.vocabulary import VOCABULARY_FILE
from services.audit.server import MIGRATIONS as AUDIT_MIGRATIONS
from services.common.migrate import migrate
from services.disclosure.service import HERE
from tests.conftest import Database, Infra
from tests.e2e.test_coordinator_campaign import coordinator_env, messages
from tests.support import end_offsets, produce, read_from, spawn_service, start_from_now, stop_processes, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.integration]
POLICY_FILE = REPO / "deploy" / "policy" / "los-default.yaml"
AT = datetime.datetime(2026, 11, 18, 9, 0, tzinfo=datetime.UTC)
OP = "NKPG-2026-MIGR"
SECRET = "MIGRATION_PLANTED_7781"
SHOP = Premises(fastighetsbeteckning="Norrköping Butängen 3:7", address="Butängsgatan 7, 602 23 Norrköping")
FIRM = Business(orgnr="556036-0793", name="Butängens Bygg AB")


def joined(folder: Path) -> dict[str, Path]:
    """The three data files with Migrationsverket added: nothing else changes."""
    registry = REGISTRY_FILE.read_text(encoding="utf-8").replace(
        "functions:\n", "functions:\n  MIGRATION:        {name: Migrationsverket, level: national,"
                        " categories: [migration]}\n", 1).replace(
        "national: [", "national: [MIGRATION, ", 1)
    vocabulary = VOCABULARY_FILE.read_text(encoding="utf-8").replace(
        "categories:\n", "categories:\n  migration:           {name: Migrationsärenden}\n", 1).replace(
        "decision_kinds:\n", "decision_kinds:\n  utvisning:           {name: Utvisning}\n"
                             "  avvisning:           {name: Avvisning}\n", 1)
    policy = POLICY_FILE.read_text(encoding="utf-8").replace(
        "categories:\n", "categories:\n  migration:           {secrecy: \"OSL 37 kap. 1 §\", existence_secret: true}\n",
        1).replace("rules:\n", """rules:
  - id: migration-to-police
    description: Migrationsverket's findings at an operation's premises reach the police taking part.
    categories: [migration]
    owners: [MIGRATION]
    recipients: [POLICE]
    purposes: [joint_operation]
    basis: prop-2024-25-65
""", 1)
    paths = {"registry": folder / "agencies.yaml", "vocabulary": folder / "vocabulary.yaml",
             "policy": folder / "policy.yaml"}
    for name, text in (("registry", registry), ("vocabulary", vocabulary), ("policy", policy)):
        paths[name].write_text(text, encoding="utf-8")
    return paths


def operation() -> list[AnyEvent]:
    plan = OperationPlan(operation_id=OP, revision=1, title="Byggarbetsplatser Butängen", municipality="Norrköping",
                         planned_date=AT.date(), lead_agency="POLICE", participants=["POLICE", "TAX", "MIGRATION"],
                         targets=[Target(premises=SHOP, business=FIRM)], status=OperationStatus.EXECUTED)
    seen = InspectionConductedRegistered(
        inspection_ref="MIG-2026-0042", operation_id=OP, conducted_at=AT, municipality="Norrköping", premises=SHOP,
        business=FIRM, findings=[RegisteredFinding(code=SECRET, category="migration", count=2,
                                                   summary="Två personer utan arbetstillstånd")])
    decided = DecisionTakenRegistered(
        decision_ref="MIG-2026-0043", operation_id=OP, decided_at=AT + datetime.timedelta(days=3), kind="utvisning",
        category="migration", legal_reference="UtlL 8 kap. 7 §", summary="Beslut om utvisning", business=FIRM,
        premises=SHOP)
    tax = InspectionConducted(
        inspection_ref="SKV-2026-9911", operation_id=OP, conducted_at=AT, municipality="Norrköping", premises=SHOP,
        business=FIRM, findings=[Finding(code="PERSONALLIGGARE_SAKNAS", category=Category.TAX, summary="Saknas",
                                         count=2)])

    def event(kind: type, data: object, agency: str, minutes: int) -> AnyEvent:
        return new_event(kind, data, agency=agency, event_id=uuid.uuid4(),  # type: ignore[arg-type]
                         time=AT + datetime.timedelta(minutes=minutes))

    return [event(OperationPlannedV1, plan, "POLICE", -60), event(InspectionConductedV2, seen, "MIGRATION", 1),
            event(DecisionTakenV2, decided, "MIGRATION", 2), event(InspectionConductedV1, tax, "TAX", 3)]


async def run_pipeline(infra: Infra, database: Database, unique: str, tmp_path: Path,
                       disclosure_data: dict[str, str]) -> dict[str, str]:
    """Migrationsverket's operation through a coordinator that runs on the joined files and a
    disclosure service on `disclosure_data`; each feed's latest view, as text."""
    files = joined(tmp_path)
    use_data_files(files["registry"], files["vocabulary"])  # as the operator's runner would, for its topics
    try:
        await provision(infra.stack.kafka)  # los.events.migration, los.feed.migration, adapter-migration
    finally:
        use_data_files(REGISTRY_FILE, VOCABULARY_FILE)
    keys, group = tmp_path / "keys", f"coordinator-{unique}"
    holder_keys(keys, adapters=["POLICE", "TAX", "MIGRATION"])
    topics = ["los.events.police", "los.events.tax", "los.events.migration"]
    await start_from_now(database.owner_url, database.app_url, group, infra.bootstrap_servers, topics)
    await migrate(database.owner_url, AUDIT_MIGRATIONS, component="audit")
    await migrate(database.owner_url, HERE / "migrations", component="disclosure")
    feeds = [feed_topic(code) for code in ("POLICE", "TAX", "MIGRATION")]
    feed_start = await end_offsets(infra.bootstrap_servers, feeds)
    changes_start = await end_offsets(infra.bootstrap_servers, [RECORD_CHANGES])
    conn = await asyncpg.connect(database.app_url)
    await conn.executemany("INSERT INTO consumer_offsets (group_id, topic, partition, next_offset)"
                           " VALUES ($1, $2, $3, $4)",
                           [(f"feeds-{unique}", t, p, o) for (t, p), o in changes_start.items()])
    data = {"LOS_REGISTRY_FILE": str(files["registry"]), "LOS_VOCABULARY_FILE": str(files["vocabulary"]),
            "LOS_POLICY_FILE": str(files["policy"])}
    env = {**coordinator_env(infra, database, keys, group), **data, "LOS_FEEDS_GROUP_ID": f"feeds-{unique}",
           "LOS_COORDINATOR_CHANGE_INTERVAL_SECONDS": "0", "LOS_COORDINATOR_TOPICS": json.dumps(topics)}
    procs = [spawn_service("services.coordinator", env, tmp_path / "coordinator.log"),
             spawn_service("services.disclosure", {**env, **disclosure_data(files),
                                                   "LOS_DATABASE_URL": database.url("disclosure")},
                           tmp_path / "disclosure.log")]
    events = operation()
    try:
        await produce(infra.bootstrap_servers, messages(events, keys))

        async def stored() -> bool:
            return await conn.fetchval("SELECT count(*) FROM events") == len(events)

        await wait_for(stored, timeout=90, what="the four events stored")
        assert not await conn.fetch("SELECT reason, detail FROM rejections")
        views = await read_from(infra.bootstrap_servers, feed_start, expect=2, timeout=60)
    finally:
        stop_processes(procs)
        await conn.close()
    latest: dict[str, str] = {}
    for message in views:
        latest[message.topic.rsplit(".", 1)[1].upper()] = json.dumps(json.loads(message.value)["view"],
                                                                      ensure_ascii=False)
    return latest


async def test_a_new_agency_joins_purely_as_data_and_its_rule_decides(
        infra: Infra, database: Database, unique: str, tmp_path: Path) -> None:
    text = await run_pipeline(infra, database, unique, tmp_path, lambda files: {})
    assert set(text) == {"POLICE", "TAX", "MIGRATION"}, f"views for {sorted(text)}"
    assert SECRET in text["MIGRATION"] and "utvisning" in text["MIGRATION"], "its own items"
    assert SECRET in text["POLICE"] and "utvisning" in text["POLICE"], "the rule opens them to the police"
    assert SECRET not in text["TAX"] and "utvisning" not in text["TAX"], "and to nobody else"
    assert "migration" not in text["TAX"], "not even a marker: the category's existence is secret"
    assert "PERSONALLIGGARE_SAKNAS" in text["TAX"]


async def test_a_feed_that_does_not_know_the_new_category_yet_denies_it_and_keeps_flowing(
        infra: Infra, database: Database, unique: str, tmp_path: Path) -> None:
    """The coordinator already runs on the joined files; the disclosure service still on the
    shipped ones (not restarted yet): nothing stalls, the unknown category reaches nobody."""
    shipped = {"LOS_REGISTRY_FILE": str(REGISTRY_FILE), "LOS_VOCABULARY_FILE": str(VOCABULARY_FILE),
               "LOS_POLICY_FILE": str(POLICY_FILE)}
    text = await run_pipeline(infra, database, unique, tmp_path, lambda files: shipped)
    assert {"POLICE", "TAX"} <= set(text), f"views for {sorted(text)}"
    assert "PERSONALLIGGARE_SAKNAS" in text["TAX"], "the feed flows"
    for agency, view in text.items():
        assert SECRET not in view and "utvisning" not in view, f"{agency} was shown an undecidable item"


def start_with(module: str, env: dict[str, str], log: Path) -> tuple[int, str]:
    proc = subprocess.run([sys.executable, "-m", module], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=60)
    log.write_text(proc.stdout + proc.stderr)
    return proc.returncode, proc.stdout + proc.stderr


@pytest.mark.parametrize(("file", "mistake", "said"), [
    ("registry", ("categories: [migration]", "categories: [migrations]"), "unknown categories ['migrations']"),
    ("policy", ("recipients: [POLICE]\n    purposes: [joint_operation]\n    basis: prop-2024-25-65",
                "recipients: [POLISEN]\n    purposes: [joint_operation]\n    basis: prop-2024-25-65"),
     "recipient 'POLISEN' is no function or participant"),
    ("vocabulary", ("utvisning:           {name: Utvisning}", "Utvisning:           {name: Utvisning}"),
     "is not a code of the form"),
])
def test_a_mistake_in_the_data_stops_a_service_at_start_naming_the_file_and_line(
        infra: Infra, tmp_path: Path, file: str, mistake: tuple[str, str], said: str) -> None:
    files = joined(tmp_path)
    text = files[file].read_text(encoding="utf-8")
    assert mistake[0] in text
    files[file].write_text(text.replace(mistake[0], mistake[1], 1), encoding="utf-8")
    line = next(n for n, row in enumerate(files[file].read_text().splitlines(), 1) if mistake[1].split("\n")[0] in row)
    env = {**infra.env, "LOS_REGISTRY_FILE": str(files["registry"]), "LOS_VOCABULARY_FILE": str(files["vocabulary"]),
           "LOS_POLICY_FILE": str(files["policy"]), "LOS_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"}
    code, output = start_with("services.disclosure", env, tmp_path / "disclosure.log")
    assert code != 0, "the service started on a broken configuration"
    assert said in output and f"{files[file]}:" in output, output[-2000:]
    assert f"{files[file]}:{line}" in output or (file == "policy" and f"{files[file]}:" in output), output[-2000:]
