"""Mandates for test users, recorded as a coordinator of their authority would: every purpose
on the operations given, and every standing purpose, so that a test sees what the rules
alone decide. Tests of need-to-know itself assign narrower mandates, or none."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable

import asyncpg

from services.console.mandates import OPERATION_PURPOSES, STANDING_PURPOSES, Mandate

CASE = "LOS 2026/17"


def every_mandate(agency: str, user: str, operations: Iterable[str], at: datetime.datetime, *,
                  standing: bool = True) -> list[Mandate]:
    until = at.date() + datetime.timedelta(days=365)
    since = at - datetime.timedelta(days=400)  # in force for tests that move the clock back
    made = [Mandate(f"UPP-{agency}-{user}-{op}-{p.value}", agency, user, user, p, CASE, op, until, "samordnare",
                    since) for op in sorted(set(operations)) for p in OPERATION_PURPOSES]
    made += [Mandate(f"UPP-{agency}-{user}-{p.value}", agency, user, user, p, CASE, None, until, "samordnare", since)
             for p in STANDING_PURPOSES if standing]
    return made


COLUMNS = ("id", "authority", "holder", "holder_name", "purpose", "case_reference", "operation_id", "valid_until",
           "assigned_by", "assigned_at")


async def record_mandates(url: str, mandates: Iterable[Mandate]) -> None:
    """Write mandates to PostgreSQL as the console's coordinators would have (in bulk)."""
    conn = await asyncpg.connect(url)
    try:
        await conn.copy_records_to_table("console_mandates", columns=COLUMNS, records=[
            (m.id, m.authority, m.user, m.user_name, m.purpose.value, m.case_reference, m.operation_id,
             m.valid_until, m.assigned_by, m.assigned_at) for m in mandates])
    finally:
        await conn.close()


async def operation_ids(url: str) -> list[str]:
    conn = await asyncpg.connect(url)
    try:
        return [r["operation_id"] for r in await conn.fetch("SELECT operation_id FROM operations")]
    finally:
        await conn.close()


async def assign_everyone(url: str, agencies: Iterable[str], roles: Iterable[str],
                          subject: Callable[[str, str], str]) -> None:
    """Every role of every agency gets every mandate on every operation stored now."""
    ops = await operation_ids(url)
    now = datetime.datetime.now(datetime.UTC)
    await record_mandates(url, [m for a in agencies for r in roles for m in every_mandate(a, subject(a, r), ops, now)])
