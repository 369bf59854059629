"""Audit verification rate over a chain of the requested length."""

from __future__ import annotations

import datetime
import json
import time

import asyncpg

from bench.pipeline import AUDIT
from deploy.local.harness import create_database, drop_database
from schemas.signing import KeyRegistry
from services.audit.chain import GENESIS, link
from services.audit.review import verify
from services.common.migrate import migrate


async def verification_rate(stack_env: dict[str, str], entries: int) -> float:
    db = await create_database(stack_env, prefix="bench")
    try:
        await migrate(db.owner_url, AUDIT, component="audit")
        conn = await asyncpg.connect(db.app_url)
        try:
            at = datetime.datetime(2026, 4, 1, tzinfo=datetime.UTC)
            seq, head = 0, GENESIS
            for start in range(0, entries, 20_000):
                batch = [{"kind": "disclosure", "at": (at + datetime.timedelta(seconds=start + i)).isoformat(),
                          "owner": "TAX", "recipient": "POLICE", "category": "tax", "digest": f"{start + i:064x}",
                          "basis": "Lag (2016:774) 2 §", "policy": "bench", "subjects": []}
                         for i in range(min(20_000, entries - start))]
                rows = link(seq, head, batch)
                seq, head = rows[-1].seq, rows[-1].hash
                await conn.copy_records_to_table(
                    "audit_log", columns=["chain", "seq", "at", "kind", "entry", "prev_hash", "hash"],
                    records=[("main", r.seq, datetime.datetime.fromisoformat(r.entry["at"]), "disclosure",
                              json.dumps(r.entry), r.prev_hash, r.hash) for r in rows])
            began = time.perf_counter()
            report = await verify(conn, [], KeyRegistry())
            elapsed = time.perf_counter() - began
            assert report.ok and report.checked == entries, report
            return entries / elapsed
        finally:
            await conn.close()
    finally:
        await drop_database(stack_env, db.name)
