"""Settings every service shares, read once from the environment at the entry point.

Services subclass `LosSettings` and pass the instance down; nothing deeper reads
`os.environ`. Names are `LOS_<FIELD>` (see the README's configuration table).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class LosSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LOS_", extra="ignore", frozen=True)

    kafka_bootstrap_servers: str = Field(
        default="127.0.0.1:9092", description="Kafka brokers, comma-separated.")
    keys_dir: Path = Field(default=Path(".state/local/keys"),
                           description="Key registry and private keys (see services.common.keys).")
    pseudonym_key_file: Path = Field(default=Path(".state/local/keys/pseudonym.key"),
                                     description="The HMAC secret for person pseudonyms.")
    otel_exporter: Literal["none", "console", "otlp"] = Field(
        default="none", description="Where traces go.")
    metrics_port: int | None = Field(
        default=None, description="Serve Prometheus metrics on 127.0.0.1:<port> (off when unset).")
