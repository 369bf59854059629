"""The Kafka settings an operator hands an agency developer, taken from the stack's settings
(its stack.env) rather than from the platform's own Kafka helpers, so that a test's client is
configured as an agency system's would be (docs/adapters.md, "Clients known to work")."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path


def client_config(stack_env: Mapping[str, str], principal: str) -> dict[str, str]:
    """librdkafka settings for `principal`: the bootstrap servers, SASL/SCRAM-SHA-512 over
    `LOS_KAFKA_SECURITY_PROTOCOL` (SASL_PLAINTEXT unless set), the CA of `LOS_KAFKA_CA_FILE`
    when there is one, and the principal's password from the credentials file (a JSON object
    of principal -> password)."""
    passwords = json.loads(Path(stack_env["LOS_KAFKA_CREDENTIALS_FILE"]).read_text())
    config = {"bootstrap.servers": stack_env["LOS_KAFKA_BOOTSTRAP_SERVERS"],
              "security.protocol": stack_env.get("LOS_KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT"),
              "sasl.mechanism": "SCRAM-SHA-512", "sasl.username": principal, "sasl.password": passwords[principal]}
    if stack_env.get("LOS_KAFKA_CA_FILE"):
        config["ssl.ca.location"] = stack_env["LOS_KAFKA_CA_FILE"]
    return config
