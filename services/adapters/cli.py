"""`python -m services.adapters`: run an agency's system adapter on export files.

    ingest FILES...   map, sign, store and publish files, then exit (`--dry-run`: only map and check)
    run --watch DIR   keep publishing files dropped into DIR (the usual way to run an adapter)
    replay            send already-published events again (same ids; the coordinator de-duplicates)
    status            outbox, quarantine and receipt counts
    receipts          what the coordinator made of each event: accepted, parked, duplicate, rejected
    quarantine        records that could not be mapped, with the reason
    formats           the native formats this adapter understands
    new AGENCY        write an agency's own adapter package: a CSV format, a sample, tests
    feed --agency A   what was shared with the agency (its feed), into files or its case system

It signs with the agency's adapter key in its own folder (`LOS_ADAPTER_KEYS_DIR/<agency>`),
which an administrator registers with `python -m services.keys register --agency <CODE>`.

`ingest` exits 0 when every record of every file mapped, 3 (`REJECTED`) when some were
quarantined (the rest published), 2 on a usage error (an unknown format or participant, no key)
and 1 when it could not run (the pseudonym service did not answer).
"""

from __future__ import annotations

import asyncio
import datetime
import logging
import signal
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from schemas.signing import ADAPTER
from services.adapters.agencies import FormatError, all_formats, bound, participants_running
from services.adapters.dryrun import dry_run
from services.adapters.feed.command import feed
from services.adapters.kit.scaffold import ScaffoldError, scaffold
from services.adapters.receipts_cli import receipt_summary, receipts
from services.adapters.sdk.drop import file_away
from services.adapters.sdk.mapping import AgencyFormat, MappingContext
from services.adapters.sdk.outbox import Outbox
from services.adapters.sdk.pipeline import FileResult, Signer, ingest_file
from services.adapters.sdk.pseudonyms import OprfClient, PseudonymServiceError
from services.adapters.sdk.publisher import Publisher
from services.adapters.settings import AdapterSettings
from services.common.keys import adapter_holder, holder_key, load_registry
from services.common.periodic import sleep_unless_stopped
from services.common.telemetry import serve_metrics, setup_tracing

app = typer.Typer(help="Run an agency's system adapter: export files in, signed events to Kafka out.",
                  no_args_is_help=True, add_completion=False)
app.command()(receipts)
console = Console(stderr=True)
FAILED, USAGE, REJECTED = 1, 2, 3  # exit codes besides 0 (every record mapped)
app.command()(feed)

FormatName = Annotated[str, typer.Option("--format", "-f", help="Native format (see `formats`).")]
Participant = Annotated[str | None, typer.Option(
    "--agency", "-a", help="The participant this adapter runs for, e.g. MUNI_SOCIAL_0580 (needed for a"
                           " municipal format; a national agency's format is its own).")]


def _format(name: str, agency: str | None = None) -> AgencyFormat:
    """The format, run as the participant `agency` (the format's own agency by default)."""
    formats = _all_formats()
    if name not in formats:
        known = ", ".join(sorted(formats)) or "none installed"
        console.print(f"[red]error:[/] unknown format {name!r}; known formats: {known}")
        raise typer.Exit(USAGE)
    fmt = formats[name]
    running = participants_running(fmt)
    if not running:
        console.print(f"[red]error:[/] {name} is a format of {fmt.agency}, which is not in schemas/agencies.yaml;"
                      " adding a participant is an entry there (docs/topics.md, 'Adding a participant')")
        raise typer.Exit(USAGE)
    if agency is None:
        if fmt.agency in running and running == [fmt.agency]:
            return fmt
        console.print(f"[red]error:[/] {name} is a format of {fmt.agency}, which every municipality runs as"
                      f" its own authority: name yours with --agency, one of {', '.join(running)}")
        raise typer.Exit(USAGE)
    try:
        return bound(fmt, agency.upper())
    except ValueError as error:
        console.print(f"[red]error:[/] {error}; participants running it: {', '.join(running)}")
        raise typer.Exit(USAGE) from error


def _all_formats() -> dict[str, AgencyFormat]:
    try:
        return all_formats()
    except FormatError as error:
        console.print(f"[red]error:[/] {error}", highlight=False)
        raise typer.Exit(USAGE) from error


def _outbox(settings: AdapterSettings, agency: str) -> Outbox:
    return Outbox(settings.adapter_spool_dir / agency.lower() / "outbox.db")


