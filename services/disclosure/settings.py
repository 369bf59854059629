"""Settings of the disclosure feed process (environment `LOS_*`)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from services.common.settings import LosSettings
from services.disclosure.policy import Purpose


class FeedSettings(LosSettings):
    database_url: str = Field(default="postgresql://los_disclosure@127.0.0.1:5432/los")
    database_owner_url: str | None = Field(
        default=None, description="PostgreSQL as the schema owner: when set, migrations are applied at start.")
    policy_file: Path = Field(default=Path("deploy/policy/los-default.yaml"),
                              description="The disclosure policy in force.")
    egress_pseudonym_key_file: Path = Field(
        default=Path(".state/local/egress/pseudonym.key"),
        description="The key that gives each recipient its own pseudonyms (disclosure and console only).")
    audit_digest_key_file: Path = Field(
        default=Path(".state/local/audit/digest.key"),
        description="The key of the audit log's digests (the services whose entries carry digests).")
    feeds_group_id: str = Field(default="los-disclosure-feeds")
    feeds_purpose: Purpose = Field(default=Purpose.JOINT_OPERATION,
                                   description="The purpose the agencies' feeds serve.")
