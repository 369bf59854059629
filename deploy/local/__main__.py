"""`python -m deploy.local`: run the LOS system on this machine without Docker."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from deploy.local.processes import LocalRunnerError
from deploy.local.stack import LocalStack, create_topics
from deploy.topics import load_topics

app = typer.Typer(help=__doc__, no_args_is_help=True, add_completion=False)

StateDir = Annotated[
    Path | None,
    typer.Option(help="Folder for data, logs and pid files [default: .state/local or $LOS_STATE_DIR]."),
]


def _fail(error: LocalRunnerError) -> None:
    typer.secho(f"error: {error}", fg=typer.colors.RED, err=True)
    raise typer.Exit(1)


@app.command()
def up(
    state_dir: StateDir = None,
    kafka_nodes: Annotated[int, typer.Option(help="Kafka nodes: 1, or 3 for a replicated cluster.")] = 1,
    infra_only: Annotated[bool, typer.Option(help="Start Kafka and PostgreSQL only.")] = False,
    demo: Annotated[bool, typer.Option(help="Load the demo campaign (once) into the adapters' drop folders.")] = True,
) -> None:
    """Start Kafka, PostgreSQL, create the topics and start every service (idempotent)."""
    stack = LocalStack(state_dir, kafka_nodes=kafka_nodes)
    try:
        typer.echo("starting PostgreSQL and Kafka ...")
        env = stack.up_infra()
        typer.echo(f"  Kafka      {env['LOS_KAFKA_BOOTSTRAP_SERVERS']}")
        typer.echo(f"  PostgreSQL 127.0.0.1:{stack.postgres.port}")
        if not infra_only:
            started = stack.up_services()
            for name, pid in stack.service_status().items():
                state = "started" if name in started else "running"
                typer.echo(f"  {name:<12}{state} (pid {pid})")
            if demo:
                from deploy.local.demo import load_demo

                files = load_demo(Path(env["LOS_ADAPTER_DROP_DIR"]))
                if files:
                    typer.echo(f"  demo campaign: {files} export files dropped for the adapters")
    except LocalRunnerError as error:
        _fail(error)
    if not infra_only:
        typer.echo(f"console: http://127.0.0.1:{stack.env()['LOS_CONSOLE_PORT']}/  (sign in as any agency and role)")
    typer.echo(f"settings: source {stack.env_file}")


@app.command()
def down(
    state_dir: StateDir = None,
    purge: Annotated[bool, typer.Option(help="Also delete all data (Kafka logs, database).")] = False,
) -> None:
    """Stop every service, Kafka and PostgreSQL; nothing is left running."""
    stack = LocalStack(state_dir)
    try:
        stack.purge() if purge else stack.down()
    except LocalRunnerError as error:
        _fail(error)
    typer.echo("stopped" + (" and purged" if purge else ""))


@app.command()
def status(state_dir: StateDir = None) -> None:
    """Show what runs, on which ports, with which process ids."""
    stack = LocalStack(state_dir)
    for node in stack.kafka.nodes:
        running = node in stack.kafka.running_nodes()
        typer.echo(f"kafka node {node.node_id}  127.0.0.1:{node.port}  "
                   f"{'running' if running else 'stopped'}")
    pg = stack.postgres.running_pid()
    typer.echo(f"postgres      {f'running (pid {pg})' if pg else 'stopped'}")
    for name, pid in stack.service_status().items():
        typer.echo(f"{name:<14}{f'running (pid {pid})' if pid else 'stopped'}")


@app.command()
def env(state_dir: StateDir = None) -> None:
    """Print the connection settings as shell exports (eval "$(python -m deploy.local env)")."""
    stack = LocalStack(state_dir)
    if not stack.env_file.exists():
        _fail(LocalRunnerError("the stack has not been started here; run `make up` first"))
    typer.echo(stack.env_file.read_text(), nl=False)


@app.command()
def topics(
    bootstrap_servers: Annotated[
        str | None, typer.Option(help="Kafka to use [default: the local stack's].")
    ] = None,
    state_dir: StateDir = None,
) -> None:
    """Create the topics of deploy/topics.yaml that are missing (also used by docker compose)."""
    bootstrap = bootstrap_servers or LocalStack(state_dir).env().get("LOS_KAFKA_BOOTSTRAP_SERVERS")
    if not bootstrap:
        _fail(LocalRunnerError("no Kafka given: pass --bootstrap-servers or run `make up` first"))
    created = asyncio.run(create_topics(str(bootstrap), load_topics(), brokers=None))
    typer.echo(f"created {len(created)} topics" + (": " + ", ".join(created) if created else ""))


if __name__ == "__main__":
    app()
