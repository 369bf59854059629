"""The chart's generated values (deploy/helm/los/generated/platform.yaml) are current, and they
carry the rules deploy/access.py derives, under names Kubernetes accepts."""

from __future__ import annotations

from deploy.access import acl_bindings, principals
from deploy.helm.platform import GENERATED, K8S_NAME, STRIMZI_OPERATIONS, STRIMZI_PATTERNS, platform, render
from deploy.kafka_admin import AclBinding
from deploy.topics import load_topics


def test_the_generated_values_are_current() -> None:
    assert GENERATED.read_text() == render(), "run `python -m deploy.helm generate` and commit the result"


def test_the_generated_users_carry_exactly_the_derived_rules() -> None:
    operations = {v: k for k, v in STRIMZI_OPERATIONS.items()}
    patterns = {v: k for k, v in STRIMZI_PATTERNS.items()}
    users = platform()["kafka"]["users"]
    assert [u["name"] for u in users] == principals()
    rules = {AclBinding(f"User:{u['name']}", acl["resource"]["type"].upper(), acl["resource"]["name"],
                        patterns[acl["resource"]["patternType"]], operations[op])
             for u in users for acl in u["acls"] for op in acl["operations"]}
    assert rules == acl_bindings()


def test_every_topic_and_principal_has_a_kubernetes_name() -> None:
    values = platform()
    assert [t["name"] for t in values["kafka"]["topics"]] == [t.name for t in load_topics()]
    names = [t["resource"] for t in values["kafka"]["topics"]] + [u["name"] for u in values["kafka"]["users"]]
    assert all(K8S_NAME.match(n) for n in names) and len(set(names)) == len(names)
