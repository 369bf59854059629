"""`python -m services.coordinator.rejections`: what the coordinator refused, for review.

Every refused record is kept in the `rejections` table with its reason, the agency it
came from and its raw bytes (the dead-letter topic carries the same, or a reference when
the record is too large for it). This lists them and writes one out for a closer look.
"""

from __future__ import annotations

import asyncio
import datetime
from pathlib import Path
from typing import Annotated, Any

import asyncpg
import typer
from rich.console import Console
from rich.table import Table

from services.coordinator.settings import CoordinatorSettings

app = typer.Typer(help="Review what the coordinator rejected: list by reason or agency, save one record.",
                  no_args_is_help=True, add_completion=False)
console = Console()


async def _fetch(query: str, *args: Any) -> list[asyncpg.Record]:
    settings = CoordinatorSettings()
    try:
        conn = await asyncpg.connect(settings.database_url)
    except (OSError, asyncpg.PostgresError) as error:
        console.print(f"[red]error:[/] cannot reach the database ({error}); is the system up (`make up`)? "
                      "Settings come from LOS_DATABASE_URL (`source .state/local/stack.env`).")
        raise typer.Exit(2) from error
    try:
        return list(await conn.fetch(query, *args))
    except asyncpg.UndefinedTableError as error:
        console.print("[red]error:[/] this database has no coordinator tables yet; start the coordinator once"
                      " (`make up`), or point LOS_DATABASE_URL at its database.")
        raise typer.Exit(2) from error
    finally:
        await conn.close()


@app.command("list")
def list_(reason: Annotated[str | None, typer.Option(help="Only this reason, e.g. not_plan_owner.")] = None,
          agency: Annotated[str | None, typer.Option(help="Only records from this agency, e.g. TAX.")] = None,
          since: Annotated[datetime.datetime | None, typer.Option(help="Rejected at or after this time.")] = None,
          limit: Annotated[int, typer.Option(min=1, help="At most this many, newest first.")] = 50) -> None:
    """The newest rejections, with a count per reason."""
    where = "WHERE ($1::text IS NULL OR reason = $1) AND ($2::text IS NULL OR agency = $2)" \
            " AND ($3::timestamptz IS NULL OR rejected_at >= $3)"
    args = (reason, agency.upper() if agency else None, since)
    counts = asyncio.run(_fetch(f"SELECT reason, count(*) AS n FROM rejections {where} GROUP BY 1 ORDER BY 2 DESC",
                                *args))
    rows = asyncio.run(_fetch(
        f'SELECT id, rejected_at, agency, reason, detail, topic, partition, "offset", length(raw) AS size,'
        f" dead_letter_form FROM rejections {where} ORDER BY id DESC LIMIT $4", *args, limit))
    if not rows:
        console.print("No rejections match.")
        return
    summary = Table("reason", "count", title="Rejections by reason")
    for row in counts:
        summary.add_row(row["reason"], str(row["n"]))
    console.print(summary)
    table = Table("id", "rejected at", "agency", "reason", "from", "bytes", "dead letter", "detail",
                  title=f"The newest {len(rows)}")
    for row in rows:
        table.add_row(str(row["id"]), f"{row['rejected_at']:%Y-%m-%d %H:%M:%S}", row["agency"] or "",
                      row["reason"], f"{row['topic']}/{row['partition']}@{row['offset']}", str(row["size"] or 0),
                      row["dead_letter_form"] or "pending", row["detail"][:160])
    console.print(table)


@app.command()
def save(rejection_id: Annotated[int, typer.Argument(help="The rejection's id, as `list` shows it.")],
         out: Annotated[Path, typer.Option(help="Where to write the record's raw bytes.")] = Path("rejected.bin"),
         ) -> None:
    """Write one rejected record's raw bytes to a file, as the coordinator received them."""
    rows = asyncio.run(_fetch("SELECT raw, reason, detail FROM rejections WHERE id = $1", rejection_id))
    if not rows:
        console.print(f"[red]error:[/] no rejection {rejection_id}; `list` shows the ids.")
        raise typer.Exit(1)
    out.write_bytes(rows[0]["raw"] or b"")
    console.print(f"wrote {len(rows[0]['raw'] or b'')} bytes to {out} ({rows[0]['reason']}: {rows[0]['detail']})")


if __name__ == "__main__":
    app()
