"""How a process finds its Kafka login: its own principal and password, or each agency's
from a credentials file (the adapter gateway); no username means no authentication."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from services.adapters.gateway import GatewaySettings, agency_login
from services.common.kafka_security import (
    KafkaCredentialsError,
    KafkaLogin,
    adapter_principal,
    broker_security,
    client_options,
    load_credentials,
)
from services.common.settings import LosSettings


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("LOS_KAFKA_USERNAME", "LOS_KAFKA_PASSWORD", "LOS_KAFKA_CREDENTIALS_FILE"):
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
