"""Versioned schema migrations: numbered SQL files applied once, in order, on start.

Run as the schema owner (`LOS_DATABASE_OWNER_URL`); an advisory lock makes concurrent
starts of several processes safe. Applied versions are kept in `schema_migrations`.
"""

from __future__ import annotations

from pathlib import Path

import asyncpg

LOCK_ID = 7_412_001


async def migrate(owner_url: str, folder: Path, *, component: str) -> list[str]:
    """Apply the files of `folder` not applied yet; return their names."""
    conn = await asyncpg.connect(owner_url)
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", LOCK_ID)
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (component text, version text,"
            " applied_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (component, version))")
        done = {r["version"] for r in await conn.fetch(
            "SELECT version FROM schema_migrations WHERE component = $1", component)}
        applied = []
        for path in sorted(folder.glob("*.sql")):
            if path.name in done:
                continue
            async with conn.transaction():
                await conn.execute(path.read_text())
                await conn.execute("INSERT INTO schema_migrations (component, version) VALUES ($1, $2)",
                                   component, path.name)
            applied.append(path.name)
        return applied
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", LOCK_ID)
        await conn.close()
