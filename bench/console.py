"""`python -m bench.console`: how fast the list and detail pages answer on a big database.

Fills a fresh database with a simulated national LOS history worth `--events` agency events:
the simulator's stream is run through the coordinator's own pure core once (records,
subject dossiers, the events themselves), and that history is copied, each copy under
new operation and event ids a day earlier, with COPY until the count is reached. Then a
real console (uvicorn, HTTP) is started on it and the list and detail pages are timed
over `--requests` requests each, with every audit entry they write. Not a test: it prints
a table of p50/p95 (target: p95 < 200 ms) and writes it to bench-results/.
"""

from __future__ import annotations

import asyncio
import datetime
import json
import random
import socket
import statistics
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import asyncpg
import httpx
import typer
import uvicorn
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from bench.console_data import copies, store_copy, templates
from deploy.local.harness import database_url
from deploy.schema import migrate_all
from services.console.app import create_app
from services.console.settings import ConsoleSettings
from services.disclosure.policy import Role

app = typer.Typer(help=__doc__.split("\n\n")[0] if __doc__ else None, add_completion=False)
console = Console(stderr=True)
TARGET_MS = 200.0


async def fill(owner_url: str, events: int, seed: int, template_events: int) -> dict[str, int]:
    with console.status("simulating a national history through the coordinator's core ..."):
        found = await asyncio.to_thread(templates, seed, template_events)
    console.print(f"{len(found)} template operations from {template_events} simulated events")
    conn = await asyncpg.connect(owner_url)
    counts = {"events": 0, "operations": 0}
    today = datetime.date.today()
    newest = max(datetime.date.fromisoformat(t.record["planned_date"]) for t in found)
    try:
        with Progress(TextColumn("filling"), BarColumn(), MofNCompleteColumn(), TextColumn("events"),
                      TimeRemainingColumn(), console=console) as progress:
            task = progress.add_task("fill", total=events)
            for k, batch in copies(found, events, today):
                stored = await store_copy(conn, k, batch, (today - newest).days - k)
                counts["events"] += stored
                counts["operations"] += len(batch)
                progress.advance(task, stored)
        with console.status("ANALYZE ..."):
            await conn.execute("ANALYZE")
    finally:
        await conn.close()
    return counts

def _url(base: str, database: str) -> str:
    return database_url(base, database)


async def prepare(admin_url: str, owner_url: str, database: str, events: int, reuse: bool, seed: int,
                  template_events: int) -> dict[str, int]:
    admin = await asyncpg.connect(admin_url)
    try:
        exists = await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database)
        if exists and reuse:
            conn = await asyncpg.connect(_url(owner_url, database))
            try:
                have = await conn.fetchval("SELECT count(*) FROM events")
                operations = await conn.fetchval("SELECT count(*) FROM operations")
            finally:
                await conn.close()
            if have == events:
                console.print(f"reusing {database}: {have} events, {operations} operations")
                return {"events": have, "operations": operations}
        if exists:
            await admin.execute(f'DROP DATABASE "{database}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{database}" OWNER los_owner')
    finally:
        await admin.close()
    await migrate_all(_url(owner_url, database))
    started = time.monotonic()
    counts = await fill(_url(owner_url, database), events, seed, template_events)
    console.print(f"filled in {time.monotonic() - started:.0f}s: {counts}")
    return counts


@dataclass
class Measured:
    name: str
    millis: list[float]

    def row(self) -> dict[str, Any]:
        ordered = sorted(self.millis)
        p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
        return {"scenario": self.name, "requests": len(ordered),
                "p50_ms": round(statistics.median(ordered), 1), "p95_ms": round(p95, 1),
                "max_ms": round(ordered[-1], 1), "mean_ms": round(statistics.mean(ordered), 1)}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve(settings: ConsoleSettings) -> tuple[uvicorn.Server, str, Any]:
    web = create_app(settings)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(web, host="127.0.0.1", port=port, log_level="warning",
                                           access_log=False))
    threading.Thread(target=server.run, daemon=True).start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the console did not start")
        time.sleep(0.05)
    return server, f"http://127.0.0.1:{port}", web.state.console.dev_idp


