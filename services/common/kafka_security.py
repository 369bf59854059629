"""Who a process is on Kafka and how it reaches the brokers: SASL/SCRAM-SHA-512 logins over
TLS, and the client options they become.

Every Kafka client of the system is built from a `KafkaLogin` (or none, for a broker without
authentication). A login that names a CA file (LOS_KAFKA_CA_FILE) connects with SASL_SSL and
checks the brokers' certificates against that CA and their host names; without one it is
SASL_PLAINTEXT, which the deployed brokers refuse (docs/security.md, "TLS"). The broker's
ACLs then decide what that principal may do; see docs/security.md for the principals and
their rights.
"""

from __future__ import annotations

import json
import ssl
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from faststream.security import SASLScram512

MECHANISM = "SCRAM-SHA-512"
ADMIN = "admin"


class KafkaCredentialsError(ValueError):
    """The Kafka credentials or the CA file configured for this process are missing or unreadable."""


@dataclass(frozen=True)
class KafkaLogin:
    """A principal's login; with `ca_file`, over TLS to brokers whose certificates that CA signed."""

    username: str
    password: str = field(repr=False)
    ca_file: Path | None = None

    @property
    def security_protocol(self) -> str:
        return "SASL_SSL" if self.ca_file is not None else "SASL_PLAINTEXT"


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


def tls_context(ca_file: Path) -> ssl.SSLContext:
    """A client context that trusts `ca_file` alone and checks the server's host name."""
    try:
        return ssl.create_default_context(cafile=str(ca_file))
    except (OSError, ssl.SSLError) as error:
        raise KafkaCredentialsError(f"cannot read the Kafka CA file {ca_file}: {error}") from error


def client_options(login: KafkaLogin | None) -> dict[str, Any]:
    """Keyword arguments for aiokafka's producer, consumer and admin client."""
    if login is None:
        return {}
    options: dict[str, Any] = {"security_protocol": login.security_protocol, "sasl_mechanism": MECHANISM,
                               "sasl_plain_username": login.username, "sasl_plain_password": login.password}
    if login.ca_file is not None:
        options["ssl_context"] = tls_context(login.ca_file)
    return options


def librdkafka_config(login: KafkaLogin | None) -> dict[str, str]:
    """The same login as librdkafka configuration (confluent-kafka's clients)."""
    if login is None:
        return {}
    config = {"security.protocol": login.security_protocol, "sasl.mechanism": MECHANISM,
              "sasl.username": login.username, "sasl.password": login.password}
    if login.ca_file is not None:
        config |= {"ssl.ca.location": str(login.ca_file), "ssl.endpoint.identification.algorithm": "https"}
    return config


def broker_security(login: KafkaLogin | None) -> SASLScram512 | None:
    """The same login for a FastStream `KafkaBroker(security=...)`."""
    if login is None:
        return None
    from faststream.security import SASLScram512  # kept out of the settings' import graph

    context = tls_context(login.ca_file) if login.ca_file is not None else None
    return SASLScram512(username=login.username, password=login.password, ssl_context=context)
