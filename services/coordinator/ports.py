"""What the coordinator's service needs from the outside, as plain types and protocols."""

from __future__ import annotations

from dataclasses import dataclass

from services.common.clock import Clock, SystemClock  # the system's one clock (`now` and `sleep`)

__all__ = ["Clock", "IncomingRecord", "RejectedRecord", "SystemClock"]


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

