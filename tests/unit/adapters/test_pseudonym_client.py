"""An adapter's pseudonyms come from the pseudonym service in one request per file, equal to
the platform's; when the service is away or refuses, the file fails as a whole and nothing
of it is stored (no event with a wrong pseudonym can be published). In process: the service
is a handler behind httpx's mock transport."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from schemas.pseudonyms import RequestRefused, check_request
from schemas.signing import KeyRegistry, PublicKey, b64, unb64
from services.adapters.agencies import all_formats
from services.adapters.sdk.mapping import MappingContext, events_of
from services.adapters.sdk.outbox import Outbox
from services.adapters.sdk.pipeline import Signer, ingest_file
from services.adapters.sdk.pseudonyms import OprfClient, PseudonymServiceError
from services.common import oprf
from services.common.pseudonyms import LocalPseudonymiser, oprf_secret
from tests.unit.adapters.samples import SAMPLE_DIR, TODAY

SEED = b"s" * 32
KEY = Ed25519PrivateKey.generate()
NOW = datetime.datetime(2026, 6, 1, 9, 0, tzinfo=datetime.UTC)
REGISTRY = KeyRegistry([PublicKey("TAX-1", "TAX", KEY.public_key().public_bytes(
    serialization.Encoding.Raw, serialization.PublicFormat.Raw), NOW - datetime.timedelta(days=1))])
FORMAT = all_formats()["tax-personalliggare"]
SAMPLE = SAMPLE_DIR / "tax-personalliggare.csv"


class Service:
    """The pseudonym service's answer to each request, and a count of them."""

    def __init__(self, *, away: bool = False) -> None:
        self.requests, self.away, self.secret = 0, away, oprf_secret(SEED)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if self.away:
            raise httpx.ConnectError("connection refused")
        self.requests += 1
        try:
            checked = check_request(json.loads(request.content), REGISTRY, frozenset({"TAX"}), NOW)
        except RequestRefused as error:
            return httpx.Response(403, json={"error": error.reason, "detail": error.detail})
        return httpx.Response(200, json={"evaluated": [b64(oprf.blind_evaluate(self.secret, e))
                                                       for e in checked.elements]})


def client(service: Service, agency: str = "TAX") -> OprfClient:
    return OprfClient("http://pseudonyms.test", agency, "TAX-1", KEY, transport=httpx.MockTransport(service),
                      clock=lambda: NOW)


def test_a_file_costs_one_request_and_gets_the_platforms_pseudonyms(tmp_path: Path) -> None:
    service = Service()
    ctx = MappingContext(pseudonyms=client(service), today=TODAY)
    outbox = Outbox(tmp_path / "outbox.db")
    result = ingest_file(SAMPLE, FORMAT, ctx, Signer("TAX", "TAX-1", KEY, clock=lambda: NOW), outbox)
    assert result.events > 0 and result.errors == 0
    assert service.requests == 1
    platform = MappingContext(pseudonyms=LocalPseudonymiser(SEED), today=TODAY)
    expected = [e.model_dump(mode="json")["data"] for e in events_of(FORMAT.read(SAMPLE, platform))]
    stored = [json.loads(e.value)["data"] for e in outbox.unsent()]
    assert stored == expected and "psn:o1:" in json.dumps(stored)


def test_the_request_carries_blinded_elements_only() -> None:
    seen: list[bytes] = []

    def spy(request: httpx.Request) -> httpx.Response:
        seen.append(request.content)
        body = json.loads(request.content)
        return Service()(request) if body else httpx.Response(400)

    OprfClient("http://pseudonyms.test", "TAX", "TAX-1", KEY, transport=httpx.MockTransport(spy),
               clock=lambda: NOW).prefetch(["198112189876"])
    [sent] = seen
    assert b"198112189876" not in sent and b"811218" not in sent
    [element] = json.loads(sent)["elements"]
    assert unb64(element) != oprf.hash_to_group(b"198112189876")  # blinded, not the bare hash


@pytest.mark.parametrize(("service", "agency", "said"), [
    (Service(away=True), "TAX", "cannot be reached"),
    (Service(), "POLICE", "wrong_agency"),
])
def test_without_the_services_answer_nothing_of_the_file_is_stored(
        tmp_path: Path, service: Service, agency: str, said: str) -> None:
    ctx = MappingContext(pseudonyms=client(service, agency), today=TODAY)
    outbox = Outbox(tmp_path / "outbox.db")
    with pytest.raises(PseudonymServiceError, match=f"http://pseudonyms.test.*{said}|{said}"):
        ingest_file(SAMPLE, FORMAT, ctx, Signer("TAX", "TAX-1", KEY, clock=lambda: NOW), outbox)
    assert outbox.counts()["accepted"] == 0 and outbox.counts()["files"] == 0
