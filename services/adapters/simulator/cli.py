"""`python -m services.adapters.simulator`: simulated LOS campaigns and event streams.

    campaign   three springs of operations in Östergötland: native export files of every
               agency, events.jsonl and ground_truth.json
    stream     canonical events at any volume, as JSON lines, with the ground truth of exactly
               those events (twelve regions side by side unless --scale ostergotland)
"""

from __future__ import annotations

import datetime
import hashlib
import time
import warnings
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from services.adapters.sdk.mapping import MappingContext
from services.adapters.simulator.campaign import generate_campaign, stream_events
from services.adapters.simulator.config import ScenarioConfig
from services.adapters.simulator.export import event_line, write_native, write_truth
from services.adapters.simulator.places import REGIONS
from services.adapters.simulator.truth import GroundTruth
from services.common.pseudonyms import LocalPseudonymiser

# A fixed, public OPRF key so that runs without --oprf-key-file are reproducible. It protects
# nothing. With the platform's key file (LOS_OPRF_KEY_FILE, the pseudonym service's) the events
# carry the pseudonyms adapters get from that service: a platform-side tool only.
SIMULATION_KEY = hashlib.sha256(b"los-simulator: public test key, not a secret").digest()

app = typer.Typer(help="Simulate LOS operations: native export files, canonical events, ground truth.",
                  no_args_is_help=True, add_completion=False)
console = Console(stderr=True)

Seed = Annotated[int, typer.Option(help="Random seed: the same seed gives the same output.")]
Scale = Annotated[str, typer.Option(help=f"Regions: {', '.join(REGIONS)} (national adds eleven more).")]
KeyFile = Annotated[Path | None, typer.Option(
    "--oprf-key-file", exists=True, dir_okay=False, envvar="LOS_OPRF_KEY_FILE",
    help="The pseudonym service's OPRF key file (32+ bytes); default: a fixed public test key.")]


def _key(path: Path | None) -> bytes:
    if path is None:
        return SIMULATION_KEY
    key = path.read_bytes()
    if len(key) < 32:
        console.print(f"[red]error:[/] {path} holds {len(key)} bytes; an OPRF key file holds 32 or more")
        raise typer.Exit(2)
    return key


def _config(scale: str, **values: object) -> ScenarioConfig:
    try:
        return ScenarioConfig(scale=scale, **values)  # type: ignore[arg-type]
    except ValueError as error:
        console.print(f"[red]error:[/] {error}")
        raise typer.Exit(2) from None


def _summary(truth: GroundTruth, title: str) -> Table:
    table = Table(title=title, show_header=False)
    for kind, count in truth["events_by_type"].items():
        table.add_row(kind, f"{count:,}")
    table.add_row("events", f"{truth['event_count']:,}", style="bold")
    operations = truth["operations"].values()
    table.add_row("operations", f"{len(operations):,}")
    table.add_row("distinct premises", f"{len(truth['subjects']['premises']):,}")
    table.add_row("visits", f"{sum(o['visits'] for o in operations):,}")
    for kind in ("imposed", "recovered", "stopped"):
        table.add_row(f"SEK {kind}", f"{sum(o['amounts_sek'][kind] for o in operations):,}")  # type: ignore[literal-required]
    table.add_row("signals (businesses)", f"{len(truth['signals']):,}")
    return table


@app.command()
def campaign(
    seed: Seed = 1,
    out: Annotated[Path, typer.Option(help="Output folder.")] = Path("sim-out"),
    native: Annotated[bool, typer.Option("--native/--canonical", help=(
        "Also write each agency's native export files (--canonical: only events.jsonl and "
        "ground_truth.json)."))] = True,
    split: Annotated[bool, typer.Option("--split/--single", help=(
        "One native file per agency format and operation, like a file drop."))] = False,
    springs: Annotated[int, typer.Option(min=1, help="How many springs (four operations each).")] = 3,
    first_year: Annotated[int, typer.Option(help="Year of the first spring.")] = 2024,
    scale: Scale = "ostergotland",
    key_file: KeyFile = None,
) -> None:
    """A campaign: operations, inspections, decisions, with the ground truth."""
    config = _config(scale, springs=springs, first_year=first_year)
    key = _key(key_file)
    result = generate_campaign(seed, pseudonym_key=key, config=config)
    ctx = MappingContext(pseudonyms=LocalPseudonymiser(key), today=datetime.date(first_year + springs, 12, 31))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if native:
            files = write_native(result, out, ctx, split_by_operation=split).files
        else:
            files = write_native(result, out, ctx, formats=lambda agency: []).files[:2]
    for warning in caught:
        if native:
            console.print(f"[yellow]warning:[/] {warning.message}")
    table = _summary(result.truth, f"campaign seed {seed}: {out}")
    table.add_row("files written", str(len(files)))
    console.print(table)


@app.command()
def stream(
    seed: Seed = 1,
    events: Annotated[int, typer.Option(min=1, help="How many events.")] = 100_000,
    out: Annotated[Path, typer.Option(help="Events as JSON lines.")] = Path("events.jsonl"),
    truth: Annotated[Path | None, typer.Option(help=(
        "Ground truth of the streamed events; default: next to --out, ending .truth.json."))] = None,
    event_ids: Annotated[bool, typer.Option("--event-ids/--no-event-ids", help=(
        "List every event id in the truth (16 bytes each in memory)."))] = True,
    first_year: Annotated[int, typer.Option(help="Year of the first spring.")] = 2024,
    scale: Scale = "national",
    key_file: KeyFile = None,
) -> None:
    """Canonical events at any volume, generated operation by operation (by default in twelve
    regions side by side, so that 100,000 events span some thirty years, not three hundred)."""
    config = _config(scale, springs=None, first_year=first_year)
    source = stream_events(seed, events, pseudonym_key=_key(key_file), config=config,
                           keep_event_ids=event_ids)
    truth_path = truth or out.with_name(out.name.removesuffix(".jsonl") + ".truth.json")
    started = time.monotonic()
    span: Counter[str] = Counter()
    columns = (TextColumn("[progress.description]{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeRemainingColumn())
    with out.open("w", encoding="utf-8") as handle, Progress(*columns, console=console) as progress:
        task = progress.add_task("events", total=events)
        for n, event in enumerate(source, start=1):
            handle.write(event_line(event) + "\n")
            if n == 1:
                span["first"] = event.time.year
            if n % 2_000 == 0 or n == events:
                progress.update(task, completed=n)
        span["last"] = event.time.year
    write_truth(source.truth(), truth_path)
    elapsed = time.monotonic() - started
    table = _summary(source.truth(), f"stream seed {seed}: {out}, {truth_path}")
    table.add_row("years", f"{span['first']}-{span['last']}")
    table.add_row("seconds", f"{elapsed:,.1f} ({source.produced / max(elapsed, 1e-9):,.0f} events/s)")
    console.print(table)
