"""Storing a batch until Postgres takes it.

A consumer whose positions live in Postgres must never skip a batch: if the handler
raised, FastStream would go on to the next batch and a later commit would store offsets
past the lost one. So the transaction is retried with backoff for as long as it takes;
bad *input* never gets here (it is a rejection), so only the database being away or a
fault of ours can, and both deserve a stall rather than a loss. At shutdown the batch is
left unstored and read again on restart.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

import asyncpg

T = TypeVar("T")
log = logging.getLogger(__name__)


class Halted(Exception):
    """Shutdown came while a batch was unstored: store nothing after it in this process."""


async def in_transaction_until_stored(pool_ref: Callable[[], asyncpg.Pool],
                                      work: Callable[[asyncpg.Connection], Awaitable[T]],
                                      stop: asyncio.Event, *, what: str = "batch") -> T:
    delay = 0.2
    while True:
        try:
            async with pool_ref().acquire() as conn, conn.transaction():
                return await work(conn)
        except Exception as error:
            if stop.is_set():
                raise Halted(f"{what} left unstored at shutdown; it is read again on restart") from error
            log.error("storing a %s failed (%s: %s); retrying in %.1fs", what, type(error).__name__, error,
                      delay, exc_info=delay >= 5)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 10.0)
