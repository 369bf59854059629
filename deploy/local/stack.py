"""The whole local system: Kafka, PostgreSQL, topics and the service processes.

`LocalStack.up()` is idempotent: what runs is reused, what crashed is restarted. The
connection settings are written to `<state>/stack.env` so services, tests and people
(`source .state/local/stack.env`) all use the same ones.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import sys
from pathlib import Path
from typing import Any

from deploy.access import (
    acl_bindings,
    ensure_credentials,
    ensure_secret_key,
    principals,
    service_credentials,
    write_private_json,
)
from deploy.kafka_admin import AclBinding, KafkaAdminError, describe_acls, sync_acls, upsert_scram_users
from deploy.local.kafka import KafkaCluster, kafka_options, remember_credentials
from deploy.local.postgres import OWNER, PostgresServer
from deploy.local.processes import free_port, port_is_free, read_pid, spawn, stop_pid
from deploy.services import ServiceSpec, load_services
from deploy.topics import TopicSpec, load_topics
from services.common.kafka_security import ADMIN

__all__ = ["REPO", "LocalStack", "ServiceSpec", "apply_access", "create_topics", "load_services", "provision"]

REPO = Path(__file__).resolve().parents[2]
# key files a service gets only if deploy/services.yaml lists the variable for it
SECRET_FILES = ("LOS_OPRF_KEY_FILE", "LOS_EGRESS_PSEUDONYM_KEY_FILE", "LOS_LEGACY_PSEUDONYM_KEY_FILE")


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


async def apply_access(bootstrap: str, credentials: dict[str, str]) -> tuple[int, int]:
    """Give every principal of `credentials` its SCRAM login and make the ACLs those derived
    from the deploy files (deploy/access.py); returns how many rules were created and deleted.
    The admin logs in with its entry of `credentials` and keeps the login it was formatted with."""
    from aiokafka.admin import AIOKafkaAdminClient

    from services.common.kafka_security import KafkaLogin, client_options

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap,
                                **client_options(KafkaLogin(ADMIN, credentials[ADMIN])))
    await admin.start()
    try:
        users = {p: pw for p, pw in credentials.items() if p != ADMIN}
        await upsert_scram_users(admin, users)
        desired = acl_bindings()
        created, deleted = await sync_acls(admin, desired, managed={f"User:{p}" for p in credentials})
        await _until_applied(admin, bootstrap, users, desired)
        return len(created), len(deleted)
    finally:
        await admin.close()


async def _until_applied(admin: Any, bootstrap: str, users: dict[str, str], desired: set[AclBinding],
                         timeout: float = 60.0) -> None:
    """The controller has committed the logins and rules; the broker applies them a moment
    later. Wait until it has: a login works and every rule is listed (each was one batch)."""
    from aiokafka.admin import AIOKafkaAdminClient
    from aiokafka.errors import KafkaError

    from services.common.kafka_security import KafkaLogin, client_options

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
                                                 **client_options(KafkaLogin(probe, users[probe])))
                    try:
                        await client.start()
                    finally:
                        await client.close()
                if desired <= await describe_acls(admin):
                    return
            except KafkaError:
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
    remember_credentials(cluster.bootstrap_servers, cluster.credentials_file)  # for create_topics
    await create_topics(cluster.bootstrap_servers, load_topics(), cluster.size)
    await apply_access(cluster.bootstrap_servers, credentials)
    return credentials


class LocalStack:
    def __init__(self, state_dir: Path | None = None, cache_dir: Path | None = None,
                 kafka_nodes: int = 1) -> None:
        self.state_dir = (state_dir or default_state_dir()).resolve()
        self.cache_dir = (cache_dir or default_cache_dir()).resolve()
        self.kafka = KafkaCluster(self.state_dir, self.cache_dir, kafka_nodes)
        self.postgres = PostgresServer(self.state_dir)
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
        database_url = self.postgres.start()
        bootstrap = self.kafka.start()
        self.provision_kafka()
        pseudonym_port = self._port("LOS_PSEUDONYM_PORT", 8090)
        env = {
            "LOS_KAFKA_BOOTSTRAP_SERVERS": bootstrap,
            # people, tests and benchmarks act as the admin; services get their own principal
            "LOS_KAFKA_USERNAME": ADMIN,
            "LOS_KAFKA_CREDENTIALS_FILE": str(self.kafka.credentials_file),
            "LOS_DATABASE_URL": database_url,
            "LOS_DATABASE_OWNER_URL": self.postgres.url(OWNER),
            "LOS_POSTGRES_SUPERUSER_URL": self.postgres.superuser_url,
            "LOS_KEYS_DIR": str(self.state_dir / "keys"),
            # the pseudonym service's OPRF key and the egress services' key: each in its own folder
            "LOS_OPRF_KEY_FILE": str(ensure_secret_key(self.state_dir / "pseudonyms" / "oprf.key")),
            "LOS_EGRESS_PSEUDONYM_KEY_FILE": str(ensure_secret_key(self.state_dir / "egress" / "pseudonym.key")),
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

    def process_env(self, service: ServiceSpec, env: dict[str, str]) -> dict[str, str]:
        """What a service process is started with: `env` less the key files it does not hold,
        and its own Kafka identity."""
        own = {k: v for k, v in env.items() if k not in SECRET_FILES or k in service.env}
        return {**own, **self.service_env(service)}

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
            remember_credentials(env["LOS_KAFKA_BOOTSTRAP_SERVERS"], Path(env["LOS_KAFKA_CREDENTIALS_FILE"]))
        return env

    # --- services -------------------------------------------------------------------------
    def _service_files(self, name: str) -> tuple[Path, Path]:
        folder = self.state_dir / "services"
        folder.mkdir(parents=True, exist_ok=True)
        return folder / f"{name}.pid", folder / f"{name}.log"

    def up_services(self, extra_env: dict[str, str] | None = None) -> list[str]:
        started = []
        env = {**os.environ, **self.env(), **(extra_env or {})}
        for service in load_services():
            pid_file, log_file = self._service_files(service.name)
            if read_pid(pid_file) is None:
                spawn([sys.executable, "-m", service.module], pid_file=pid_file,
                      log_file=log_file, env=self.process_env(service, env), cwd=REPO)
                started.append(service.name)
        return started

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
