"""`python -m bench`: measure the system against this machine's raw limits."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from bench import audit, pipeline, raw
from bench.cpu import describe
from bench.report import Report, Result
from deploy.local.harness import create_database, drop_database
from deploy.local.processes import read_pid
from deploy.local.stack import REPO, LocalStack

SIZES = {
    #          raw msgs, e2e events, latency rate, latency s, audit entries
    "smoke": (2_000, 2_000, 200, 3.0, 5_000),
    "full": (50_000, 50_000, 1_000, 30.0, 1_000_000),
}
app = typer.Typer(add_completion=False, help=__doc__)


@app.command()
def run(
    size: Annotated[str, typer.Option(help="smoke (seconds, for CI) or full (the figures in docs/).")] = "full",
    out: Annotated[Path, typer.Option(help="Where the JSON goes.")] = REPO / "bench-results" / "results.json",
    coordinators: Annotated[str, typer.Option(help="Comma-separated coordinator counts to run.")] = "1,3",
) -> None:
    """Raw Kafka and Postgres limits, end-to-end throughput, latency at a fixed rate, audit
    verification; prints the table and writes JSON."""
    if size not in SIZES:
        raise typer.BadParameter(f"size is one of {', '.join(SIZES)}")
    console = Console()
    stack = LocalStack(REPO / ".state" / "bench")
    console.print("starting the benchmark's own Kafka and PostgreSQL (.state/bench) ...")
    env = stack.up_infra()
    try:
        report = asyncio.run(_measure(size, env, [int(c) for c in coordinators.split(",")], server_pids(stack),
                                      console))
    finally:
        stack.down()
    report.print(console)
    report.write(out)
    console.print(f"written to {out}")


def server_pids(stack: LocalStack) -> dict[str, list[int]]:
    """Kafka's and PostgreSQL's processes, whose CPU time each run reports."""
    return {"kafka": [pid for n in stack.kafka.running_nodes() if (pid := read_pid(stack.kafka.pid_file(n)))],
            "postgres": [pid for pid in [stack.postgres.running_pid()] if pid]}


async def _measure(size: str, env: dict[str, str], coordinators: list[int], servers: dict[str, list[int]],
                   console: Console) -> Report:
    raw_n, e2e_n, rate, seconds, entries = SIZES[size]
    report = Report(size)
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        messages, _ = pipeline.prepare(raw_n, 9, tmp_path / "keys")
        payloads = [m[2] for m in messages]
        mean = sum(map(len, payloads)) / len(payloads)
        console.print(f"raw limits with {raw_n} messages of {mean:.0f} bytes on average ...")
        produce_rate, consume_rate = await raw.kafka_produce_consume(env["LOS_KAFKA_BOOTSTRAP_SERVERS"], payloads)
        db = await create_database(env, prefix="bench")
        try:
            insert_rate = await raw.postgres_insert(db.app_url, payloads)
        finally:
            await drop_database(env, db.name)
        report.add(Result("Kafka produce, idempotent, acks=all", produce_rate, "msg/s"))
        report.add(Result("Kafka consume", consume_rate, "msg/s"))
        report.add(Result("Postgres bulk insert (unnest, on conflict)", insert_rate, "rows/s"))
        slowest = min(produce_rate, consume_rate, insert_rate)
        for n in coordinators:
            console.print(f"end to end with {n} coordinator(s), {e2e_n} events ...")
            to_records, to_audit, audit_entries, cpu, wall = await pipeline.throughput(
                env, e2e_n, n, tmp_path / f"logs-{n}", servers)
            report.add(Result(f"publish to records, {n} coordinator(s)", to_records, "events/s",
                              ">= 5,000 (1 coordinator)" if n == 1 else "", f"{to_records / slowest:.0%}"))
            report.add(Result(f"publish to records and audit entries, {n} coordinator(s)", to_audit, "events/s",
                              ">= 5,000 (1 coordinator)" if n == 1 else "",
                              f"{to_audit / slowest:.0%} (target >= 40%)", f"{audit_entries} audit entries"))
            report.add(Result(f"CPU time of that run, {n} coordinator(s)", sum(cpu.values()), "CPU-s",
                              note=describe(cpu, wall)))
        console.print(f"latency at {rate} events/s for {seconds:.0f}s ...")
        latencies = await pipeline.latency(env, rate, seconds, tmp_path / "logs-latency")
        for p in (50, 95, 99):
            report.add(Result(f"publish to record visible, p{p} at {rate}/s", pipeline.percentile(latencies, p),
                              "ms", "< 250 (p99)" if p == 99 else "", note=f"{len(latencies)} events"))
        console.print(f"audit verification over {entries} entries ...")
        report.add(Result(f"audit verification, {entries} entries", await audit.verification_rate(env, entries),
                          "entries/s"))
    return report


if __name__ == "__main__":
    app()
