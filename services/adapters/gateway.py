"""`python -m services.adapters.gateway`: every agency's adapter in one process.

For local runs and demonstrations: each participant (authority) of the registry gets a drop
folder per native format it runs, `<LOS_ADAPTER_DROP_DIR>/<participant>/<format>/` (e.g.
`muni_social_0580/muni-social-los/`), and its own outbox, signing key and publisher, exactly
as separate adapter processes would have. Each signs with its own adapter key, found in its
own folder `LOS_ADAPTER_KEYS_DIR/<participant>/`; a participant without a registered key is
left out (logged) until an administrator registers one and the gateway restarts. (In
production each agency runs `python -m services.adapters run` next to its own system.)
"""

from __future__ import annotations

import asyncio
import datetime
import logging
import signal
from pathlib import Path

from pydantic import Field

from schemas.agencies import load_agencies
from schemas.signing import ADAPTER
from services.adapters.agencies import formats_of
from services.adapters.sdk.drop import file_away
from services.adapters.sdk.mapping import AgencyFormat, MappingContext
from services.adapters.sdk.outbox import Outbox
from services.adapters.sdk.pipeline import Signer, ingest_file
from services.adapters.sdk.pseudonyms import OprfClient
from services.adapters.sdk.publisher import Publisher
from services.adapters.settings import AdapterSettings
from services.common.kafka_security import KafkaLogin, adapter_principal
from services.common.keys import adapter_holder, holder_key, load_registry
from services.common.periodic import sleep_unless_stopped
from services.common.telemetry import serve_metrics, setup_tracing

log = logging.getLogger(__name__)


class GatewaySettings(AdapterSettings):
    adapter_drop_dir: Path = Field(default=Path(".state/local/drop"),
                                   description="A sub-folder per participant and native format receives exports.")
    adapter_poll_seconds: float = Field(default=1.0, gt=0)


async def watch(fmt: AgencyFormat, folder: Path, ctx: MappingContext, signer: Signer, outbox: Outbox,
                stop: asyncio.Event, poll: float) -> None:
    (folder / "done").mkdir(parents=True, exist_ok=True)
    while not stop.is_set():
        for path in sorted(folder.glob(f"*{fmt.suffix}")):
            try:
                # in the loop's thread: the outbox connection is shared with the publisher
                result = ingest_file(path, fmt, ctx, signer, outbox)
            except Exception:
                log.exception("%s: ingesting %s failed; it stays in the drop folder and is tried again",
                              fmt.name, path.name)
                continue
            file_away(path, result, fmt.name)
            await asyncio.sleep(0)  # let the publishers run between files
        await sleep_unless_stopped(stop, poll)


def agency_login(settings: GatewaySettings, agency: str) -> KafkaLogin | None:
    """Each agency's adapter logs in as its own principal, taken from the credentials file,
    so it can write its own events topic only; without a file all use this process's login."""
    if settings.kafka_credentials_file is not None:
        return settings.kafka_login(adapter_principal(agency))
    return settings.kafka_login()


def signers_for(settings: GatewaySettings, agencies: list[str], *, now: datetime.datetime) -> dict[str, Signer]:
    """Each agency's signer with its own adapter key; agencies without one are logged and left out."""
    registry = load_registry(settings.keys_dir)
    signers = {}
    for agency in agencies:
        holder = adapter_holder(settings.adapter_keys_dir, agency)
        found = holder_key(registry, holder, agency=agency, kind=ADAPTER, at=now)
        if found is None:
            log.error("%s: no valid adapter key in %s; its exports wait until an administrator registers one "
                      "(python -m services.keys register --agency %s --kind adapter) and the gateway restarts",
                      agency, holder, agency)
            continue
        signers[agency] = Signer(agency, *found)
    return signers


async def serve(settings: GatewaySettings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    now = datetime.datetime.now(datetime.UTC)
    formats = {code: found for code in load_agencies() if (found := formats_of(code))}
    signers = signers_for(settings, sorted(formats), now=now)
    formats = {code: runs for code, runs in formats.items() if code in signers}
    agencies = sorted(formats)
    outboxes = {a: Outbox(settings.adapter_spool_dir / a.lower() / "outbox.db") for a in agencies}
    # each agency asks the pseudonym service for its pseudonyms with its own key
    contexts = {a: MappingContext(pseudonyms=OprfClient(settings.pseudonym_url, a, signers[a].key_id, signers[a].key),
                                  today=datetime.date.today(), system=settings.adapter_system) for a in agencies}
    publishers = [Publisher(outboxes[a], a, settings.kafka_bootstrap_servers, login=agency_login(settings, a))
                  for a in agencies]
    tasks: list[asyncio.Task[object]] = [
        asyncio.create_task(p.drain(stop=stop, forever=True, poll=settings.adapter_poll_seconds))
        for p in publishers]
    for agency, runs in formats.items():
        for fmt in runs:
            folder = settings.adapter_drop_dir / agency.lower() / fmt.name
            folder.mkdir(parents=True, exist_ok=True)
            tasks.append(asyncio.create_task(watch(fmt, folder, contexts[agency], signers[agency], outboxes[agency],
                                                   stop, settings.adapter_poll_seconds)))
    log.info("watching %d participants' formats under %s", len(formats), settings.adapter_drop_dir)
    try:
        await asyncio.gather(*tasks)
    finally:
        for publisher in publishers:
            await publisher.close()
        for outbox in outboxes.values():
            outbox.close()


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = GatewaySettings()
    setup_tracing("los-adapters", settings.otel_exporter)
    serve_metrics(settings.metrics_port, settings.metrics_host)  # los_adapter_* (LOS_METRICS_PORT)
    asyncio.run(serve(settings))


if __name__ == "__main__":
    main()
