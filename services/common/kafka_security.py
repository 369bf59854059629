"""Who a process is on Kafka: SASL/SCRAM-SHA-512 logins and the client options they become.

Every Kafka client of the system is built from a `KafkaLogin` (or none, for a broker without
authentication). The broker's ACLs then decide what that principal may do; see
docs/security.md for the principals and their rights.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from faststream.security import SASLScram512

MECHANISM = "SCRAM-SHA-512"
ADMIN = "admin"


class KafkaCredentialsError(ValueError):
    """The Kafka credentials configured for this process are missing or unreadable."""


@dataclass(frozen=True)
class KafkaLogin:
    username: str
    password: str = field(repr=False)


def principal_part(agency: str) -> str:
    """A participant's code as it appears in Kafka principal and group names: lower case, `_`
    written `-` (`MUNI_SOCIAL_0580` -> `muni-social-0580`), so that a principal is also a valid
    Kubernetes name (the Helm chart's KafkaUsers are named by their principal)."""
    return agency.lower().replace("_", "-")


def adapter_principal(agency: str) -> str:
    """The principal of an agency's adapter: it alone may write the agency's events topic."""
    return f"adapter-{principal_part(agency)}"


def load_credentials(path: Path) -> dict[str, str]:
    """A credentials file: a JSON object of principal -> password (keep it private); or a folder
    of one file per principal holding its password (Kubernetes mounts secrets so)."""
    if path.is_dir():
        try:
            return {f.name: f.read_text().strip() for f in sorted(path.iterdir())
                    if not f.name.startswith(".") and f.is_file()}
        except OSError as error:
            raise KafkaCredentialsError(f"cannot read the Kafka credentials in {path}: {error}") from error
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise KafkaCredentialsError(f"cannot read the Kafka credentials file {path}: {error}") from error
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise KafkaCredentialsError(f"{path} must hold a JSON object of principal -> password")
    return {str(k): v for k, v in data.items()}


def client_options(login: KafkaLogin | None) -> dict[str, Any]:
    """Keyword arguments for aiokafka's producer, consumer and admin client."""
    if login is None:
        return {}
    return {"security_protocol": "SASL_PLAINTEXT", "sasl_mechanism": MECHANISM,
            "sasl_plain_username": login.username, "sasl_plain_password": login.password}


def librdkafka_config(login: KafkaLogin | None) -> dict[str, str]:
    """The same login as librdkafka configuration (confluent-kafka's clients)."""
    if login is None:
        return {}
    return {"security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": MECHANISM,
            "sasl.username": login.username, "sasl.password": login.password}


def broker_security(login: KafkaLogin | None) -> SASLScram512 | None:
    """The same login for a FastStream `KafkaBroker(security=...)`."""
    if login is None:
        return None
    from faststream.security import SASLScram512  # kept out of the settings' import graph

    return SASLScram512(username=login.username, password=login.password)
