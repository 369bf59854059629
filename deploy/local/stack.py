"""The whole local system: Kafka, PostgreSQL, topics and the service processes.

`LocalStack.up()` is idempotent: what runs is reused, what crashed is restarted. The
connection settings are written to `<state>/stack.env` so services, tests and people
(`source .state/local/stack.env`) all use the same ones.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

from deploy.local.kafka import KafkaCluster
from deploy.local.postgres import OWNER, PostgresServer
from deploy.local.processes import free_port, port_is_free, read_pid, spawn, stop_pid
from deploy.topics import TopicSpec, load_topics

REPO = Path(__file__).resolve().parents[2]
SERVICES_FILE = REPO / "deploy" / "services.yaml"


def default_state_dir() -> Path:
    return Path(os.environ.get("LOS_STATE_DIR", REPO / ".state" / "local"))


def default_cache_dir() -> Path:
    return Path(os.environ.get("LOS_CACHE_DIR", REPO / ".cache"))


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    module: str
    env: tuple[str, ...]
    description: str = ""


def load_services(path: Path = SERVICES_FILE) -> list[ServiceSpec]:
    doc = yaml.safe_load(path.read_text())
    return [
        ServiceSpec(name, entry["module"], tuple(entry.get("env", [])), entry.get("description", ""))
        for name, entry in doc["services"].items()
    ]


async def create_topics(bootstrap: str, specs: list[TopicSpec], brokers: int | None) -> list[str]:
    """Create the topics that are missing; return their names. `brokers=None` asks the cluster."""
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
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
        self.state_dir.mkdir(parents=True, exist_ok=True)
        database_url = self.postgres.start()
        bootstrap = self.kafka.start()
        asyncio.run(create_topics(bootstrap, load_topics(), self.kafka.size))
        env = {
            "LOS_KAFKA_BOOTSTRAP_SERVERS": bootstrap,
            "LOS_DATABASE_URL": database_url,
            "LOS_DATABASE_OWNER_URL": self.postgres.url(OWNER),
            "LOS_POSTGRES_SUPERUSER_URL": self.postgres.superuser_url,
            "LOS_KEYS_DIR": str(self.state_dir / "keys"),
            "LOS_PSEUDONYM_KEY_FILE": str(self.state_dir / "keys" / "pseudonym.key"),
            "LOS_ADAPTER_SPOOL_DIR": str(self.state_dir / "adapters"),
            "LOS_ADAPTER_DROP_DIR": str(self.state_dir / "drop"),
            "LOS_CONSOLE_PORT": str(self._console_port()),
            # the local demo signs in with the development identity provider (never in production)
            "LOS_CONSOLE_DEV_IDP": "true",
        }
        self.env_file.write_text("".join(f"export {k}='{v}'\n" for k, v in env.items()))
        os.chmod(self.env_file, 0o600)
        return env

    def _console_port(self) -> int:
        """The port used before (a running console keeps it), else 8080 when free, else any."""
        previous = self.env().get("LOS_CONSOLE_PORT")
        if previous:
            return int(previous)
        return 8080 if port_is_free(8080) else free_port()

    def env(self) -> dict[str, str]:
        env: dict[str, str] = {}
        if self.env_file.exists():
            for line in self.env_file.read_text().splitlines():
                key, _, value = line.removeprefix("export ").partition("=")
                env[key] = value.strip("'")
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
                      log_file=log_file, env=env, cwd=REPO)
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
