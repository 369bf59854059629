"""The whole local system: Kafka, PostgreSQL, topics and the service processes.

`LocalStack.up()` is idempotent: what runs is reused, what crashed is restarted. The
connection settings are written to `<state>/stack.env` so services, tests and people
(`source .state/local/stack.env`) all use the same ones. There, as with Kafka's `admin`,
people act as the database's schema owner; `LOS_DATABASE_URL_<SERVICE>` names each service's
own login. A service process gets only its own logins: never the owner's or the superuser's.
Kafka and PostgreSQL are reached over TLS only, trusting the state folder's own CA
(`<state>/tls/ca.crt`, LOS_KAFKA_CA_FILE and `sslrootcert=` in every database URL).
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path

import asyncpg
from confluent_kafka.admin import AdminClient

from deploy.access import (
    acl_bindings,
    ensure_credentials,
    ensure_secret_key,
    principals,
    service_credentials,
    write_private_json,
)
from deploy.kafka_admin import (
    AclBinding,
    KafkaAdminError,
    admin_client,
    describe_acls,
    sync_acls,
    upsert_scram_users,
)
from deploy.local.kafka import KafkaCluster, kafka_options, remember_credentials
from deploy.local.postgres import OWNER, PostgresServer
from deploy.local.processes import LocalRunnerError, free_port, port_is_free, read_pid, spawn, stop_pid
from deploy.schema import migrate_all
from deploy.services import ServiceSpec, load_services
from deploy.tls import LocalAuthority
from deploy.topics import TopicSpec, load_topics
from services.common.kafka_security import ADMIN, KafkaLogin, client_options

__all__ = ["REPO", "LocalStack", "ServiceSpec", "apply_access", "create_topics", "database_url_variable",
           "load_services", "provision"]

REPO = Path(__file__).resolve().parents[2]
# key files a service gets only if deploy/services.yaml lists the variable for it
SECRET_FILES = ("LOS_OPRF_KEY_FILE", "LOS_EGRESS_PSEUDONYM_KEY_FILE", "LOS_LEGACY_PSEUDONYM_KEY_FILE",
                "LOS_AUDIT_DIGEST_KEY_FILE")
# the database logins of stack.env a service process is never given (it gets LOS_DATABASE_URL)
NOT_FOR_SERVICES = ("LOS_DATABASE_", "LOS_POSTGRES_")


def database_url_variable(service: str) -> str:
    """The stack.env variable holding a service's own database URL, e.g. LOS_DATABASE_URL_CONSOLE."""
    return f"LOS_DATABASE_URL_{service.upper()}"


def default_state_dir() -> Path:
    return Path(os.environ.get("LOS_STATE_DIR", REPO / ".state" / "local"))


def default_cache_dir() -> Path:
    return Path(os.environ.get("LOS_CACHE_DIR", REPO / ".cache"))


async def create_topics(bootstrap: str, specs: list[TopicSpec], brokers: int | None) -> list[str]:
    """Create the topics that are missing; return their names. `brokers=None` asks the cluster."""
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **kafka_options(bootstrap))
    await admin.start()
    try:
        if brokers is None:
            brokers = len((await admin.describe_cluster())["brokers"])
        existing = set(await admin.list_topics())
        missing = [s.for_cluster(brokers) for s in specs if s.name not in existing]
        if missing:
            await admin.create_topics([
                NewTopic(s.name, s.partitions, s.replication_factor, topic_configs=s.topic_configs)
                for s in missing
            ])
        return [s.name for s in missing]
    finally:
        await admin.close()


async def apply_access(bootstrap: str, credentials: dict[str, str], ca_file: Path | None) -> tuple[int, int]:
    """Give every principal of `credentials` its SCRAM login and make the ACLs those derived
    from the deploy files (deploy/access.py); returns how many rules were created and deleted.
    The admin logs in with its entry of `credentials` and keeps the login it was formatted with;
    with `ca_file`, over TLS."""
    admin = admin_client(bootstrap, KafkaLogin(ADMIN, credentials[ADMIN], ca_file))
    users = {p: pw for p, pw in credentials.items() if p != ADMIN}
    desired = acl_bindings()
    await asyncio.to_thread(upsert_scram_users, admin, users)
    created, deleted = await asyncio.to_thread(sync_acls, admin, desired, {f"User:{p}" for p in credentials})
    await _until_applied(admin, bootstrap, users, desired, ca_file)
    return len(created), len(deleted)


