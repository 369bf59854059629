"""`python -m services.adapters feed`: what was shared with the agency, into its case system."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from pathlib import Path
from typing import Annotated

import typer
from aiokafka.errors import GroupAuthorizationFailedError, KafkaError, TopicAuthorizationFailedError
from rich.console import Console

from schemas.agencies import load_agencies
from schemas.topics import feed_topic
from services.adapters.feed.reader import FeedReader, WriteFailed, consume, new_consumer
from services.adapters.feed.sinks import FolderSink, HttpSink, Sink
from services.adapters.feed.store import DeliveredViews, JsonLines, destination_file
from services.adapters.settings import AdapterSettings
from services.common.kafka_security import KafkaCredentialsError, KafkaLogin, adapter_principal, client_options

console = Console(stderr=True)
LOGIN_HINT = ("set LOS_KAFKA_USERNAME=adapter-{agency} and LOS_KAFKA_PASSWORD (its password), or"
              " LOS_KAFKA_CREDENTIALS_FILE naming a file that holds it")


def _fail(text: str, code: int = 2) -> typer.Exit:
    console.print(f"[red]error:[/] {text}")
    return typer.Exit(code)


def _login(settings: AdapterSettings, agency: str) -> KafkaLogin | None:
    """This process's own login, else the agency's adapter principal from the credentials file."""
    principal = adapter_principal(agency)
    try:
        if settings.kafka_username or settings.kafka_credentials_file is None:
            return settings.kafka_login()
        return settings.kafka_login(principal)
    except KafkaCredentialsError as error:
        raise _fail(f"{error}; {LOGIN_HINT.format(agency=agency.lower())}") from error


def feed(
    agency: Annotated[str, typer.Option("--agency", "-a", help="Your participant code, e.g. TAX.")],
    out: Annotated[Path | None, typer.Option(
        help="Write each operation's latest view to OUT/<operation_id>.json (replaced atomically), and a line"
             " per record received to OUT/received.jsonl.", file_okay=False)] = None,
    post: Annotated[str | None, typer.Option(
        help="POST each new view (JSON) to this endpoint of the case system instead, retrying until it answers"
             " 2xx.")] = None,
    from_beginning: Annotated[bool, typer.Option(
        "--from-beginning", help="Read the feed from its oldest retained message, not from where this reader"
                                 " stopped. Views the destination already has are still skipped.")] = False,
    state_dir: Annotated[Path | None, typer.Option(
        help="What was delivered to each destination, the quarantine and (with --post) the received log"
             " (default: LOS_ADAPTER_SPOOL_DIR/<agency>/feed).", file_okay=False)] = None,
    group: Annotated[str | None, typer.Option(
        help="Kafka consumer group; must start with adapter-<agency> (default: adapter-<agency>-feed). Give each"
             " destination its own.")] = None,
) -> None:
    """Read the agency's own feed (los.feed.<agency>): check each message against the published
    contract, drop duplicates and views the destination already has, and write what was
    shared with the agency to files or POST it to the case system. Invalid messages go to a
    quarantine file with the reason. Runs until SIGTERM or Ctrl-C."""
    settings = AdapterSettings()
    code = agency.upper()
    agencies = load_agencies()
    if code not in agencies:
        raise _fail(f"unknown participant {agency!r}; see schemas/agencies.yaml (e.g. {', '.join(list(agencies)[:4])})")
    if (out is None) == (post is None):
        raise _fail("give exactly one destination: --out DIR or --post URL")
    if post is not None and not post.startswith(("http://", "https://")):
        raise _fail(f"--post takes an http:// or https:// URL, not {post!r}")
    principal = adapter_principal(code)
    group = group or f"{principal}-feed"
    if not group.startswith(principal):
        raise _fail(f"the consumer group must start with {principal} (the broker lets the adapter use no other)")
    login = _login(settings, code)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    for chatty in ("aiokafka", "httpx"):  # their warnings and refusals stay: they name the cause
        logging.getLogger(chatty).setLevel(logging.WARNING)
    state = state_dir or settings.adapter_spool_dir / code.lower() / "feed"
    exit_code = asyncio.run(_run(code, out, post, from_beginning, state, group, settings.kafka_bootstrap_servers,
                                 login))
    if exit_code:
        raise typer.Exit(exit_code)


async def _run(agency: str, out: Path | None, post: str | None, from_beginning: bool, state: Path, group: str,
               bootstrap: str, login: KafkaLogin | None) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    topic = feed_topic(agency)
    sink: Sink = FolderSink(out) if out is not None else HttpSink(str(post), stop)
    views = DeliveredViews(destination_file(state, sink.destination), sink.destination)
    received = JsonLines((out or state) / "received.jsonl")
    quarantine = JsonLines(state / "quarantine.jsonl")
    reader = FeedReader(sink, views, received, quarantine)
    consumer = new_consumer(topic, group=group, client_id=f"los-feed-{agency.lower()}", from_beginning=from_beginning,
                            options={"bootstrap_servers": bootstrap, **client_options(login)})
    who = login.username if login else "no login"
    progress = asyncio.create_task(_progress(reader, topic, stop))
    started = False
    try:
        await consumer.start()
        started = True
        console.print(f"reading {topic} as {who} (group {group}) into {sink.destination.split(':', 1)[1]}")
        await consume(consumer, reader, stop)
    except TopicAuthorizationFailedError as error:
        console.print(f"[red]error:[/] {who} may not read {topic} ({error}); an adapter reads only its own agency's"
                      f" feed: {LOGIN_HINT.format(agency=agency.lower())}")
        return 1
    except GroupAuthorizationFailedError as error:
        console.print(f"[red]error:[/] {who} may not use the consumer group {group} ({error}); use a group that"
                      f" starts with {adapter_principal(agency)}")
        return 1
    except WriteFailed as error:
        console.print(f"[red]error:[/] cannot write what was received ({error}); what was handled before is"
                      " committed, the rest is read again at the next start")
        return 1
    except KafkaError as error:
        doing = "lost the connection to" if started else "cannot connect or log in to"
        console.print(f"[red]error:[/] {doing} Kafka at {bootstrap} as {who} ({error}); is the broker reachable,"
                      f" and are the login settings right? {LOGIN_HINT.format(agency=agency.lower())}")
        return 1
    finally:
        stop.set()
        await progress
        with contextlib.suppress(KafkaError):
            await consumer.stop()
        await sink.close()
        views.close()
        received.close()
        quarantine.close()
        if started:
            console.print(reader.counts.line(topic))
    return 0


async def _progress(reader: FeedReader, topic: str, stop: asyncio.Event, every: float = 5.0) -> None:
    """A progress line whenever something was received since the last one."""
    shown = 0
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=every)
        if reader.counts.received != shown and not stop.is_set():
            shown = reader.counts.received
            console.print(reader.counts.line(topic))
