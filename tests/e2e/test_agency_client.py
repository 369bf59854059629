"""An agency system that uses none of the platform's code reaches it with confluent-kafka
(librdkafka: the client of .NET, Go, C and C++ systems): it logs in as `adapter-tax` with
SASL/SCRAM-SHA-512, produces an inspection it made and signed by docs/adapters.md ("Signing,
byte by byte": canonical JSON, Ed25519, base64url, checked first against
schemas/vectors/signing.json), and then, on its own topics, reads the real coordinator's
`accepted` receipt and the real disclosure service's view of the operation holding it.

The client's settings are those docs/adapters.md gives agency developers ("Clients known to
work"), taken from the stack's settings by `tests.agency_client.client_config`."""

from __future__ import annotations

import asyncio
import base64
import datetime
import json
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from confluent_kafka import Consumer, KafkaError, Message, Producer, TopicPartition
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from deploy.local.harness import holder_keys
from deploy.local.stack import REPO
from schemas.events import OperationPlannedV1, new_event
from schemas.feeds import parse_feed_message
from schemas.operation import OperationPlan, Target
from schemas.receipts import Receipt
from schemas.subjects import Premises
from services.audit.server import MIGRATIONS as AUDIT_MIGRATIONS
from services.common.keys import adapter_holder
from services.common.migrate import migrate
from services.disclosure.service import HERE
from tests.agency_client import client_config
from tests.conftest import Database, Infra
from tests.e2e.test_coordinator_campaign import coordinator_env
from tests.support import (
    NOW,
    all_event_topics,
    end_offsets,
    produce,
    signed_bytes,
    spawn_service,
    start_from_now,
    stop_processes,
    wait_for,
)

pytestmark = [pytest.mark.e2e, pytest.mark.integration]
VECTORS = json.loads((REPO / "schemas" / "vectors" / "signing.json").read_text(encoding="utf-8"))
NAMESPACE = uuid.UUID("6f1f3c3e-2b7a-5d5e-9a51-4c4f53000001")  # docs/adapters.md, step 7
CONTENT_TYPE = "application/cloudevents+json; charset=utf-8"
AGENCY, PRINCIPAL = "TAX", "adapter-tax"
EVENTS, RECEIPTS, FEED = "los.events.tax", "los.receipts.tax", "los.feed.tax"
ADDRESS = "Sandgatan 14 B, 602 22 Norrköping"


# --- what the agency developer writes --------------------------------------------------------
def canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def record_event_id(agency: str, kind: str, ref: str, version: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, "\x1f".join((agency, kind, ref, version)))


def sign(event: dict[str, Any], key: Ed25519PrivateKey, key_id: str, signed_at: str) -> dict[str, Any]:
    unsigned = {k: v for k, v in event.items() if k != "lossignature"} | {"loskeyid": key_id, "lossignedat": signed_at}
    signature = base64.urlsafe_b64encode(key.sign(canonical(unsigned))).rstrip(b"=").decode()
    return unsigned | {"lossignature": signature}


def inspection(ref: str, operation_id: str) -> dict[str, Any]:
    """The event of one of the agency's inspection records, field by field as the catalogue gives it."""
    return {
        "specversion": "1.0", "id": str(record_event_id(AGENCY, "kontroll", ref, "1")),
        "source": f"urn:los:agency:{AGENCY}", "type": "se.los.inspection.conducted.v1",
        "time": "2026-03-14T12:00:00Z", "dataschema": "urn:los:schema:inspection.conducted:v1",
        "datacontenttype": "application/json", "losagency": AGENCY,
        "data": {"inspection_ref": ref, "operation_id": operation_id, "conducted_at": "2026-03-14T09:30:00+01:00",
                 "municipality": "Norrköping", "premises": {"address": ADDRESS, "industry": "restaurant"},
                 "findings": [{"code": "PERSONALLIGGARE_SAKNAS", "category": "tax",
                               "summary": "Personalliggare saknades", "count": 2}]},
    }


