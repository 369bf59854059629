"""The tools and schemas the chart is checked with, installed once into the ignored cache
(`LOS_CACHE_DIR`, default `.cache`) from package registries only:

- helm and kubeconform: built from the Go module proxy (`go install`, pinned versions);
- Kubernetes' JSON schemas: the `kubernetes-validate` package (requirements.txt), for the
  oldest and the newest Kubernetes the chart supports;
- Strimzi's CRDs: the `crds/v1` that Strimzi's `io.strimzi:api` test jar on Maven Central
  carries (deploy/helm/strimzi-crds.xml pins the version);
- CloudNativePG's CRDs: `config/crd/bases` of its Go module (`go mod download`, pinned);
- the Prometheus Operator's `ServiceMonitor` CRD: `example/prometheus-operator-crd` of its Go
  module (pinned), for the chart's optional ServiceMonitor.

The CRDs' OpenAPI schemas become kubeconform's JSON schemas (`crd_json_schemas`). Everything is
keyed by version, so a second call only looks.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).parent
STRIMZI_POM = HERE / "strimzi-crds.xml"
HELM = ("helm.sh/helm/v4/cmd/helm", "v4.3.2")
KUBECONFORM = ("github.com/yannh/kubeconform/cmd/kubeconform", "v0.8.0")
CNPG = ("github.com/cloudnative-pg/cloudnative-pg", "v1.30.1")
# The CRDs of the kinds the chart renders
STRIMZI_CRDS = ("040-Crd-kafka.yaml", "043-Crd-kafkatopic.yaml", "044-Crd-kafkauser.yaml", "045-Crd-kafkanodepool.yaml")
CNPG_CRDS = ("postgresql.cnpg.io_clusters.yaml",)
PROMETHEUS_OPERATOR = ("github.com/prometheus-operator/prometheus-operator", "v0.85.0")
PROMETHEUS_OPERATOR_CRDS = ("monitoring.coreos.com_servicemonitors.yaml",)
# The oldest and the newest Kubernetes the chart is checked against (OpenShift 4.16 runs 1.29)
KUBERNETES_VERSIONS = ("1.29.0", "1.37.0")


class ToolError(RuntimeError):
    """A tool or schema could not be installed; the message says what to do."""


@dataclass(frozen=True)
class Tools:
    helm: Path
    kubeconform: Path
    crd_schemas: Path  # <group>/<kind>_<version>.json
    cache: Path  # where the Kubernetes schemas are made, as needed (`kubernetes_schemas`)


def _run(command: list[str], env: dict[str, str] | None = None, cwd: Path | None = None) -> str:
    result = subprocess.run(command, capture_output=True, text=True, env=env, cwd=cwd)
    if result.returncode != 0:
        raise ToolError(f"`{' '.join(command)}` failed:\n{(result.stdout + result.stderr)[-3000:]}")
    return result.stdout


def _go_env(cache: Path) -> dict[str, str]:
    if shutil.which("go") is None:
        raise ToolError("Go is required to build helm and kubeconform: install it (apt-get install golang)")
    return {**os.environ, "GOMODCACHE": str(cache / "go" / "mod"), "GOCACHE": str(cache / "go" / "build"),
            "GOFLAGS": "-modcacherw", "GOTOOLCHAIN": "local", "GO111MODULE": "on"}


def go_tool(cache: Path, package: str, version: str) -> Path:
    name = package.rsplit("/", 1)[-1]
    folder = cache / "tools" / f"{name}-{version}"
    binary = folder / name
    if not binary.exists():
        print(f"building {name} {version} from the Go module proxy (once) ...", flush=True)
        _run(["go", "install", f"{package}@{version}"], env={**_go_env(cache), "GOBIN": str(folder)}, cwd=cache)
    return binary


def strimzi_version() -> str:
    match = re.search(r"<strimzi\.version>([^<]+)</strimzi\.version>", STRIMZI_POM.read_text())
    if not match:
        raise ToolError(f"{STRIMZI_POM} has no <strimzi.version> property")
    return match.group(1)


def strimzi_crds(cache: Path) -> list[Path]:
    version = strimzi_version()
    folder = cache / "crds" / f"strimzi-{version}"
    if not (folder / ".complete").exists():
        mvn = shutil.which("mvn")
        if mvn is None:
            raise ToolError("Maven is required to fetch Strimzi's CRDs: install it (apt-get install maven)")
        jars = folder / "jars"
        _run([mvn, "-B", "-q", "-f", str(STRIMZI_POM), "dependency:copy-dependencies",
              f"-DoutputDirectory={jars}", "-DexcludeTransitive=true"])
        with zipfile.ZipFile(jars / f"api-{version}-tests.jar") as jar:
            for name in STRIMZI_CRDS:
                (folder / name).write_bytes(jar.read(f"crds/v1/{name}"))
        shutil.rmtree(jars)
        (folder / ".complete").write_text(version)
    return [folder / name for name in STRIMZI_CRDS]


def _go_module_crds(cache: Path, module: str, version: str, name: str, folder_in_module: str,
                    files: tuple[str, ...]) -> list[Path]:
    folder = cache / "crds" / f"{name}-{version}"
    if not (folder / ".complete").exists():
        print(f"fetching {name} {version}'s CRDs from the Go module proxy (once) ...", flush=True)
        found = json.loads(_run(["go", "mod", "download", "-json", f"{module}@{version}"], env=_go_env(cache),
                                cwd=cache))
        folder.mkdir(parents=True, exist_ok=True)
        for file in files:
            shutil.copyfile(Path(found["Dir"]) / folder_in_module / file, folder / file)
        (folder / ".complete").write_text(version)
    return [folder / file for file in files]


def cnpg_crds(cache: Path) -> list[Path]:
    return _go_module_crds(cache, *CNPG, "cloudnative-pg", "config/crd/bases", CNPG_CRDS)


def prometheus_operator_crds(cache: Path) -> list[Path]:
    return _go_module_crds(cache, *PROMETHEUS_OPERATOR, "prometheus-operator", "example/prometheus-operator-crd",
                           PROMETHEUS_OPERATOR_CRDS)


def _strict(schema: Any) -> Any:
    """Every object with declared properties takes no others (kubeconform's strict mode for
    Kubernetes' own schemas), unless the CRD keeps unknown fields."""
    if isinstance(schema, dict):
        schema = {k: _strict(v) for k, v in schema.items()}
        if ("properties" in schema and "additionalProperties" not in schema
                and not schema.get("x-kubernetes-preserve-unknown-fields")):
            schema["additionalProperties"] = False
        return schema
    if isinstance(schema, list):
        return [_strict(v) for v in schema]
    return schema


def crd_json_schemas(crd: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(`<group>/<kind>_<version>.json`, JSON schema) for each served version of a CRD."""
    group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"].lower()
    for version in crd["spec"]["versions"]:
        if version.get("served", True):
            schema = _strict(version["schema"]["openAPIV3Schema"])
            yield f"{group}/{kind}_{version['name']}.json", schema


def crd_schema_folder(cache: Path) -> Path:
    version = f"strimzi-{strimzi_version()}-cloudnative-pg-{CNPG[1]}-prometheus-operator-{PROMETHEUS_OPERATOR[1]}"
    folder = cache / "crds" / "json" / version
    if not (folder / ".complete").exists():
        for path in [*strimzi_crds(cache), *cnpg_crds(cache), *prometheus_operator_crds(cache)]:
            for crd in yaml.safe_load_all(path.read_text()):
                for name, schema in crd_json_schemas(crd):
                    (folder / name).parent.mkdir(parents=True, exist_ok=True)
                    (folder / name).write_text(json.dumps(schema))
        (folder / ".complete").write_text(version)
    return folder


def _inline(schema: Any, definitions: dict[str, Any], seen: tuple[str, ...] = ()) -> Any:
    """`schema` with every `$ref` to the shared definitions replaced by the definition (a
    recursive one, which only the CRD kind's own schema has, by an empty schema)."""
    if isinstance(schema, dict):
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            return {} if name in seen else _inline(definitions[name], definitions, (*seen, name))
        return {k: _inline(v, definitions, seen) for k, v in schema.items() if k != "$schema"}
    if isinstance(schema, list):
        return [_inline(v, definitions, seen) for v in schema]
    return schema


def kubernetes_schemas(cache: Path, files: set[str]) -> dict[str, Path]:
    """Standalone, strict schemas of the given files (kubeconform's names, `deployment-apps-v1.json`)
    for each Kubernetes version, made once from the `kubernetes-validate` package's: its schemas
    refer to shared definitions its own resolver finds, kubeconform wants them inline."""
    import kubernetes_validate

    root = Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema"
    folders = {}
    for version in KUBERNETES_VERSIONS:
        source = root / f"v{version}-local-strict"
        if not source.is_dir():
            raise ToolError(f"kubernetes-validate lacks {source.name}: `make venv` installs the pinned version")
        folder = cache / "kubernetes-schemas" / f"v{version}-standalone-strict"
        missing = [f for f in sorted(files) if not (folder / f).exists() and (source / f).exists()]
        if missing:
            folder.mkdir(parents=True, exist_ok=True)
            definitions = json.loads((source / "_definitions.json").read_text())["$defs"]
            for name in missing:
                schema = _inline(json.loads((source / name).read_text()), definitions)
                (folder / f"{name}.tmp").write_text(json.dumps(schema))
                (folder / f"{name}.tmp").replace(folder / name)
        folders[version] = folder
    return folders


def ensure_tools(cache: Path) -> Tools:
    cache.mkdir(parents=True, exist_ok=True)
    return Tools(helm=go_tool(cache, *HELM), kubeconform=go_tool(cache, *KUBECONFORM),
                 crd_schemas=crd_schema_folder(cache), cache=cache)
