"""The Helm chart (deploy/helm/los) renders, passes `helm lint --strict`, and every object it
makes is valid against Kubernetes' schemas (the oldest and newest version it supports) and the
Strimzi and CloudNativePG CRDs; its topics, Kafka logins and ACLs are exactly those the local
runner makes on the real broker."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml

from deploy.access import acl_bindings, principals
from deploy.helm import check
from deploy.helm.platform import STRIMZI_OPERATIONS, STRIMZI_PATTERNS
from deploy.helm.tools import Tools, ensure_tools
from deploy.kafka_admin import AclBinding, admin_client, describe_acls, scram_users
from deploy.local.stack import default_cache_dir, load_services
from deploy.topics import load_topics
from services.common.kafka_security import ADMIN
from tests.conftest import Infra
from tests.support import kafka_login

pytestmark = pytest.mark.integration
OPERATIONS = {v: k for k, v in STRIMZI_OPERATIONS.items()}
PATTERNS = {v: k for k, v in STRIMZI_PATTERNS.items()}


@pytest.fixture(scope="module")
def tools() -> Tools:
    return ensure_tools(default_cache_dir())


@pytest.fixture(scope="module")
def manifest(tools: Tools) -> str:
    return check.template(tools)


@pytest.fixture(scope="module")
def objects(manifest: str) -> list[dict[str, Any]]:
    return check.objects(manifest)


def of_kind(objects: list[dict[str, Any]], kind: str) -> Iterator[dict[str, Any]]:
    return (o for o in objects if o["kind"] == kind)


def policy_named(objects: list[dict[str, Any]], name: str) -> dict[str, Any]:
    return next(p["spec"] for p in of_kind(objects, "NetworkPolicy") if p["metadata"]["name"] == name)


def chart_acls(objects: list[dict[str, Any]]) -> set[AclBinding]:
    return {AclBinding(f"User:{user['metadata']['name']}", acl["resource"]["type"].upper(), acl["resource"]["name"],
                       PATTERNS[acl["resource"]["patternType"]], OPERATIONS[operation])
            for user in of_kind(objects, "KafkaUser")
            for acl in user["spec"].get("authorization", {}).get("acls", [])
            for operation in acl["operations"]}


def test_the_chart_lints_and_every_object_is_valid(tools: Tools, manifest: str) -> None:
    check.lint(tools)
    summary = check.validate(tools, manifest)
    for counts in summary.values():
        assert counts["valid"] == len(check.objects(manifest)) and not counts["skipped"]
    kinds = {o["kind"] for o in check.objects(manifest)}
    assert {"Kafka", "KafkaNodePool", "KafkaTopic", "KafkaUser", "Cluster", "Deployment", "NetworkPolicy"} <= kinds


def test_the_validation_refuses_what_the_schemas_do_not_allow(tools: Tools, manifest: str) -> None:
    """A misspelt field of a Deployment and an operation Strimzi does not know are refused."""
    docs = check.objects(manifest)
    deployment = next(of_kind(docs, "Deployment"))
    deployment["spec"]["template"]["spec"]["containers"][0]["securityContexts"] = {}
    with pytest.raises(check.ChartError, match="securityContexts"):
        check.validate(tools, yaml.safe_dump(deployment))
    user = next(u for u in of_kind(docs, "KafkaUser") if u["spec"].get("authorization"))
    user["spec"]["authorization"]["acls"][0]["operations"] = ["Produce"]
    with pytest.raises(check.ChartError, match="KafkaUser"):
        check.validate(tools, yaml.safe_dump(user))


def test_the_chart_has_the_derived_topics_users_and_acls(objects: list[dict[str, Any]]) -> None:
    topics = {t["spec"]["topicName"]: t["spec"] for t in of_kind(objects, "KafkaTopic")}
    assert topics == {s.name: {"topicName": s.name, "partitions": s.partitions, "replicas": s.replication_factor,
                               "config": s.topic_configs} for s in load_topics()}
    users = {u["metadata"]["name"] for u in of_kind(objects, "KafkaUser")}
    assert users == set(principals())
    assert all(u["spec"]["authentication"] == {"type": "scram-sha-512"} for u in of_kind(objects, "KafkaUser"))
    assert chart_acls(objects) == acl_bindings()
    kafka = next(of_kind(objects, "Kafka"))
    assert kafka["spec"]["kafka"]["authorization"]["superUsers"] == [ADMIN]


async def test_the_charts_topics_users_and_acls_are_those_the_local_runner_makes(
        infra: Infra, objects: list[dict[str, Any]]) -> None:
    admin = admin_client(infra.bootstrap_servers, kafka_login(infra.bootstrap_servers))
    metadata = await asyncio.to_thread(admin.list_topics, timeout=30)
    brokers = len(metadata.brokers)
    for topic in of_kind(objects, "KafkaTopic"):
        spec = topic["spec"]
        assert spec["topicName"] in metadata.topics, f"the local runner made no {spec['topicName']}"
        assert len(metadata.topics[spec["topicName"]].partitions) == spec["partitions"], spec["topicName"]
        assert len(metadata.topics[spec["topicName"]].partitions[0].replicas) == min(spec["replicas"], brokers)
    users = {u["metadata"]["name"] for u in of_kind(objects, "KafkaUser")}
    assert users <= await asyncio.to_thread(scram_users, admin), "a KafkaUser has no login on the local broker"
    topics = {t["spec"]["topicName"] for t in of_kind(objects, "KafkaTopic")}
    on_broker = {b for b in await asyncio.to_thread(describe_acls, admin)  # of this chart's principals and topics:
                 if b.principal.removeprefix("User:") in users  # a test may have joined an agency on the broker
                 and (b.resource != "TOPIC" or b.pattern != "LITERAL" or b.name in topics)}
    assert chart_acls(objects) == on_broker


async def test_the_topics_settings_are_those_of_the_local_broker(infra: Infra, objects: list[dict[str, Any]]) -> None:
    from confluent_kafka.admin import ConfigResource  # type: ignore[attr-defined]

    admin = admin_client(infra.bootstrap_servers, kafka_login(infra.bootstrap_servers))
    topics = list(of_kind(objects, "KafkaTopic"))
    resources = [ConfigResource("topic", t["spec"]["topicName"]) for t in topics]
    found = admin.describe_configs(resources)
    for resource, future in found.items():
        configs = await asyncio.to_thread(future.result, 30)
        spec = next(t["spec"] for t in topics if t["spec"]["topicName"] == resource.name)
        for key in ("cleanup.policy", "retention.ms"):
            assert configs[key].value == spec["config"][key], (resource.name, key)


def test_each_service_runs_as_its_own_principal_and_role_with_only_its_keys(objects: list[dict[str, Any]]) -> None:
    deployments = {d["metadata"]["labels"]["los.se/service"]: d for d in of_kind(objects, "Deployment")}
    holders = {"los-oprf-key": {"pseudonyms"}, "los-egress-pseudonym-key": {"disclosure", "console"}}
    for spec in load_services():
        if spec.name == "adapters":
            assert spec.name not in deployments, "the gateway holds every agency's login: off unless asked for"
            continue
        pod = deployments[spec.name]["spec"]["template"]["spec"]
        container = pod["containers"][0]
        env = {e["name"]: e for e in container["env"]}
        assert set(spec.env) <= set(env), f"{spec.name} lacks variables deploy/services.yaml lists"
        assert container["command"] == ["python", "-m", spec.module]
        secrets = {s["secret"]["name"] for v in pod["volumes"] for s in v.get("projected", {}).get("sources", [])}
        assert secrets == set(spec.principals()), f"{spec.name} must see its own Kafka password only"
        if spec.database_role:
            assert env["LOS_DATABASE_URL"]["value"].startswith(f"postgresql://{spec.database_role}:$(")
            assert env["LOS_DATABASE_PASSWORD"]["valueFrom"]["secretKeyRef"]["name"] == f"los-db-{spec.name}"
        assert not any("OWNER" in name for name in env), f"{spec.name} must not hold the schema owner's login"
        for secret, allowed in holders.items():
            mounted = any(v.get("secret", {}).get("secretName") == secret for v in pod["volumes"])
            assert mounted == (spec.name in allowed), f"{spec.name} and {secret}"


def test_every_pod_runs_restricted_without_fixed_ids(objects: list[dict[str, Any]]) -> None:
    """OpenShift's restricted-v2: non-root, no chosen user or group id, no privilege, no capability."""
    pods = [o["spec"]["template"]["spec"] for o in objects if o["kind"] in ("Deployment", "Job")]
    assert pods
    for pod in pods:
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        assert pod["automountServiceAccountToken"] is False
        for container in pod["containers"]:
            context = container["securityContext"]
            assert context["allowPrivilegeEscalation"] is False and context["readOnlyRootFilesystem"] is True
            assert context["capabilities"] == {"drop": ["ALL"]}
            assert container["resources"]["requests"] and container["resources"]["limits"]["memory"]
        for context in [pod["securityContext"], *(c["securityContext"] for c in pod["containers"])]:
            assert not {"runAsUser", "runAsGroup", "fsGroup"} & set(context)
    assert not any(o["kind"] == "Secret" for o in objects), "the chart holds no secret values"


