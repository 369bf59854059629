"""The deployment's own CA (deploy/tls.py): private keys kept private, server certificates
that a verifying client accepts for the names they are issued for, issued again only when
they must be."""

from __future__ import annotations

import datetime
import ipaddress
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509.verification import PolicyBuilder, Store, VerificationError

from deploy.tls import RENEW_BEFORE, SERVER_LIFETIME, LocalAuthority

NOW = datetime.datetime(2026, 3, 10, 12, 0, tzinfo=datetime.UTC)


def _verify(authority: LocalAuthority, cert_file: Path, host: x509.GeneralName) -> None:
    chain = x509.load_pem_x509_certificates(cert_file.read_bytes())
    ca = x509.load_pem_x509_certificate(authority.ca_cert.read_bytes())
    verifier = PolicyBuilder().store(Store([ca])).time(NOW).build_server_verifier(host)
    verifier.verify(chain[0], chain[1:])


def test_private_keys_are_their_owners_only(tmp_path: Path) -> None:
    authority = LocalAuthority(tmp_path / "tls")
    server = authority.issue("kafka", now=NOW)
    assert authority.folder.stat().st_mode & 0o077 == 0
    for private in (authority.ca_key, server.key, server.keystore):
        assert private.stat().st_mode & 0o777 == 0o600, private
    assert authority.ca_cert.stat().st_mode & 0o777 == 0o644


def test_a_server_certificate_verifies_for_its_names_only(tmp_path: Path) -> None:
    authority = LocalAuthority(tmp_path / "tls")
    server = authority.issue("kafka", ("127.0.0.1", "localhost"), now=NOW)
    _verify(authority, server.cert, x509.IPAddress(ipaddress.ip_address("127.0.0.1")))
    _verify(authority, server.cert, x509.DNSName("localhost"))
    with pytest.raises(VerificationError):
        _verify(authority, server.cert, x509.DNSName("kafka.example"))
    other = LocalAuthority(tmp_path / "other")
    other.ensure(NOW)
    with pytest.raises(VerificationError):
        _verify(other, server.cert, x509.DNSName("localhost"))  # another CA's clients do not trust it


def test_the_keystore_holds_the_key_then_the_chain(tmp_path: Path) -> None:
    server = LocalAuthority(tmp_path / "tls").issue("kafka", now=NOW)
    text = server.keystore.read_text()
    assert text.startswith("-----BEGIN PRIVATE KEY-----")  # PKCS#8, as Kafka's PEM keystore reads it
    assert text.count("-----BEGIN CERTIFICATE-----") == 2
    assert text.endswith(server.cert.read_text())


def test_a_certificate_is_issued_again_only_when_it_must_be(tmp_path: Path) -> None:
    authority = LocalAuthority(tmp_path / "tls")
    first = authority.issue("postgres", now=NOW).fingerprint()
    assert authority.issue("postgres", now=NOW + datetime.timedelta(days=30)).fingerprint() == first
    assert authority.issue("postgres", ("127.0.0.1", "db.local"), now=NOW).fingerprint() != first
    renewed = authority.issue("postgres", ("127.0.0.1", "db.local"),
                              now=NOW + SERVER_LIFETIME - RENEW_BEFORE + datetime.timedelta(days=1))
    assert renewed.fingerprint() != first


def test_a_new_ca_reissues_every_server_certificate(tmp_path: Path) -> None:
    authority = LocalAuthority(tmp_path / "tls")
    first = authority.issue("kafka", now=NOW).fingerprint()
    authority.ca_cert.unlink()
    authority.ca_key.unlink()
    server = authority.issue("kafka", now=NOW)
    assert server.fingerprint() != first
    _verify(authority, server.cert, x509.DNSName("localhost"))
