"""Everything that travels is encrypted, and only to the right server: on the real broker and
database, a client that does not use TLS is refused, a client that does not trust the
deployment's CA refuses the server, and a client that verifies the server gets through
(docs/security.md, "TLS")."""

from __future__ import annotations

import asyncio
import socket
import ssl
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaConnectionError
from confluent_kafka import KafkaException

from deploy.kafka_admin import admin_client
from deploy.tls import LocalAuthority
from services.common.kafka_security import KafkaLogin
from tests.conftest import Database, Infra
from tests.support import kafka_login, kafka_options

pytestmark = pytest.mark.integration


def _host_port(bootstrap: str) -> tuple[str, int]:
    host, _, port = bootstrap.split(",")[0].rpartition(":")
    return host, int(port)


async def _brokers(bootstrap: str, options: dict[str, Any]) -> int:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10_000, **options)
    try:
        await asyncio.wait_for(admin.start(), 30)
        return len((await admin.describe_cluster())["brokers"])
    finally:
        await admin.close()


def _handshake(address: tuple[str, int], context: ssl.SSLContext) -> str:
    """The TLS version agreed with the server at `address`, checking it as `context` does."""
    with socket.create_connection(address, timeout=10) as raw, \
            context.wrap_socket(raw, server_hostname=address[0]) as tls:
        return str(tls.version())


def _stranger(tmp_path: Path) -> ssl.SSLContext:
    """A client that trusts a CA of its own, as one misled to another server would."""
    return ssl.create_default_context(cafile=str(LocalAuthority(tmp_path / "other").ensure()))


# --- Kafka ---------------------------------------------------------------------------------
async def test_a_kafka_client_that_verifies_the_brokers_gets_through(infra: Infra) -> None:
    options = kafka_options(infra.bootstrap_servers)
    assert options["security_protocol"] == "SASL_SSL"
    assert options["ssl_context"].verify_mode == ssl.CERT_REQUIRED and options["ssl_context"].check_hostname
    assert await _brokers(infra.bootstrap_servers, options) >= 1
    # librdkafka (confluent-kafka: the admin tooling, agencies' own clients) too
    admin = admin_client(infra.bootstrap_servers, kafka_login(infra.bootstrap_servers))
    metadata = await asyncio.to_thread(admin.list_topics, timeout=30)
    assert metadata.brokers
    version = _handshake(_host_port(infra.bootstrap_servers),
                         ssl.create_default_context(cafile=infra.env["LOS_KAFKA_CA_FILE"]))
    assert version in ("TLSv1.2", "TLSv1.3")


async def test_a_kafka_client_without_tls_cannot_log_in(infra: Infra) -> None:
    """SASL_PLAINTEXT, with the admin's valid password, to the TLS listener: nothing gets through."""
    options = kafka_options(infra.bootstrap_servers)
    plaintext = {k: v for k, v in options.items() if k != "ssl_context"} | {"security_protocol": "SASL_PLAINTEXT"}
    with pytest.raises((KafkaConnectionError, asyncio.TimeoutError)):
        await _brokers(infra.bootstrap_servers, plaintext)
    login = kafka_login(infra.bootstrap_servers)
    assert login is not None
    admin = admin_client(infra.bootstrap_servers, KafkaLogin(login.username, login.password))  # no CA: plaintext
    with pytest.raises(KafkaException):
        await asyncio.to_thread(admin.list_topics, timeout=10)


async def test_a_kafka_client_that_does_not_trust_the_ca_refuses_the_broker(infra: Infra, tmp_path: Path) -> None:
    options = kafka_options(infra.bootstrap_servers)
    for context in (ssl.create_default_context(), _stranger(tmp_path)):  # the system's CAs; another CA
        with pytest.raises((KafkaConnectionError, asyncio.TimeoutError)):
            await _brokers(infra.bootstrap_servers, options | {"ssl_context": context})
        with pytest.raises(ssl.SSLCertVerificationError):
            _handshake(_host_port(infra.bootstrap_servers), context)


# --- PostgreSQL ----------------------------------------------------------------------------
def _without_tls_settings(url: str) -> str:
    return url.split("?", 1)[0]


async def test_a_database_client_that_verifies_the_server_gets_through(infra: Infra, database: Database) -> None:
    url = database.app_url
    assert "sslmode=verify-full" in url and f"sslrootcert={infra.stack.postgres.ca_file}" in url
    conn = await asyncpg.connect(url)
    try:
        assert await conn.fetchval("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()") is True
    finally:
        await conn.close()


async def test_a_database_client_without_tls_is_refused(infra: Infra, database: Database) -> None:
    for url in (database.app_url, database.owner_url, infra.superuser_url):
        plain = _without_tls_settings(url) + "?sslmode=disable"
        with pytest.raises(asyncpg.InvalidAuthorizationSpecificationError, match="no encryption"):
            await asyncpg.connect(plain)


async def test_a_database_client_that_does_not_trust_the_ca_refuses_the_server(
        infra: Infra, database: Database, tmp_path: Path) -> None:
    stranger = LocalAuthority(tmp_path / "other").ensure()
    url = _without_tls_settings(database.app_url)
    with pytest.raises(ssl.SSLCertVerificationError):
        await asyncpg.connect(f"{url}?sslmode=verify-full&sslrootcert={stranger}")
    with pytest.raises(ssl.SSLCertVerificationError):
        await asyncpg.connect(url, ssl=ssl.create_default_context())  # the system's CAs
