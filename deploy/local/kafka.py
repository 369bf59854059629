"""Apache Kafka in KRaft mode from the Maven Central jars pinned in `pom.xml`.

One node or a three-node cluster on loopback, each node broker and controller at once.
Storage is formatted once; a second start reuses the data, the cluster id and, when they
are still free, the ports. A crashed run leaves only stale pid files, which are removed.

Clients authenticate with SASL/SCRAM-SHA-512 and the StandardAuthorizer denies whatever no
ACL allows. The `admin` super user (also the inter-broker login) is created when storage
is formatted; its password and those of the other principals live in
`<state>/kafka/credentials.json` (mode 0600). The controllers talk SASL/PLAIN among
themselves with a static login of their own. State formatted by an older runner (without
authentication) is recognised by its missing stamp and rebuilt.

Every listener is SASL_SSL: the node's certificate (`<state>/tls/kafka.pem`, for 127.0.0.1 and
localhost) is issued by the state folder's own CA (deploy/tls.py), which clients trust through
LOS_KAFKA_CA_FILE. Nodes running with another certificate (or none: an older runner) are
restarted with the current one; their data is kept.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import shutil
import subprocess
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from deploy.access import CONTROLLER, SUPER_USERS, ensure_credentials, new_password, write_private_text
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
from deploy.tls import LocalAuthority
from services.common.kafka_security import (
    ADMIN,
    MECHANISM,
    KafkaCredentialsError,
    KafkaLogin,
    client_options,
    load_credentials,
)

POM = Path(__file__).with_name("pom.xml")
# Bumped whenever the way nodes are configured or formatted changes incompatibly: storage
# stamped otherwise (or not at all) is rebuilt.
SECURITY = "sasl-scram-sha-512+acls/1"

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


# The local clusters this process has started or read the settings of, so that helpers given
# only bootstrap servers (tests, benchmarks) can log in to them:
# bootstrap -> (credentials file, CA file).
_CREDENTIALS: dict[str, tuple[Path, Path | None]] = {}


def remember_credentials(bootstrap: str, credentials_file: Path, ca_file: Path | None) -> None:
    _CREDENTIALS[bootstrap] = (credentials_file, ca_file)


def _from_environment(variable: str) -> Path | None:
    return Path(os.environ[variable]) if os.environ.get(variable) else None


def kafka_login(bootstrap: str, principal: str = ADMIN) -> KafkaLogin | None:
    """How to log in to the cluster at `bootstrap` as `principal` (None: no authentication).

    The credentials and CA are those of a local cluster this process knows, else the files
    named by LOS_KAFKA_CREDENTIALS_FILE and LOS_KAFKA_CA_FILE (a sourced stack.env, compose's
    init containers)."""
    path, ca_file = _CREDENTIALS.get(bootstrap) or (_from_environment("LOS_KAFKA_CREDENTIALS_FILE"),
                                                     _from_environment("LOS_KAFKA_CA_FILE"))
    if path is None:
        return None
    password = load_credentials(path).get(principal)
    if password is None:
        raise KafkaCredentialsError(f"{path} holds no password for Kafka principal {principal!r}")
    return KafkaLogin(principal, password, ca_file)


def kafka_options(bootstrap: str, principal: str = ADMIN) -> dict[str, Any]:
    """aiokafka keyword arguments for `kafka_login(bootstrap, principal)`."""
    return client_options(kafka_login(bootstrap, principal))


@dataclass
class KafkaNode:
    node_id: int
    port: int
    controller_port: int


class KafkaCluster:
    """A local KRaft cluster of `size` combined broker/controller nodes."""

    def __init__(self, state_dir: Path, cache_dir: Path, size: int = 1,
                 authority: LocalAuthority | None = None) -> None:
        if size not in (1, 3):
            raise LocalRunnerError("a local Kafka cluster has 1 or 3 nodes")
        self.authority = authority or LocalAuthority(state_dir / "tls")
        self.root = state_dir / "kafka"
        self.cache_dir = cache_dir
        self.size = size
        self.meta_file = self.root / "cluster.json"
        self.credentials_file = self.root / "credentials.json"
        self.controller_secret = self.root / "controller.secret"

    # --- state ---------------------------------------------------------------------------
    def _meta(self) -> dict[str, Any] | None:
        try:
            data = json.loads(self.meta_file.read_text())
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def _meta_value(self, key: str) -> object:
        return (self._meta() or {}).get(key)

    def _load(self) -> tuple[str, list[KafkaNode]] | None:
        data = self._meta()
        if data is None or data.get("security") != SECURITY:
            return None
        return data["cluster_id"], [KafkaNode(**n) for n in data["nodes"]]

    def is_outdated(self) -> bool:
        """Storage formatted by an older runner (no authentication, say): it must be rebuilt."""
        data = self._meta()
        return data is not None and data.get("security") != SECURITY

    def _save(self, cluster_id: str, nodes: list[KafkaNode], certificate: str) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.meta_file.write_text(json.dumps(
            {"cluster_id": cluster_id, "security": SECURITY, "certificate": certificate,
             "nodes": [asdict(n) for n in nodes]}, indent=2))

    @property
    def ca_file(self) -> Path:
        """The CA the nodes' certificates are issued by: what clients trust."""
        return self.authority.ca_cert

    def _password(self, principal: str) -> str:
        try:
            return load_credentials(self.credentials_file)[principal]
        except (KafkaCredentialsError, KeyError) as error:
            raise LocalRunnerError(f"the Kafka password of {principal!r} is lost ({error}); "
                                   "delete the state folder to start afresh") from error

    def admin_options(self) -> dict[str, Any]:
        return client_options(KafkaLogin(ADMIN, self._password(ADMIN), self.ca_file))

    def node_dir(self, node: KafkaNode) -> Path:
        return self.root / f"node-{node.node_id}"

    def pid_file(self, node: KafkaNode) -> Path:
        return self.node_dir(node) / "kafka.pid"

    def log_file(self, node: KafkaNode) -> Path:
        return self.node_dir(node) / "kafka.log"

    @property
    def nodes(self) -> list[KafkaNode]:
        """The nodes on record (of an outdated cluster too, so that it can be stopped)."""
        data = self._meta()
        return [KafkaNode(**n) for n in data["nodes"]] if data else []

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
        certificate = self.authority.issue("kafka").fingerprint()
        loaded = self._load()  # None as well for an outdated cluster
        if loaded is not None and self._meta_value("certificate") != certificate:
            self.stop()  # running without TLS or with an earlier certificate: start again with this one
        if loaded is not None and len(loaded[1]) != self.size:
            loaded = None  # a cluster of another size was here
        if loaded is None:
            self.destroy()  # nothing usable here: start afresh
            cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
            nodes = [KafkaNode(i + 1, free_port(), free_port()) for i in range(self.size)]
            ensure_credentials(self.credentials_file, [ADMIN])
            write_private_text(self.controller_secret, new_password())
        else:
            cluster_id, nodes = loaded
        running = {n.node_id for n in self.running_nodes()} if loaded else set()
        stopped = [n for n in nodes if n.node_id not in running]
        if not stopped:
            remember_credentials(self.bootstrap_servers, self.credentials_file, self.ca_file)
            self.wait_ready()
            return self.bootstrap_servers
        if not running and not all(
            port_is_free(n.port) and port_is_free(n.controller_port) for n in nodes
        ):
            # Ports were taken while we were down: all nodes are stopped, so move them all.
            nodes = [KafkaNode(n.node_id, free_port(), free_port()) for n in nodes]
        self._save(cluster_id, nodes, certificate)
        remember_credentials(self.bootstrap_servers, self.credentials_file, self.ca_file)
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
        props = self.node_properties(node, nodes, admin_password=self._password(ADMIN),
                                     controller_password=self.controller_secret.read_text().strip())
        directory = self.node_dir(node)
        directory.mkdir(parents=True, exist_ok=True)
        write_private_text(directory / "server.properties",  # it holds passwords
                           "".join(f"{k}={v}\n" for k, v in props.items()))
        (directory / "log4j2.properties").write_text(LOG4J2)

    def node_properties(self, node: KafkaNode, nodes: list[KafkaNode], *, admin_password: str,
                        controller_password: str) -> dict[str, object]:
        """The server.properties of one node."""
        n = len(nodes)
        voters = ",".join(f"{x.node_id}@127.0.0.1:{x.controller_port}" for x in nodes)
        rf, isr = min(3, n), min(2, n)
        controller = controller_password
        keystore = self.authority.files("kafka").keystore
        return {
            "process.roles": "broker,controller",
            "node.id": node.node_id,
            "controller.quorum.voters": voters,
            "listeners": f"CLIENT://127.0.0.1:{node.port},CONTROLLER://127.0.0.1:{node.controller_port}",
            "advertised.listeners": f"CLIENT://127.0.0.1:{node.port}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "CLIENT",
            "listener.security.protocol.map": "CLIENT:SASL_SSL,CONTROLLER:SASL_SSL",
            # every listener: TLS with the node's certificate; as a client (another broker, a
            # controller) a node checks the peer's certificate and host name against the CA
            "ssl.keystore.type": "PEM",
            "ssl.keystore.location": keystore,
            "ssl.truststore.type": "PEM",
            "ssl.truststore.location": self.ca_file,
            "ssl.endpoint.identification.algorithm": "https",
            "ssl.enabled.protocols": "TLSv1.3,TLSv1.2",
            # clients and brokers: SCRAM users stored in the cluster metadata
            "sasl.enabled.mechanisms": MECHANISM,
            "sasl.mechanism.inter.broker.protocol": MECHANISM,
            f"listener.name.client.{MECHANISM.lower()}.sasl.jaas.config":
                f'org.apache.kafka.common.security.scram.ScramLoginModule required username="{ADMIN}" '
                f'password="{admin_password}";',
            # controllers: SCRAM needs the metadata they serve, so a static PLAIN login
            "sasl.mechanism.controller.protocol": "PLAIN",
            "listener.name.controller.sasl.enabled.mechanisms": "PLAIN",
            "listener.name.controller.plain.sasl.jaas.config":
                f'org.apache.kafka.common.security.plain.PlainLoginModule required username="{CONTROLLER}" '
                f'password="{controller}" user_{CONTROLLER}="{controller}";',
            "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
            "allow.everyone.if.no.acl.found": "false",
            "super.users": SUPER_USERS,
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

    def _format(self, java: str, libs: Path, cluster_id: str, node: KafkaNode) -> None:
        directory = self.node_dir(node)
        if (directory / "data" / "meta.properties").exists():
            return
        result = subprocess.run(
            [java, "-cp", f"{libs}/*", f"-Dlog4j2.configurationFile={directory / 'log4j2.properties'}",
             "kafka.tools.StorageTool", "format", f"--cluster-id={cluster_id}",  # an id may start with -
             "-c", str(directory / "server.properties"),
             "--add-scram", f"{MECHANISM}=[name={ADMIN},password={self._password(ADMIN)}]"],
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
                                    request_timeout_ms=5000, **self.admin_options())
        try:
            await admin.start()
            cluster = await admin.describe_cluster()
            return len(cluster["brokers"])
        except Exception:
            return 0
        finally:
            await admin.close()
