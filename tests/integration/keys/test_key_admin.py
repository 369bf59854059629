"""`python -m services.keys` on the real database: each registration, rotation and revocation
is an administrative act with its audit entry, the private half goes to its holder's folder
only, and a refused act changes nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import asyncpg
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from deploy.local.stack import REPO
from services.audit import review
from services.audit.server import MIGRATIONS as AUDIT_MIGRATIONS
from services.common.keys import load_registry
from services.common.migrate import migrate
from tests.conftest import Database

pytestmark = pytest.mark.integration


def keys_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "services.keys", *args], cwd=REPO, env={**os.environ, **env},
                          capture_output=True, text=True, timeout=60, check=False)


def said(result: subprocess.CompletedProcess[str]) -> str:
    """What the command told its user, without the terminal's line breaks."""
    return " ".join(result.stderr.split())


def files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*.pem"))


async def audit_entries(database: Database) -> list[dict]:
    conn = await asyncpg.connect(database.app_url)
    try:
        return [json.loads(r["entry"]) for r in await conn.fetch("SELECT entry::text FROM audit_log ORDER BY seq")]
    finally:
        await conn.close()


async def test_keys_are_registered_rotated_and_revoked_as_audited_acts(database: Database, tmp_path: Path) -> None:
    await migrate(database.owner_url, AUDIT_MIGRATIONS, component="audit")
    env = {"LOS_DATABASE_URL": database.app_url, "LOS_KEYS_DIR": str(tmp_path / "registry"),
           "LOS_CONSOLE_KEYS_DIR": str(tmp_path / "console"), "LOS_ADAPTER_KEYS_DIR": str(tmp_path / "adapters"),
           "LOS_AUDIT_KEYS_DIR": str(tmp_path / "audit")}
    for command in ([], ["register"], ["rotate"], ["revoke"], ["list"]):
        shown = keys_cli(env, *command, "--help")
        assert shown.returncode == 0 and "Usage" in shown.stdout, shown

    made = keys_cli(env, "register", "--agency", "police", "--kind", "console", "--by", "Admin Adminsson")
    assert made.returncode == 0, made.stderr
    [console_key] = list(load_registry(tmp_path / "registry"))
    assert (console_key.agency, console_key.kind) == ("POLICE", "console")
    assert files(tmp_path) == [f"console/private/{console_key.key_id}.pem"], "the console's folder, nothing else"
    assert (tmp_path / "console" / "private").stat().st_mode & 0o077 == 0

    assert keys_cli(env, "register", "--agency", "TAX").returncode == 0  # an adapter key, the default kind
    assert keys_cli(env, "register", "--kind", "checkpoint").returncode == 0  # the audit server's
    first_tax = next(k for k in load_registry(tmp_path / "registry") if k.agency == "TAX")
    rotated = keys_cli(env, "rotate", "--agency", "TAX")
    assert rotated.returncode == 0 and f"retired {first_tax.key_id}" in said(rotated), rotated.stderr
    public, theirs = tmp_path / "tax.pub", Ed25519PrivateKey.generate().public_key()  # made on the agency's machine
    public.write_bytes(theirs.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    brought = keys_cli(env, "register", "--agency", "TAX", "--public-key", str(public))
    assert brought.returncode == 0 and "the holder keeps its own" in said(brought), brought.stderr

    registry = {k.key_id: k for k in load_registry(tmp_path / "registry")}
    tax = sorted((k for k in registry.values() if k.agency == "TAX"), key=lambda k: k.key_id)
    assert len(tax) == 3 and registry[first_tax.key_id].not_after is not None, "the rotated key's window closed"
    checkpoint = next(k for k in registry.values() if k.kind == "checkpoint")
    assert checkpoint.agency == "COORDINATOR"
    made_here = [k.key_id for k in tax
                 if k.public_key != theirs.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)]
    assert len(made_here) == 2, "the brought public key has no private half here"
    assert files(tmp_path) == sorted([f"console/private/{console_key.key_id}.pem",
                                      f"audit/private/{checkpoint.key_id}.pem",
                                      *(f"adapters/tax/private/{key_id}.pem" for key_id in made_here)])

    revoked = keys_cli(env, "revoke", console_key.key_id, "--reason", "Misstänkt röjd", "--by", "Admin Adminsson")
    assert revoked.returncode == 0, revoked.stderr
    after = load_registry(tmp_path / "registry").get(console_key.key_id)
    assert after is not None and after.revoked_at is not None and after.revoked_reason == "Misstänkt röjd"

    entries = await audit_entries(database)
    assert [e["kind"] for e in entries] == ["key_registered", "key_registered", "key_registered",
                                            "key_registered", "key_retired", "key_registered", "key_revoked"]
    assert entries[0]["actor"] == {"user": "Admin Adminsson"} and entries[0]["key"]["kind"] == "console"
    assert entries[0]["key"]["public_key"] == console_key.to_json()["public_key"] and entries[0]["generated"]
    assert entries[5]["generated"] is False and entries[-1]["reason"] == "Misstänkt röjd"
    listed = json.loads(keys_cli(env, "list", "--json").stdout)
    assert {k["key_id"] for k in listed} == set(registry)

    conn = await asyncpg.connect(database.app_url)
    try:
        report = await review.verify(conn, [], load_registry(tmp_path / "registry"))
    finally:
        await conn.close()
    assert report.ok and report.checked == len(entries), report.problems


async def test_a_refused_act_changes_nothing_and_says_why(bare_database: Database, tmp_path: Path) -> None:
    database = bare_database
    registry, console = tmp_path / "registry", tmp_path / "console"
    env = {"LOS_DATABASE_URL": database.app_url, "LOS_KEYS_DIR": str(registry), "LOS_CONSOLE_KEYS_DIR": str(console)}
    refused = {
        "not a participant of schemas/agencies.yaml": ["register", "--agency", "NOPE", "--kind", "console"],
        "name the agency with --agency": ["register", "--kind", "console"],
        "belongs to COORDINATOR": ["register", "--agency", "POLICE", "--kind", "checkpoint"],
        "no key 'X-1' in the registry": ["revoke", "X-1", "--reason", "Röjd"],
        # the audit log is missing (no migrations here): the act cannot be recorded, so it is not done
        "no audit log yet": ["register", "--agency", "POLICE", "--kind", "console"],
    }
    for why, args in refused.items():
        result = keys_cli(env, *args)
        assert result.returncode == 2 and why in said(result), (args, result.stderr)
    unreachable = keys_cli({**env, "LOS_DATABASE_URL": "postgresql://los_app@127.0.0.1:9/los"},
                           "register", "--agency", "POLICE", "--kind", "console")
    assert unreachable.returncode == 2 and "cannot reach the database" in said(unreachable)
    assert not list(load_registry(registry)) and files(tmp_path) == [], "nothing registered, no key left behind"