def publish(config: dict[str, str], topic: str, key: str, value: bytes) -> tuple[int, int]:
    """Produce one record (acks=all, idempotent) and wait for it: its (partition, offset)."""
    producer = Producer({**config, "acks": "all", "enable.idempotence": True})
    delivered: list[tuple[KafkaError | None, Message]] = []
    producer.produce(topic, value, key.encode(), headers=[("content-type", CONTENT_TYPE.encode())],
                     on_delivery=lambda error, message: delivered.append((error, message)))
    assert producer.flush(60) == 0, "the record was not delivered within 60 s"
    [(error, message)] = delivered
    assert error is None, f"the broker refused the record: {error}"
    return message.partition(), message.offset()


def ends(config: dict[str, str], topic: str) -> dict[int, int]:
    """Each partition's end offset: where this test's records will start."""
    consumer = Consumer({**config, "group.id": f"{PRINCIPAL}-interop"})
    try:
        metadata = consumer.list_topics(topic, timeout=30)
        error = metadata.topics[topic].error
        assert error is None, f"{PRINCIPAL} cannot see {topic}: {error}"
        return {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=30)[1]
                for p in metadata.topics[topic].partitions}
    finally:
        consumer.close()


def read_until(config: dict[str, str], topic: str, start: dict[int, int], found: Callable[[dict[str, Any]], bool],
               timeout: float = 90.0) -> dict[str, Any]:
    """Read `topic` from `start`, without committing, until a JSON record `found` accepts."""
    consumer = Consumer({**config, "group.id": f"{PRINCIPAL}-interop", "enable.auto.commit": False})
    consumer.assign([TopicPartition(topic, p, offset) for p, offset in start.items()])
    deadline, seen = time.monotonic() + timeout, 0
    try:
        while time.monotonic() < deadline:
            message = consumer.poll(1.0)
            if message is None:
                continue
            assert message.error() is None, f"reading {topic}: {message.error()}"
            seen += 1
            body = json.loads(message.value())
            if found(body):
                return dict(body)
        raise AssertionError(f"nothing sought among the {seen} records read on {topic} in {timeout:.0f} s")
    finally:
        consumer.close()


# --- the tests -------------------------------------------------------------------------------
def test_the_agency_developers_signing_reproduces_the_vectors() -> None:
    key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(VECTORS["key"]["seed_hex"]))
    ids, vector = VECTORS["event_id"], VECTORS["inspection"]
    assert str(record_event_id(ids["agency"], ids["record_kind"], ids["record_ref"], ids["version"])) == ids["id"]
    for case in VECTORS["canonical_form"]:
        assert canonical(case["value"]).hex() == case["canonical_hex"], case["about"]
    signed = sign(vector["unsigned_event"], key, vector["key_id"], vector["signed_at"])
    assert signed == vector["signed_event"]
    assert canonical(signed).decode() == VECTORS["kafka_record"]["value"]


