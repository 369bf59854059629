"""Prometheus metrics of an adapter process."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

ACCEPTED = Counter("los_adapter_events_accepted_total", "Events stored in the outbox", ["agency"])
QUARANTINED = Counter("los_adapter_records_quarantined_total", "Records put in quarantine", ["agency"])
PUBLISHED = Counter("los_adapter_events_published_total", "Events acknowledged by Kafka", ["agency"])
SEND_FAILURES = Counter("los_adapter_send_failures_total", "Failed send attempts", ["agency"])
OUTBOX_DEPTH = Gauge("los_adapter_outbox_unsent", "Events waiting in the outbox", ["agency"])
