"""What the broker will take: a topic's `max.message.bytes`, asked of the broker itself.

A service that re-publishes what it consumed (the coordinator's dead letters) must handle
any message the broker accepted on the way in. Asking the broker, rather than assuming
Kafka's default, keeps the two in step when an operator changes the limit.
"""

from __future__ import annotations

import logging
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

log = logging.getLogger(__name__)
MAX_MESSAGE_BYTES = "max.message.bytes"


async def max_message_bytes(bootstrap_servers: list[str], options: dict[str, Any], topic: str) -> int:
    """The topic's effective `max.message.bytes` (its own setting, else the broker's
    `message.max.bytes`); raises when the broker cannot tell."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, client_id="los-limits", **options)
    await admin.start()
    try:
        responses = await admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, topic, {MAX_MESSAGE_BYTES: None})])
    finally:
        await admin.close()
    for response in responses:
        for error_code, error_message, _type, name, entries in (r[:5] for r in response.resources):
            if name != topic:
                continue
            if error_code:
                raise RuntimeError(f"describing {topic} failed: error {error_code} {error_message}")
            for entry in entries:
                if entry[0] == MAX_MESSAGE_BYTES:
                    return int(entry[1])
    raise RuntimeError(f"the broker did not report {MAX_MESSAGE_BYTES} of {topic}")
