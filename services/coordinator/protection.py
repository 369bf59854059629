"""The register of protected identities in PostgreSQL (see domain/protected.py).

Every addition and every lifting is an audit entry in the transaction that makes it; the
records naming the persons concerned are rebuilt in it too (by the caller), so a record
never holds a person after the register holds them.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from typing import Any

import asyncpg

from services.audit.store import append
from services.coordinator.domain.protected import sole_traders

REGISTERED = "protected_identity_registered"
LIFTED = "protected_identity_lifted"


async def protected_among(conn: asyncpg.Connection, pseudonyms: Iterable[str]) -> frozenset[str]:
    """Which of these person pseudonyms the register holds."""
    wanted = sorted(set(pseudonyms))
    if not wanted:
        return frozenset()
    rows = await conn.fetch("SELECT pseudonym FROM protected_identities WHERE pseudonym = ANY($1::text[])", wanted)
    return frozenset(r["pseudonym"] for r in rows)


async def operations_naming(conn: asyncpg.Connection, pseudonyms: Iterable[str]) -> set[str]:
    """The operations whose events name any of these persons, as a person or a sole trader."""
    persons = sorted(set(pseudonyms))
    if not persons:
        return set()
    rows = await conn.fetch(
        "SELECT DISTINCT operation_id FROM events WHERE operation_id IS NOT NULL"
        " AND (persons && $1::text[] OR business = ANY($2::text[]))", persons, sole_traders(persons))
    return {r["operation_id"] for r in rows}


def _entry(kind: str, at: datetime.datetime, **fields: Any) -> dict[str, Any]:
    return {"kind": kind, "at": at.isoformat(), "channel": "coordinator", **fields}


async def register_flagged(conn: asyncpg.Connection, flagged: Mapping[str, tuple[str, str]],
                           at: datetime.datetime) -> set[str]:
    """Register the persons events flagged (pseudonym -> (agency, event id)) that the register
    lacked, each with an audit entry naming the agency and event (not the person); returns the
    operations to rebuild."""
    if not flagged:
        return set()
    names = sorted(flagged)
    rows = await conn.fetch(
        """INSERT INTO protected_identities (pseudonym, source, registered_at, registered_by, event_id)
           SELECT p, 'event', $2, a, e::uuid FROM unnest($1::text[], $3::text[], $4::text[]) AS u(p, a, e)
           ON CONFLICT (pseudonym) DO NOTHING RETURNING pseudonym""",
        names, at, [flagged[n][0] for n in names], [flagged[n][1] for n in names])
    new = sorted(r["pseudonym"] for r in rows)
    if not new:
        return set()
    await append(conn, [_entry(REGISTERED, at, source="event", actor={"agency": flagged[p][0]},
                               event_id=flagged[p][1]) for p in new])
    return await operations_naming(conn, new)


async def register(conn: asyncpg.Connection, pseudonyms: list[str], *, by: str, at: datetime.datetime,
                   subjects: list[str]) -> tuple[list[str], set[str]]:
    """The operator's act: register persons (`subjects`: their keyed digests, for the entry);
    returns those that were new and the operations to rebuild."""
    rows = await conn.fetch(
        """INSERT INTO protected_identities (pseudonym, source, registered_at, registered_by)
           SELECT p, 'register', $2, $3 FROM unnest($1::text[]) AS p
           ON CONFLICT (pseudonym) DO NOTHING RETURNING pseudonym""", sorted(set(pseudonyms)), at, by)
    new = sorted(r["pseudonym"] for r in rows)
    await append(conn, [_entry(REGISTERED, at, source="register", actor={"user": by}, subjects=subjects,
                               already=len(set(pseudonyms)) - len(new))])
    return new, await operations_naming(conn, new)


async def lift(conn: asyncpg.Connection, pseudonyms: list[str], *, by: str, at: datetime.datetime,
               subjects: list[str]) -> tuple[list[str], set[str]]:
    """The operator's act: lift a protection (the schema owner's right only); returns those
    lifted and the operations to rebuild."""
    rows = await conn.fetch("DELETE FROM protected_identities WHERE pseudonym = ANY($1::text[]) RETURNING pseudonym",
                            sorted(set(pseudonyms)))
    gone = sorted(r["pseudonym"] for r in rows)
    await append(conn, [_entry(LIFTED, at, actor={"user": by}, subjects=subjects, lifted=len(gone))])
    return gone, await operations_naming(conn, gone)
