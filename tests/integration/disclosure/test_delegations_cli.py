"""`python -m services.disclosure.delegation_cli` on the real database: recording and revoking a
delegation to decide on disclosure are administrative acts, each with its audit entry, done
as the schema owner; the console reads the register and no service role may write it."""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys

import asyncpg
import pytest

from deploy.local.stack import REPO
from deploy.schema import migrate_all
from services.disclosure.delegations import in_force
from services.disclosure.store import delegations_of
from tests.conftest import Database

pytestmark = pytest.mark.integration


def cli(database: Database, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "services.disclosure.delegation_cli", *args], cwd=REPO,
                          env={**os.environ, "LOS_DATABASE_URL": database.owner_url}, capture_output=True,
                          text=True, timeout=60, check=False)


async def test_a_delegation_is_recorded_and_revoked_as_an_audited_act(database: Database) -> None:
    await migrate_all(database.owner_url)
    made = cli(database, "add", "--authority", "tax", "--holder", "skv-4711", "--name", "Sektionschef Berg",
               "--reference", "Delegationsordning SKV 2026:2 p. 7", "--by", "Admin Adminsson")
    assert made.returncode == 0, made.stderr
    refused = cli(database, "add", "--authority", "NOBODY", "--holder", "x", "--name", "X", "--reference", "abc")
    assert refused.returncode == 2 and "not a participant" in refused.stderr
    listed = [json.loads(line) for line in cli(database, "list", "--json").stdout.splitlines()]
    assert [(d["authority"], d["holder"]) for d in listed] == [("TAX", "skv-4711")]

    console = await asyncpg.connect(database.url("console"))
    try:
        found = await delegations_of(console, "TAX", "skv-4711")
        assert in_force(found, "TAX", "skv-4711", datetime.datetime.now(datetime.UTC)) is not None
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await console.execute("UPDATE disclosure_delegations SET revoked_at = NULL")
    finally:
        await console.close()

    revoked = cli(database, "revoke", listed[0]["id"], "--reason", "Har bytt tjänst", "--by", "Admin Adminsson")
    assert revoked.returncode == 0, revoked.stderr
    owner = await asyncpg.connect(database.owner_url)
    try:
        found = await delegations_of(owner, "TAX")
        entries = [json.loads(r["entry"]) for r in await owner.fetch(
            "SELECT entry::text FROM audit_log WHERE kind LIKE 'delegation_%' ORDER BY seq")]
    finally:
        await owner.close()
    assert in_force(found, "TAX", "skv-4711", datetime.datetime.now(datetime.UTC)) is None
    assert [(e["kind"], e["actor"]["user"]) for e in entries] == [("delegation_recorded", "Admin Adminsson"),
                                                                  ("delegation_revoked", "Admin Adminsson")]
    assert entries[1]["delegation"]["revoke_reason"] == "Har bytt tjänst"
