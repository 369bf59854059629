"""What the coordinator's service needs from the outside, as plain types and protocols."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class IncomingRecord:
    """One Kafka record as the service sees it (no client library types past this point)."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None


@dataclass(frozen=True)
class RejectedRecord:
    record: IncomingRecord
    reason: str
    detail: str
    agency: str | None


class Clock(Protocol):
    def now(self) -> datetime.datetime: ...


class SystemClock:
    def now(self) -> datetime.datetime:
        return datetime.datetime.now(datetime.UTC)