class Timer:
    """Sequential requests over one keep-alive connection, timed one by one."""

    def __init__(self, client: httpx.Client, progress: Progress, task: Any) -> None:
        self.client, self.progress, self.task = client, progress, task
        self.results: list[Measured] = []

    def get(self, found: Measured, path: str, headers: dict[str, str], *, warm_up: bool) -> httpx.Response:
        started = time.perf_counter()
        response = self.client.get(path, headers=headers)
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise RuntimeError(f"{path}: {response.status_code} {response.text[:200]}")
        if not warm_up:
            found.millis.append(elapsed)
        self.progress.advance(self.task)
        return response

    def scenario(self, name: str, paths: list[tuple[str, dict[str, str]]], warm_up: int = 5) -> None:
        found = Measured(name, [])
        for i, (path, headers) in enumerate(paths):
            self.get(found, path, headers, warm_up=i < warm_up)
        self.results.append(found)

    def paging(self, name: str, headers: dict[str, str], count: int, warm_up: int = 5) -> None:
        """Page on through the whole list by keyset, starting over at its end."""
        found, after = Measured(name, []), None
        for i in range(count):
            path = "/api/operations?purpose=joint_operation" + (f"&after={after}" if after else "")
            after = self.get(found, path, headers, warm_up=i < warm_up).json()["next"]
        self.results.append(found)


