"""`python -m deploy.local`: run the LOS system on this machine without Docker."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import asyncpg
import typer
from aiokafka.errors import KafkaError

from deploy.access import write_compose_secrets, write_private_json
from deploy.local.processes import LocalRunnerError
from deploy.local.stack import REPO, LocalStack, apply_access, create_topics
from deploy.topics import load_topics
from services.common.kafka_security import ADMIN, KafkaCredentialsError, load_credentials

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
        typer.echo(f"  Kafka      {env['LOS_KAFKA_BOOTSTRAP_SERVERS']}  (SASL/SCRAM logins in "
                   f"{stack.kafka.credentials_file})")
        typer.echo(f"  TLS        Kafka and PostgreSQL, certificates of the CA {stack.authority.ca_cert}")
        where = stack.postgres.home
        typer.echo(f"  PostgreSQL 127.0.0.1:{stack.postgres.port}" + (
            "" if where == stack.postgres.root else
            f"  (data in {where}: the postgres system user cannot reach {stack.state_dir})"))
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
def migrate(
    owner_url: Annotated[
        str | None, typer.Option(envvar="LOS_DATABASE_OWNER_URL",
                                 help="PostgreSQL as the schema owner [default: the local stack's].")
    ] = None,
    state_dir: StateDir = None,
) -> None:
    """Apply every component's database migrations as the schema owner (`up` does it before
    starting the services; docker compose runs it once before them)."""
    from deploy.schema import migrate_all

    url = owner_url or LocalStack(state_dir).env().get("LOS_DATABASE_OWNER_URL")
    if not url:
        _fail(LocalRunnerError("no database given: set LOS_DATABASE_OWNER_URL or run `make up` first"))
        return
    applied = asyncio.run(migrate_all(url))
    typer.echo(f"applied {len(applied)} migrations" + (": " + ", ".join(applied) if applied else ""))


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


@app.command()
def access(
    bootstrap_servers: Annotated[
        str | None, typer.Option(help="Kafka to use [default: the local stack's].")
    ] = None,
    credentials_file: Annotated[
        Path | None, typer.Option(envvar="LOS_KAFKA_CREDENTIALS_FILE",
                                  help="Every principal's password, the admin's included (JSON).")
    ] = None,
    ca_file: Annotated[
        Path | None, typer.Option(envvar="LOS_KAFKA_CA_FILE",
                                  help="The CA of the brokers' certificates (PEM); unset: no TLS.")
    ] = None,
    state_dir: StateDir = None,
) -> None:
    """Create or update every principal's SCRAM login and make the ACLs those derived from
    deploy/services.yaml and deploy/topics.yaml (also used by docker compose)."""
    if bootstrap_servers is None:
        stack = LocalStack(state_dir)
        if not stack.env_file.exists():
            _fail(LocalRunnerError("the stack has not been started here; run `make up` first"))
        try:
            stack.provision_kafka()
        except (LocalRunnerError, KafkaError) as error:
            _fail(LocalRunnerError(f"{error} (is the stack running? `up` first)"))
        typer.echo("Kafka logins and ACLs are up to date")
        return
    if credentials_file is None:
        _fail(LocalRunnerError("pass --credentials-file (or set LOS_KAFKA_CREDENTIALS_FILE)"))
        return
    try:
        credentials = load_credentials(credentials_file)
    except KafkaCredentialsError as error:
        _fail(LocalRunnerError(str(error)))
        return
    created, deleted = asyncio.run(apply_access(bootstrap_servers, credentials, ca_file))
    typer.echo(f"{len(credentials) - 1} logins set; ACLs: {created} created, {deleted} deleted")


@app.command("rotate-password")
def rotate_password(
    principal: Annotated[str, typer.Argument(help="The Kafka principal, e.g. coordinator or adapter-tax.")],
    state_dir: StateDir = None,
) -> None:
    """Give a principal of the local stack a new random password; restart its service after."""
    stack = LocalStack(state_dir)
    if principal == ADMIN:
        _fail(LocalRunnerError("the admin's password is fixed when the cluster is formatted: "
                               "`down --purge` and `up` to change it"))
    path = stack.kafka.credentials_file
    try:
        credentials = load_credentials(path)
    except KafkaCredentialsError as error:
        _fail(LocalRunnerError(str(error)))
        return
    if principal not in credentials:
        _fail(LocalRunnerError(f"no principal {principal!r} in {path}"))
    del credentials[principal]
    write_private_json(path, credentials)
    try:
        stack.provision_kafka()  # a new password, the login updated, service files rewritten
    except (LocalRunnerError, KafkaError) as error:  # the next `up` sets the new password
        _fail(LocalRunnerError(f"{error} (is the stack running? `up` first)"))
    typer.echo(f"{principal} has a new password; restart its service (`down` then `up`)")


@app.command()
def keys() -> None:
    """Register the signing keys the system's services need and lack, each with an audit entry
    (`up` does this itself; compose runs it before the services). Settings from LOS_*."""
    from deploy.local.keys import register_local_keys
    from services.keys.settings import KeysSettings

    settings = KeysSettings()
    try:
        outcome = asyncio.run(register_local_keys(settings))
    except (OSError, asyncpg.PostgresError) as error:
        _fail(LocalRunnerError(f"cannot register keys: {error} (LOS_DATABASE_URL, LOS_DATABASE_OWNER_URL)"))
        return
    typer.echo(f"registered {len(outcome.registered)} keys in {settings.keys_dir / 'registry.json'}")


@app.command("compose-secrets")
def compose_secrets(
    folder: Annotated[Path, typer.Option(help="Where the secret files go.")] = REPO / ".state" / "compose",
) -> None:
    """Generate (once) the Kafka passwords docker-compose.yml mounts as secrets."""
    typer.echo(f"Kafka secrets for compose in {write_compose_secrets(folder)}")


if __name__ == "__main__":
    app()
