"""`python -m services.adapters receipts`: did each event arrive, and what became of it.

Reads the agency's receipts topic as the agency's adapter principal (`adapter-<agency>`) and
matches it with the outbox: per event, whether it was sent and whether the coordinator
accepted, parked, set aside as a duplicate or rejected it (and why). `status` shows the
same counts.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import json
import logging
from collections.abc import Iterator
from typing import Annotated, Any

import typer
from aiokafka.errors import KafkaError
from rich.console import Console
from rich.table import Table

from schemas.topics import receipts_topic
from services.adapters.sdk.ledger import LABELS, Ledger, Tracked, match
from services.adapters.sdk.outbox import Outbox
from services.adapters.sdk.receipts import ReceiptsUnavailable, read_receipts
from services.adapters.settings import AdapterSettings
from services.common.kafka_security import KafkaCredentialsError, adapter_principal

console = Console(stderr=True)


class CannotRead(Exception):
    """The receipts could not be read; the message says what to set or do."""


def ledger(settings: AdapterSettings, agency: str, *, since: datetime.datetime | None = None,
           event: str | None = None) -> Ledger:
    """The outbox of `agency` matched with its receipts, or `CannotRead`."""
    outbox = Outbox(settings.adapter_spool_dir / agency.lower() / "outbox.db")
    try:
        entries = outbox.entries(since=since.astimezone(datetime.UTC).isoformat() if since else None,
                                 event_id=event)
    finally:
        outbox.close()
    return match(entries, asyncio.run(_read(settings, agency, since)))


async def _read(settings: AdapterSettings, agency: str, since: datetime.datetime | None) -> list[Any]:
    principal, servers = adapter_principal(agency), settings.kafka_bootstrap_servers
    how = (f"set LOS_KAFKA_BOOTSTRAP_SERVERS, LOS_KAFKA_USERNAME={principal} and LOS_KAFKA_PASSWORD"
           " (or LOS_KAFKA_CREDENTIALS_FILE with its password)")
    try:
        options = ({} if settings.kafka_username is None and settings.kafka_credentials_file is None
                   else settings.kafka_client_options(principal))
        with _kafka_complaints() as complaints:
            return await read_receipts(servers, options, agency, since=since)
    except KafkaCredentialsError as error:
        raise CannotRead(f"{error}; receipts of {agency} are read as {principal}: {how}") from error
    except ReceiptsUnavailable as error:
        raise CannotRead(f"{receipts_topic(agency)}: {error}. It is made with the other topics and ACLs"
                         " (`python -m deploy.local topics` and `access`, or `make up`)") from error
    except (KafkaError, OSError) as error:
        why = complaints[-1] if complaints else f"{type(error).__name__}: {error}"
        raise CannotRead(f"cannot reach Kafka at {servers} or log in there as {principal} ({why}); {how}") from error


@contextlib.contextmanager
def _kafka_complaints() -> Iterator[list[str]]:
    """What aiokafka logs as errors meanwhile (a refused login is only said there), kept for
    the message instead of printed."""
    complaints: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            complaints.append(record.getMessage())

    logger, handler = logging.getLogger("aiokafka"), Keep(logging.ERROR)
    propagate, logger.propagate = logger.propagate, False
    logger.addHandler(handler)
    try:
        yield complaints
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate


def receipts(
    agency: Annotated[str, typer.Option(help="Agency code, e.g. TAX.")],
    since: Annotated[datetime.datetime | None, typer.Option(
        parser=lambda text: _time(text), metavar="TIME",
        help="Only events queued at or after this time, ISO 8601: 2026-03-12, 2026-03-12T09:30 (local"
             " time) or with an offset, 2026-03-12T09:30+01:00.")] = None,
    event: Annotated[str | None, typer.Option(help="Only this event id, with every receipt it got.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="Show at most this many events, the newest.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON on standard output.")] = False,
) -> None:
    """What the coordinator made of each event in the outbox: accepted, parked, duplicate,
    rejected and why, or no receipt yet."""
    try:
        found = ledger(AdapterSettings(), agency.upper(), since=since, event=event)
    except CannotRead as error:
        console.print(f"[red]error:[/] {error}")
        raise typer.Exit(2) from error
    if as_json:
        typer.echo(json.dumps(_json(found), indent=2))
        return
    table = Table("seq", "event id", "sent", "state", "operation", "reason", "detail")
    for t in found.events[-limit:]:
        r = t.receipt
        table.add_row(str(t.entry.seq), t.entry.event_id, (t.entry.sent_at or "")[:19] or "no", LABELS[t.state],
                      *((r.operation_id or "", r.reason or "", r.detail or "") if r else ("", "", "")))
    console.print(table)
    if event is not None:
        for t in found.events:
            for r in t.history:
                console.print(f"  receipt {r.seq} at {r.at:%Y-%m-%d %H:%M:%S}: {r.status}"
                              f"{' ' + r.operation_id if r.operation_id else ''}"
                              f"{' (' + str(r.reason) + ': ' + str(r.detail) + ')' if r.reason else ''}")
    console.print(found.summary())


def _time(text: str) -> datetime.datetime:
    try:
        return datetime.datetime.fromisoformat(text).astimezone()  # a time without an offset is local
    except ValueError as error:
        raise typer.BadParameter(f"{text!r} is not an ISO 8601 date or time") from error


def receipt_summary(settings: AdapterSettings, agency: str) -> str:
    """The summary line for `status`, or why there is none."""
    try:
        return "receipts: " + ledger(settings, agency.upper()).summary()
    except CannotRead as error:
        return f"receipts: not read ({error})"


def _json(found: Ledger) -> dict[str, Any]:
    def one(t: Tracked) -> dict[str, Any]:
        return {"seq": t.entry.seq, "event_id": t.entry.event_id, "queued_at": t.entry.accepted_at,
                "sent_at": t.entry.sent_at, "partition": t.entry.partition, "offset": t.entry.offset,
                "state": t.state, "receipts": [r.model_dump(mode="json") for r in t.history]}

    return {"events": [one(t) for t in found.events], "counts": dict(found.counts), "unmatched": found.unmatched,
            "summary": found.summary()}

