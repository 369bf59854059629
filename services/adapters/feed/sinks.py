"""Where the feed reader delivers a view: a folder of files, or the case system's HTTP endpoint.

A sink returns only once the view is delivered (the file is on disk, or the endpoint answered
2xx); only then does the reader move the Kafka offset past the record (at least once). The
reader delivers a view at most once per destination unless a crash comes between the two, so
an endpoint should treat a repeated `Idempotency-Key` as done.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from pathlib import Path
from typing import Protocol

import httpx

from services.adapters.feed.checks import Valid
from services.common.clock import SYSTEM_CLOCK, Clock
from services.common.retry import Backoff, Halted, until_done

log = logging.getLogger(__name__)
CASE_SYSTEM_BACKOFF = Backoff(initial=0.5, maximum=30.0)


class CaseSystemRefused(Exception):
    """The case system answered, but not with 2xx."""


class Stopped(Exception):
    """Shutdown came before the view was delivered: it stays unacknowledged and is read again."""


class Sink(Protocol):
    destination: str  # what the delivered-views state is kept for

    async def deliver(self, view: Valid) -> None:
        """Deliver the message, or raise `Stopped` if shutdown comes first."""

    async def close(self) -> None: ...


class FolderSink:
    """Each operation's latest view in `<folder>/<operation_id>.json`, replaced atomically."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.destination = f"folder:{folder.resolve()}"

    async def deliver(self, view: Valid) -> None:
        await asyncio.to_thread(self._write, view)

    def _write(self, view: Valid) -> None:
        target = self.folder / f"{view.message.operation_id}.json"
        tmp = target.with_name(f".{target.name}.tmp")
        with tmp.open("w", encoding="utf-8") as handle:
            handle.write(json.dumps(view.raw, ensure_ascii=False, indent=2) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
        folder = os.open(self.folder, os.O_RDONLY)
        try:
            os.fsync(folder)  # the rename itself survives a power loss
        finally:
            os.close(folder)

    async def close(self) -> None:
        return None


class HttpSink:
    """POSTs each message to the case system, retrying with backoff until it answers 2xx."""

    def __init__(self, url: str, stop: asyncio.Event, *, backoff: Backoff = CASE_SYSTEM_BACKOFF,
                 clock: Clock = SYSTEM_CLOCK, timeout: float = 30.0,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.url, self.stop, self.backoff, self.clock = url, stop, backoff, clock
        self.destination = f"post:{url}"
        self._http = httpx.AsyncClient(timeout=timeout, transport=transport)

    async def deliver(self, view: Valid) -> None:
        message = view.message
        body = json.dumps(view.raw, ensure_ascii=False).encode("utf-8")
        headers = {"content-type": "application/json; charset=utf-8",
                   "idempotency-key": f"{message.operation_id}:{message.change_seq}",
                   "x-los-operation": message.operation_id, "x-los-change-seq": str(message.change_seq),
                   "x-los-digest": view.digest}

        async def post() -> None:
            response = await self._http.post(self.url, content=body, headers=headers)
            if not response.is_success:
                raise CaseSystemRefused(f"answered {response.status_code} {response.reason_phrase}")

        def failed(error: BaseException, attempt: int, delay: float) -> None:
            problem = str(error) if isinstance(error, CaseSystemRefused) else f"{type(error).__name__}: {error}"
            log.log(logging.ERROR if attempt % 10 == 0 else logging.WARNING,
                    "the case system at %s %s (view of %s, change %d, attempt %d); retrying in %.1fs",
                    self.url, problem, message.operation_id, message.change_seq, attempt, delay)

        try:
            await until_done(post, what=f"delivering to {self.url}", backoff=self.backoff,
                             retry_on=(httpx.HTTPError, CaseSystemRefused), stop=self.stop, clock=self.clock,
                             on_retry=failed)
        except Halted as halted:
            raise Stopped(f"view of {message.operation_id} not delivered before shutdown") from halted

    async def close(self) -> None:
        await self._http.aclose()
