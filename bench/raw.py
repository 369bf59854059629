"""The raw limits: Kafka produce and consume and Postgres bulk insert of the same sizes,
with no processing, measured in the same run as the system."""

from __future__ import annotations

import asyncio
import time
import uuid

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from deploy.local.kafka import kafka_options


async def kafka_produce_consume(bootstrap: str, payloads: list[bytes]) -> tuple[float, float]:
    """Events/s for an idempotent producer (acks=all) and for a plain consumer."""
    topic = f"bench.raw.{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **kafka_options(bootstrap))
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, 6, 1)])
    finally:
        await admin.close()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, **kafka_options(bootstrap),
                                enable_idempotence=True, linger_ms=5, max_batch_size=256 * 1024)
    await producer.start()
    try:
        start = time.perf_counter()
        futures = [await producer.send(topic, p, key=str(i % 97).encode()) for i, p in enumerate(payloads)]
        await asyncio.gather(*futures)
        produce_rate = len(payloads) / (time.perf_counter() - start)
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, **kafka_options(bootstrap), enable_auto_commit=False,
                                max_partition_fetch_bytes=4 * 1024 * 1024)
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in range(6)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        seen, start = 0, time.perf_counter()
        while seen < len(payloads):
            batch = await consumer.getmany(timeout_ms=1000, max_records=5000)
            seen += sum(len(v) for v in batch.values())
        consume_rate = len(payloads) / (time.perf_counter() - start)
    finally:
        await consumer.stop()
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **kafka_options(bootstrap))
    await admin.start()
    try:
        await admin.delete_topics([topic])
    finally:
        await admin.close()
    return produce_rate, consume_rate


async def postgres_insert(db_url: str, payloads: list[bytes]) -> float:
    """Rows/s of idempotent bulk inserts (unnest ... ON CONFLICT DO NOTHING) of the same bytes."""
    conn = await asyncpg.connect(db_url)
    try:
        await conn.execute("CREATE TEMP TABLE raw_events (id uuid PRIMARY KEY, body jsonb NOT NULL)")
        start = time.perf_counter()
        for i in range(0, len(payloads), 500):
            chunk = payloads[i:i + 500]
            async with conn.transaction():
                await conn.execute(
                    "INSERT INTO raw_events SELECT * FROM unnest($1::uuid[], $2::jsonb[]) ON CONFLICT DO NOTHING",
                    [uuid.uuid4() for _ in chunk], [p.decode() for p in chunk])
        return len(payloads) / (time.perf_counter() - start)
    finally:
        await conn.close()
