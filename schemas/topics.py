"""Kafka topic names: the one place that spells them (deploy/topics.yaml declares their settings)."""

from __future__ import annotations

DEAD_LETTER = "los.coordinator.dlq"
RECORD_CHANGES = "los.records.changes"
AUDIT_CHECKPOINTS = "los.audit.checkpoints"


def events_topic(agency: str) -> str:
    """Where an agency's adapter publishes; only that agency may write here."""
    return f"los.events.{agency.lower()}"


def feed_topic(agency: str) -> str:
    """What the disclosure rules let `agency` see; only that agency may read here."""
    return f"los.feed.{agency.lower()}"


def receipts_topic(agency: str) -> str:
    """What the coordinator made of each record `agency` sent; only `agency` may read here."""
    return f"los.receipts.{agency.lower()}"


def agency_of_events_topic(topic: str) -> str | None:
    prefix = "los.events."
    return topic[len(prefix):].upper() if topic.startswith(prefix) else None


EVENTS_TOPIC_PATTERN = r"^los\.events\.[a-z0-9_]+$"
