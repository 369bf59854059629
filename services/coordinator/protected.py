"""`python -m services.coordinator.protected`: the register of protected identities.

An administrative act of the platform's operator: a person with protected identity
(sekretessmarkering) is registered by personnummer (pseudonymised here with the platform's
OPRF key; the number is never stored) or by internal pseudonym, and from then on is left out
of every shared record, together with a sole trader's business they own, whatever event names
them. Each act is an audit entry; the records naming the person are rebuilt in the same
transaction. Lifting a protection needs the schema owner's login (`stack.env`), as it should.
"""

from __future__ import annotations

import asyncio
import datetime
import getpass
import re
import socket
from collections.abc import Coroutine
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import asyncpg
import typer
from pydantic import Field
from rich.console import Console

from schemas.identifiers import IdentifierError, parse_personnummer, pseudonymise
from services.audit.digests import load_audit_digests
from services.common.pseudonyms import LocalPseudonymiser, load_oprf_seed
from services.common.settings import LosSettings
from services.coordinator.fact_cache import FactCache
from services.coordinator.ports import SystemClock
from services.coordinator.protection import lift, register
from services.coordinator.service import BATCH_LOCK, rebuild_operations

app = typer.Typer(help="The register of protected identities (sekretessmarkering): add, lift, count.",
                  no_args_is_help=True, add_completion=False)
console = Console()
INTERNAL = re.compile(r"psn:(?!r1:)[A-Za-z0-9_.-]{1,32}:[0-9a-f]{64}")  # never a recipient's psn:r1:


class ProtectedSettings(LosSettings):
    database_url: str = Field(default="postgresql://los_coordinator@127.0.0.1:5432/los")
    oprf_key_file: Path = Field(default=Path(".state/local/pseudonyms/oprf.key"))
    legacy_pseudonym_key_file: Path | None = Field(default=None)
    audit_digest_key_file: Path = Field(default=Path(".state/local/audit/digest.key"))


Personnummer = Annotated[str | None, typer.Option(help="The person's personnummer (pseudonymised here).")]
Pseudonym = Annotated[str | None, typer.Option(help="Or the person's internal pseudonym (psn:o1:...).")]
By = Annotated[str | None, typer.Option(help="Who makes the act (default: the login name).")]
T = TypeVar("T")


def _fail(message: str) -> NoReturn:
    console.print(f"[red]error:[/] {message}", markup=True, highlight=False)
    raise typer.Exit(2)


def _pseudonyms(personnummer: str | None, pseudonym: str | None, settings: ProtectedSettings) -> list[str]:
    """Every internal pseudonym the person may appear under in events."""
    if pseudonym and personnummer:
        _fail("give either --personnummer or --pseudonym, not both")
    if pseudonym:
        if not INTERNAL.fullmatch(pseudonym):
            _fail("give the platform's internal pseudonym (psn:o1:...), not a recipient's")
        return [pseudonym]
    if not personnummer:
        _fail("give --personnummer or --pseudonym")
    try:
        pnr = parse_personnummer(personnummer, today=datetime.date.today())
    except IdentifierError as error:
        _fail(str(error))
    try:
        found = [LocalPseudonymiser(load_oprf_seed(settings.oprf_key_file)).of(pnr)]
        if settings.legacy_pseudonym_key_file:
            found.append(pseudonymise(pnr, settings.legacy_pseudonym_key_file.read_bytes()))
        return found
    except (OSError, ValueError) as error:
        _fail(f"{error} (run this where the platform's OPRF key is: LOS_OPRF_KEY_FILE)")


def _run(work: Coroutine[Any, Any, T], url: str) -> T:
    """Run one act against the database at `url`, its failures as one line each (exit status 2)."""
    try:
        return asyncio.run(work)
    except asyncpg.InsufficientPrivilegeError as error:
        _fail(f"{error} (lifting a protection is the schema owner's act: `source .state/local/stack.env`)")
    except asyncpg.UndefinedTableError as error:
        _fail(f"{error} (the database is not migrated: `python -m deploy.local migrate`)")
    except (asyncpg.PostgresError, asyncpg.InterfaceError) as error:
        _fail(f"the database refused: {error}")
    except (ConnectionError, TimeoutError, socket.gaierror) as error:
        _fail(f"cannot reach the database: {error} (LOS_DATABASE_URL is {_safe(url)})")
    except (OSError, ValueError) as error:  # a missing or unreadable key file, a malformed URL
        _fail(str(error))


def _safe(url: str) -> str:
    """The URL without a password."""
    return re.sub(r"://([^:/@]+):[^@]*@", r"://\1:***@", url)


async def _act(settings: ProtectedSettings, pseudonyms: list[str], by: str, *, lifting: bool) -> tuple[int, int]:
    digests = load_audit_digests(settings.audit_digest_key_file)
    subjects = sorted({digests.subject(p) for p in pseudonyms})
    clock = SystemClock()
    conn = await asyncpg.connect(settings.database_url)
    try:
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", BATCH_LOCK)  # no batch builds records meanwhile
            act = lift if lifting else register
            changed, operations = await act(conn, pseudonyms, by=by, at=clock.now(), subjects=subjects)
            rebuilt = await rebuild_operations(conn, operations, clock, FactCache())
        return len(changed), len(rebuilt)
    finally:
        await conn.close()


@app.command()
def add(personnummer: Personnummer = None, pseudonym: Pseudonym = None, by: By = None) -> None:
    """Register a protected person: from now on left out of every shared record."""
    settings = ProtectedSettings()
    who = _pseudonyms(personnummer, pseudonym, settings)
    new, rebuilt = _run(_act(settings, who, by or getpass.getuser(), lifting=False), settings.database_url)
    console.print(f"registered {new} pseudonym(s) (the others were registered already); {rebuilt} record(s) rebuilt")


@app.command("lift")
def lift_(personnummer: Personnummer = None, pseudonym: Pseudonym = None, by: By = None) -> None:
    """Lift a protection (the sekretessmarkering has ended): the person may appear in records again."""
    settings = ProtectedSettings()
    who = _pseudonyms(personnummer, pseudonym, settings)
    gone, rebuilt = _run(_act(settings, who, by or getpass.getuser(), lifting=True), settings.database_url)
    console.print(f"lifted {gone} pseudonym(s); {rebuilt} record(s) rebuilt")


@app.command()
def count() -> None:
    """How many persons the register holds, by how they came there (the pseudonyms are not shown)."""
    settings = ProtectedSettings()

    async def go() -> list[asyncpg.Record]:
        conn = await asyncpg.connect(settings.database_url)
        try:
            return list(await conn.fetch("SELECT source, count(*) AS n FROM protected_identities GROUP BY source"
                                         " ORDER BY source"))
        finally:
            await conn.close()

    rows = _run(go(), settings.database_url)
    if not rows:
        console.print("the register is empty")
    for row in rows:
        console.print(f"{row['source']}: {row['n']}")


if __name__ == "__main__":
    app()
