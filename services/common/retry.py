"""The one retry policy of the system (tenacity): exponential backoff, for as long as it takes,
until the work succeeds or shutdown comes.

Used wherever giving up would lose or skip something, and stalling is the safe answer:

- storing a consumed batch (`in_transaction_until_stored`): a consumer whose positions live in
  Postgres must never skip a batch. If the handler raised, FastStream would go on to the next
  batch and a later commit would store offsets past the lost one. So the transaction is retried
  for as long as it takes; bad *input* never gets here (it is a rejection), so only the database
  being away or a fault of ours can, and both deserve a stall rather than a loss. At shutdown
  the batch is left unstored (`Halted`) and read again on restart;
- reading stored positions on a partition assignment (services/common/offsets.py);
- an adapter's outbox to Kafka and a feed reader's case system (the adapter SDK).

Waits go through the injected `Clock`, so tests run the policy without waiting.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

import asyncpg
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, stop_when_event_set, wait_exponential

from services.common.clock import SYSTEM_CLOCK, Clock

T = TypeVar("T")
log = logging.getLogger(__name__)


class Halted(Exception):
    """Shutdown came while the work was undone: do nothing after it in this process."""


@dataclass(frozen=True)
class Backoff:
    """Wait `initial` seconds after the first failure, `factor` times longer after each next one,
    never longer than `maximum`."""

    initial: float = 0.2
    maximum: float = 10.0
    factor: float = 2.0

    def delay(self, failures: int) -> float:
        """The wait after the `failures`-th failure in a row."""
        return float(wait_exponential(multiplier=self.initial, max=self.maximum, exp_base=self.factor)(
            _state_after(failures)))


def _state_after(failures: int) -> RetryCallState:
    state = RetryCallState(retry_object=AsyncRetrying(), fn=None, args=(), kwargs={})
    state.attempt_number = failures
    return state


OnRetry = Callable[[BaseException, int, float], Awaitable[None] | None]  # (error, failures so far, next wait)


async def until_done(work: Callable[[], Awaitable[T]], *, what: str, backoff: Backoff = Backoff(),
               retry_on: tuple[type[BaseException], ...] = (Exception,), stop: asyncio.Event | None = None,
               clock: Clock = SYSTEM_CLOCK, on_retry: OnRetry | None = None) -> T:
    """Await `work()` until it returns, retrying each `retry_on` error after the backoff's wait.

    When `stop` is set (before a retry or during a wait) the last error is raised as `Halted`.
    `on_retry` is told of each failure before the wait; without it each is logged."""
    stopped = stop or asyncio.Event()

    async def wait(seconds: float) -> None:  # cut short by shutdown
        sleeping = asyncio.ensure_future(clock.sleep(seconds))
        stopping = asyncio.ensure_future(stopped.wait())
        try:
            await asyncio.wait({sleeping, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (sleeping, stopping):
                task.cancel()

    async def tell(state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        delay = state.upcoming_sleep
        assert error is not None
        if on_retry is not None:
            told = on_retry(error, state.attempt_number, delay)
            if told is not None:
                await told
        else:
            log.error("%s failed (%s: %s); retrying in %.1fs", what, type(error).__name__, error, delay,
                      exc_info=delay >= backoff.maximum)

    retrying = AsyncRetrying(
        sleep=wait, stop=stop_when_event_set(stopped),  # type: ignore[arg-type]  # an asyncio.Event has is_set too
        wait=wait_exponential(multiplier=backoff.initial, max=backoff.maximum, exp_base=backoff.factor),
        retry=retry_if_exception_type(retry_on), before_sleep=tell, reraise=True)
    try:
        async for attempt in retrying:
            with attempt:
                result = await work()
    except retry_on as error:
        if stopped.is_set():
            raise Halted(f"{what} left undone at shutdown") from error
        raise
    return result


async def in_transaction_until_stored(pool_ref: Callable[[], asyncpg.Pool],
                                      work: Callable[[asyncpg.Connection], Awaitable[T]],
                                      stop: asyncio.Event, *, what: str = "batch",
                                      clock: Clock = SYSTEM_CLOCK) -> T:
    """Run `work` in one transaction until it commits; `Halted` when shutdown comes first (the
    batch is then read again on restart)."""

    async def once() -> T:
        async with pool_ref().acquire() as conn, conn.transaction():
            return await work(conn)

    try:
        return await until_done(once, what=f"storing a {what}", stop=stop, clock=clock)
    except Halted as halted:
        raise Halted(f"{what} left unstored at shutdown; it is read again on restart") from halted.__cause__
