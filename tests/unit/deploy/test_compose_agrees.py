"""docker-compose.yml and the local runner must run the same system: same services, same
environment variable names, topics from the same list. No Docker engine runs where the
tests run, so this is checked on the files."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import yaml

from deploy.access import SUPER_USERS
from deploy.local.kafka import KafkaCluster, KafkaNode
from deploy.local.stack import REPO, LocalStack, load_services
from deploy.topics import load_topics

COMPOSE = yaml.safe_load((REPO / "docker-compose.yml").read_text())
LOCAL_SERVICES = {s.name: s for s in load_services()}


def test_every_local_service_is_in_compose_with_the_same_module() -> None:
    for name, spec in LOCAL_SERVICES.items():
        assert name in COMPOSE["services"], f"compose lacks service {name}"
        assert COMPOSE["services"][name]["command"] == ["python", "-m", spec.module]


def test_compose_runs_no_service_the_local_runner_does_not() -> None:
    infrastructure = {"kafka-format", "kafka", "kafka-access", "postgres", "migrate", "topics", "keys",
                      "otel-collector", "prometheus"}
    assert set(COMPOSE["services"]) - infrastructure == set(LOCAL_SERVICES)


def test_services_read_the_same_variable_names_in_both() -> None:
    for name, spec in LOCAL_SERVICES.items():
        compose_env = set(COMPOSE["services"][name]["environment"])
        assert compose_env == set(spec.env), f"{name}: compose and deploy/services.yaml differ"


def test_the_local_runner_provides_every_infrastructure_variable_services_read() -> None:
    source = (REPO / "deploy" / "local" / "stack.py").read_text()
    optional = {"LOS_OTEL_EXPORTER", "OTEL_EXPORTER_OTLP_ENDPOINT"}
    for spec in LOCAL_SERVICES.values():
        for variable in set(spec.env) - optional:
            if variable.startswith(("LOS_KAFKA", "LOS_DATABASE", "LOS_KEYS", "LOS_PSEUDONYM", "LOS_ADAPTER",
                                    "LOS_OPRF", "LOS_EGRESS", "LOS_AUDIT_DIGEST",
                                    "LOS_CONSOLE_PORT", "LOS_CONSOLE_DEV_IDP")):
                assert f'"{variable}"' in source, f"local runner does not set {variable}"


def test_compose_creates_topics_from_the_same_declarative_list() -> None:
    command = COMPOSE["services"]["topics"]["command"]
    assert command[:4] == ["python", "-m", "deploy.local", "topics"]
    kafka_env = COMPOSE["services"]["kafka"]["environment"]
    assert kafka_env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    assert load_topics(), "the topic list is empty"


def test_compose_kafka_image_matches_the_pinned_local_version() -> None:
    pom = (REPO / "deploy" / "local" / "pom.xml").read_text()
    version = COMPOSE["services"]["kafka"]["image"].split(":")[1]
    assert f"<kafka.version>{version}</kafka.version>" in pom


def test_compose_publishes_ports_on_loopback_only() -> None:
    for name, service in COMPOSE["services"].items():
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), f"{name} publishes {port} beyond loopback"


def test_dockerfile_copies_every_top_level_package() -> None:
    dockerfile = (REPO / "deploy" / "docker" / "Dockerfile").read_text()
    for package in ("schemas", "services", "deploy"):
        assert f"COPY {package} {package}" in dockerfile
    assert Path(REPO / "requirements.txt").exists()


# --- Kafka authentication and authorisation ------------------------------------------------
def _property(variable: str) -> str:
    """The property an apache/kafka image variable becomes: _ is ., __ is _, ___ is -."""
    name = variable.removeprefix("KAFKA_").replace("___", "-").replace("__", "\0").replace("_", ".")
    return name.replace("\0", "_").lower()


SECURITY_PROPERTIES = ("listener.security.protocol.map", "inter.broker.listener.name", "controller.listener.names",
                       "sasl.enabled.mechanisms", "sasl.mechanism.inter.broker.protocol",
                       "sasl.mechanism.controller.protocol", "listener.name.controller.sasl.enabled.mechanisms",
                       "authorizer.class.name", "allow.everyone.if.no.acl.found", "super.users",
                       "ssl.keystore.type", "ssl.truststore.type", "ssl.endpoint.identification.algorithm",
                       "ssl.enabled.protocols")


def test_compose_secures_kafka_as_the_local_runner_does(tmp_path: Path) -> None:
    compose = {_property(k): str(v) for k, v in COMPOSE["services"]["kafka"]["environment"].items()
               if k.startswith("KAFKA_")}
    node = KafkaNode(1, 9092, 9093)
    local = {k: str(v) for k, v in KafkaCluster(tmp_path, tmp_path).node_properties(
        node, [node], admin_password="a", controller_password="c").items()}
    for name in SECURITY_PROPERTIES:
        assert compose.get(name) == local[name], name
    assert local["allow.everyone.if.no.acl.found"] == "false"
    assert local["super.users"] == SUPER_USERS
    assert "java.security.auth.login.config=/run/secrets/kafka-jaas" in \
        COMPOSE["services"]["kafka"]["environment"]["KAFKA_OPTS"]
    assert set(local["listener.security.protocol.map"].replace(",", ":").split(":")[1::2]) == {"SASL_SSL"}


# --- TLS -----------------------------------------------------------------------------------
CA = "/run/secrets/tls-ca"


def _mounted(service: dict[str, Any], path: str) -> bool:
    return path.removeprefix("/run/secrets/") in service.get("secrets", [])


def test_compose_kafka_serves_tls_from_mounted_files() -> None:
    for name in ("kafka", "kafka-format"):
        service = COMPOSE["services"][name]
        text = str(service)
        for path in ("/run/secrets/tls-kafka-keystore", CA):
            assert path in text and _mounted(service, path), (name, path)
    env = COMPOSE["services"]["kafka"]["environment"]
    assert "SSL" not in env["KAFKA_ADVERTISED_LISTENERS"].split("://")[0]  # see the comment in compose
    assert "SASL_SSL" in COMPOSE["services"]["kafka-format"]["command"][0]


def test_every_kafka_client_in_compose_trusts_the_mounted_ca() -> None:
    clients = [n for n, s in COMPOSE["services"].items()
               if "LOS_KAFKA_BOOTSTRAP_SERVERS" in s.get("environment", {}) or "kafka:9092" in str(s.get("command"))]
    kafka_services = [n for n, spec in LOCAL_SERVICES.items() if spec.kafka_principal]
    assert {"topics", "kafka-access", *kafka_services} <= set(clients)
    for name in clients:
        service = COMPOSE["services"][name]
        assert service["environment"].get("LOS_KAFKA_CA_FILE") == CA, name
        assert _mounted(service, CA), name


def test_every_database_url_in_compose_verifies_the_server() -> None:
    urls = [(n, k, v) for n, s in COMPOSE["services"].items() for k, v in s.get("environment", {}).items()
            if str(v).startswith("postgresql://")]
    assert {n for n, _, _ in urls} >= {"migrate", "keys", *[n for n, spec in LOCAL_SERVICES.items()
                                                            if spec.database_role]}
    for name, variable, url in urls:
        query = parse_qs(urlsplit(url).query)
        assert query == {"sslmode": ["verify-full"], "sslrootcert": [CA]}, (name, variable)
        assert _mounted(COMPOSE["services"][name], CA), name


def test_compose_postgres_takes_tcp_connections_over_tls_only() -> None:
    service = COMPOSE["services"]["postgres"]
    command = service["command"][0]
    assert "-c ssl=on" in command and "-c hba_file=/etc/los/pg_hba.conf" in command
    assert "./deploy/docker/pg_hba.conf:/etc/los/pg_hba.conf:ro" in service["volumes"]
    lines = [line.split() for line in (REPO / "deploy" / "docker" / "pg_hba.conf").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    assert {line[0] for line in lines} == {"local", "hostssl", "hostnossl"}
    assert [line[-1] for line in lines if line[0] == "hostnossl"] == ["reject"]


def test_the_ca_key_is_never_mounted(tmp_path: Path) -> None:
    from deploy.access import write_compose_secrets

    write_compose_secrets(tmp_path / ".state" / "compose")
    files = {secret["file"] for secret in COMPOSE["secrets"].values()}
    assert "./.state/compose/tls/ca.key" not in files
    assert (tmp_path / ".state" / "compose" / "tls" / "ca.key").stat().st_mode & 0o077 == 0


def test_compose_formats_the_admin_login_and_applies_the_derived_acls() -> None:
    assert "--add-scram" in COMPOSE["services"]["kafka-format"]["command"][0]
    assert COMPOSE["services"]["kafka"]["depends_on"]["kafka-format"]["condition"] == \
        "service_completed_successfully"
    assert COMPOSE["services"]["kafka-access"]["command"][:4] == ["python", "-m", "deploy.local", "access"]
    for name in LOCAL_SERVICES:
        assert COMPOSE["services"][name]["depends_on"]["kafka-access"]["condition"] == \
            "service_completed_successfully", name


def test_every_service_logs_in_as_its_own_principal_in_both(tmp_path: Path) -> None:
    stack = LocalStack(tmp_path)
    for name, spec in LOCAL_SERVICES.items():
        service = COMPOSE["services"][name]
        if name == "pseudonyms":  # no Kafka at all
            assert spec.kafka_principal is None and not any(s.startswith("kafka-") for s in service["secrets"])
            assert "LOS_KAFKA_CREDENTIALS_FILE" not in service["environment"]
            continue
        assert spec.kafka_principal, f"{name} has no Kafka principal in deploy/services.yaml"
        env, local = service["environment"], stack.service_env(spec)
        single = "{agency}" not in spec.kafka_principal
        assert env.get("LOS_KAFKA_USERNAME") == (spec.kafka_principal if single else None), name
        assert local["LOS_KAFKA_USERNAME"] == (spec.kafka_principal if single else ""), name
        secret = f"kafka-{name}"
        assert env["LOS_KAFKA_CREDENTIALS_FILE"] == f"/run/secrets/{secret}", name
        kafka_secrets = [s for s in service["secrets"] if s.startswith("kafka-")]
        assert kafka_secrets == [secret], f"{name} must see its own Kafka password only"
        assert COMPOSE["secrets"][secret]["file"] == f"./.state/compose/kafka/services/{name}.json"
        assert local["LOS_KAFKA_CREDENTIALS_FILE"] == str(stack.service_credentials_file(name))


def test_the_compose_secret_files_are_the_ones_compose_secrets_writes(tmp_path: Path) -> None:
    from deploy.access import write_compose_secrets

    folder = write_compose_secrets(tmp_path / ".state" / "compose")
    for secret in COMPOSE["secrets"].values():
        assert (tmp_path / secret["file"]).exists(), secret["file"]
    assert folder.stat().st_mode & 0o077 == 0, "the secrets folder is its owner's only"


def test_each_secret_key_reaches_only_the_services_that_hold_it(tmp_path: Path) -> None:
    """The OPRF key: the pseudonym service alone; the egress key and the audit digest key:
    disclosure and console (the services whose audit entries carry digests); the adapters
    none, in compose and in the local runner."""
    holders = {"oprf-key": {"pseudonyms"}, "egress-pseudonym-key": {"disclosure", "console"},
               "audit-digest-key": {"disclosure", "console"}}
    variables = {"oprf-key": "LOS_OPRF_KEY_FILE", "egress-pseudonym-key": "LOS_EGRESS_PSEUDONYM_KEY_FILE",
                 "audit-digest-key": "LOS_AUDIT_DIGEST_KEY_FILE"}
    for secret, services in holders.items():
        mounted = {n for n, s in COMPOSE["services"].items() if secret in s.get("secrets", [])}
        assert mounted == services, secret
        declared = {n for n, spec in LOCAL_SERVICES.items() if variables[secret] in spec.env}
        assert declared == services, secret
    adapters = COMPOSE["services"]["adapters"]
    assert not set(holders) & set(adapters["secrets"])
    assert not [v for v in adapters["environment"]
                if v.startswith(("LOS_OPRF", "LOS_EGRESS", "LOS_LEGACY", "LOS_AUDIT_DIGEST"))]
    assert adapters["environment"]["LOS_PSEUDONYM_URL"] == "http://pseudonyms:8090"
    assert "ports" not in COMPOSE["services"]["pseudonyms"]
    stack, env = LocalStack(tmp_path), {v: f"/keys/{k}" for k, v in variables.items()}
    stack.database_env = lambda service: {}  # type: ignore[method-assign]  # no database here
    for name, spec in LOCAL_SERVICES.items():
        given = set(stack.process_env(spec, {**env, "LOS_PSEUDONYM_URL": "http://127.0.0.1:1"}))
        assert given & set(variables.values()) == {v for s, v in variables.items() if name in holders[s]}, name
