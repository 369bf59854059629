"""The one retry policy keeps its guarantees: a batch is retried until it is stored, with
exponential backoff; shutdown leaves it unstored (`Halted`) and nothing runs after it; errors
that are not retried pass through at once. Driven by a manual clock: no test waits."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from services.common.clock import ManualClock
from services.common.retry import Backoff, Halted, in_transaction_until_stored, until_done


class FlakyPool:
    """A pool whose transactions fail `failures` times, then commit; it counts both."""

    def __init__(self, failures: int, stop: asyncio.Event | None = None, stop_after: int | None = None) -> None:
        self.failures, self.stop, self.stop_after = failures, stop, stop_after
        self.attempts = self.commits = 0

    @asynccontextmanager
    async def acquire(self) -> AsyncIterator[FlakyPool]:
        yield self

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        self.attempts += 1
        if self.stop is not None and self.attempts == self.stop_after:
            self.stop.set()  # shutdown arrives while this attempt runs
        if self.attempts <= self.failures:
            raise ConnectionError("the database is away")
        yield
        self.commits += 1


async def store(conn: Any) -> str:
    return "stored"


async def test_a_batch_is_retried_with_backoff_until_it_is_stored() -> None:
    clock, pool = ManualClock(), FlakyPool(failures=7)
    result = await in_transaction_until_stored(lambda: pool, store, asyncio.Event(), clock=clock)  # type: ignore[arg-type, return-value]
    assert result == "stored" and pool.commits == 1 and pool.attempts == 8
    assert clock.slept == [0.2, 0.4, 0.8, 1.6, 3.2, 6.4, 10.0]  # doubling, capped at ten seconds


async def test_shutdown_leaves_the_batch_unstored_and_tries_no_more() -> None:
    stop = asyncio.Event()
    pool = FlakyPool(failures=100, stop=stop, stop_after=3)
    with pytest.raises(Halted, match="left unstored at shutdown") as halted:
        await in_transaction_until_stored(lambda: pool, store, stop, clock=ManualClock())  # type: ignore[arg-type, return-value]
    assert pool.commits == 0 and pool.attempts == 3
    assert isinstance(halted.value.__cause__, ConnectionError)


async def test_shutdown_cuts_a_wait_short() -> None:
    waiting_began = asyncio.Event()

    class Forever(ManualClock):
        async def sleep(self, seconds: float) -> None:
            waiting_began.set()
            await asyncio.Event().wait()  # a wait that never ends by itself

    stop = asyncio.Event()

    async def away() -> None:
        raise OSError("Kafka is away")

    waiting = asyncio.create_task(until_done(away, what="sending", stop=stop, clock=Forever()))
    await asyncio.wait_for(waiting_began.wait(), timeout=5)  # the retry is waiting: now shut down
    stop.set()
    with pytest.raises(Halted):
        await asyncio.wait_for(waiting, timeout=5)


async def test_only_the_named_errors_are_retried() -> None:
    calls = 0

    async def wrong() -> None:
        nonlocal calls
        calls += 1
        raise ValueError("a fault of ours")

    with pytest.raises(ValueError):
        await until_done(wrong, what="sending", retry_on=(OSError,), clock=ManualClock())
    assert calls == 1


async def test_each_failure_is_told_with_the_wait_that_follows() -> None:
    told: list[tuple[str, int, float]] = []
    attempts = 0

    async def flaky() -> int:
        nonlocal attempts
        attempts += 1
        if attempts < 4:
            raise OSError(f"down {attempts}")
        return attempts

    async def on_retry(error: BaseException, failures: int, wait: float) -> None:
        told.append((str(error), failures, wait))

    clock = ManualClock()
    assert await until_done(flaky, what="sending", backoff=Backoff(initial=0.5, maximum=1.0), clock=clock,
                            on_retry=on_retry) == 4
    assert told == [("down 1", 1, 0.5), ("down 2", 2, 1.0), ("down 3", 3, 1.0)]
    assert clock.slept == [0.5, 1.0, 1.0]
    assert [Backoff().delay(n) for n in (1, 2, 3, 10)] == [0.2, 0.4, 0.8, 10.0]
