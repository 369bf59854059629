"""Free text of decisions and assessments, kept out of the chain.

An assessment (the balancing OSL 10 kap. 27 § asks for), a request's reason or any other free
text an act carries may name persons and say more than a log kept forever should. The chain
holds only the text's keyed digest (`AuditDigests.text`, `hm1:...`); the text is a row of
`audit_texts`, written in the transaction that appends the entry naming it, and erased when its
retention ends (the row stays with its digest and the time of erasure; the text is gone). With
the audit digest key a kept text can be held against the entry that names it; without the key
nobody can tell a text from its digest, nor confirm a guess.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg

from services.audit.digests import AuditDigests


@dataclass(frozen=True)
class KeptText:
    ref: str  # the keyed digest the entry names
    context: str  # the act it belongs to, e.g. a disclosure request's id
    kind: str  # reason | assessment | ...
    text: str


def kept_text(digests: AuditDigests, context: str, kind: str, text: str) -> KeptText:
    return KeptText(digests.text(f"{context}/{kind}", text), context, kind, text)


async def keep_texts(conn: asyncpg.Connection, texts: Sequence[KeptText], at: datetime.datetime) -> None:
    """Store texts an entry of this transaction names (a text kept before is kept once)."""
    if not texts:
        return
    await conn.execute(
        """INSERT INTO audit_texts (ref, context, kind, text, created_at)
           SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[])
           ON CONFLICT DO NOTHING""",  # no target: the writer needs no SELECT
        [t.ref for t in texts], [t.context for t in texts], [t.kind for t in texts], [t.text for t in texts],
        [at] * len(texts))


async def erase_texts(conn: asyncpg.Connection, cutoff: datetime.datetime, at: datetime.datetime) -> int:
    """Erase the texts kept before `cutoff`; returns how many. Entries keep their digests."""
    status = await conn.execute(
        "UPDATE audit_texts SET text = NULL, erased_at = $2 WHERE created_at < $1 AND erased_at IS NULL",
        cutoff, at)
    return int(status.split()[-1])
