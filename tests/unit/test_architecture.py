"""The pure cores import no I/O library: correlation, disclosure decisions, audit hashing
and the contracts can be reasoned about and tested without a broker or a database."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from deploy.local.stack import REPO

IO_LIBRARIES = ("asyncpg", "aiokafka", "faststream", "opentelemetry", "httpx", "fastapi", "starlette",
                "socket", "sqlite3", "subprocess", "requests", "uvicorn")
PURE = [
    *sorted((REPO / "services" / "coordinator" / "domain").glob("*.py")),
    *(REPO / "services" / "disclosure" / f"{m}.py" for m in ("policy", "decide", "enforce", "requests", "pseudonyms",
                                                                   "collaboration", "delegations")),
    REPO / "services" / "audit" / "chain.py",
    REPO / "services" / "audit" / "digests.py",
    REPO / "services" / "console" / "signals.py",
    REPO / "services" / "common" / "oprf.py",
    # the contracts (deploy/contracts.py writes their artefacts to disk)
    *sorted((REPO / "schemas").glob("*.py")),
]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def _project_closure(path: Path, seen: set[Path]) -> set[str]:
    """Every module imported from `path`, following the project's own modules."""
    if path in seen:
        return set()
    seen.add(path)
    found = _imports(path)
    for name in list(found):
        if name.split(".")[0] in ("schemas", "services"):
            target = REPO / Path(*name.split("."))
            module = target.with_suffix(".py") if target.with_suffix(".py").exists() else target / "__init__.py"
            if module.exists():
                found |= _project_closure(module, seen)
    return found


@pytest.mark.parametrize("path", PURE, ids=lambda p: str(p.relative_to(REPO)))
def test_a_pure_core_module_reaches_no_io_library(path: Path) -> None:
    reached = _project_closure(path, set())
    offending = sorted(n for n in reached if n.split(".")[0] in IO_LIBRARIES)
    assert not offending, f"{path.name} reaches I/O libraries: {offending}"
