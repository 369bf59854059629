"""`python -m services.pseudonyms`: the pseudonym service (load the OPRF key, apply the audit
log's migrations when given the owner's login, serve on LOS_PSEUDONYM_HOST:LOS_PSEUDONYM_PORT)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import uvicorn
from starlette.applications import Starlette

from schemas.agencies import load_agencies
from schemas.signing import KeyRegistry
from services.common.keys import load_registry
from services.common.pseudonyms import load_oprf_seed, oprf_secret
from services.common.telemetry import serve_metrics
from services.pseudonyms.app import create_app
from services.pseudonyms.ledger import AuditLedger
from services.pseudonyms.settings import PseudonymSettings

log = logging.getLogger("services.pseudonyms")


class Registry:
    """The key registry, read again whenever its file changes (a revocation counts at once)."""

    def __init__(self, keys_dir: Path) -> None:
        self.keys_dir, self._stamp, self._registry = keys_dir, (-1, -1), KeyRegistry()

    def __call__(self) -> KeyRegistry:
        path = self.keys_dir / "registry.json"
        stat = path.stat() if path.exists() else None
        stamp = (stat.st_mtime_ns, stat.st_size) if stat else (0, 0)
        if stamp != self._stamp:
            self._registry, self._stamp = load_registry(self.keys_dir), stamp
        return self._registry


def build(settings: PseudonymSettings, secret: bytes) -> Starlette:
    """The app, with the ledger's database pool opened and closed by the server's lifespan."""
    ledger = AuditLedger(settings.pseudonym_daily_limit)

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        await ledger.open(settings.database_url)
        try:
            yield
        finally:
            await ledger.close()

    return create_app(secret, Registry(settings.keys_dir), frozenset(load_agencies()), ledger, lifespan=lifespan)


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = PseudonymSettings()
    try:
        secret = oprf_secret(load_oprf_seed(settings.oprf_key_file))
    except (OSError, ValueError) as error:
        log.error("the pseudonym service cannot start: %s", error)
        raise SystemExit(2) from error
    serve_metrics(settings.metrics_port, settings.metrics_host)
    log.info("pseudonym service on http://%s:%d (limit %d evaluations per participant and day)",
             settings.pseudonym_host, settings.pseudonym_port, settings.pseudonym_daily_limit)
    uvicorn.run(build(settings, secret), host=settings.pseudonym_host, port=settings.pseudonym_port,
                log_level="info", access_log=False, timeout_graceful_shutdown=5)


if __name__ == "__main__":
    main()
