"""The dead-letter topic: rejected records, byte for byte, with the reason in headers."""

from __future__ import annotations

from faststream.kafka import KafkaBroker

from schemas.topics import DEAD_LETTER
from services.coordinator.ports import RejectedRecord


class KafkaDeadLetters:
    def __init__(self, broker: KafkaBroker, topic: str = DEAD_LETTER) -> None:
        self.broker, self.topic = broker, topic

    async def send(self, rejected: list[RejectedRecord]) -> None:
        for r in rejected:
            await self.broker.publish(
                r.record.value or b"", topic=self.topic, key=r.record.key,
                headers={
                    "los-reason": r.reason, "los-detail": r.detail[:1000],
                    "los-source-topic": r.record.topic,
                    "los-source-partition": str(r.record.partition),
                    "los-source-offset": str(r.record.offset),
                    "los-agency": r.agency or "",
                })
