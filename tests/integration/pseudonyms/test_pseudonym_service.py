"""The pseudonym service on a real port and the real database: it evaluates only batches
signed by a participant's valid key, holds each participant to its daily limit, and records
every batch it served in the audit log; an adapter gets exactly the platform's pseudonyms."""

from __future__ import annotations

import datetime
import json
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from schemas.pseudonyms import signed_request
from services.adapters.sdk.pseudonyms import OprfClient, PseudonymServiceError
from services.audit.chain import ChainVerifier
from services.audit.store import read_chain
from services.common import oprf
from services.common.keys import create_key, load_registry, save_registry
from services.common.pseudonyms import LocalPseudonymiser, oprf_input
from tests.conftest import Database, Infra
from tests.pseudonyms import PseudonymService, start_pseudonym_service

pytestmark = pytest.mark.integration
NOW = datetime.datetime.now(datetime.UTC)
LIMIT = 40
NUMBERS = [f"19800101{n:03d}" for n in range(200)]
VALID = [n + str((10 - sum(int(c) * (2 - i % 2) // 10 + int(c) * (2 - i % 2) % 10
                            for i, c in enumerate(n[2:]))) % 10) for n in NUMBERS]


@pytest.fixture
async def service(infra: Infra, database: Database, tmp_path: Path) -> AsyncIterator[PseudonymService]:
    keys = tmp_path / "keys"
    for agency in ("TAX", "POLICE", "COORDINATOR"):  # the coordinator is no participant
        create_key(keys, agency, now=NOW, key_id=f"{agency}-1")
    create_key(keys, "FIRE_RTOG", now=NOW, key_id="FIRE-revoked")
    registry = load_registry(keys)
    registry.revoke("FIRE-revoked", NOW - datetime.timedelta(minutes=1))
    save_registry(keys, registry)
    started = await start_pseudonym_service(infra, database, keys, tmp_path,
                                            LOS_PSEUDONYM_DAILY_LIMIT=str(LIMIT))
    yield started
    started.stop()


def key(service: PseudonymService, key_id: str) -> Ed25519PrivateKey:
    from services.common.keys import load_private_key

    assert service.keys is not None
    return load_private_key(service.keys, key_id)


def post(service: PseudonymService, body: object) -> httpx.Response:
    return httpx.post(f"{service.url}/v1/evaluate", content=json.dumps(body), timeout=30)


def request(agency: str, signer: Ed25519PrivateKey, key_id: str, count: int = 2,
            at: datetime.datetime | None = None) -> dict[str, object]:
    elements = [oprf.blind(oprf_input(VALID[i % len(VALID)]))[1] for i in range(count)]
    return signed_request(agency, elements, signer, key_id, at or datetime.datetime.now(datetime.UTC))


async def audit_entries(database: Database) -> list[dict[str, object]]:
    conn = await asyncpg.connect(database.url("pseudonyms"))
    try:
        rows = await conn.fetch("SELECT entry::text FROM audit_log WHERE kind LIKE 'pseudonym%' ORDER BY seq")
        verifier = ChainVerifier()
        async for chain in read_chain(conn):
            verifier.feed(chain)
        assert verifier.result().ok
        return [json.loads(r["entry"]) for r in rows]
    finally:
        await conn.close()


async def test_an_adapter_gets_the_platforms_pseudonyms_and_each_batch_is_recorded(
        service: PseudonymService, database: Database) -> None:
    client = OprfClient(service.url, "TAX", "TAX-1", key(service, "TAX-1"))
    client.prefetch(VALID[:12])
    platform = LocalPseudonymiser(service.seed)
    assert [client.of(n) for n in VALID[:12]] == [platform.of(n) for n in VALID[:12]]
    assert all(p.startswith("psn:o1:") for p in (client.of(n) for n in VALID[:12]))
    client.of(VALID[3])  # known within the run: no second request
    [entry] = await audit_entries(database)
    assert (entry["kind"], entry["count"], entry["actor"]) == (
        "pseudonym_evaluation", 12, {"agency": "TAX", "role": "adapter", "user": "TAX-1"})


@pytest.mark.parametrize(("make", "status", "reason"), [
    (lambda s: {"type": "se.los.pseudonyms.evaluate.v1", "losagency": "TAX", "elements": ["AAAA"]}, 401, "unsigned"),
    (lambda s: request("POLICE", key(s, "TAX-1"), "TAX-1"), 403, "wrong_agency"),
    (lambda s: request("TAX", Ed25519PrivateKey.generate(), "TAX-404"), 401, "unknown_key"),
    (lambda s: request("FIRE_RTOG", key(s, "FIRE-revoked"), "FIRE-revoked"), 403, "revoked_key"),
    (lambda s: request("COORDINATOR", key(s, "COORDINATOR-1"), "COORDINATOR-1"), 403, "unknown_participant"),
    (lambda s: request("TAX", key(s, "TAX-1"), "TAX-1", at=NOW - datetime.timedelta(minutes=20)), 401, "stale"),
    (lambda s: {**request("TAX", key(s, "TAX-1"), "TAX-1"), "elements": request(
        "TAX", key(s, "TAX-1"), "TAX-1", 3)["elements"]}, 401, "bad_signature"),
    (lambda s: request("TAX", key(s, "TAX-1"), "TAX-1", 5_001), 413, "too_many"),
])
async def test_what_is_not_a_participants_valid_request_is_refused(
        service: PseudonymService, database: Database, make, status: int, reason: str) -> None:  # type: ignore[no-untyped-def]
    answer = post(service, make(service))
    assert (answer.status_code, answer.json()["error"]) == (status, reason), answer.text
    assert "evaluated" not in answer.json()
    assert await audit_entries(database) == []  # nothing served, nothing counted


async def test_a_flood_is_refused_per_participant_and_shows_in_the_audit_log(
        service: PseudonymService, database: Database) -> None:
    tax = OprfClient(service.url, "TAX", "TAX-1", key(service, "TAX-1"))
    tax.prefetch(VALID[:LIMIT - 5])
    with pytest.raises(PseudonymServiceError, match="rate_limited"):
        tax.prefetch(VALID[LIMIT:LIMIT + 10])
    with pytest.raises(PseudonymServiceError, match=r"HTTP 429"):
        tax.prefetch(VALID[LIMIT + 20:LIMIT + 30])
    police = OprfClient(service.url, "POLICE", "POLICE-1", key(service, "POLICE-1"))
    police.prefetch(VALID[:10])  # another participant's limit is its own
    entries = await audit_entries(database)
    served = [(e["actor"]["agency"], e["count"]) for e in entries if e["kind"] == "pseudonym_evaluation"]
    assert served == [("TAX", LIMIT - 5), ("POLICE", 10)]
    refused = [e for e in entries if e["kind"] == "pseudonym_refusal"]
    assert [(e["actor"]["agency"], e["reason"], e["count"]) for e in refused] == [("TAX", "rate_limited", 10)]


def test_an_adapter_says_where_the_service_should_have_been(tmp_path: Path) -> None:
    from deploy.local.processes import free_port

    url = f"http://127.0.0.1:{free_port()}"
    client = OprfClient(url, "TAX", "TAX-1", Ed25519PrivateKey.generate(), timeout=2)
    with pytest.raises(PseudonymServiceError, match=f"the pseudonym service at {url} cannot be reached"):
        client.of(VALID[0])
