"""Compare what the coordinator stored with the simulator's ground truth, field by field."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

import asyncpg

RECORD_FIELDS = ("municipality", "planned_date", "status", "lead_agency", "participants", "revision",
                 "visits", "inspections_by_agency", "findings_by_agency", "decisions_by_agency",
                 "decisions_by_kind", "amounts_sek", "notifications")


def _strip(key: str) -> str:
    """The coordinator prefixes keys with their kind (fb:, ad:, org:, st:); the truth does not."""
    return key.split(":", 1)[1] if key[:3] in ("fb:", "ad:", "st:") or key.startswith("org:") else key


async def mismatches(conn: asyncpg.Connection, truth: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    rows = await conn.fetch("SELECT operation_id, record::text FROM operations WHERE operation_id = ANY($1)",
                            list(truth["operations"]))
    records = {r["operation_id"]: json.loads(r["record"]) if r["record"] else None for r in rows}
    for op, expected in sorted(truth["operations"].items()):
        got = records.get(op)
        if got is None:
            problems.append(f"{op}: no record")
            continue
        for name in RECORD_FIELDS:
            want = expected[name]
            have = got[name]
            if name == "amounts_sek":
                have = {k: have.get(k, 0) for k in want}
            if have != want:
                problems.append(f"{op}.{name}: stored {have!r}, truth {want!r}")
        visited = sorted(_strip(k) for k in got["premises_visited"])
        if visited != sorted(expected["premises_visited"]):
            problems.append(f"{op}.premises_visited: stored {visited}, truth {expected['premises_visited']}")
    dossiers: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for r in await conn.fetch("SELECT subject_kind, subject, operation_id FROM subject_operations"
                              " WHERE operation_id = ANY($1) ORDER BY 1, 2, 3", list(truth["operations"])):
        dossiers[r["subject_kind"]][_strip(r["subject"])].append(r["operation_id"])
    for kind, truth_kind in (("business", "businesses"), ("premises", "premises"), ("person", "persons")):
        want = {k: sorted(v) for k, v in truth["subjects"][truth_kind].items()}
        have = {k: sorted(v) for k, v in dossiers[kind].items()}
        if have != want:
            missing = sorted(set(want) - set(have))[:5]
            extra = sorted(set(have) - set(want))[:5]
            differ = sorted(k for k in set(want) & set(have) if want[k] != have[k])[:5]
            problems.append(f"dossiers of {kind}: missing {missing}, extra {extra}, differing {differ}")
    return problems
