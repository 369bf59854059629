"""`python -m services.keys`: register, rotate, revoke and list signing keys.

Each change is an administrative act with an entry in the audit log (LOS_DATABASE_URL); the
public key registry is LOS_KEYS_DIR/registry.json, and a private key made here is written
only to its holder's folder: the console's (LOS_CONSOLE_KEYS_DIR), one agency's adapter
(LOS_ADAPTER_KEYS_DIR/<agency>) or the audit server's (LOS_AUDIT_KEYS_DIR).
"""

from __future__ import annotations

import asyncio
import datetime
import getpass
import json
from collections.abc import Awaitable, Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, NoReturn

import asyncpg
import typer
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from rich.console import Console
from rich.table import Column, Table

from schemas.signing import PublicKey
from services.audit.checkpoints import SIGNER
from services.common.keys import load_registry
from services.keys.registration import KeyAdminError, Outcome, register, revoke
from services.keys.settings import KeysSettings

app = typer.Typer(help="Signing keys: register, rotate and revoke them (each an audited act), list them.",
                  no_args_is_help=True, add_completion=False)
console = Console(stderr=True)


class Kind(StrEnum):
    adapter = "adapter"
    console = "console"
    checkpoint = "checkpoint"


AgencyOption = Annotated[str | None, typer.Option(
    help="The participant (authority) code, e.g. POLICE or MUNI_SOCIAL_0580; "
         f"a checkpoint key is always {SIGNER}'s.")]
KindOption = Annotated[Kind, typer.Option(
    help="adapter: the agency's own system, signs its events; console: plans made in the console "
         "for that agency, nothing else; checkpoint: the audit server's checkpoints.")]
HolderOption = Annotated[Path | None, typer.Option(
    "--holder-dir", help="The holder's folder the private key goes to [default: the kind's usual folder "
                         "from LOS_CONSOLE_KEYS_DIR, LOS_ADAPTER_KEYS_DIR/<agency> or LOS_AUDIT_KEYS_DIR].")]
PublicKeyOption = Annotated[Path | None, typer.Option(
    "--public-key", exists=True, dir_okay=False,
    help="Register this PEM public key, made by the holder itself; no private key is written here.")]
ByOption = Annotated[str | None, typer.Option(
    "--by", help="Who performs the act, for the audit entry [default: the login name].")]


def _fail(message: str) -> NoReturn:
    console.print(f"[red]error:[/] {message}")
    raise typer.Exit(2)


def _run(settings: KeysSettings, act: Callable[[asyncpg.Connection], Awaitable[Outcome]]) -> Outcome:
    async def go() -> Outcome:
        try:
            conn = await asyncpg.connect(settings.database_url)
        except (OSError, asyncpg.PostgresError) as error:
            _fail(f"cannot reach the database for the audit entry ({error}); is the system up (`make up`)? "
                  "Settings come from LOS_DATABASE_URL (`source .state/local/stack.env`).")
        try:
            return await act(conn)
        except asyncpg.UndefinedTableError:
            _fail("this database has no audit log yet; start the system once (`make up`), "
                  "or point LOS_DATABASE_URL at its database.")
        finally:
            await conn.close()

    try:
        return asyncio.run(go())
    except KeyAdminError as error:
        _fail(str(error))


def _public_key(path: Path | None) -> bytes | None:
    if path is None:
        return None
    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except ValueError as error:
        _fail(f"{path} is not a PEM public key ({error})")
    if not isinstance(key, Ed25519PublicKey):
        _fail(f"{path} is not an Ed25519 public key")
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _agency(agency: str | None, kind: Kind) -> str:
    if kind is Kind.checkpoint:
        return (agency or SIGNER).upper()
    if not agency:
        _fail(f"name the agency with --agency (a {kind.value} key belongs to one participant)")
    return agency.upper()


