"""Signed checkpoints of the chain head, published to `los.audit.checkpoints`.

Every agency reads that topic and keeps the checkpoints outside the coordinator's
database; a deleted tail or a rewritten chain then no longer matches what they hold.
"""

from __future__ import annotations

import datetime
import json

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from schemas.topics import AUDIT_CHECKPOINTS
from services.audit.chain import Checkpoint, sign_checkpoint
from services.audit.store import MAIN, head
from services.common.kafka_security import KafkaLogin, client_options

SIGNER = "COORDINATOR"  # the key registry's name for the coordinator's own signing keys


async def make_checkpoint(conn: asyncpg.Connection, key: Ed25519PrivateKey, key_id: str, *,
                          at: datetime.datetime, chain: str = MAIN) -> Checkpoint | None:
    """Sign the current head (None when the chain is empty or the head was signed already)."""
    seq, digest = await head(conn, chain=chain)
    if seq == 0:
        return None
    last = await conn.fetchval("SELECT max(seq) FROM audit_checkpoints WHERE chain = $1", chain)
    if last == seq:
        return None
    checkpoint = sign_checkpoint(Checkpoint(chain, seq, digest, at.isoformat(), key_id), key)
    await conn.execute("INSERT INTO audit_checkpoints (chain, seq, checkpoint) VALUES ($1, $2, $3::jsonb)"
                       " ON CONFLICT DO NOTHING", chain, seq, json.dumps(checkpoint.to_json()))
    return checkpoint


async def publish(bootstrap: str, checkpoint: Checkpoint, topic: str = AUDIT_CHECKPOINTS, *,
                  login: KafkaLogin | None = None) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, **client_options(login))
    await producer.start()
    try:
        await producer.send_and_wait(topic, json.dumps(checkpoint.to_json()).encode(),
                                     key=checkpoint.chain.encode())
    finally:
        await producer.stop()


async def read_published(bootstrap: str, topic: str = AUDIT_CHECKPOINTS, timeout_ms: int = 3000, *,
                         login: KafkaLogin | None = None) -> list[Checkpoint]:
    """Every checkpoint on the topic, as an agency holding copies would read them."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, **client_options(login))
    await consumer.start()
    try:
        partitions = consumer.partitions_for_topic(topic)
        if partitions is None:
            await consumer._client.force_metadata_update()
            partitions = consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(tps)
        ends = await consumer.end_offsets(tps)
        await consumer.seek_to_beginning(*tps)
        found: list[Checkpoint] = []
        async def behind() -> bool:
            return any([await consumer.position(tp) < ends[tp] for tp in tps])

        while await behind():
            batch = await consumer.getmany(timeout_ms=timeout_ms)
            if not batch:
                break
            for records in batch.values():
                found += [Checkpoint.from_json(json.loads(r.value)) for r in records]
        return found
    finally:
        await consumer.stop()
