"""`python -m services.audit.server`: signs the audit chain's head at intervals and publishes
the checkpoint to Kafka, where every agency keeps a copy."""

from __future__ import annotations

import asyncio
import datetime
import logging
import signal
from pathlib import Path

import asyncpg

from schemas.signing import CHECKPOINT
from services.audit.checkpoints import SIGNER, make_checkpoint, publish
from services.audit.metrics import count_checkpoint
from services.audit.settings import AuditSettings
from services.common.keys import holder_key, load_registry
from services.common.migrate import migrate
from services.common.periodic import every
from services.common.telemetry import serve_metrics, setup_tracing

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).with_name("migrations")


async def checkpoint_once(pool: asyncpg.Pool, settings: AuditSettings) -> int | None:
    """Sign and publish the chain's head with the audit server's checkpoint key (none without one)."""
    now = datetime.datetime.now(datetime.UTC)
    found = holder_key(load_registry(settings.keys_dir), settings.audit_keys_dir, agency=SIGNER, kind=CHECKPOINT,
                       at=now)
    if found is None:
        log.error("no checkpoint key in %s: no checkpoint is signed until an administrator registers one "
                  "(python -m services.keys register --kind checkpoint)", settings.audit_keys_dir)
        return None
    key_id, key = found
    async with pool.acquire() as conn, conn.transaction():
        checkpoint = await make_checkpoint(conn, key, key_id, at=now)
        if checkpoint is None:
            return None
        await publish(settings.kafka_bootstrap_servers, checkpoint,
                      login=settings.kafka_login())  # before commit: at least once
    count_checkpoint(checkpoint)  # stored and published
    log.info("checkpoint at entry %d published", checkpoint.seq)
    return checkpoint.seq


async def serve(settings: AuditSettings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    if settings.database_owner_url:  # else applied before the start, as the owner
        await migrate(settings.database_owner_url, MIGRATIONS, component="audit")
    pool = await asyncpg.create_pool(settings.database_url, min_size=1, max_size=2)
    try:
        await every(settings.audit_checkpoint_seconds, stop, lambda: checkpoint_once(pool, settings),
                    what="signing a checkpoint")
    finally:
        await pool.close()


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = AuditSettings()
    setup_tracing("los-audit", settings.otel_exporter)
    serve_metrics(settings.metrics_port, settings.metrics_host)  # also what the Helm chart's liveness probe reads
    asyncio.run(serve(settings))


if __name__ == "__main__":
    main()
