"""`python -m services.console`: apply its own migrations (given the owner's login), then serve
the console with uvicorn."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import uvicorn

from services.common.migrate import migrate
from services.common.telemetry import instrument_asyncpg, serve_metrics, setup_tracing
from services.console.app import create_app
from services.console.settings import ConsoleSettings
from services.disclosure.policy import PolicyError

MIGRATIONS = Path(__file__).with_name("migrations")
REQUIRES = ("coordinator",)  # its indexes are on the coordinator's tables, which the coordinator migrates
log = logging.getLogger("services.console")


async def apply_migrations(owner_url: str) -> list[str]:
    """The console's own migrations (the other components' are their owners' to apply)."""
    return [f"console/{name}" for name in await migrate(owner_url, MIGRATIONS, component="console",
                                                         requires=REQUIRES)]


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = ConsoleSettings()
    setup_tracing("los-console", settings.otel_exporter)
    instrument_asyncpg()
    serve_metrics(settings.metrics_port, settings.metrics_host)
    try:
        app = create_app(settings)  # configuration errors first, before touching the database
    except (RuntimeError, PolicyError, OSError, ValueError) as error:
        log.error("the console cannot start: %s", error)
        raise SystemExit(2) from error
    if settings.database_owner_url:  # else applied before the start, as the owner
        applied = asyncio.run(apply_migrations(settings.database_owner_url))
        if applied:
            log.info("applied migrations %s", ", ".join(applied))
    log.info("console on http://%s:%d", settings.console_host, settings.console_port)
    uvicorn.run(app, host=settings.console_host, port=settings.console_port, proxy_headers=True,
                log_level="info", access_log=False, timeout_graceful_shutdown=5)


if __name__ == "__main__":
    main()
