"""Apache Kafka in KRaft mode from the Maven Central jars pinned in `pom.xml`.

One node or a three-node cluster on loopback, each node broker and controller at once.
Storage is formatted once; a second start reuses the data, the cluster id and, when they
are still free, the ports. A crashed run leaves only stale pid files, which are removed.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import shutil
import subprocess
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

from deploy.local.processes import (
    LocalRunnerError,
    free_port,
    port_answers,
    port_is_free,
    read_pid,
    spawn,
    stop_pid,
    wait_until,
)

POM = Path(__file__).with_name("pom.xml")

LOG4J2 = """\
status = warn
appender.console.type = Console
appender.console.name = STDOUT
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = info
rootLogger.appenderRef.stdout.ref = STDOUT
logger.kafka.name = kafka
logger.kafka.level = warn
logger.apache.name = org.apache.kafka
logger.apache.level = warn
logger.state.name = state.change.logger
logger.state.level = warn
"""


def kafka_version() -> str:
    match = re.search(r"<kafka\.version>([^<]+)</kafka\.version>", POM.read_text())
    if not match:
        raise LocalRunnerError(f"{POM} has no <kafka.version> property")
    return match.group(1)


def check_java() -> str:
    java = shutil.which("java")
    if java is None:
        raise LocalRunnerError(
            "Java 17 or newer is required to run Kafka: install it (apt-get install openjdk-17-jre-headless)"
        )
    out = subprocess.run([java, "-version"], capture_output=True, text=True).stderr
    match = re.search(r'version "(\d+)', out)
    if not match or int(match.group(1)) < 17:
        raise LocalRunnerError(f"Kafka 4 needs Java 17 or newer; `java -version` says: {out.strip()}")
    return java


def ensure_jars(cache_dir: Path) -> Path:
    """Copy the broker's runtime jars into the cache once (Maven keeps its own cache too)."""
    libs = cache_dir / f"kafka-{kafka_version()}" / "libs"
    stamp = libs.parent / ".complete"
    if stamp.exists():
        return libs
    mvn = shutil.which("mvn")
    if mvn is None:
        raise LocalRunnerError(
            "Maven is required to fetch the Kafka jars: install it (apt-get install maven)"
        )
    shutil.rmtree(libs, ignore_errors=True)
    result = subprocess.run(
        [mvn, "-B", "-q", "-f", str(POM), "dependency:copy-dependencies",
         f"-DoutputDirectory={libs}", "-DincludeScope=runtime"],
        capture_output=True, text=True,
    )
    if result.returncode != 0:
        raise LocalRunnerError(
            "could not fetch the Kafka jars with Maven (is Maven Central reachable?):\n"
            + (result.stdout + result.stderr)[-3000:]
        )
    stamp.write_text(kafka_version())
    return libs


@dataclass
class KafkaNode:
    node_id: int
    port: int
    controller_port: int


