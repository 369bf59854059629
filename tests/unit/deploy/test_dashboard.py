"""The operators' view: the Grafana dashboard (deploy/grafana/los.json) queries only metrics the
services define, each listed in docs/observability.md, and covers lag, throughput, rejections,
disclosures and denials, and the audit log; compose's Prometheus scrapes every service."""

from __future__ import annotations

import importlib
import json
import re
from typing import Any

import pytest
import yaml
from prometheus_client import REGISTRY, CollectorRegistry
from prometheus_client.registry import Collector

from deploy.local.stack import REPO, load_services

DASHBOARD = json.loads((REPO / "deploy" / "grafana" / "los.json").read_text())
DOCS = (REPO / "docs" / "observability.md").read_text()
# every module that defines metrics at import (the processes import them the same way)
METRIC_MODULES = ("services.coordinator.metrics", "services.disclosure.metrics", "services.audit.metrics",
                  "services.common.lag", "services.adapters.sdk.metrics", "services.pseudonyms.app")
SUFFIXES = {"counter": ("_total",), "gauge": ("",), "histogram": ("_bucket", "_count", "_sum"),
            "summary": ("_count", "_sum", "")}
PROMQL_WORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "offset",
                "bool"}


def _series(registry: CollectorRegistry | Collector) -> set[str]:
    return {family.name + suffix for family in registry.collect() for suffix in SUFFIXES[family.type]
            if family.name.startswith("los_")}


def defined_metrics() -> set[str]:
    """The series names the services' processes serve: their own and FastStream's (prefix `los`)."""
    from faststream.kafka.prometheus import KafkaPrometheusMiddleware

    for module in METRIC_MODULES:
        importlib.import_module(module)
    faststream = CollectorRegistry()
    KafkaPrometheusMiddleware(registry=faststream, app_name="los", metrics_prefix="los")
    return _series(REGISTRY) | _series(faststream)


def documented_metrics() -> set[str]:
    """The names in the first column of the table under "## Metrics"."""
    section = DOCS.split("## Metrics", 1)[1].split("\n## ", 1)[0]
    return {name for line in section.splitlines() if line.startswith("| `")
            for name in re.findall(r"`(los_[a-z_]+)`", line.split("|")[1])}


def panels() -> list[dict[str, Any]]:
    return [p for p in DASHBOARD["panels"] if p["type"] != "row"]


def metrics_of(expr: str) -> set[str]:
    """The metric names a PromQL expression reads: identifiers that are no function, keyword,
    label name or label value."""
    bare = re.sub(r'"[^"]*"', "", expr)
    bare = re.sub(r"\{[^}]*\}|\[[^\]]*\]", "", bare)
    bare = re.sub(r"\b(by|without|on|ignoring)\s*\([^)]*\)", "", bare)
    found = re.findall(r"\b([a-zA-Z_:][a-zA-Z0-9_:]*)\b(?!\s*\()", bare)
    return {name for name in found if name not in PROMQL_WORDS}


def queries() -> list[tuple[dict[str, Any], str]]:
    return [(panel, target["expr"]) for panel in panels() for target in panel["targets"]]


def test_the_dashboard_is_importable_grafana_json() -> None:
    assert DASHBOARD["uid"] and DASHBOARD["title"] and DASHBOARD["schemaVersion"] >= 36
    [source] = DASHBOARD["__inputs"]
    assert (source["type"], source["pluginId"]) == ("datasource", "prometheus")
    ids = [p["id"] for p in DASHBOARD["panels"]]
    assert len(ids) == len(set(ids)), "panel ids are unique"
    for panel in panels():
        assert panel["datasource"]["uid"] == "${" + source["name"] + "}", panel["title"]
        assert panel["targets"] and all(t["expr"].strip() for t in panel["targets"]), panel["title"]
        ref_ids = [t["refId"] for t in panel["targets"]]
        assert len(ref_ids) == len(set(ref_ids)), panel["title"]
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24 and grid["h"] > 0, panel["title"]


def test_the_expression_parser_finds_metrics_not_labels_or_functions() -> None:
    assert metrics_of('sum by (recipient) (increase(los_x_total{outcome="withheld"}[1h])) / sum(los_y)') == \
        {"los_x_total", "los_y"}


def test_every_metric_the_dashboard_reads_is_defined_and_documented() -> None:
    defined, documented = defined_metrics(), documented_metrics()
    used = {name for _, expr in queries() for name in metrics_of(expr)}
    assert used, "the dashboard reads no metric"
    assert used <= defined, f"not defined by any service: {sorted(used - defined)}"
    assert used <= documented, f"not in docs/observability.md's table: {sorted(used - documented)}"


def test_the_docs_list_every_metric_of_the_services_own() -> None:
    """FastStream's are summed up in one row; every metric of LOS's own code has its name there."""
    faststream = CollectorRegistry()
    from faststream.kafka.prometheus import KafkaPrometheusMiddleware

    KafkaPrometheusMiddleware(registry=faststream, app_name="los", metrics_prefix="los")
    own = defined_metrics() - _series(faststream)
    assert own - documented_metrics() == set()


SUBJECTS: dict[str, dict[str, set[str]]] = {
    # subject: metric -> the labels some query of the subject's panels groups it by
    "consumer lag": {"los_consumer_lag": {"service", "topic"}},
    "throughput": {"los_coordinator_events_accepted_total": set(), "los_published_messages_total": set()},
    "rejections": {"los_coordinator_events_rejected_total": {"reason"}},
    "disclosures and denials": {"los_disclosure_decisions_total": {"recipient", "outcome"}},
    "audit": {"los_audit_entries_written_total": {"kind"}, "los_audit_checkpoints_written_total": set(),
              "los_audit_last_checkpoint_seq": set()},
}


@pytest.mark.parametrize("subject", sorted(SUBJECTS))
def test_the_panels_cover_each_subject(subject: str) -> None:
    for metric, labels in SUBJECTS[subject].items():
        reading = [expr for _, expr in queries() if metric in metrics_of(expr)]
        assert reading, f"no panel shows {metric} ({subject})"
        grouped = {label for expr in reading for group in re.findall(r"\bby\s*\(([^)]*)\)", expr)
                   for label in re.split(r"\s*,\s*", group.strip())}
        assert labels <= grouped, f"{metric} is never broken down by {sorted(labels - grouped)}"


def test_composes_prometheus_scrapes_every_service_where_it_serves_metrics() -> None:
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    config = yaml.safe_load((REPO / "deploy" / "prometheus" / "prometheus.yml").read_text())
    mounted = compose["services"]["prometheus"]["volumes"]
    assert "./deploy/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro" in mounted
    targets = {target for job in config["scrape_configs"] for group in job["static_configs"]
               for target in group["targets"]}
    expected = set()
    for spec in load_services():
        env = compose["services"][spec.name]["environment"]
        assert env["LOS_METRICS_HOST"] == "0.0.0.0", f"{spec.name} serves its metrics on its loopback only"
        expected.add(f"{spec.name}:{env['LOS_METRICS_PORT']}")
        assert "ports" not in compose["services"][spec.name] or all(
            str(env["LOS_METRICS_PORT"]) not in str(port) for port in compose["services"][spec.name]["ports"]), \
            "metrics stay on the compose network"
    assert targets == expected
