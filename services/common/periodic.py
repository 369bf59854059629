"""Background work that repeats until shutdown and survives its own failures."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


async def sleep_unless_stopped(stop: asyncio.Event, seconds: float) -> bool:
    """Wait `seconds` or until `stop` is set; True when stopped."""
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except TimeoutError:
        return False
    return True


async def every(seconds: float, stop: asyncio.Event, work: Callable[[], Awaitable[object]], *, what: str) -> None:
    """Run `work` now and then every `seconds` until `stop`; a failure is logged and retried
    at the next round (the database or Kafka being away must not end the process)."""
    while not stop.is_set():
        try:
            await work()
        except Exception:
            log.exception("%s failed; retrying in %.0fs", what, seconds)
        if await sleep_unless_stopped(stop, seconds):
            return
