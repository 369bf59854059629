"""Publishing a planned operation: signed with the planner's agency key, sent with an
idempotent producer to that agency's own events topic (where the coordinator reads it)."""

from __future__ import annotations

import asyncio
import datetime
import time
import uuid
from pathlib import Path

from aiokafka import AIOKafkaProducer

from schemas.events import OperationPlannedV1, new_event
from schemas.operation import OperationPlan
from services.adapters.sdk.pipeline import Signer
from services.common.kafka_security import KafkaLogin, client_options
from services.common.keys import active_key_id, ensure_agency_key
from services.console.ports import Publisher

SYSTEM = "console"  # the event's source: urn:los:agency:<AGENCY>/console
# A key created here reaches the coordinators when they next read the key registry (every
# two seconds); an event signed with it before then would be rejected as `unknown_key`.
NEW_KEY_GRACE_SECONDS = 3.0


class KafkaPublisher:
    def __init__(self, producer: AIOKafkaProducer) -> None:
        self.producer = producer

    @classmethod
    async def start(cls, bootstrap: str, *, login: KafkaLogin | None = None) -> KafkaPublisher:
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, acks="all",
                                    client_id="los-console", **client_options(login))
        await producer.start()
        return cls(producer)

    async def publish(self, topic: str, key: bytes, value: bytes, headers: list[tuple[str, bytes]]) -> None:
        await self.producer.send_and_wait(topic, value, key=key, headers=headers)

    async def close(self) -> None:
        await self.producer.stop()


def ensure_signing_key(keys_dir: Path, agency: str, *, now: datetime.datetime) -> float:
    """Make sure the agency has a signing key; returns how many seconds ago it was created."""
    key_id = active_key_id(keys_dir, agency)
    if key_id is None:
        key_id, _ = ensure_agency_key(keys_dir, agency, now=now)
    return max(0.0, time.time() - (keys_dir / "private" / f"{key_id}.pem").stat().st_mtime)


async def publish_plan(publisher: Publisher, plan: OperationPlan, *, keys_dir: Path,
                       now: datetime.datetime, grace: float = NEW_KEY_GRACE_SECONDS) -> str:
    """Sign and send the planning event; returns its id once the broker has it."""
    agency = plan.lead_agency
    age = ensure_signing_key(keys_dir, agency, now=now)
    if age < grace:
        await asyncio.sleep(grace - age)  # let the coordinators learn a brand-new key first
    key_id, key = ensure_agency_key(keys_dir, agency, now=now)
    event = new_event(OperationPlannedV1, plan, agency=agency, event_id=uuid.uuid4(), time=now,
                      system=SYSTEM, subject=plan.operation_id)
    event_id, topic, partition_key, value, headers = Signer(agency, key_id, key,
                                                            clock=lambda: now).wire(event)
    await publisher.publish(topic, partition_key, value, headers)
    return event_id
