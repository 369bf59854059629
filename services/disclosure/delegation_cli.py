"""`python -m services.disclosure.delegation_cli`: the register of who may decide on disclosure
for which authority (`add`, `revoke`, `list`).

Recording or revoking a delegation is an administrative act: the register changes in the
transaction that writes its audit entry (LOS_DATABASE_URL; `stack.env` names the schema owner,
who alone may write the register). The console lets only a person with a delegation in force
decide a disclosure request of that authority.
"""

from __future__ import annotations

import asyncio
import datetime
import getpass
import json
import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, NoReturn, TypeVar

import asyncpg
import typer
from rich.console import Console

from schemas.agencies import load_agencies
from services.audit.store import append
from services.disclosure.delegations import Delegation, DelegationError, new_delegation, revoked
from services.disclosure.settings import FeedSettings
from services.disclosure.store import delegations_of, save_delegation

app = typer.Typer(help="Delegations to decide on disclosure: record, revoke (each an audited act) and list them.",
                  no_args_is_help=True, add_completion=False)
console = Console(stderr=True)
T = TypeVar("T")
ByOption = Annotated[str | None, typer.Option("--by", help="Who performs the act [default: the login name].")]


def delegation_entry(action: str, d: Delegation, *, at: datetime.datetime, by: str) -> dict[str, Any]:
    """`delegation_recorded` or `delegation_revoked`, with the register entry as it stands after."""
    return {"kind": action, "at": at.isoformat(), "actor": {"user": by}, "delegation": {
        "id": d.id, "authority": d.authority, "holder": d.holder, "holder_name": d.holder_name,
        "reference": d.reference, "valid_from": d.valid_from.isoformat(),
        "valid_until": d.valid_until.isoformat() if d.valid_until else None,
        "revoked_at": d.revoked_at.isoformat() if d.revoked_at else None, "revoke_reason": d.revoke_reason}}


def _fail(message: str) -> NoReturn:
    console.print(f"[red]error:[/] {message}")
    raise typer.Exit(2)


def _run(act: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
    async def go() -> T:
        try:
            conn = await asyncpg.connect(FeedSettings().database_url)
        except (OSError, asyncpg.PostgresError) as error:
            _fail(f"cannot reach the database ({error}); settings come from LOS_DATABASE_URL"
                  " (`source .state/local/stack.env`).")
        try:
            async with conn.transaction():
                return await act(conn)
        except asyncpg.UndefinedTableError:
            _fail("this database has no register of delegations yet; start the system once (`make up`).")
        finally:
            await conn.close()

    try:
        return asyncio.run(go())
    except DelegationError as error:
        _fail(str(error))


@app.command()
def add(authority: Annotated[str, typer.Option(help="The participant, e.g. TAX or MUNI_SOCIAL_0580.")],
        holder: Annotated[str, typer.Option(help="The person's id as their sign-in gives it (the token's sub).")],
        name: Annotated[str, typer.Option(help="The person's name.")],
        reference: Annotated[str, typer.Option(help="The delegationsordning and point delegating it.")],
        valid_from: Annotated[datetime.datetime | None, typer.Option(
            "--from", formats=["%Y-%m-%d"], help="First day [default: today].")] = None,
        valid_until: Annotated[datetime.datetime | None, typer.Option(
            "--until", formats=["%Y-%m-%d"], help="Last day [default: until revoked].")] = None,
        by: ByOption = None) -> None:
    """Record that HOLDER may decide on disclosure for AUTHORITY."""
    now = datetime.datetime.now(datetime.UTC)
    who = by or getpass.getuser()
    try:
        made = new_delegation(id=f"DEL-{uuid.uuid4().hex[:12].upper()}", authority=authority.upper(),
                              holder=holder, holder_name=name, reference=reference,
                              valid_from=valid_from.date() if valid_from else now.date(),
                              valid_until=valid_until.date() if valid_until else None, recorded_by=who, at=now,
                              participants=load_agencies())
    except DelegationError as error:
        _fail(str(error))

    async def act(conn: asyncpg.Connection) -> None:
        await save_delegation(conn, made)
        await append(conn, [delegation_entry("delegation_recorded", made, at=now, by=who)])

    _run(act)
    console.print(f"recorded [bold]{made.id}[/]: {made.holder_name} decides on disclosure for {made.authority};"
                  " the audit log has an entry")


@app.command()
def revoke(delegation_id: str, reason: Annotated[str, typer.Option(help="Why it is revoked.")],
           by: ByOption = None) -> None:
    """Revoke a delegation: from now its holder decides nothing for the authority."""
    now = datetime.datetime.now(datetime.UTC)
    who = by or getpass.getuser()

    async def act(conn: asyncpg.Connection) -> Delegation:
        found = [d for d in await delegations_of(conn) if d.id == delegation_id]
        if not found:
            raise DelegationError(f"no delegation {delegation_id}")
        done = revoked(found[0], by=who, reason=reason, at=now)
        await save_delegation(conn, done)
        await append(conn, [delegation_entry("delegation_revoked", done, at=now, by=who)])
        return done

    done = _run(act)
    console.print(f"revoked {done.id}; the audit log has an entry")


@app.command("list")
def list_(authority: Annotated[str | None, typer.Option(help="Only this participant's.")] = None,
          as_json: Annotated[bool, typer.Option("--json", help="One JSON object a line.")] = False) -> None:
    """The register, revoked entries included."""
    async def act(conn: asyncpg.Connection) -> list[Delegation]:
        return await delegations_of(conn, authority.upper() if authority else None)

    for d in _run(act):
        if as_json:
            typer.echo(json.dumps(delegation_entry("delegation", d, at=d.recorded_at, by=d.recorded_by)["delegation"],
                                  ensure_ascii=False))
        else:
            state = f"revoked {d.revoked_at:%Y-%m-%d}" if d.revoked_at else f"{d.valid_from} – {d.valid_until or ''}"
            typer.echo(f"{d.id}  {d.authority:<20} {d.holder_name} <{d.holder}>  {d.reference}  {state}")


if __name__ == "__main__":
    app()