def measure(base: str, idp: Any, operations: list[str], requests: int, municipality: str,
            results: int) -> list[Measured]:
    police = {"Authorization": "Bearer " + idp.issue(agency="POLICE", role=Role.COORDINATOR,
                                                     name="Bänk Polis")}
    fire = {"Authorization": "Bearer " + idp.issue(agency="FIRE", role=Role.OFFICER, name="Bänk Brand")}
    rng = random.Random(1)
    n = requests + 5
    year = datetime.date.today().year
    with httpx.Client(base_url=base, timeout=60) as client, \
            Progress(TextColumn("timing requests"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                     console=console) as progress:
        total = 6 * n + (results + 1 if results else 0)
        timer = Timer(client, progress, progress.add_task("timing", total=total))
        timer.scenario("list, first page (HTML), POLICE coordinator",
                       [("/operationer?purpose=joint_operation", police)] * n)
        timer.scenario("list, first page (HTML), FIRE officer", [("/operationer?purpose=joint_operation",
                                                                  fire)] * n)
        timer.scenario(f"list, {municipality}, two years (HTML)",
                       [(f"/operationer?purpose=joint_operation&municipality={municipality}"
                         f"&from={year - 1}-01-01&to={year}-12-31", police)] * n)
        timer.paging("list, paging on by keyset (API)", police, n)
        timer.scenario("detail page (HTML), random operation",
                       [(f"/operationer/{rng.choice(operations)}?purpose=joint_operation",
                         police) for _ in range(n)])
        timer.scenario("detail (API JSON), random operation",
                       [(f"/api/operations/{rng.choice(operations)}?purpose=organised_crime", police)
                        for _ in range(n)])
        if results:  # a dashboard over every visible record: reported, not held to the target
            dashboard = ("/resultat?purpose=joint_operation", police)
            timer.scenario("results, twelve months, computed (no target)", [dashboard], warm_up=0)
            timer.scenario("results, twelve months, unchanged since (no target)", [dashboard] * results,
                           warm_up=0)
    return timer.results


def report(rows: list[dict[str, Any]], counts: dict[str, int], audit: int) -> None:
    table = Table(title=f"console on {counts['events']:,} events, {counts['operations']:,} operations "
                        f"(target p95 < {TARGET_MS:.0f} ms)")
    for column in ("scenario", "requests", "p50 ms", "p95 ms", "max ms", "mean ms", "ok"):
        table.add_column(column, justify="left" if column == "scenario" else "right")
    for r in rows:
        table.add_row(r["scenario"], str(r["requests"]), f"{r['p50_ms']:.1f}", f"{r['p95_ms']:.1f}",
                      f"{r['max_ms']:.1f}", f"{r['mean_ms']:.1f}",
                      "-" if "no target" in r["scenario"] else "yes" if r["p95_ms"] < TARGET_MS else "NO")
    Console(width=130).print(table)
    console.print(f"audit entries written while timing: {audit:,}")


async def _audit_count(url: str) -> int:
    conn = await asyncpg.connect(url)
    try:
        return int(await conn.fetchval("SELECT count(*) FROM audit_log"))
    finally:
        await conn.close()


async def _sample(url: str) -> tuple[list[str], str]:
    conn = await asyncpg.connect(url)
    try:
        ops = [r["operation_id"] for r in await conn.fetch(
            "SELECT operation_id FROM operations WHERE lead_agency = 'POLICE' ORDER BY random() LIMIT 500")]
        municipality = await conn.fetchval(
            "SELECT municipality FROM operations GROUP BY municipality ORDER BY count(*) DESC LIMIT 1")
        return ops, str(municipality)
    finally:
        await conn.close()


@app.command()
def main(
    events: Annotated[int, typer.Option(help="Agency events' worth of records in the database.")] = 1_000_000,
    requests: Annotated[int, typer.Option(help="Timed requests per scenario.")] = 200,
    results: Annotated[int, typer.Option(help="Timed requests of the results page (0: skip it).")] = 5,
    database: Annotated[str,
                        typer.Option(help="Database to create (dropped first unless reused).")] = "los_bench",
    reuse: Annotated[bool,
                     typer.Option(help="Reuse the database when it holds exactly --events events.")] = True,
    seed: Annotated[int, typer.Option(help="Simulator seed.")] = 7,
    template_events: Annotated[int, typer.Option(help="Simulated events copied to reach --events.")] = 20_000,
    admin_url: Annotated[str, typer.Option(envvar="LOS_POSTGRES_SUPERUSER_URL",
                                           help="A superuser URL, to create the database.")] = "",
    database_url: Annotated[str, typer.Option(envvar="LOS_DATABASE_URL_CONSOLE",
                                              help="As the console's own role.")] = "",
    owner_url: Annotated[str, typer.Option(envvar="LOS_DATABASE_OWNER_URL",
                                           help="As the schema owner.")] = "",
) -> None:
    """Fill a database with EVENTS events' worth of records and time the list and detail pages.

    The connection settings come from the local stack (`source .state/local/stack.env` after
    `make up`); the database named by --database is created next to the stack's own."""
    if not (admin_url and database_url and owner_url):
        console.print("[red]error:[/] set LOS_POSTGRES_SUPERUSER_URL, LOS_DATABASE_URL_CONSOLE and "
                      "LOS_DATABASE_OWNER_URL (`source .state/local/stack.env` after `make up`)")
        raise typer.Exit(2)
    counts = asyncio.run(prepare(admin_url, owner_url, database, events, reuse, seed, template_events))
    app_url = _url(database_url, database)
    operations, municipality = asyncio.run(_sample(app_url))
    before = asyncio.run(_audit_count(app_url))
    with tempfile.TemporaryDirectory() as keys:
        server, base, idp = _serve(ConsoleSettings(database_url=app_url, database_owner_url=_url(owner_url,
                                                                                                 database),
                                                   console_dev_idp=True, keys_dir=Path(keys)))
        try:
            measured = measure(base, idp, operations, requests, municipality, results)
        finally:
            server.should_exit = True
    rows = [m.row() for m in measured]
    report(rows, counts, asyncio.run(_audit_count(app_url)) - before)
    out = Path("bench-results")
    out.mkdir(exist_ok=True)
    (out / f"console-{events}.json").write_text(json.dumps({"counts": counts, "rows": rows,
                                                            "at": time.time()},
                                                           indent=1))


if __name__ == "__main__":
    app()
