"""No service makes or registers a signing key on the fly: only the administrative code
(`services/keys`, `python -m services.keys`) generates key pairs, writes private keys or
changes the key registry. The helpers that do so in one folder serve tests only."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from deploy.local.stack import REPO

MAKES_KEYS = {"create_key", "ensure_agency_key", "write_private_key", "save_registry"}
SERVICES = sorted(p for p in (REPO / "services").rglob("*.py")
                  if p.relative_to(REPO / "services").parts[0] != "keys"  # the administrative code
                  and p != REPO / "services" / "common" / "keys.py")  # where the helpers are defined


def _offences(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module == "services.common.keys":
            found += [a.name for a in node.names if a.name in MAKES_KEYS]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("services.keys"):
            found.append(node.module or "")
        elif isinstance(node, ast.Attribute) and node.attr == "generate" and \
                isinstance(node.value, ast.Name) and node.value.id == "Ed25519PrivateKey":
            found.append("Ed25519PrivateKey.generate")
    return found


@pytest.mark.parametrize("path", SERVICES, ids=lambda p: str(p.relative_to(REPO)))
def test_a_service_neither_makes_nor_registers_keys(path: Path) -> None:
    assert not _offences(path), f"{path.name} makes or registers keys: {_offences(path)}"


def test_the_check_sees_the_services_and_would_catch_an_offence(tmp_path: Path) -> None:
    assert REPO / "services" / "console" / "publisher.py" in SERVICES
    assert REPO / "services" / "adapters" / "gateway.py" in SERVICES
    offender = tmp_path / "offender.py"
    offender.write_text("from services.common.keys import ensure_agency_key\n"
                        "key = Ed25519PrivateKey.generate()\n", encoding="utf-8")
    assert _offences(offender) == ["ensure_agency_key", "Ed25519PrivateKey.generate"]
