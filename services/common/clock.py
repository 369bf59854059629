"""The one clock every service reads time from and waits on, so that tests can drive both."""

from __future__ import annotations

import asyncio
import datetime
from typing import Protocol


class Clock(Protocol):
    """Wall-clock time and waiting. Services take one; tests pass a `ManualClock`."""

    def now(self) -> datetime.datetime: ...

    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def now(self) -> datetime.datetime:
        return datetime.datetime.now(datetime.UTC)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class ManualClock:
    """A clock for tests: `sleep` returns at once, advancing `now` and recording how long it was asked to wait."""

    def __init__(self, start: datetime.datetime | None = None) -> None:
        self.current = start or datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
        self.slept: list[float] = []

    def now(self) -> datetime.datetime:
        return self.current

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.current += datetime.timedelta(seconds=seconds)
        await asyncio.sleep(0)  # other tasks run, as during a real wait


SYSTEM_CLOCK = SystemClock()
