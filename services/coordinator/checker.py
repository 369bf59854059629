"""Checking batches in a worker process, so that one batch is verified while the previous
one is being stored.

Parsing, schema validation and Ed25519 verification are most of the coordinator's CPU and
need nothing but the bytes and the key registry; the database work of a batch is mostly
waiting. With `workers=0` the check runs inline (tests, or a machine with one core).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor

from schemas.signing import KeyRegistry
from services.coordinator.domain.facts import Fact
from services.coordinator.ports import IncomingRecord, RejectedRecord
from services.coordinator.service import Checked, Settings, check_records

# what crosses the process boundary: (index, fact, type, key_id) or (index, reason, detail, agency)
_Good = tuple[int, Fact, str, str]
_Bad = tuple[int, str, str, str | None]


def _exit_with_parent(parent: int) -> None:
    """A worker outlives a SIGKILLed coordinator otherwise (it would wait for work forever)."""
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, daemon=True, name="exit-with-parent").start()


def _check_values(values: list[tuple[str, bytes | None]], registry: KeyRegistry,
                  settings: Settings) -> tuple[list[_Good], list[_Bad]]:
    records = [IncomingRecord(topic, 0, i, None, value) for i, (topic, value) in enumerate(values)]
    good, bad = check_records(records, registry, settings)
    return ([(c.record.offset, c.fact, c.type, c.key_id) for c in good],
            [(r.record.offset, r.reason, r.detail, r.agency) for r in bad])


class Checker:
    def __init__(self, settings: Settings, workers: int = 1) -> None:
        self.settings = settings
        self._pool = (ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                                          initializer=_exit_with_parent, initargs=(os.getpid(),))
                      if workers > 0 else None)

    async def check(self, records: list[IncomingRecord],
                    registry: KeyRegistry) -> tuple[list[Checked], list[RejectedRecord]]:
        if self._pool is None:
            return check_records(records, registry, self.settings)
        values = [(r.topic, r.value) for r in records]
        good, bad = await asyncio.get_running_loop().run_in_executor(
            self._pool, _check_values, values, registry, self.settings)
        return ([Checked(records[i], fact, type_, key_id) for i, fact, type_, key_id in good],
                [RejectedRecord(records[i], reason, detail, agency) for i, reason, detail, agency in bad])

    async def warm(self) -> None:
        """Start the worker now rather than on the first batch (it imports the contracts)."""
        await self.check([], KeyRegistry())

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