async def _until_applied(admin: AdminClient, bootstrap: str, users: dict[str, str], desired: set[AclBinding],
                         ca_file: Path | None, timeout: float = 60.0) -> None:
    """The controller has committed the logins and rules; the broker applies them a moment
    later. Wait until it has: a login works and every rule is listed (each was one batch)."""
    from aiokafka.admin import AIOKafkaAdminClient
    from aiokafka.errors import KafkaError

    probe = max(users, default=None)
    deadline = asyncio.get_running_loop().time() + timeout
    quiet = logging.getLogger("aiokafka")  # a refused login before the broker caught up is expected
    level = quiet.level
    quiet.setLevel(logging.CRITICAL)
    try:
        while True:
            try:
                if probe is not None:
                    client = AIOKafkaAdminClient(bootstrap_servers=bootstrap,
                                                 **client_options(KafkaLogin(probe, users[probe], ca_file)))
                    try:
                        await client.start()
                    finally:
                        await client.close()
                if desired <= await asyncio.to_thread(describe_acls, admin):
                    return
            except (KafkaError, KafkaAdminError):
                pass
            if asyncio.get_running_loop().time() > deadline:
                raise KafkaAdminError(f"the broker at {bootstrap} did not apply the logins and ACLs "
                                      f"in {timeout:.0f}s")
            await asyncio.sleep(0.2)
    finally:
        quiet.setLevel(level)


async def provision(cluster: KafkaCluster) -> dict[str, str]:
    """A started local cluster made ready for the system: the declared topics, a password
    for every principal (kept in the cluster's credentials file), their logins and ACLs."""
    credentials = ensure_credentials(cluster.credentials_file, principals())
    remember_credentials(cluster.bootstrap_servers, cluster.credentials_file, cluster.ca_file)  # for create_topics
    await create_topics(cluster.bootstrap_servers, load_topics(), cluster.size)
    await apply_access(cluster.bootstrap_servers, credentials, cluster.ca_file)
    return credentials


