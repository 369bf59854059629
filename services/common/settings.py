"""Settings every service shares, read once from the environment at the entry point.

Services subclass `LosSettings` and pass the instance down; nothing deeper reads
`os.environ`. Names are `LOS_<FIELD>` (see the README's configuration table).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from schemas.agencies import load_registry, use_data_files
from services.common.kafka_security import (
    KafkaCredentialsError,
    KafkaLogin,
    broker_security,
    client_options,
    load_credentials,
)

if TYPE_CHECKING:
    from faststream.security import SASLScram512


class LosSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LOS_", extra="ignore", frozen=True)

    kafka_bootstrap_servers: str = Field(
        default="127.0.0.1:9092", description="Kafka brokers, comma-separated.")
    kafka_username: str | None = Field(
        default=None, description="This process's Kafka principal (SASL/SCRAM-SHA-512); unset: no authentication.")
    kafka_password: SecretStr | None = Field(
        default=None, description="Its password [default: its entry in the credentials file].")
    kafka_credentials_file: Path | None = Field(
        default=None, description="JSON of principal -> password; the adapter gateway takes each agency's here.")
    kafka_ca_file: Path | None = Field(
        default=None, description="The CA (PEM) the brokers' certificates are checked against: set, the login "
                                  "goes over TLS (SASL_SSL); unset, SASL_PLAINTEXT, which deployed brokers refuse.")
    keys_dir: Path = Field(default=Path(".state/local/keys"),
                           description="The public key registry (each holder's private keys are in its own "
                                       "folder, see services.common.keys).")
    otel_exporter: Literal["none", "console", "otlp"] = Field(
        default="none", description="Where traces go.")
    metrics_port: int | None = Field(
        default=None, description="Serve Prometheus metrics on <metrics host>:<port>/metrics (off when unset).")
    metrics_host: str = Field(
        default="127.0.0.1", description="The address the metrics are served on: 0.0.0.0 where a Prometheus in "
                                         "another container or pod scrapes them (compose, the Helm chart).")
    registry_file: Path | None = Field(
        default=None, description="The participants' registry [default: schemas/agencies.yaml].")
    vocabulary_file: Path | None = Field(
        default=None, description="The registered categories and decision kinds [default: schemas/vocabulary.yaml].")

    def model_post_init(self, context: Any, /) -> None:
        """The data this process runs on is chosen and checked here, at its entry point: a
        mistake in the registry or the vocabulary stops the start with the file and line."""
        if self.registry_file is not None or self.vocabulary_file is not None:
            use_data_files(self.registry_file, self.vocabulary_file)
        else:
            load_registry()

    @field_validator("kafka_username", "kafka_password", "kafka_credentials_file", "kafka_ca_file", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    def kafka_login(self, principal: str | None = None) -> KafkaLogin | None:
        """The Kafka login of `principal` [default: this process's own]; None without authentication.

        The password is LOS_KAFKA_PASSWORD for this process's own principal, else the
        principal's entry in the credentials file; the login trusts LOS_KAFKA_CA_FILE."""
        name = principal or self.kafka_username
        if not name:
            return None
        if name == self.kafka_username and self.kafka_password is not None:
            return KafkaLogin(name, self.kafka_password.get_secret_value(), self.kafka_ca_file)
        if self.kafka_credentials_file is not None:
            password = load_credentials(self.kafka_credentials_file).get(name)
            if password is not None:
                return KafkaLogin(name, password, self.kafka_ca_file)
        raise KafkaCredentialsError(f"no Kafka password for {name!r}: set LOS_KAFKA_PASSWORD or add it "
                                    "to the file named by LOS_KAFKA_CREDENTIALS_FILE")

    def kafka_client_options(self, principal: str | None = None) -> dict[str, Any]:
        """aiokafka keyword arguments for `kafka_login(principal)`."""
        return client_options(self.kafka_login(principal))

    def kafka_broker_security(self) -> SASLScram512 | None:
        """FastStream's `KafkaBroker(security=...)` for this process's own login."""
        return broker_security(self.kafka_login())
