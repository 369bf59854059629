"""Render the chart and check it: `helm lint --strict`, `helm template`, then kubeconform
against Kubernetes' schemas and the Strimzi and CloudNativePG CRDs, every object, strictly
(an object of a kind without a schema fails)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import yaml

from deploy.helm.platform import CHART
from deploy.helm.tools import ToolError, Tools, kubernetes_schemas

RELEASE, NAMESPACE = "los", "los"


class ChartError(RuntimeError):
    """helm or kubeconform found the chart wrong; the message holds their report."""


def _run(command: list[str]) -> str:
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise ChartError(f"`{' '.join(command[:3])} ...` failed:\n{(result.stdout + result.stderr)[-6000:]}")
    return result.stdout


def _values(values: list[Path] | None, settings: dict[str, str] | None) -> list[str]:
    args = [arg for v in values or [] for arg in ("--values", str(v))]
    return args + [arg for k, v in (settings or {}).items() for arg in ("--set", f"{k}={v}")]


def lint(tools: Tools, values: list[Path] | None = None, settings: dict[str, str] | None = None) -> str:
    return _run([str(tools.helm), "lint", "--strict", str(CHART), *_values(values, settings)])


def template(tools: Tools, values: list[Path] | None = None, settings: dict[str, str] | None = None) -> str:
    return _run([str(tools.helm), "template", RELEASE, str(CHART), "--namespace", NAMESPACE,
                 *_values(values, settings)])


def objects(manifest: str) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(manifest) if doc]


def validate(tools: Tools, manifest: str) -> dict[str, Any]:
    """kubeconform's summary of `manifest`, checked against every Kubernetes version of `tools`."""
    summary: dict[str, Any] = {}
    files = set()
    for obj in objects(manifest):
        group, _, version = obj["apiVersion"].rpartition("/")
        files.add("-".join(p for p in (obj["kind"].lower(), group.split(".")[0], version) if p) + ".json")
    for version, folder in kubernetes_schemas(tools.cache, files).items():
        command = [str(tools.kubeconform), "-strict", "-summary", "-output", "json", "-kubernetes-version", version,
                   "-schema-location", f"file://{folder}/{{{{ .ResourceKind }}}}{{{{ .KindSuffix }}}}.json",
                   "-schema-location", f"file://{tools.crd_schemas}/{{{{ .Group }}}}/{{{{ .ResourceKind }}}}_"
                                       "{{ .ResourceAPIVersion }}.json", "-"]
        result = subprocess.run(command, input=manifest, capture_output=True, text=True)
        try:
            report = json.loads(result.stdout)
        except ValueError as error:
            raise ToolError(f"kubeconform said: {result.stdout[-2000:]}{result.stderr[-2000:]}") from error
        failed = [r for r in report.get("resources", []) if r.get("status") != "statusValid"]
        if result.returncode != 0 or failed:
            raise ChartError(f"kubeconform (Kubernetes {version}) rejected the chart:\n"
                             + "\n".join(f"{r.get('kind')}/{r.get('name')}: {r.get('status')} {r.get('msg')}"
                                         for r in failed))
        summary[version] = report["summary"]
    return summary
