"""Publishing a planned operation: signed with the console's key for the planner's agency,
naming the planner in the event's source, and sent with an idempotent producer to that
agency's own events topic (where the coordinator reads it).

The console holds one kind of key only: a `console` key per agency, registered by an
administrator (`python -m services.keys register --kind console`), which the coordinator
accepts on that agency's plans and nothing else. It never makes or registers a key itself.
"""

from __future__ import annotations

import datetime
import hashlib
import re
import uuid
from pathlib import Path

from aiokafka import AIOKafkaProducer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from schemas.events import OperationPlannedV1, new_event
from schemas.operation import OperationPlan
from schemas.signing import CONSOLE, console_system
from services.adapters.sdk.pipeline import Signer
from services.common.kafka_security import KafkaLogin, client_options
from services.common.keys import holder_key, load_registry
from services.console.ports import Publisher

_SAFE_USER = re.compile(r"^[A-Za-z0-9_.-]{1,56}$")


class NoConsoleKey(Exception):
    """The console holds no registered, valid key for the agency: its plans cannot be signed."""

    def __init__(self, agency: str) -> None:
        super().__init__(f"no console key for {agency}; register one with "
                         f"`python -m services.keys register --agency {agency} --kind console`")
        self.agency = agency


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


def console_user(subject: str) -> str:
    """The planner as named in the event's source (`urn:los:agency:<CODE>/console.<user>`),
    from the token's `sub`: kept as it is when it is letters, digits, `_`, `.` and `-` only
    and at most 56 characters; otherwise its first such characters (at most 39) and 16 hex
    digits of its SHA-256, so two subjects never share a user id."""
    if _SAFE_USER.match(subject):
        return subject
    readable = re.sub(r"[^A-Za-z0-9_.-]+", "_", subject).strip("_")[:39]
    digest = hashlib.sha256(subject.encode()).hexdigest()[:16]
    return f"{readable}-{digest}" if readable else digest


def console_key(keys_dir: Path, holder: Path, agency: str, *,
                now: datetime.datetime) -> tuple[str, Ed25519PrivateKey] | None:
    """The console's key for `agency` valid now (the public registry in `keys_dir`, the
    private half in the console's own folder `holder`), or None."""
    return holder_key(load_registry(keys_dir), holder, agency=agency, kind=CONSOLE, at=now)


async def publish_plan(publisher: Publisher, plan: OperationPlan, *, user: str, keys_dir: Path, holder: Path,
                       now: datetime.datetime) -> str:
    """Sign and send the planning event for `user` (a token subject); returns its id once the
    broker has it. Raises `NoConsoleKey` when the plan's agency has no console key."""
    agency = plan.lead_agency
    found = console_key(keys_dir, holder, agency, now=now)
    if found is None:
        raise NoConsoleKey(agency)
    key_id, key = found
    event = new_event(OperationPlannedV1, plan, agency=agency, event_id=uuid.uuid4(), time=now,
                      system=console_system(console_user(user)), subject=plan.operation_id)
    event_id, topic, partition_key, value, headers = Signer(agency, key_id, key, clock=lambda: now).wire(event)
    await publisher.publish(topic, partition_key, value, headers)
    return event_id
