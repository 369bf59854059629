"""The migration runner on the real server: each component's files are applied once, in order,
with a checksum each; a file changed or removed after it was applied, or a component applied
before those it builds on, stops it with nothing applied."""

from __future__ import annotations

from pathlib import Path

import asyncpg
import pytest

from deploy.local.harness import Database
from deploy.schema import COMPONENTS, migrate_all
from services.common.migrate import MigrationError, checksum, migrate

pytestmark = pytest.mark.integration


def write(folder: Path, name: str, sql: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(sql)
    return folder / name


async def rows(db: Database, component: str) -> dict[str, str | None]:
    conn = await asyncpg.connect(db.owner_url)
    try:
        return {r["version"]: r["checksum"] for r in await conn.fetch(
            "SELECT version, checksum FROM schema_migrations WHERE component = $1 ORDER BY version", component)}
    finally:
        await conn.close()


async def tables(db: Database) -> set[str]:
    conn = await asyncpg.connect(db.owner_url)
    try:
        return {r["tablename"] for r in await conn.fetch("SELECT tablename FROM pg_tables WHERE tablename LIKE 'mt_%'")}
    finally:
        await conn.close()


async def test_each_file_is_applied_once_with_its_checksum(database: Database, tmp_path: Path) -> None:
    folder = tmp_path / "m"
    first = write(folder, "001_a.sql", "CREATE TABLE mt_a (x int);")
    second = write(folder, "002_b.sql", "CREATE TABLE mt_b (x int);")
    assert await migrate(database.owner_url, folder, component="mt") == ["001_a.sql", "002_b.sql"]
    assert await migrate(database.owner_url, folder, component="mt") == []
    assert await rows(database, "mt") == {"001_a.sql": checksum(first), "002_b.sql": checksum(second)}


async def test_a_changed_or_removed_applied_file_stops_everything(database: Database, tmp_path: Path) -> None:
    folder = tmp_path / "m"
    first = write(folder, "001_a.sql", "CREATE TABLE mt_a (x int);")
    await migrate(database.owner_url, folder, component="mt")
    first.write_text("CREATE TABLE mt_a (x int, y int);")
    write(folder, "002_b.sql", "CREATE TABLE mt_b (x int);")
    with pytest.raises(MigrationError, match=r"001_a\.sql changed after it was applied"):
        await migrate(database.owner_url, folder, component="mt")
    assert await tables(database) == {"mt_a"}, "nothing after a changed file is applied"
    first.unlink()
    with pytest.raises(MigrationError, match=r"001_a\.sql was applied but its file is gone"):
        await migrate(database.owner_url, folder, component="mt")


async def test_a_component_waits_for_those_it_builds_on(database: Database, tmp_path: Path) -> None:
    base, reader = tmp_path / "base", tmp_path / "reader"
    write(base, "001_t.sql", "CREATE TABLE mt_base (x int);")
    write(reader, "001_i.sql", "CREATE INDEX mt_base_x ON mt_base (x);")
    with pytest.raises(MigrationError, match="build on the tables of mt_base_component"):
        await migrate(database.owner_url, reader, component="mt_reader", requires=["mt_base_component"])
    await migrate(database.owner_url, base, component="mt_base_component")
    assert await migrate(database.owner_url, reader, component="mt_reader", requires=["mt_base_component"]) == \
        ["001_i.sql"]


async def test_files_applied_before_checksums_were_kept_are_taken_as_they_are(database: Database,
                                                                            tmp_path: Path) -> None:
    folder = tmp_path / "m"
    first = write(folder, "001_a.sql", "CREATE TABLE mt_a (x int);")
    await migrate(database.owner_url, folder, component="mt")
    conn = await asyncpg.connect(database.owner_url)
    try:
        await conn.execute("UPDATE schema_migrations SET checksum = NULL WHERE component = 'mt'")
    finally:
        await conn.close()
    assert await migrate(database.owner_url, folder, component="mt") == []
    assert await rows(database, "mt") == {"001_a.sql": checksum(first)}


async def test_every_components_migrations_are_recorded_under_its_own_name(database: Database) -> None:
    """`database` was made as the runner makes one (deploy/schema.py): a second run applies nothing."""
    assert await migrate_all(database.owner_url) == []
    for component in COMPONENTS:
        files = sorted(component.folder.glob("*.sql"))
        assert await rows(database, component.name) == {p.name: checksum(p) for p in files}
