"""Prometheus metrics of the coordinator."""

from __future__ import annotations

from prometheus_client import Counter

ACCEPTED = Counter("los_coordinator_events_accepted_total", "New events stored")
DUPLICATES = Counter("los_coordinator_events_duplicate_total", "Events seen before (by id)")
REJECTED = Counter("los_coordinator_events_rejected_total", "Events rejected", ["reason"])
