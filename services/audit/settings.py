"""Settings of the audit tools (environment `LOS_*`)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from services.common.settings import LosSettings


class AuditSettings(LosSettings):
    database_url: str = Field(default="postgresql://los_audit@127.0.0.1:5432/los")
    database_owner_url: str | None = Field(
        default=None, description="PostgreSQL as the schema owner: when set, migrations are applied at start.")
    audit_checkpoint_seconds: float = Field(default=60.0, gt=0, description="How often the chain head is signed.")
    audit_keys_dir: Path = Field(
        default=Path(".state/local/keys/audit"),
        description="The audit server's own private keys (its `checkpoint` key, registered with "
                    "`python -m services.keys`).")