def _context(settings: AdapterSettings, signer: Signer) -> MappingContext:
    """Pseudonyms come from the pseudonym service, asked with the agency's signing key."""
    client = OprfClient(settings.pseudonym_url, signer.agency, signer.key_id, signer.key)
    return MappingContext(pseudonyms=client, today=datetime.date.today(), system=settings.adapter_system)


def _signer(settings: AdapterSettings, agency: str) -> Signer:
    holder = adapter_holder(settings.adapter_keys_dir, agency)
    found = holder_key(load_registry(settings.keys_dir), holder, agency=agency, kind=ADAPTER,
                       at=datetime.datetime.now(datetime.UTC))
    if found is None:
        console.print(f"[red]error:[/] no valid adapter key of {agency} in {holder}; an administrator registers "
                      f"one with `python -m services.keys register --agency {agency} --kind adapter` "
                      f"(the registry is {settings.keys_dir / 'registry.json'})")
        raise typer.Exit(USAGE)
    return Signer(agency, *found)


def _report(results: list[FileResult]) -> None:
    table = Table("file", "records", "new", "quarantined")
    for r in results:
        table.add_row(r.file, "done before" if r.skipped else str(r.events), str(r.new),
                      f"{r.errors}, held back whole" if r.held_back else str(r.errors))
    console.print(table)


@app.command()
def ingest(
    files: Annotated[list[Path], typer.Argument(exists=True, dir_okay=False, help="Export files.")],
    fmt: FormatName,
    agency: Participant = None,
    publish: Annotated[bool, typer.Option(help="Publish to Kafka before exiting.")] = True,
    force: Annotated[bool, typer.Option(help="Map files again even if done before.")] = False,
    all_or_nothing: Annotated[bool, typer.Option(
        "--all-or-nothing", help="Store nothing of a file with any bad record: it is quarantined whole.")] = False,
    dry: Annotated[bool, typer.Option(
        "--dry-run", help="Only map and check: print the events and every error; no broker, outbox or key.")] = False,
    table: Annotated[bool, typer.Option("--table", help="With --dry-run: the events as a table.")] = False,
) -> None:
    """Map, sign and store export files in the outbox, then publish them. Exits 0 when every
    record mapped, 3 when some were quarantined, 2 on a usage error, 1 when it could not run."""
    settings = AdapterSettings()
    fmt_ = _format(fmt, agency)
    if dry:
        mapped = dry_run(files, fmt_, settings, table=table, out=Console(highlight=False), err=console)
        raise typer.Exit(0 if mapped else REJECTED)
    setup_tracing(f"los-adapter-{fmt_.agency.lower()}", settings.otel_exporter)
    outbox = _outbox(settings, fmt_.agency)
    signer = _signer(settings, fmt_.agency)
    ctx = _context(settings, signer)
    results = []
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("mapping", total=len(files))
        for path in files:
            try:
                results.append(ingest_file(path, fmt_, ctx, signer, outbox, force=force,
                                           all_or_nothing=all_or_nothing))
            except PseudonymServiceError as error:
                console.print(f"[red]error:[/] {path.name}: {error}")
                raise typer.Exit(FAILED) from error
            progress.advance(task)
    _report(results)
    if publish:
        sent = asyncio.run(_drain(outbox, fmt_.agency, settings))
        console.print(f"published {sent} events to Kafka")
    if any(r.errors for r in results):
        console.print(f"some records were quarantined: see `python -m services.adapters quarantine --agency "
                      f"{fmt_.agency}`")
        raise typer.Exit(REJECTED)


async def _drain(outbox: Outbox, agency: str, settings: AdapterSettings) -> int:
    publisher = Publisher(outbox, agency, settings.kafka_bootstrap_servers, login=settings.kafka_login())
    try:
        return await publisher.drain()
    finally:
        await publisher.close()


@app.command()
def run(
    fmt: FormatName,
    watch: Annotated[Path, typer.Option(help="Folder the agency system drops exports into.")],
    agency: Participant = None,
    poll: Annotated[float, typer.Option(help="Seconds between looks at the folder.")] = 1.0,
    all_or_nothing: Annotated[bool, typer.Option(
        "--all-or-nothing", help="Store nothing of a file with any bad record: it is quarantined whole.")] = False,
) -> None:
    """Watch a folder: every file dropped there is mapped, stored and published; files
    done are moved to `<watch>/done/`, files of which nothing was stored (held back whole)
    to `<watch>/rejected/`. Bad records are reported and quarantined; it keeps going.
    Runs until SIGTERM or Ctrl-C."""
    settings = AdapterSettings()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    bound_format = _format(fmt, agency)
    setup_tracing(f"los-adapter-{bound_format.agency.lower()}", settings.otel_exporter)
    serve_metrics(settings.metrics_port, settings.metrics_host)  # los_adapter_* (LOS_METRICS_PORT)
    asyncio.run(_run(bound_format, watch, poll, settings, all_or_nothing))