async def test_an_independent_librdkafka_client_sends_an_event_and_reads_its_receipt_and_feed(
        infra: Infra, database: Database, unique: str, tmp_path: Path) -> None:
    keys, group, feeds_group = tmp_path / "keys", f"coordinator-{unique}", f"feeds-{unique}"
    holder_keys(keys, adapters=[AGENCY])  # registered for TAX; the private half handed to the agency
    [pem] = (adapter_holder(keys / "adapters", AGENCY) / "private").glob("*.pem")
    key = load_pem_private_key(pem.read_bytes(), password=None)
    assert isinstance(key, Ed25519PrivateKey)
    operation_id, ref = f"IOP-{unique[:6].upper()}", f"SKV-{unique}"
    config = client_config(infra.env, PRINCIPAL)

    # the platform: a coordinator and a disclosure service that see only what this test sends
    await start_from_now(database.owner_url, database.app_url, group, infra.bootstrap_servers, all_event_topics())
    await migrate(database.owner_url, AUDIT_MIGRATIONS, component="audit")
    await migrate(database.owner_url, HERE / "migrations", component="disclosure")
    changes_start = await end_offsets(infra.bootstrap_servers, ["los.records.changes"])
    conn = await asyncpg.connect(database.app_url)
    await conn.executemany("INSERT INTO consumer_offsets (group_id, topic, partition, next_offset)"
                           " VALUES ($1, $2, $3, $4)", [(feeds_group, t, p, o) for (t, p), o in changes_start.items()])
    env = {**coordinator_env(infra, database, keys, group), "LOS_FEEDS_GROUP_ID": feeds_group,
           "LOS_COORDINATOR_CHANGE_INTERVAL_SECONDS": "0"}
    procs = [spawn_service("services.coordinator", env, tmp_path / "coordinator.log"),
             spawn_service("services.disclosure", {**env, "LOS_DATABASE_URL": database.url("disclosure")},
                           tmp_path / "disclosure.log")]
    try:
        # the police plan an operation with TAX (the platform's own adapter code: another agency)
        plan = OperationPlan(operation_id=operation_id, revision=1, title="Tillslag Sandgatan",
                             municipality="Norrköping", planned_date=datetime.date(2026, 3, 14), lead_agency="POLICE",
                             participants=["POLICE", AGENCY], targets=[Target(premises=Premises(address=ADDRESS))])
        planned = new_event(OperationPlannedV1, plan, agency="POLICE", event_id=uuid.uuid4(), time=NOW)
        await produce(infra.bootstrap_servers, [("los.events.police", f"op:{operation_id}".encode(),
                                                 signed_bytes(planned, keys))], principal="adapter-police")

        async def plan_stored() -> bool:
            return bool(await conn.fetchval("SELECT plan IS NOT NULL FROM operations WHERE operation_id = $1",
                                            operation_id))

        await wait_for(plan_stored, timeout=120, what="the police's plan stored")

        # the agency system: everything from here on is confluent-kafka and the published contract
        receipts_start, feed_start = await asyncio.gather(asyncio.to_thread(ends, config, RECEIPTS),
                                                          asyncio.to_thread(ends, config, FEED))
        signed_at = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
        event = sign(inspection(ref, operation_id), key, pem.stem, signed_at)
        partition, offset = await asyncio.to_thread(publish, config, EVENTS, f"op:{operation_id}", canonical(event))

        receipt = await asyncio.to_thread(read_until, config, RECEIPTS, receipts_start,
                                          lambda r: r.get("event_id") == event["id"])
        Receipt.model_validate(receipt)  # the published contract of a receipt
        assert (receipt["status"], receipt["operation_id"], receipt["participant"]) == ("accepted", operation_id,
                                                                                       AGENCY), receipt
        assert (receipt["topic"], receipt["partition"], receipt["offset"]) == (EVENTS, partition, offset)
        stored = await conn.fetchrow("SELECT agency, key_id, operation_id FROM events WHERE event_id = $1",
                                     uuid.UUID(event["id"]))
        assert stored is not None and dict(stored) == {"agency": AGENCY, "key_id": pem.stem,
                                                       "operation_id": operation_id}

        def shows_the_inspection(message: dict[str, Any]) -> bool:
            return message.get("operation_id") == operation_id and any(
                item["event_id"] == event["id"] for item in message["view"]["timeline"])

        view = await asyncio.to_thread(read_until, config, FEED, feed_start, shows_the_inspection)
    finally:
        stop_processes(procs)
        await conn.close()

    parse_feed_message(json.dumps(view))  # the published contract of a feed message
    [item] = [i for i in view["view"]["timeline"] if i["event_id"] == event["id"]]
    assert (item["agency"], item["kind"]) == (AGENCY, "inspection")
    assert [f["code"] for f in item["findings"]] == ["PERSONALLIGGARE_SAKNAS"]
    assert view["view"]["participants"] == ["POLICE", AGENCY] and view["view"]["lead_agency"] == "POLICE"
