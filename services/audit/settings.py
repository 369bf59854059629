"""Settings of the audit tools (environment `LOS_*`)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from services.common.settings import LosSettings


class AuditSettings(LosSettings):
    database_url: str = Field(default="postgresql://los_audit@127.0.0.1:5432/los")
    database_owner_url: str | None = Field(
        default=None, description="PostgreSQL as the schema owner: when set, migrations are applied at start.")
    oprf_key_file: Path = Field(default=Path(".state/local/pseudonyms/oprf.key"),
                                description="The pseudonym service's key: an access report by personnummer needs it.")
    legacy_pseudonym_key_file: Path | None = Field(
        default=None, description="The old shared HMAC key, if kept: reports then also find `psn:k1:` entries.")
    audit_digest_key_file: Path = Field(
        default=Path(".state/local/audit/digest.key"),
        description="The audit digest key: finding a subject's entries needs it (the server never reads it).")
    audit_checkpoint_seconds: float = Field(default=60.0, gt=0, description="How often the chain head is signed.")
    audit_keys_dir: Path = Field(
        default=Path(".state/local/keys/audit"),
        description="The audit server's own private keys (its `checkpoint` key, registered with "
                    "`python -m services.keys`).")
