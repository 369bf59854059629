"""Facts already read, by event id, so rebuilding a record reads only what is new.

Which events belong to an operation (or a business) is always read from Postgres, the
source of truth shared by every coordinator process; only the facts themselves are kept
here. A fact never changes for its event id, except when erasure (gallring) removes its
personal data: erasure bumps `fact_generation`, and a cache that sees a new generation
starts empty. Bounded: the oldest entries go first.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import islice

import asyncpg
import orjson

from services.coordinator.domain.facts import Fact, fact_from_json


class FactCache:
    def __init__(self, capacity: int = 200_000) -> None:
        self.capacity = capacity
        self.generation: int | None = None
        self._facts: dict[str, Fact] = {}

    def __len__(self) -> int:
        return len(self._facts)

    async def check_generation(self, conn: asyncpg.Connection) -> None:
        """Forget every fact when erasure has run since they were read (inside the batch's
        transaction, so the generation read is the one the batch works on)."""
        generation = await conn.fetchval("SELECT generation FROM fact_generation")
        if generation != self.generation:
            self._facts.clear()
            self.generation = generation

    def add(self, facts: Iterable[Fact]) -> None:
        for fact in facts:
            self._facts[fact.event_id] = fact
        if len(self._facts) > self.capacity:
            for key in list(islice(self._facts, len(self._facts) - self.capacity * 3 // 4)):
                del self._facts[key]

    async def get(self, conn: asyncpg.Connection, event_ids: Iterable[str]) -> dict[str, Fact]:
        """The facts of `event_ids`, reading the missing ones in one query."""
        wanted = set(event_ids)
        found = {i: f for i in wanted if (f := self._facts.get(i)) is not None}
        missing = wanted - found.keys()
        if missing:
            rows = await conn.fetch("SELECT fact::text FROM events WHERE event_id = ANY($1::uuid[])",
                                    list(missing))
            loaded = [fact_from_json(orjson.loads(r["fact"])) for r in rows]
            self.add(loaded)
            found.update((f.event_id, f) for f in loaded)
        return found


async def bump_generation(conn: asyncpg.Connection) -> None:
    """Tell every process's cache that stored facts were rewritten (erasure)."""
    await conn.execute("UPDATE fact_generation SET generation = generation + 1")
