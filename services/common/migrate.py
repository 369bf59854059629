"""Versioned schema migrations: numbered SQL files applied once, in order, each component's by
itself (its owner), with a checksum per applied file.

Run as the schema owner (`LOS_DATABASE_OWNER_URL`): by the operator's runner for every component
(deploy/schema.py) before the services start, or by a service given that login for its own
component only. An advisory lock makes concurrent starts safe. `schema_migrations` keeps, per
component and file, when it was applied and the SHA-256 of its text. A file changed or removed
after it was applied stops everything with `MigrationError`: history is never rewritten, a
change is a new file.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import asyncpg

LOCK_ID = 7_412_001
TABLE = """CREATE TABLE IF NOT EXISTS schema_migrations (component text, version text,
    applied_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (component, version))"""


class MigrationError(RuntimeError):
    """The migrations cannot be applied as they are: an applied file was changed or removed, or
    a component this one builds on has not been migrated. Nothing is applied; do not start."""


def checksum(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


async def _verified(conn: asyncpg.Connection, files: list[Path], component: str) -> set[str]:
    """The names of `files` already applied; raises MigrationError when history differs."""
    recorded = {r["version"]: r["checksum"] for r in await conn.fetch(
        "SELECT version, checksum FROM schema_migrations WHERE component = $1", component)}
    present = {path.name: checksum(path) for path in files}
    changed = sorted(name for name, digest in recorded.items()
                     if name in present and digest is not None and digest != present[name])
    removed = sorted(set(recorded) - set(present))
    if changed or removed:
        raise MigrationError(
            f"{component}'s applied migrations differ from its files: "
            + "; ".join([*(f"{n} changed after it was applied" for n in changed),
                         *(f"{n} was applied but its file is gone" for n in removed)])
            + ". Restore them; a change to the schema is a new migration.")
    unrecorded = [(name, present[name]) for name, digest in recorded.items() if digest is None]
    if unrecorded:  # applied before checksums were kept: the file as it is now is taken as applied
        await conn.executemany("UPDATE schema_migrations SET checksum = $3 WHERE component = $1 AND version = $2",
                               [(component, name, digest) for name, digest in unrecorded])
    return set(recorded)


async def migrate(owner_url: str, folder: Path, *, component: str, requires: Sequence[str] = ()) -> list[str]:
    """Apply the files of `folder` not applied yet, as `component`'s; return their names.

    `requires` names the components whose tables these files build on: each must have been
    migrated first (by its owner), or nothing is applied."""
    conn = await asyncpg.connect(owner_url)
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", LOCK_ID)
        await conn.execute(TABLE)
        await conn.execute("ALTER TABLE schema_migrations ADD COLUMN IF NOT EXISTS checksum text")
        files = sorted(folder.glob("*.sql"))
        done = await _verified(conn, files, component)
        missing = [c for c in requires if not await conn.fetchval(
            "SELECT count(*) FROM schema_migrations WHERE component = $1", c)]
        if missing and any(path.name not in done for path in files):
            raise MigrationError(f"{component}'s migrations build on the tables of {', '.join(missing)}, "
                                 "which are not migrated: apply those first (python -m deploy.local migrate)")
        applied = []
        for path in files:
            if path.name in done:
                continue
            async with conn.transaction():
                await conn.execute(path.read_text())
                await conn.execute("INSERT INTO schema_migrations (component, version, checksum) VALUES ($1, $2, $3)",
                                   component, path.name, checksum(path))
            applied.append(path.name)
        return applied
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", LOCK_ID)
        await conn.close()