def test_every_service_has_a_probe_and_network_policies_confine_them(objects: list[dict[str, Any]]) -> None:
    for deployment in of_kind(objects, "Deployment"):
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        assert "livenessProbe" in container, deployment["metadata"]["name"]
    policies = {p["metadata"]["name"]: p["spec"] for p in of_kind(objects, "NetworkPolicy")}
    workloads = policies["los-workloads"]
    assert workloads["policyTypes"] == ["Ingress", "Egress"] and workloads["ingress"] == []
    assert set(policies) == {"los-workloads", "los-console-ingress", "los-pseudonyms-ingress", "los-metrics-ingress",
                             "los-postgres"}
    kafka = next(of_kind(objects, "Kafka"))
    listener = kafka["spec"]["kafka"]["listeners"][0]
    assert listener["authentication"] == {"type": "scram-sha-512"} and listener["networkPolicyPeers"]


def test_everything_travels_over_tls_checked_against_the_operators_cas(objects: list[dict[str, Any]]) -> None:
    """Kafka: Strimzi's TLS listener, its cluster CA's certificate mounted (never a key) and named
    by LOS_KAFKA_CA_FILE. PostgreSQL: every URL verify-full against CloudNativePG's CA, and a
    connection without TLS rejected by the server."""
    kafka = next(of_kind(objects, "Kafka"))
    [listener] = kafka["spec"]["kafka"]["listeners"]
    assert listener["tls"] is True and listener["authentication"] == {"type": "scram-sha-512"}
    cluster = next(of_kind(objects, "Cluster"))
    assert cluster["spec"]["postgresql"]["pg_hba"][0] == "hostnossl all all all reject"
    kafka_ca = f"{kafka['metadata']['name']}-cluster-ca-cert"
    database_ca = f"{cluster['metadata']['name']}-ca"
    policy = next(p for p in of_kind(objects, "NetworkPolicy") if p["metadata"]["name"] == "los-workloads")
    kafka_ports = [r["ports"] for r in policy["spec"]["egress"] if "strimzi.io/cluster" in str(r.get("to"))]
    assert kafka_ports == [[{"protocol": "TCP", "port": listener["port"]}]]
    urls = 0
    for workload in [o for o in objects if o["kind"] in ("Deployment", "Job")]:
        pod = workload["spec"]["template"]["spec"]
        container = pod["containers"][0]
        env = {e["name"]: e.get("value") for e in container["env"]}
        mounts = {m["name"]: m["mountPath"] for m in container.get("volumeMounts", [])}
        volumes = {v["name"]: v for v in pod["volumes"]}

        def mounted_ca(secret: str, path: str, workload: dict[str, Any] = workload,
                       mounts: dict[str, str] = mounts, volumes: dict[str, Any] = volumes) -> None:
            name = next(n for n, v in volumes.items() if v.get("secret", {}).get("secretName") == secret)
            assert volumes[name]["secret"]["items"] == [{"key": "ca.crt", "path": "ca.crt"}], workload["metadata"]
            assert path == f"{mounts[name]}/ca.crt", workload["metadata"]["name"]

        if "LOS_KAFKA_BOOTSTRAP_SERVERS" in env:
            assert env["LOS_KAFKA_BOOTSTRAP_SERVERS"].endswith(f":{listener['port']}")
            mounted_ca(kafka_ca, env["LOS_KAFKA_CA_FILE"])
        for name, value in env.items():
            if value and value.startswith("postgresql://"):
                urls += 1
                query = parse_qs(urlsplit(value).query)
                assert query["sslmode"] == ["verify-full"], (workload["metadata"]["name"], name)
                mounted_ca(database_ca, query["sslrootcert"][0])
    assert urls >= len([s for s in load_services() if s.database_role and s.name != "adapters"]) + 2