async def _run(fmt: AgencyFormat, watch: Path, poll: float, settings: AdapterSettings,
               all_or_nothing: bool = False) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    outbox = _outbox(settings, fmt.agency)
    signer = _signer(settings, fmt.agency)
    ctx = _context(settings, signer)
    publisher = Publisher(outbox, fmt.agency, settings.kafka_bootstrap_servers, login=settings.kafka_login())
    sender = asyncio.create_task(publisher.drain(stop=stop, forever=True, poll=poll))
    (watch / "done").mkdir(parents=True, exist_ok=True)
    try:
        while not stop.is_set():
            for path in sorted(watch.glob(f"*{fmt.suffix}")):
                try:
                    result = ingest_file(path, fmt, ctx, signer, outbox, all_or_nothing=all_or_nothing)
                except PseudonymServiceError as error:
                    logging.error("%s stays in %s and is tried again: %s", path.name, watch, error)
                    continue
                file_away(path, result)
            await sleep_unless_stopped(stop, poll)
    finally:
        stop.set()
        await sender
        await publisher.close()
        outbox.close()


@app.command()
def replay(
    agency: Annotated[str, typer.Option(help="Agency code, e.g. TAX.")],
    from_seq: Annotated[int, typer.Option(help="First outbox sequence number to send again.")] = 0,
) -> None:
    """Send already-published events again, in their original order and with their own ids."""
    settings = AdapterSettings()
    outbox = _outbox(settings, agency)
    queued = outbox.mark_unsent(from_seq)
    console.print(f"queued {queued} events again")
    sent = asyncio.run(_drain(outbox, agency, settings))
    console.print(f"published {sent} events")


@app.command()
def status(agency: Annotated[str, typer.Option(help="Agency code, e.g. TAX.")]) -> None:
    """Outbox and quarantine counts of one agency's adapter, and what its receipts say."""
    settings = AdapterSettings()
    counts = _outbox(settings, agency).counts()
    table = Table(*counts.keys())
    table.add_row(*(str(v) for v in counts.values()))
    console.print(table)
    console.print(receipt_summary(settings, agency))


@app.command()
def quarantine(
    agency: Annotated[str, typer.Option(help="Agency code, e.g. TAX.")],
    limit: Annotated[int, typer.Option(help="How many records to show.")] = 50,
) -> None:
    """Records that could not be mapped: file, line, field and what is wrong."""
    table = Table("file", "line", "field", "reason")
    for q in _outbox(AdapterSettings(), agency).quarantined(limit):
        table.add_row(q.file, str(q.line), q.field, q.message)
    console.print(table)


@app.command()
def new(
    agency: Annotated[str | None, typer.Argument(
        help="The participant code in schemas/agencies.yaml, e.g. SOCIAL_INSURANCE or MUNI_SOCIAL_0580.")] = None,
    agency_option: Annotated[str | None, typer.Option("--agency", "-a", help="The same, as an option.")] = None,
    out: Annotated[Path | None, typer.Option(help="The folder to write [default: ./los-adapter-<agency>].")] = None,
    name: Annotated[str | None, typer.Option(help="The format's name [default: <agency>-export].")] = None,
) -> None:
    """Write an agency's own adapter package: a documented CSV format, a sample, tests and a README."""
    code = agency or agency_option
    if code is None:
        console.print("[red]error:[/] name the participant: `python -m services.adapters new <AGENCY>`")
        raise typer.Exit(USAGE)
    try:
        written = scaffold(code, out, name, taken=set(_all_formats()))
    except ScaffoldError as error:
        console.print(f"[red]error:[/] {error}", highlight=False)
        raise typer.Exit(USAGE) from error
    console.print(f"wrote {written.folder}: format {written.format_name} of {written.agency}; next steps in "
                  f"{written.folder / 'README.md'}", highlight=False)


@app.command()
def formats() -> None:
    """The native export formats adapters understand."""
    table = Table("format", "function", "run by", "file", "description")
    for fmt in _all_formats().values():
        table.add_row(fmt.name, fmt.agency, ", ".join(participants_running(fmt)), fmt.suffix, fmt.description)
    console.print(table)
