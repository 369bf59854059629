"""The declarative topic list: one events topic, one feed and one receipts topic per agency,
names spelled the same way the services spell them."""

from __future__ import annotations

from deploy.topics import load_topics
from schemas import topics
from schemas.agencies import load_agencies


def test_every_agency_has_an_events_topic_a_feed_and_receipts() -> None:
    names = {t.name for t in load_topics()}
    for code in load_agencies():
        assert topics.events_topic(code) in names
        assert topics.feed_topic(code) in names
        assert topics.receipts_topic(code) in names


def test_shared_topics_are_declared() -> None:
    names = {t.name for t in load_topics()}
    assert {topics.DEAD_LETTER, topics.RECORD_CHANGES, topics.AUDIT_CHECKPOINTS} <= names


def test_a_single_node_gets_replication_one_and_min_isr_one() -> None:
    for spec in load_topics():
        small = spec.for_cluster(1)
        assert small.replication_factor == 1
        assert small.min_insync_replicas == 1
        assert spec.for_cluster(3).min_insync_replicas == 2


def test_agency_of_events_topic_round_trips() -> None:
    assert topics.agency_of_events_topic(topics.events_topic("WORK_ENV")) == "WORK_ENV"
    assert topics.agency_of_events_topic("los.feed.tax") is None
