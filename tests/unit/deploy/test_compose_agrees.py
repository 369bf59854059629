"""docker-compose.yml and the local runner must run the same system: same services, same
environment variable names, topics from the same list. No Docker engine runs where the
tests run, so this is checked on the files."""

from __future__ import annotations

from pathlib import Path

import yaml

from deploy.local.stack import REPO, load_services
from deploy.topics import load_topics

COMPOSE = yaml.safe_load((REPO / "docker-compose.yml").read_text())
LOCAL_SERVICES = {s.name: s for s in load_services()}


def test_every_local_service_is_in_compose_with_the_same_module() -> None:
    for name, spec in LOCAL_SERVICES.items():
        assert name in COMPOSE["services"], f"compose lacks service {name}"
        assert COMPOSE["services"][name]["command"] == ["python", "-m", spec.module]


def test_compose_runs_no_service_the_local_runner_does_not() -> None:
    infrastructure = {"kafka", "postgres", "topics", "otel-collector"}
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