def test_the_chart_runs_the_kafka_version_of_the_local_runner(objects: list[dict[str, Any]]) -> None:
    from deploy.local.kafka import kafka_version

    assert next(of_kind(objects, "Kafka"))["spec"]["kafka"]["version"] == kafka_version()


def test_the_database_has_a_role_per_service_and_the_owner_runs_the_migrations(objects: list[dict[str, Any]]) -> None:
    cluster = next(of_kind(objects, "Cluster"))
    roles = {r["name"]: r for r in cluster["spec"]["managed"]["roles"]}
    expected = {s.database_role: s.name for s in load_services() if s.database_role}
    assert {n for n, r in roles.items() if r["login"]} == set(expected)
    assert {n: r["passwordSecret"]["name"] for n, r in roles.items() if r["login"]} == \
        {role: f"los-db-{service}" for role, service in expected.items()}
    assert roles["los_app"]["login"] is False
    assert cluster["spec"]["bootstrap"]["initdb"]["owner"] == "los_owner"
    assert cluster["spec"]["enableSuperuserAccess"] is False
    jobs = {j["metadata"]["labels"]["los.se/job"]: j for j in of_kind(objects, "Job")}
    assert jobs["migrate"]["spec"]["template"]["spec"]["containers"][0]["command"] == \
        ["python", "-m", "deploy.local", "migrate"]


