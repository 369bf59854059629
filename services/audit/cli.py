"""`python -m services.audit`: the auditor's tools."""

from __future__ import annotations

import asyncio
import datetime
import json
from pathlib import Path
from typing import Annotated, Any

import asyncpg
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from schemas.identifiers import IdentifierError, parse_organisationsnummer, parse_personnummer, pseudonymise
from services.audit import review
from services.audit.checkpoints import read_published
from services.audit.digests import load_audit_digests
from services.audit.settings import AuditSettings
from services.common.keys import load_registry
from services.common.pseudonyms import LocalPseudonymiser, load_oprf_seed

app = typer.Typer(help="Audit reviews: verify the chain, export entries, report per subject or agency.",
                  no_args_is_help=True, add_completion=False)
console = Console()
Since = Annotated[datetime.datetime | None, typer.Option(help="From this time (inclusive).")]
Until = Annotated[datetime.datetime | None, typer.Option(help="Until this time (exclusive).")]


def _run(coro: Any) -> Any:
    return asyncio.run(coro)


async def _connect(settings: AuditSettings) -> asyncpg.Connection:
    try:
        return await asyncpg.connect(settings.database_url)
    except (OSError, asyncpg.PostgresError) as error:
        console.print(f"[red]error:[/] cannot reach the database ({error}); is the system up (`make up`)? "
                      "Settings come from LOS_DATABASE_URL.")
        raise typer.Exit(2) from error


@app.command()
def verify(
    checkpoints: Annotated[bool, typer.Option(help="Also hold the chain against the published checkpoints.")] = True,
) -> None:
    """Verify the whole hash chain and the signed checkpoints; name the first broken entry."""
    settings = AuditSettings()

    async def go() -> review.Report:
        conn = await _connect(settings)
        try:
            total = await conn.fetchval("SELECT count(*) FROM audit_log")
            published = (await read_published(settings.kafka_bootstrap_servers, login=settings.kafka_login())
                         if checkpoints else [])
            with Progress(TextColumn("verifying"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                          TimeRemainingColumn(), console=console) as progress:
                task = progress.add_task("chain", total=total)
                return await review.verify(conn, published, load_registry(settings.keys_dir),
                                           progress=lambda n: progress.advance(task, n))
        finally:
            await conn.close()

    report = _run(go())
    if report.ok:
        console.print(f"[green]the audit chain is intact[/]: {report.checked} entries, head {report.head_seq}")
        return
    console.print(f"[red]the audit chain is NOT intact[/] (verified {report.checked} entries)")
    if report.broken_at is not None:
        console.print(f"first broken entry: {report.broken_at}")
    for problem in report.problems:
        console.print(f"  - {problem}")
    raise typer.Exit(1)


@app.command()
def export(
    out: Annotated[Path | None, typer.Option(help="File to write [default: standard output].")] = None,
    fmt: Annotated[str, typer.Option("--format", help="json or csv.")] = "json",
    since: Since = None, until: Until = None,
    agency: Annotated[str | None, typer.Option(help="Entries where this agency disclosed or received.")] = None,
    subject: Annotated[str | None, typer.Option(help="A subject key (org:..., psn:...).")] = None,
) -> None:
    """Export audit entries by period, agency or subject as JSON or CSV."""
    if fmt not in ("json", "csv"):
        console.print("[red]error:[/] --format is json or csv")
        raise typer.Exit(2)
    settings = AuditSettings()

    digests = _subject_digests([subject], settings) if subject else None

    async def go() -> list[dict[str, Any]]:
        conn = await _connect(settings)
        try:
            return await review.entries(conn, since=since, until=until, agency=agency, subjects=digests)
        finally:
            await conn.close()

    rows = _run(go())
    text = review.to_csv(rows) if fmt == "csv" else json.dumps(rows, ensure_ascii=False, indent=2)
    if out:
        out.write_text(text, encoding="utf-8")
        console.print(f"wrote {len(rows)} entries to {out}")
    else:
        typer.echo(text)


def _subject_keys(orgnr: str | None, personnummer: str | None, settings: AuditSettings) -> list[str]:
    """The subject's keys in the log: a person's pseudonym under the OPRF key (and under the
    old shared key, when it is kept, for entries written before the pseudonym service)."""
    try:
        if orgnr:
            return [f"org:{parse_organisationsnummer(orgnr)}"]
        if personnummer:
            pnr = parse_personnummer(personnummer, today=datetime.date.today())
            person = LocalPseudonymiser(load_oprf_seed(settings.oprf_key_file)).of(pnr)
            keys = [person, f"st:{person}"]  # as a person, and as a sole trader's business
            if settings.legacy_pseudonym_key_file is not None:
                old = pseudonymise(pnr, settings.legacy_pseudonym_key_file.read_bytes())
                keys += [old, f"st:{old}"]
            return keys
    except IdentifierError as error:
        console.print(f"[red]error:[/] {error}")
        raise typer.Exit(2) from error
    except OSError as error:
        console.print(f"[red]error:[/] {error} (a report by personnummer runs where the platform's key is)")
        raise typer.Exit(2) from error
    console.print("[red]error:[/] give --orgnr or --personnummer")
    raise typer.Exit(2)


def _subject_digests(keys: list[str], settings: AuditSettings) -> list[str]:
    """Every digest entries may name these subjects by: keyed, and as entries written before
    the audit digest key did (plain SHA-256)."""
    try:
        digests = load_audit_digests(settings.audit_digest_key_file)
    except (OSError, ValueError) as error:
        console.print(f"[red]error:[/] {error} (finding a subject's entries needs the audit digest key)")
        raise typer.Exit(2) from error
    return sorted({d for key in keys for d in digests.subject_forms(key)})


@app.command("access-report")
def access_report(
    orgnr: Annotated[str | None, typer.Option(help="A business's organisationsnummer.")] = None,
    personnummer: Annotated[str | None, typer.Option(help="A person's personnummer (pseudonymised here).")] = None,
) -> None:
    """Everything disclosed about a business or person: to whom, when, on which basis."""
    settings = AuditSettings()
    subjects = _subject_digests(_subject_keys(orgnr, personnummer, settings), settings)

    async def go() -> list[dict[str, Any]]:
        conn = await _connect(settings)
        try:
            return await review.access_report(conn, subjects)
        finally:
            await conn.close()

    rows = _run(go())
    table = Table("when", "from", "to", "operation", "category", "basis", "purpose")
    for r in rows:
        table.add_row(str(r["at"])[:16], r["owner"], r["recipient"], r["operation_id"] or "", r["category"],
                      r["basis"] or "", r["purpose"])
    console.print(table)
    console.print(f"{len(rows)} disclosures")


@app.command()
def register(
    agency: Annotated[str, typer.Option(help="Agency code, e.g. TAX.")],
    since: Since = None, until: Until = None,
) -> None:
    """An agency's disclosure register: what it disclosed and what was disclosed to it."""
    settings = AuditSettings()

    async def go() -> dict[str, list[dict[str, Any]]]:
        conn = await _connect(settings)
        try:
            return await review.register(conn, agency, since=since, until=until)
        finally:
            await conn.close()

    result = _run(go())
    for title, rows in (("disclosed by", result["disclosed_by"]), ("disclosed to", result["disclosed_to"])):
        table = Table("when", "from", "to", "category", "basis", title=f"{title} {agency}: {len(rows)}")
        for r in rows[:200]:
            table.add_row(str(r["at"])[:16], r["owner"], r["recipient"], r["category"], r["basis"] or "")
        console.print(table)
