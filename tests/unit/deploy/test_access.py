"""The Kafka rights derived from deploy/services.yaml and deploy/topics.yaml are least
privilege: each adapter writes its own events topic and reads its own feed and receipts,
nothing else."""

from __future__ import annotations

import json
import re
import stat
from pathlib import Path

import pytest

from deploy.access import (
    acl_bindings,
    ensure_credentials,
    new_password,
    principals,
    service_credentials,
    service_principals,
)
from deploy.kafka_admin import AclBinding
from schemas.agencies import load_agencies
from schemas.topics import (
    AUDIT_CHECKPOINTS,
    DEAD_LETTER,
    RECORD_CHANGES,
    events_topic,
    feed_topic,
    receipts_topic,
)
from services.common.kafka_security import ADMIN, adapter_principal

RULES = acl_bindings()
AGENCIES = list(load_agencies())


def allowed(principal: str, operation: str, topic: str) -> bool:
    return AclBinding(f"User:{principal}", "TOPIC", topic, "LITERAL", operation) in RULES


def writers(topic: str) -> set[str]:
    return {r.principal for r in RULES if r.resource == "TOPIC" and r.name == topic and r.operation == "WRITE"}


def readers(topic: str) -> set[str]:
    return {r.principal for r in RULES if r.resource == "TOPIC" and r.name == topic and r.operation == "READ"}


@pytest.mark.parametrize("agency", AGENCIES)
def test_an_adapter_writes_its_own_events_topic_and_reads_its_own_feed_and_receipts_only(agency: str) -> None:
    me = adapter_principal(agency)
    mine = {r for r in RULES if r.principal == f"User:{me}"}
    assert {(r.name, r.operation) for r in mine if r.operation == "WRITE"} == {(events_topic(agency), "WRITE")}
    assert {r.name for r in mine if r.operation == "READ" and r.resource == "TOPIC"} == \
        {feed_topic(agency), receipts_topic(agency), AUDIT_CHECKPOINTS}
    assert {(r.resource, r.name, r.pattern) for r in mine if r.resource == "GROUP"} == {("GROUP", me, "PREFIXED")}
    assert not any(r.pattern == "PREFIXED" for r in mine if r.resource == "TOPIC")


@pytest.mark.parametrize("agency", AGENCIES)
def test_no_other_agency_may_write_an_events_topic_or_read_a_feed(agency: str) -> None:
    assert writers(events_topic(agency)) == {f"User:{adapter_principal(agency)}", "User:console"}
    assert readers(events_topic(agency)) == {"User:coordinator"}
    assert writers(feed_topic(agency)) == {"User:disclosure"}
    assert readers(feed_topic(agency)) == {f"User:{adapter_principal(agency)}"}
    assert writers(receipts_topic(agency)) == {"User:coordinator"}
    assert readers(receipts_topic(agency)) == {f"User:{adapter_principal(agency)}"}


def test_the_services_have_what_they_use_and_no_more() -> None:
    assert writers(DEAD_LETTER) == {"User:coordinator"} and readers(DEAD_LETTER) == set()
    assert writers(RECORD_CHANGES) == {"User:coordinator"} and readers(RECORD_CHANGES) == {"User:disclosure"}
    assert writers(AUDIT_CHECKPOINTS) == {"User:audit"}
    for agency in AGENCIES:
        assert allowed("coordinator", "READ", events_topic(agency))
        assert not allowed("coordinator", "WRITE", events_topic(agency))
        assert allowed("disclosure", "WRITE", feed_topic(agency))
        assert not allowed("disclosure", "READ", feed_topic(agency))
    assert not any(r.resource == "CLUSTER" for r in RULES), "no principal but the admin acts on the cluster"
    assert not any(r.operation in ("ALL", "ALTER", "DELETE", "CREATE") for r in RULES)


def test_each_rule_is_the_same_rule_in_the_admin_client() -> None:
    for rule in RULES:
        assert AclBinding.from_client(rule.to_client()) == rule
        assert AclBinding.from_client(rule.to_filter()) == rule


def test_every_principal_is_a_service_and_the_admin_needs_no_rule() -> None:
    names = principals()
    assert names[0] == ADMIN and len(names) == len(set(names))
    assert {r.principal.removeprefix("User:") for r in RULES} == set(names) - {ADMIN}
    assert set(service_principals()["adapters"]) == {adapter_principal(a) for a in AGENCIES}


def test_passwords_are_made_once_kept_private_and_shared_with_their_service_only(tmp_path: Path) -> None:
    path = tmp_path / "credentials.json"
    first = ensure_credentials(path, principals())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(set(first.values())) == len(first) and all(len(p) >= 32 for p in first.values())
    assert ensure_credentials(path, principals()) == first  # kept
    del first["coordinator"]
    path.write_text(json.dumps(first))
    again = ensure_credentials(path, principals())  # a deleted entry is a new password
    assert again["coordinator"] and again["audit"] == first["audit"]
    shares = service_credentials(again)
    assert shares["coordinator"] == {"coordinator": again["coordinator"]}
    assert set(shares["adapters"]) == {adapter_principal(a) for a in AGENCIES}
    assert not any(ADMIN in share for share in shares.values())



def test_logins_hold_only_characters_every_client_takes_verbatim() -> None:
    """No `,` or `=` (escaped in a SCRAM user name), `+` or `/`, quotes or backslashes (JAAS),
    nothing SASLprep would map: a client of any age or language sends what the file says."""
    assert all(re.fullmatch(r"[a-z][a-z0-9-]*", name) for name in principals())
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{32}", new_password()) for _ in range(1000))