def test_every_service_serves_metrics_prometheus_may_scrape(objects: list[dict[str, Any]]) -> None:
    """On the pod's address (not its loopback), announced by annotations, let in by a policy."""
    deployments = list(of_kind(objects, "Deployment"))
    assert deployments
    for deployment in deployments:
        template = deployment["spec"]["template"]
        container = template["spec"]["containers"][0]
        env = {e["name"]: e.get("value") for e in container["env"]}
        assert env["LOS_METRICS_HOST"] == "0.0.0.0", deployment["metadata"]["name"]
        port = int(env["LOS_METRICS_PORT"])
        assert {"name": "metrics", "containerPort": port} in container["ports"]
        assert template["metadata"]["annotations"] == {
            "prometheus.io/scrape": "true", "prometheus.io/port": str(port), "prometheus.io/path": "/metrics"}
    policy = policy_named(objects, "los-metrics-ingress")
    assert policy["podSelector"]["matchLabels"]["los.se/workload"] == "true"
    [rule] = policy["ingress"]
    assert rule["ports"] == [{"protocol": "TCP", "port": port}] and "from" not in rule
    assert not any(o["kind"] == "ServiceMonitor" for o in objects), "off unless asked for"


def test_the_service_monitor_scrapes_every_service_and_is_valid(tools: Tools) -> None:
    """With `metrics.serviceMonitor.enabled` the chart adds a ServiceMonitor, valid against the
    Prometheus Operator's CRD, and a metrics Service per LOS service for it to find."""
    settings = {"metrics.serviceMonitor.enabled": "true", "metrics.serviceMonitor.labels.release": "prometheus",
                "metrics.allowFrom[0].namespaceSelector.matchLabels.name": "monitoring"}
    check.lint(tools, settings=settings)
    manifest = check.template(tools, settings=settings)
    for counts in check.validate(tools, manifest).values():
        assert counts["valid"] == len(check.objects(manifest)) and not counts["skipped"]
    docs = check.objects(manifest)
    [monitor] = of_kind(docs, "ServiceMonitor")
    assert monitor["metadata"]["labels"]["release"] == "prometheus"
    [endpoint] = monitor["spec"]["endpoints"]
    assert (endpoint["port"], endpoint["path"]) == ("metrics", "/metrics")
    selected = [s for s in of_kind(docs, "Service")
                if monitor["spec"]["selector"]["matchLabels"].items() <= s["metadata"]["labels"].items()]
    services = {d["metadata"]["labels"]["los.se/service"] for d in of_kind(docs, "Deployment")}
    assert {s["metadata"]["labels"]["los.se/service"] for s in selected} == services
    for service in selected:
        assert service["spec"]["ports"] == [{"name": "metrics", "port": 9100, "targetPort": "metrics"}]
    policy = policy_named(docs, "los-metrics-ingress")
    assert policy["ingress"][0]["from"] == [{"namespaceSelector": {"matchLabels": {"name": "monitoring"}}}]
