"""Who may do what on Kafka, derived from the declarative lists: each service's principal
and group prefixes (deploy/services.yaml) and each topic's writers and readers
(deploy/topics.yaml). Least privilege: a principal gets exactly what these name, and the
broker denies everything else (`allow.everyone.if.no.acl.found=false`).

The same derivation serves the local runner and compose's init container; passwords are
generated once and kept in a credentials file (JSON principal -> password, mode 0600).
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

from deploy.kafka_admin import AclBinding
from deploy.services import ServiceSpec, load_services
from deploy.tls import LocalAuthority
from deploy.topics import TopicSpec, load_topics
from services.common.kafka_security import ADMIN

CONTROLLER = "controller"  # the controllers' SASL/PLAIN login among themselves (a super user, like admin)
SUPER_USERS = f"User:{ADMIN};User:{CONTROLLER}"

# What each kind of access needs on a topic: produce needs WRITE (which also covers the
# idempotent producer's id since Kafka 3.0), consume needs READ; both fetch metadata (DESCRIBE).
# A writer may also read the topic's settings (DESCRIBE_CONFIGS), to learn its size limit.
WRITE_OPERATIONS = ("WRITE", "DESCRIBE", "DESCRIBE_CONFIGS")
READ_OPERATIONS = ("READ", "DESCRIBE")


def service_principals(services: list[ServiceSpec] | None = None) -> dict[str, dict[str, tuple[str, ...]]]:
    """service -> {principal: group prefixes}."""
    return {s.name: s.principals() for s in (services or load_services()) if s.kafka_principal}


def principals(services: list[ServiceSpec] | None = None) -> list[str]:
    """Every principal that needs a SCRAM login, the admin super user first."""
    names = [p for by_principal in service_principals(services).values() for p in by_principal]
    return [ADMIN, *sorted(set(names))]


def acl_bindings(topics: list[TopicSpec] | None = None,
                 services: list[ServiceSpec] | None = None) -> set[AclBinding]:
    """The ALLOW rules of every service principal (the admin needs none: it is a super user)."""
    topics = load_topics() if topics is None else topics
    groups = {p: g for by_principal in service_principals(services).values() for p, g in by_principal.items()}
    unknown = {p for t in topics for p in (*t.writers, *t.readers)} - set(groups)
    if unknown:
        raise ValueError(f"deploy/topics.yaml names principals no service has: {sorted(unknown)}")
    rules: set[AclBinding] = set()
    for topic in topics:
        for principal, operations in [*((w, WRITE_OPERATIONS) for w in topic.writers),
                                      *((r, READ_OPERATIONS) for r in topic.readers)]:
            rules |= {AclBinding(f"User:{principal}", "TOPIC", topic.name, "LITERAL", op) for op in operations}
    for principal, prefixes in groups.items():
        rules |= {AclBinding(f"User:{principal}", "GROUP", prefix, "PREFIXED", "READ") for prefix in prefixes}
    return rules


# --- credentials ---------------------------------------------------------------------------
def new_password() -> str:
    return secrets.token_urlsafe(24)  # letters, digits, - and _: safe in JAAS and SCRAM syntax


def write_private_text(path: Path, text: str, mode: int = 0o600) -> None:
    """Write atomically, never readable by others in between."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def write_private_json(path: Path, data: dict[str, str], mode: int = 0o600) -> None:
    write_private_text(path, json.dumps(data, indent=2, sort_keys=True) + "\n", mode)


def ensure_secret_key(path: Path, mode: int = 0o600) -> Path:
    """A file of 32 random bytes, made once (a key only some services may hold: the OPRF key,
    the egress pseudonym key, the audit digest key); an existing one is kept, whatever it holds."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.parent.chmod(0o700)
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode), "wb") as handle:
            handle.write(secrets.token_bytes(32))
    os.chmod(path, mode)
    return path


def ensure_credentials(path: Path, names: list[str]) -> dict[str, str]:
    """The credentials file with a random password for every name it lacked; returns it all.

    Existing passwords are kept (delete an entry to rotate it)."""
    current: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    missing = [n for n in names if n not in current]
    if missing or not path.exists():
        current |= {n: new_password() for n in missing}
        write_private_json(path, current)
    return current


def service_credentials(credentials: dict[str, str],
                        services: list[ServiceSpec] | None = None) -> dict[str, dict[str, str]]:
    """service -> the part of the credentials it may hold (its own principals only)."""
    return {name: {p: credentials[p] for p in by_principal}
            for name, by_principal in service_principals(services).items()}


# --- compose ---------------------------------------------------------------------------------
def jaas_config(admin_password: str, controller_password: str) -> str:
    """The broker's logins: SCRAM as admin between brokers, static PLAIN among controllers."""
    return (
        "client.KafkaServer {\n"
        f'  org.apache.kafka.common.security.scram.ScramLoginModule required username="{ADMIN}" '
        f'password="{admin_password}";\n}};\n'
        "controller.KafkaServer {\n"
        f'  org.apache.kafka.common.security.plain.PlainLoginModule required username="{CONTROLLER}" '
        f'password="{controller_password}" user_{CONTROLLER}="{controller_password}";\n}};\n'
    )


def write_compose_secrets(folder: Path) -> Path:
    """The files docker-compose.yml mounts as secrets, made once (new principals are added):
    `kafka/credentials.json` for the init containers, `kafka/services/<name>.json` for each
    service, `kafka/admin.password` for formatting, `kafka/jaas.conf` for the broker, and the
    pseudonym keys `keys/oprf.key` (the pseudonym service's) and `keys/egress-pseudonym.key`
    (the disclosure service's and the console's), and the audit digest key
    `keys/audit-digest.key` (theirs too). In `tls/`, compose's own CA (`ca.crt`; `ca.key` is
    never mounted) and the certificates of `kafka` (`kafka.pem`, its keystore) and `postgres`
    (`postgres.crt`, `postgres.key`) for their compose host names and loopback.

    The containers run as other users than the one writing here, so the files are readable
    by all, inside a folder only its owner may enter."""
    kafka = folder / "kafka"
    for directory in (folder, kafka):
        directory.mkdir(parents=True, exist_ok=True)
        directory.chmod(0o700)
    credentials = ensure_credentials(kafka / "credentials.json", principals())
    controller = ensure_credentials(kafka / "controller.json", [CONTROLLER])[CONTROLLER]
    readable = 0o644
    write_private_json(kafka / "credentials.json", credentials, readable)
    for name, own in service_credentials(credentials).items():
        write_private_json(kafka / "services" / f"{name}.json", own, readable)
    write_private_text(kafka / "admin.password", credentials[ADMIN], readable)
    write_private_text(kafka / "jaas.conf", jaas_config(credentials[ADMIN], controller), readable)
    for name in ("oprf.key", "egress-pseudonym.key", "audit-digest.key"):
        ensure_secret_key(folder / "keys" / name, readable)
    authority = LocalAuthority(folder / "tls", name="LOS compose CA")
    for server in ("kafka", "postgres"):
        authority.issue(server, (server, "localhost", "127.0.0.1"), key_mode=readable)
    return kafka
