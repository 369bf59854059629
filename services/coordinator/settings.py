"""Settings of the coordinator process (environment `LOS_*`)."""

from __future__ import annotations

from pydantic import Field

from services.common.settings import LosSettings


class CoordinatorSettings(LosSettings):
    database_url: str = Field(default="postgresql://los_coordinator@127.0.0.1:5432/los",
                              description="PostgreSQL as this service's own role.")
    database_owner_url: str | None = Field(
        default=None, description="PostgreSQL as the schema owner: when set, migrations are applied at start.")
    coordinator_group_id: str = Field(default="los-coordinator", description="Kafka consumer group.")
    coordinator_batch_size: int = Field(default=1000, ge=1, le=10_000, description="Records per transaction.")
    coordinator_check_workers: int = Field(
        default=1, ge=0, le=8, description="Processes verifying the next batch while one is stored (0: inline).")
    coordinator_change_interval_seconds: float = Field(
        default=5.0, ge=0, description="An operation's record change is announced to the feeds at most this often.")
    coordinator_max_event_bytes: int = Field(default=256 * 1024, description="Larger events are rejected.")
    coordinator_inference_window_days: int = Field(
        default=1, ge=0, description="An event naming no operation joins one at the same premises within this.")
    coordinator_parked_review_seconds: int = Field(
        default=24 * 3600, description="Events parked longer than this are flagged for review.")
    coordinator_noisy_cap: int = Field(
        default=20, ge=1, description="A premises seen with more businesses than this no longer correlates.")
    coordinator_retention_days: int = Field(
        default=1095, ge=1, description="Personal data in records is erased after this many days (gallring).")
    coordinator_topics: list[str] | None = Field(
        default=None, description="Topics to consume [default: every agency's events topic].")
