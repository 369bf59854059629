"""Existing data migrates to the pseudonym service's pseudonyms, on the real database.

A campaign is first stored as adapters made it before the service, with the shared-key
`psn:k1:` pseudonyms. The same export files are then read again by adapters switched to the
service (`ingest --force`): the same event ids, with `psn:o1:` pseudonyms. The coordinator
replaces each stored event and its fact instead of refusing it as `conflicting_id`, the
records are rebuilt, and the database ends exactly as if only the new events had ever come:
no old pseudonym is left in events, records, dossiers or premises pairs. Any other
change under a taken id is still refused."""

from __future__ import annotations

import datetime
import json
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from deploy.local.harness import create_database, drop_database
from deploy.schema import migrate_all
from schemas.events import AnyEvent
from schemas.identifiers import pseudonymise
from services.adapters.agencies import formats_of
from services.adapters.sdk.mapping import MappingContext, events_of
from services.adapters.simulator import generate_campaign, write_native
from services.adapters.simulator.config import ScenarioConfig
from services.common.pseudonyms import LocalPseudonymiser
from tests.conftest import Database, Infra
from tests.integration.coordinator.conftest import Coordinator

pytestmark = pytest.mark.integration
OLD_KEY = b"o" * 32  # the shared HMAC key every adapter held
OPRF_KEY = b"n" * 32  # the pseudonym service's
TODAY = datetime.date(2026, 11, 1)


class SharedKey:
    """An adapter as it was: the k1 HMAC with the key every adapter held."""

    def of(self, personnummer12: str) -> str:
        return pseudonymise(personnummer12, OLD_KEY)


def exports(tmp: Path) -> list[tuple[str, Path]]:
    campaign = generate_campaign(29, pseudonym_key=OPRF_KEY, config=ScenarioConfig(springs=1))
    ctx = MappingContext(pseudonyms=LocalPseudonymiser(OPRF_KEY), today=TODAY)
    written = write_native(campaign, tmp, ctx, canonical=False).files
    return [(path.parent.name.upper(), path) for path in sorted(written)]


def read(files: list[tuple[str, Path]], ctx: MappingContext) -> list[AnyEvent]:
    events = []
    for agency, path in files:
        [fmt] = [f for f in formats_of(agency) if path.stem == f.name]
        events += events_of(fmt.read(path, ctx))
    return sorted(events, key=lambda e: (e.time, str(e.id)))


async def state(db: Database) -> dict[str, Any]:
    conn = await asyncpg.connect(db.app_url)
    try:
        return {
            "events": {r["event_id"]: (r["business"], r["persons"], json.loads(r["data"]))
                       for r in await conn.fetch("SELECT event_id::text, business, persons, (event->'data')::text"
                                                 " AS data FROM events")},
            "records": {r["operation_id"]: json.loads(r["record"]) for r in await conn.fetch(
                "SELECT operation_id, record::text FROM operations WHERE record IS NOT NULL")},
            "dossiers": sorted(tuple(r) for r in await conn.fetch("SELECT * FROM subject_operations")),
            "pairs": sorted(tuple(r) for r in await conn.fetch(  # those still counted (service.py)
                "SELECT * FROM premises_businesses WHERE NOT starts_with(business, 'st:psn:k1:')")),
            "rejections": [(r["reason"], r["detail"])
                           for r in await conn.fetch("SELECT reason, detail FROM rejections")],
        }
    finally:
        await conn.close()


async def test_events_sent_again_with_the_services_pseudonyms_replace_the_old_ones(
        infra: Infra, coordinator: Coordinator, tmp_path: Path) -> None:
    files = exports(tmp_path / "export")
    old = read(files, MappingContext(pseudonyms=SharedKey(), today=TODAY))
    new = read(files, MappingContext(pseudonyms=LocalPseudonymiser(OPRF_KEY), today=TODAY))
    assert [e.id for e in old] == [e.id for e in new]  # ids follow the agency's references, not the persons
    with_persons = [e for e in old if "psn:k1:" in e.model_dump_json()]
    assert len(with_persons) > 20

    await coordinator.feed(*old)
    before = await state(coordinator.db)
    assert "psn:k1:" in json.dumps(before["records"]) and not before["rejections"]

    await coordinator.feed(*new)  # the switched adapter sends its recent exports again
    after = await state(coordinator.db)
    assert after["rejections"] == []  # not one conflicting_id
    assert "psn:k1:" not in json.dumps(after, default=str)
    assert "psn:o1:" in json.dumps(after["records"])

    fresh_db = await create_database(infra.env)
    try:
        await migrate_all(fresh_db.owner_url)
        fresh = Coordinator(fresh_db, coordinator.keys)
        await fresh.feed(*new)
        only_new = await state(fresh_db)
    finally:
        await drop_database(infra.env, fresh_db.name)
    for part in ("events", "records", "dossiers", "pairs"):
        assert after[part] == only_new[part], f"{part} differ from a database that only saw the new events"

    # a taken id is still taken for anything but new pseudonyms
    changed = next(e for e in new if e.type.startswith("se.los.inspection") and e.data.persons_present)  # type: ignore[union-attr]
    other = changed.model_copy(update={"data": changed.data.model_copy(update={"inspection_ref": "ANNAN-1"})})
    await coordinator.feed(other)
    assert [reason for reason, _ in (await state(coordinator.db))["rejections"]] == ["conflicting_id"]
    assert uuid.UUID(str(other.id)) == changed.id