class KafkaCluster:
    """A local KRaft cluster of `size` combined broker/controller nodes."""

    def __init__(self, state_dir: Path, cache_dir: Path, size: int = 1) -> None:
        if size not in (1, 3):
            raise LocalRunnerError("a local Kafka cluster has 1 or 3 nodes")
        self.root = state_dir / "kafka"
        self.cache_dir = cache_dir
        self.size = size
        self.meta_file = self.root / "cluster.json"

    # --- state ---------------------------------------------------------------------------
    def _load(self) -> tuple[str, list[KafkaNode]] | None:
        try:
            data = json.loads(self.meta_file.read_text())
        except (OSError, ValueError):
            return None
        return data["cluster_id"], [KafkaNode(**n) for n in data["nodes"]]

    def _save(self, cluster_id: str, nodes: list[KafkaNode]) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.meta_file.write_text(
            json.dumps({"cluster_id": cluster_id, "nodes": [asdict(n) for n in nodes]}, indent=2)
        )

    def node_dir(self, node: KafkaNode) -> Path:
        return self.root / f"node-{node.node_id}"

    def pid_file(self, node: KafkaNode) -> Path:
        return self.node_dir(node) / "kafka.pid"

    def log_file(self, node: KafkaNode) -> Path:
        return self.node_dir(node) / "kafka.log"

    @property
    def nodes(self) -> list[KafkaNode]:
        loaded = self._load()
        return loaded[1] if loaded else []

    @property
    def bootstrap_servers(self) -> str:
        return ",".join(f"127.0.0.1:{n.port}" for n in self.nodes)

    def running_nodes(self) -> list[KafkaNode]:
        return [n for n in self.nodes if read_pid(self.pid_file(n)) is not None]

    # --- lifecycle -----------------------------------------------------------------------
    def start(self) -> str:
        """Start every node that is not running; return the bootstrap servers."""
        java = check_java()
        libs = ensure_jars(self.cache_dir)
        loaded = self._load()
        if loaded is not None and len(loaded[1]) != self.size:
            self.destroy()  # a cluster of another size was here: start afresh
            loaded = None
        if loaded is None:
            shutil.rmtree(self.root, ignore_errors=True)
            cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
            nodes = [KafkaNode(i + 1, free_port(), free_port()) for i in range(self.size)]
        else:
            cluster_id, nodes = loaded
        running = {n.node_id for n in self.running_nodes()} if loaded else set()
        stopped = [n for n in nodes if n.node_id not in running]
        if not stopped:
            self.wait_ready()
            return self.bootstrap_servers
        if not running and not all(
            port_is_free(n.port) and port_is_free(n.controller_port) for n in nodes
        ):
            # Ports were taken while we were down: all nodes are stopped, so move them all.
            nodes = [KafkaNode(n.node_id, free_port(), free_port()) for n in nodes]
        self._save(cluster_id, nodes)
        for node in nodes:
            self._write_config(node, nodes)
        for node in stopped:
            self._format(java, libs, cluster_id, node)
            self._spawn(java, libs, node)
        self.wait_ready()
        return self.bootstrap_servers

    def start_node(self, node_id: int) -> None:
        """Restart one stopped node of the cluster (fault tests)."""
        java = check_java()
        libs = ensure_jars(self.cache_dir)
        node = next(n for n in self.nodes if n.node_id == node_id)
        if read_pid(self.pid_file(node)) is None:
            self._spawn(java, libs, node)
        wait_until(lambda: port_answers(node.port), timeout=90, what=f"Kafka node {node_id}",
                   log_file=self.log_file(node))

    def stop_node(self, node_id: int) -> None:
        node = next(n for n in self.nodes if n.node_id == node_id)
        pid = read_pid(self.pid_file(node))
        if pid is not None:
            stop_pid(pid, timeout=60)
        self.pid_file(node).unlink(missing_ok=True)

    def stop(self) -> None:
        for node in reversed(self.nodes):
            self.stop_node(node.node_id)

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    # --- internals -----------------------------------------------------------------------
    def _write_config(self, node: KafkaNode, nodes: list[KafkaNode]) -> None:
        n = len(nodes)
        voters = ",".join(f"{x.node_id}@127.0.0.1:{x.controller_port}" for x in nodes)
        rf, isr = min(3, n), min(2, n)
        props = {
            "process.roles": "broker,controller",
            "node.id": node.node_id,
            "controller.quorum.voters": voters,
            "listeners": f"PLAINTEXT://127.0.0.1:{node.port},CONTROLLER://127.0.0.1:{node.controller_port}",
            "advertised.listeners": f"PLAINTEXT://127.0.0.1:{node.port}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "log.dirs": self.node_dir(node) / "data",
            "num.partitions": 6,
            "auto.create.topics.enable": "false",
            "default.replication.factor": rf,
            "min.insync.replicas": isr,
            "offsets.topic.replication.factor": rf,
            "offsets.topic.num.partitions": 10,
            "transaction.state.log.replication.factor": rf,
            "transaction.state.log.min.isr": isr,
            "transaction.state.log.num.partitions": 5,
            "share.coordinator.state.topic.replication.factor": rf,
            "share.coordinator.state.topic.min.isr": isr,
            "group.initial.rebalance.delay.ms": 0,
            "message.max.bytes": 1048588,
        }
        directory = self.node_dir(node)
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "server.properties").write_text(
            "".join(f"{k}={v}\n" for k, v in props.items())
        )
        (directory / "log4j2.properties").write_text(LOG4J2)

    def _format(self, java: str, libs: Path, cluster_id: str, node: KafkaNode) -> None:
        directory = self.node_dir(node)
        if (directory / "data" / "meta.properties").exists():
            return
        result = subprocess.run(
            [java, "-cp", f"{libs}/*", f"-Dlog4j2.configurationFile={directory / 'log4j2.properties'}",
             "kafka.tools.StorageTool", "format", "-t", cluster_id,
             "-c", str(directory / "server.properties")],
            capture_output=True, text=True,
        )
        if result.returncode != 0:
            raise LocalRunnerError(
                f"formatting Kafka storage of node {node.node_id} failed:\n{result.stdout}{result.stderr}"
            )

    def _spawn(self, java: str, libs: Path, node: KafkaNode) -> None:
        directory = self.node_dir(node)
        self.log_file(node).unlink(missing_ok=True)
        spawn(
            [java, "-Xms256m", "-Xmx768m", "-XX:+UseG1GC", "-Djava.awt.headless=true",
             f"-Dlog4j2.configurationFile={directory / 'log4j2.properties'}",
             "-cp", f"{libs}/*", "kafka.Kafka", str(directory / "server.properties")],
            pid_file=self.pid_file(node),
            log_file=self.log_file(node),
        )

    def wait_ready(self, timeout: float = 120.0) -> None:
        """Wait until every broker answers a metadata request and the cluster is whole."""
        for node in self.nodes:
            wait_until(lambda node=node: port_answers(node.port), timeout=timeout,
                       what=f"Kafka node {node.node_id} on port {node.port}",
                       log_file=self.log_file(node))
        wait_until(lambda: asyncio.run(self._brokers_seen()) >= self.size, timeout=timeout,
                   what="Kafka metadata", log_file=self.log_file(self.nodes[0]))

    async def _brokers_seen(self) -> int:
        from aiokafka.admin import AIOKafkaAdminClient  # the runner's venv has it

        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap_servers,
                                    request_timeout_ms=5000)
        try:
            await admin.start()
            cluster = await admin.describe_cluster()
            return len(cluster["brokers"])
        except Exception:
            return 0
        finally:
            await admin.close()