class LocalStack:
    def __init__(self, state_dir: Path | None = None, cache_dir: Path | None = None,
                 kafka_nodes: int = 1) -> None:
        self.state_dir = (state_dir or default_state_dir()).resolve()
        self.cache_dir = (cache_dir or default_cache_dir()).resolve()
        self.authority = LocalAuthority(self.state_dir / "tls")  # Kafka's and PostgreSQL's certificates
        self.kafka = KafkaCluster(self.state_dir, self.cache_dir, kafka_nodes, self.authority)
        self.postgres = PostgresServer(self.state_dir, self.authority)
        self.env_file = self.state_dir / "stack.env"

    # --- infrastructure -------------------------------------------------------------------
    def up_infra(self) -> dict[str, str]:
        if self.kafka.is_outdated():
            # Kafka without authentication: its data, the database built from it, the outboxes
            # and keys belong together, so all of it starts afresh, as in a clean checkout.
            print(f"{self.state_dir} was made by an older runner (Kafka without authentication); "
                  "starting afresh", file=sys.stderr)
            self.purge()
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.postgres.start()
        bootstrap = self.kafka.start()
        self.provision_kafka()
        pseudonym_port = self._port("LOS_PSEUDONYM_PORT", 8090)
        owner_url = self.postgres.url(OWNER)
        env = {
            "LOS_KAFKA_BOOTSTRAP_SERVERS": bootstrap,
            # people, tests and benchmarks act as the admin; services get their own principal
            "LOS_KAFKA_USERNAME": ADMIN,
            "LOS_KAFKA_CREDENTIALS_FILE": str(self.kafka.credentials_file),
            # every client reaches the brokers over TLS and trusts this CA alone (the database's
            # URLs name the same file as their sslrootcert)
            "LOS_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
            "LOS_KAFKA_CA_FILE": str(self.kafka.ca_file),
            # likewise the schema owner in the database; services get their own role
            "LOS_DATABASE_URL": owner_url,
            "LOS_DATABASE_OWNER_URL": owner_url,
            **{database_url_variable(service): url for service, url in self.postgres.service_urls().items()},
            "LOS_POSTGRES_SUPERUSER_URL": self.postgres.superuser_url,
            "LOS_KEYS_DIR": str(self.state_dir / "keys"),  # the public registry; each holder's own folder below
            "LOS_ADAPTER_KEYS_DIR": str(self.state_dir / "keys" / "adapters"),
            "LOS_CONSOLE_KEYS_DIR": str(self.state_dir / "keys" / "console"),
            "LOS_AUDIT_KEYS_DIR": str(self.state_dir / "keys" / "audit"),
            # the pseudonym service's OPRF key and the egress services' key: each in its own folder
            "LOS_OPRF_KEY_FILE": str(ensure_secret_key(self.state_dir / "pseudonyms" / "oprf.key")),
            "LOS_EGRESS_PSEUDONYM_KEY_FILE": str(ensure_secret_key(self.state_dir / "egress" / "pseudonym.key")),
            # the key of the audit log's digests: the services whose entries carry digests, and tools
            "LOS_AUDIT_DIGEST_KEY_FILE": str(ensure_secret_key(self.state_dir / "audit" / "digest.key")),
            "LOS_PSEUDONYM_HOST": "127.0.0.1",
            "LOS_PSEUDONYM_PORT": str(pseudonym_port),
            "LOS_PSEUDONYM_URL": f"http://127.0.0.1:{pseudonym_port}",
            "LOS_ADAPTER_SPOOL_DIR": str(self.state_dir / "adapters"),
            "LOS_ADAPTER_DROP_DIR": str(self.state_dir / "drop"),
            "LOS_CONSOLE_PORT": str(self._port("LOS_CONSOLE_PORT", 8080)),
            # the local demo signs in with the development identity provider (never in production)
            "LOS_CONSOLE_DEV_IDP": "true",
        }
        legacy = self._retire_shared_pseudonym_key()
        if legacy is not None:
            env["LOS_LEGACY_PSEUDONYM_KEY_FILE"] = str(legacy)
        self.env_file.write_text("".join(f"export {k}='{v}'\n" for k, v in env.items()))
        os.chmod(self.env_file, 0o600)
        return env

    def provision_kafka(self) -> None:
        """Topics, logins and ACLs (again: idempotent), and each service's own password file."""
        credentials = asyncio.run(provision(self.kafka))
        for name, own in service_credentials(credentials).items():
            write_private_json(self.service_credentials_file(name), own)

    def service_credentials_file(self, service: str) -> Path:
        return self.kafka.root / "services" / f"{service}.json"

    def service_env(self, service: ServiceSpec) -> dict[str, str]:
        """The Kafka identity a service runs with: its own principal and password file; the
        adapter gateway names no principal, it takes each agency's from its file."""
        if service.kafka_principal is None:
            return {}
        single = "{agency}" not in service.kafka_principal
        return {"LOS_KAFKA_USERNAME": service.kafka_principal if single else "", "LOS_KAFKA_PASSWORD": "",
                "LOS_KAFKA_CREDENTIALS_FILE": str(self.service_credentials_file(service.name))}

    def database_env(self, service: ServiceSpec) -> dict[str, str]:
        """The PostgreSQL login a service runs with: its own role (deploy/services.yaml)."""
        if service.database_role is None:
            return {}
        return {"LOS_DATABASE_URL": self.postgres.url(service.database_role)}

    def migrate(self) -> list[str]:
        """Apply every component's migrations to the stack's database, as the schema owner."""
        try:
            return asyncio.run(migrate_all(self.postgres.url(OWNER)))
        except (OSError, asyncpg.PostgresError) as error:
            raise LocalRunnerError(f"the database migrations failed: {error}") from error

    def _port(self, variable: str, preferred: int) -> int:
        """The port used before (a running service keeps it), else `preferred` when free, else any."""
        previous = self.env().get(variable)
        if previous:
            return int(previous)
        return preferred if port_is_free(preferred) else free_port()

    def _retire_shared_pseudonym_key(self) -> Path | None:
        """A state folder from before the pseudonym service kept the adapters' shared HMAC key
        among the signing keys; move it where only platform tools look (the audit CLI uses
        it to find old entries), so no adapter's folder holds it any more."""
        old, kept = self.state_dir / "keys" / "pseudonym.key", self.state_dir / "pseudonyms" / "legacy-k1.key"
        if old.exists():
            kept.parent.mkdir(parents=True, exist_ok=True)
            os.replace(old, kept)
        return kept if kept.exists() else None

    def env(self) -> dict[str, str]:
        env: dict[str, str] = {}
        if self.env_file.exists():
            for line in self.env_file.read_text().splitlines():
                key, _, value = line.removeprefix("export ").partition("=")
                env[key] = value.strip("'")
        if env.get("LOS_KAFKA_BOOTSTRAP_SERVERS") and env.get("LOS_KAFKA_CREDENTIALS_FILE"):
            remember_credentials(env["LOS_KAFKA_BOOTSTRAP_SERVERS"], Path(env["LOS_KAFKA_CREDENTIALS_FILE"]),
                                 Path(env["LOS_KAFKA_CA_FILE"]) if env.get("LOS_KAFKA_CA_FILE") else None)
        return env

    # --- services -------------------------------------------------------------------------
    def _service_files(self, name: str) -> tuple[Path, Path]:
        folder = self.state_dir / "services"
        folder.mkdir(parents=True, exist_ok=True)
        return folder / f"{name}.pid", folder / f"{name}.log"

    def up_services(self, extra_env: dict[str, str] | None = None) -> list[str]:
        """Apply the migrations, then start every service that is not running, each with its
        own Kafka and database logins and none of the stack's administrative ones."""
        self.migrate()
        started = []
        base = {**os.environ, **self.env(), **(extra_env or {})}
        self.register_keys(base)
        for service in load_services():
            pid_file, log_file = self._service_files(service.name)
            if read_pid(pid_file) is None:
                spawn([sys.executable, "-m", service.module], pid_file=pid_file, log_file=log_file,
                      env=self.process_env(service, base), cwd=REPO)
                started.append(service.name)
        return started

    def register_keys(self, env: dict[str, str]) -> None:
        """The operator's administrative act before the services start: register the keys
        they sign with that are missing (deploy/local/keys.py), each with an audit entry."""
        from deploy.local.keys import register_local_keys, settings_from

        outcome = asyncio.run(register_local_keys(settings_from(env)))
        if outcome.registered:
            print(f"registered {len(outcome.registered)} signing keys (python -m services.keys list)",
                  file=sys.stderr)

    def process_env(self, service: ServiceSpec, base: Mapping[str, str]) -> dict[str, str]:
        """A service process's environment: `base` without the stack's database logins (the
        owner's, the superuser's, the other services') and the key files it does not hold, then
        its own Kafka and database logins."""
        env = {k: v for k, v in base.items() if not k.startswith(NOT_FOR_SERVICES)
               and (k not in SECRET_FILES or k in service.env)}
        return {**env, **self.service_env(service), **self.database_env(service)}

    def down_services(self) -> None:
        for service in load_services():
            pid_file, _ = self._service_files(service.name)
            pid = read_pid(pid_file)
            if pid is not None:
                stop_pid(pid, timeout=20)
            pid_file.unlink(missing_ok=True)

    def service_status(self) -> dict[str, int | None]:
        return {s.name: read_pid(self._service_files(s.name)[0]) for s in load_services()}

    # --- whole ----------------------------------------------------------------------------
    def down(self) -> None:
        self.down_services()
        self.kafka.stop()
        self.postgres.stop()

    def purge(self) -> None:
        """Stop and delete everything under the state folder (data, keys, outboxes, drop folders)."""
        self.down()
        self.kafka.destroy()
        self.postgres.destroy()
        shutil.rmtree(self.state_dir, ignore_errors=True)
