"""Settings of an adapter process (environment `LOS_*`)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from services.common.settings import LosSettings


class AdapterSettings(LosSettings):
    adapter_spool_dir: Path = Field(default=Path(".state/local/adapters"),
                                    description="Outbox and quarantine per agency live here.")
    pseudonym_url: str = Field(default="http://127.0.0.1:8090",
                               description="The pseudonym service, which evaluates blinded personnummer.")
    adapter_keys_dir: Path = Field(
        default=Path(".state/local/keys/adapters"),
        description="The adapter's own private keys, in a folder per agency it runs (`<dir>/<agency>/private/`).")
    adapter_system: str | None = Field(default=None, description="Native system name in the event source.")
