"""Settings of the console (environment `LOS_*`), read once at the entry point."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from services.common.settings import LosSettings


class ConsoleSettings(LosSettings):
    database_url: str = Field(default="postgresql://los_console@127.0.0.1:5432/los",
                              description="PostgreSQL as this service's own role.")
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
    console_host: str = Field(default="127.0.0.1", description="Interface the web server listens on.")
    console_port: int = Field(default=8080, ge=0, le=65535)
    console_dev_idp: bool = Field(
        default=False, description="Mount the development identity provider (never in production).")
    console_jwks_url: str | None = Field(default=None, description="The identity provider's JWKS endpoint.")
    console_jwks_file: Path | None = Field(default=None,
                                           description="A JWKS document on disk instead of a URL.")
    console_issuer: str | None = Field(default=None,
                                       description="The `iss` tokens must carry (checked when set).")
    console_audience: str = Field(default="los-console", description="The `aud` tokens must carry.")
    console_page_size: int = Field(default=50, ge=1, le=500, description="Operations per list page.")
    console_sse_poll_seconds: float = Field(default=1.0, gt=0,
                                            description="How often live views look for changes.")
    console_sse_max_seconds: float = Field(
        default=900.0, gt=0, description="A live stream ends after this; the browser reconnects by itself.")
    console_signal_min_agencies: int = Field(
        default=3, ge=2, description="A cross-agency signal: findings from this many agencies the viewer may see ...")
    console_signal_window_days: int = Field(default=365, ge=1, description="... within this many days.")
    console_checkpoint_timeout_seconds: float = Field(
        default=5.0, gt=0, description="How long verification waits for the checkpoints on Kafka.")
    console_keys_dir: Path = Field(
        default=Path(".state/local/keys/console"),
        description="The console's own private keys (registered with `python -m services.keys`), which sign "
                    "plans only, each for one agency.")