def _report(outcome: Outcome, holder_dir: Path | None) -> None:
    for key in outcome.registered:
        where = f"private key in {holder_dir}" if outcome.written else "public key only; the holder keeps its own"
        console.print(f"registered [bold]{key.key_id}[/] ({key.kind} key of {key.agency}); {where}")
    for key in outcome.retired:
        console.print(f"retired {key.key_id}: valid for what it signed until {key.not_after}")
    for key in outcome.revoked:
        console.print(f"revoked {key.key_id}: nothing it signed is accepted any more")
    console.print("the coordinators read the registry again within seconds; the audit log has an entry for each")


def _add(agency: str | None, kind: Kind, holder_dir: Path | None, public_key: Path | None, by: str | None,
         *, rotate: bool) -> None:
    settings = KeysSettings()
    holder = settings.holder(_agency(agency, kind), kind.value, holder_dir)
    public = _public_key(public_key)
    now = datetime.datetime.now(datetime.UTC)
    outcome = _run(settings, lambda conn: register(conn, settings.keys_dir, holder, by=by or getpass.getuser(),
                                                   now=now, public_key=public, rotate=rotate))
    _report(outcome, holder.folder)


@app.command("register")
def register_(agency: AgencyOption = None, kind: KindOption = Kind.adapter, holder_dir: HolderOption = None,
              public_key: PublicKeyOption = None, by: ByOption = None) -> None:
    """Register a new key for an agency's adapter, the console (for one agency) or the audit server."""
    _add(agency, kind, holder_dir, public_key, by, rotate=False)


@app.command()
def rotate(agency: AgencyOption = None, kind: KindOption = Kind.adapter, holder_dir: HolderOption = None,
           public_key: PublicKeyOption = None, by: ByOption = None) -> None:
    """Register a new key and retire the agency's other keys of that kind now (what they signed
    before stays valid)."""
    _add(agency, kind, holder_dir, public_key, by, rotate=True)


@app.command("revoke")
def revoke_(key_id: Annotated[str, typer.Argument(help="The key's id, as `list` shows it.")],
            reason: Annotated[str, typer.Option(help="Why (kept in the registry and the audit log, "
                                                     "and named in each rejection).")],
            by: ByOption = None) -> None:
    """Revoke a key: every event signed with it is rejected from now on, whenever it claims to be signed."""
    settings = KeysSettings()
    now = datetime.datetime.now(datetime.UTC)
    outcome = _run(settings, lambda conn: revoke(conn, settings.keys_dir, key_id, reason=reason,
                                                 by=by or getpass.getuser(), now=now))
    _report(outcome, None)


def _status(key: PublicKey, now: datetime.datetime) -> str:
    if key.revoked_at is not None:
        return f"revoked {key.revoked_at:%Y-%m-%d %H:%M}" + (f": {key.revoked_reason}" if key.revoked_reason else "")
    if key.not_after is not None and key.not_after < now:
        return f"retired {key.not_after:%Y-%m-%d %H:%M}"
    return "valid"


@app.command("list")
def list_(agency: Annotated[str | None, typer.Option(help="Only this agency's keys.")] = None,
          kind: Annotated[Kind | None, typer.Option(help="Only keys of this kind.")] = None,
          as_json: Annotated[bool, typer.Option("--json", help="The registry entries as JSON.")] = False) -> None:
    """The registered keys (the public registry: no database needed)."""
    settings = KeysSettings()
    keys = [k for k in load_registry(settings.keys_dir)
            if (agency is None or k.agency == agency.upper()) and (kind is None or k.kind == kind.value)]
    if as_json:
        typer.echo(json.dumps([k.to_json() for k in keys], indent=2))
        return
    now = datetime.datetime.now(datetime.UTC)
    table = Table(Column("key", no_wrap=True), "agency", "kind", "from", "status",
                  title=f"{len(keys)} keys in {settings.keys_dir}")
    for k in sorted(keys, key=lambda k: (k.agency, k.kind, k.not_before)):
        table.add_row(k.key_id, k.agency, k.kind, f"{k.not_before:%Y-%m-%d %H:%M}", _status(k, now))
    Console().print(table)


if __name__ == "__main__":
    app()
