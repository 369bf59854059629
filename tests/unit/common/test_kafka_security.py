"""How a process finds its Kafka login: its own principal and password, or each agency's
from a credentials file (the adapter gateway); no username means no authentication."""

from __future__ import annotations

import json
import ssl
from pathlib import Path

import pytest

from deploy.tls import LocalAuthority
from services.adapters.gateway import GatewaySettings, agency_login
from services.common.kafka_security import (
    KafkaCredentialsError,
    KafkaLogin,
    adapter_principal,
    broker_security,
    client_options,
    librdkafka_config,
    load_credentials,
)
from services.common.settings import LosSettings


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("LOS_KAFKA_USERNAME", "LOS_KAFKA_PASSWORD", "LOS_KAFKA_CREDENTIALS_FILE", "LOS_KAFKA_CA_FILE"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def credentials(tmp_path: Path) -> Path:
    path = tmp_path / "kafka.json"
    path.write_text(json.dumps({"coordinator": "c-secret", "adapter-tax": "t-secret", "adapter-police": "p-secret"}))
    path.chmod(0o600)
    return path


def test_without_a_username_there_is_no_authentication() -> None:
    settings = LosSettings()
    assert settings.kafka_login() is None
    assert settings.kafka_client_options() == {}
    assert settings.kafka_broker_security() is None


def test_empty_variables_mean_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("LOS_KAFKA_USERNAME", "LOS_KAFKA_PASSWORD", "LOS_KAFKA_CREDENTIALS_FILE"):
        monkeypatch.setenv(name, "")
    assert LosSettings().kafka_login() is None


def test_the_password_comes_from_the_environment_or_the_credentials_file(credentials: Path) -> None:
    direct = LosSettings(kafka_username="coordinator", kafka_password="from-env")
    assert direct.kafka_login() == KafkaLogin("coordinator", "from-env")
    from_file = LosSettings(kafka_username="coordinator", kafka_credentials_file=credentials)
    assert from_file.kafka_login() == KafkaLogin("coordinator", "c-secret")
    with pytest.raises(KafkaCredentialsError, match="disclosure"):
        LosSettings(kafka_username="disclosure", kafka_credentials_file=credentials).kafka_login()


def test_the_password_never_shows_in_a_repr() -> None:
    settings = LosSettings(kafka_username="coordinator", kafka_password="hunter2-hunter2")
    assert "hunter2" not in repr(settings) and "hunter2" not in repr(settings.kafka_login())


def test_client_options_are_scram_sha_512_over_sasl() -> None:
    options = client_options(KafkaLogin("audit", "pw"))
    assert options == {"security_protocol": "SASL_PLAINTEXT", "sasl_mechanism": "SCRAM-SHA-512",
                       "sasl_plain_username": "audit", "sasl_plain_password": "pw"}
    security = broker_security(KafkaLogin("audit", "pw"))
    assert security is not None and (security.username, security.password) == ("audit", "pw")


def test_a_login_with_a_ca_file_goes_over_tls_and_checks_the_brokers(tmp_path: Path) -> None:
    ca = LocalAuthority(tmp_path / "tls").ensure()
    login = KafkaLogin("audit", "pw", ca)
    options = client_options(login)
    assert options["security_protocol"] == "SASL_SSL" and options["sasl_mechanism"] == "SCRAM-SHA-512"
    context = options["ssl_context"]
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert context.minimum_version >= ssl.TLSVersion.TLSv1_2
    assert librdkafka_config(login) == {
        "security.protocol": "SASL_SSL", "sasl.mechanism": "SCRAM-SHA-512", "sasl.username": "audit",
        "sasl.password": "pw", "ssl.ca.location": str(ca), "ssl.endpoint.identification.algorithm": "https"}
    security = broker_security(login)
    assert security is not None and security.use_ssl and security.ssl_context is not None
    assert security.ssl_context.check_hostname


def test_the_ca_file_setting_reaches_every_login(tmp_path: Path, credentials: Path) -> None:
    ca = LocalAuthority(tmp_path / "tls").ensure()
    settings = LosSettings(kafka_username="coordinator", kafka_credentials_file=credentials, kafka_ca_file=ca)
    assert settings.kafka_login() == KafkaLogin("coordinator", "c-secret", ca)
    assert settings.kafka_login("adapter-tax") == KafkaLogin("adapter-tax", "t-secret", ca)
    assert settings.kafka_client_options()["security_protocol"] == "SASL_SSL"
    broker = settings.kafka_broker_security()
    assert broker is not None and broker.use_ssl


def test_an_unreadable_ca_file_stops_the_client(tmp_path: Path) -> None:
    with pytest.raises(KafkaCredentialsError, match="CA file"):
        client_options(KafkaLogin("audit", "pw", tmp_path / "missing.crt"))
    (tmp_path / "garbage.crt").write_text("not a certificate")
    with pytest.raises(KafkaCredentialsError, match="CA file"):
        client_options(KafkaLogin("audit", "pw", tmp_path / "garbage.crt"))


def test_the_gateway_logs_each_agency_in_as_its_own_principal(credentials: Path) -> None:
    settings = GatewaySettings(kafka_username="admin", kafka_credentials_file=credentials)
    assert agency_login(settings, "TAX") == KafkaLogin("adapter-tax", "t-secret")
    assert agency_login(settings, "POLICE") == KafkaLogin(adapter_principal("POLICE"), "p-secret")
    with pytest.raises(KafkaCredentialsError):
        agency_login(settings, "FIRE_RTOG")  # no password of its own: refuse rather than borrow one
    single = GatewaySettings(kafka_username="adapter-tax", kafka_password="x")
    assert agency_login(single, "TAX") == KafkaLogin("adapter-tax", "x")


def test_credentials_may_be_a_folder_of_one_file_per_principal(tmp_path: Path) -> None:
    """As Kubernetes mounts secrets: a file per key, beside the `..data` links it makes."""
    (tmp_path / "..data").mkdir()
    (tmp_path / "adapter-tax").write_text("t-secret\n")
    (tmp_path / "adapter-muni-social-0580").write_text("m-secret")
    assert load_credentials(tmp_path) == {"adapter-muni-social-0580": "m-secret", "adapter-tax": "t-secret"}
