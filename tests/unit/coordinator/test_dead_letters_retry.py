"""Dead letters are sent before their batch is stored, and a failing send holds the batch
back instead of letting the store move the position past it."""

from __future__ import annotations

import asyncio
from typing import Any

from schemas.signing import KeyRegistry
from services.coordinator.checker import Checker
from services.coordinator.consumer import Intake
from services.coordinator.ports import IncomingRecord, RejectedRecord, SystemClock
from services.coordinator.service import Settings

BAD = RejectedRecord(IncomingRecord("los.events.tax", 0, 7, None, b"{"), "malformed_json", "not JSON", None)


class FlakyDeadLetters:
    def __init__(self, failures: int) -> None:
        self.failures, self.sent = failures, []

    async def send(self, rejected: list[RejectedRecord]) -> None:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("broker away")
        self.sent.append(rejected)


def intake(dead_letters: Any, stop: asyncio.Event) -> Intake:
    settings = Settings(group_id="t")
    return Intake(settings, lambda: None, KeyRegistry, SystemClock(), stop, dead_letters,
                  Checker(settings, workers=0), subscriber=None)


async def test_a_failing_dead_letter_send_is_retried_until_it_is_taken() -> None:
    letters = FlakyDeadLetters(failures=2)
    pipeline = intake(letters, asyncio.Event())
    assert await pipeline._dead_letters_sent([BAD])
    assert letters.sent == [[BAD]] and not pipeline.halted


async def test_at_shutdown_the_batch_is_held_back_and_nothing_after_it_is_stored() -> None:
    stop = asyncio.Event()
    stop.set()
    pipeline = intake(FlakyDeadLetters(failures=1), stop)
    assert not await pipeline._dead_letters_sent([BAD])
    assert pipeline.halted  # on_batch stores nothing more in this process; the batch is read again
