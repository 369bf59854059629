"""Settings of the pseudonym service (environment `LOS_*`)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from services.common.settings import LosSettings


class PseudonymSettings(LosSettings):
    database_url: str = Field(default="postgresql://los_pseudonyms@127.0.0.1:5432/los")
    database_owner_url: str | None = Field(
        default=None,
        description="PostgreSQL as the schema owner: when set, the audit log's migrations are applied at start.")
    oprf_key_file: Path = Field(default=Path(".state/local/pseudonyms/oprf.key"),
                                description="The OPRF key (32+ random bytes, mode 0600); this service's alone.")
    pseudonym_host: str = Field(default="127.0.0.1", description="Interface the service listens on.")
    pseudonym_port: int = Field(default=8090, description="Port the service listens on.")
    pseudonym_daily_limit: int = Field(
        default=100_000, gt=0, description="Evaluations per participant in any 24 hours; beyond, requests are refused.")
