"""A certificate authority of the deployment's own and the server certificates it issues.

The local runner keeps one under `<state>/tls` (compose under `.state/compose/tls`): `ca.crt`
is what every client trusts (LOS_KAFKA_CA_FILE, `sslrootcert=` in the database URLs);
`ca.key` signs the servers' certificates and never leaves the folder. Each server gets
`<name>.crt` (its certificate, then the CA's) and `<name>.key` (PKCS#8, unencrypted); Kafka
reads both from one PEM keystore, `<name>.pem`. Private keys are written mode 0600.

Certificates are made once and reused; a server certificate is issued again when it is
missing, expires within `RENEW_BEFORE`, names other hosts or was signed by another CA (after
the CA was replaced: delete the folder). In Kubernetes the operators make their own CAs
(docs/deploy.md); nothing here runs there.
"""

from __future__ import annotations

import datetime
import hashlib
import ipaddress
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_LIFETIME = datetime.timedelta(days=3650)
SERVER_LIFETIME = datetime.timedelta(days=397)
RENEW_BEFORE = datetime.timedelta(days=30)
LOOPBACK = ("127.0.0.1", "localhost")


class TlsError(RuntimeError):
    """A certificate or key of the authority's folder cannot be read or made."""


@dataclass(frozen=True)
class ServerCertificate:
    """A server's certificate chain and key files, and the keystore Kafka reads."""

    cert: Path
    key: Path
    keystore: Path

    def fingerprint(self) -> str:
        """SHA-256 of the certificate file: a server runs with a stale one when it changed."""
        return hashlib.sha256(self.cert.read_bytes()).hexdigest()


def _write(path: Path, data: bytes, mode: int) -> None:
    """Atomically, never readable by others in between."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _san(hosts: Sequence[str]) -> x509.SubjectAlternativeName:
    names: list[x509.GeneralName] = []
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    return x509.SubjectAlternativeName(names)


class LocalAuthority:
    """The CA in `folder` (made on first use) and the server certificates it issues."""

    def __init__(self, folder: Path, name: str = "LOS local CA") -> None:
        self.folder = folder
        self.name = name
        self.ca_cert = folder / "ca.crt"
        self.ca_key = folder / "ca.key"

    def ensure(self, now: datetime.datetime | None = None) -> Path:
        """The CA certificate's path, the CA made first if missing or expiring."""
        now = now or datetime.datetime.now(datetime.UTC)
        if self.ca_cert.exists() and self.ca_key.exists():
            cert = self._load_ca()[0]
            if cert.not_valid_after_utc - now > RENEW_BEFORE:
                return self.ca_cert
        self.folder.mkdir(parents=True, exist_ok=True)
        os.chmod(self.folder, 0o700)
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, self.name)])
        cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + CA_LIFETIME)
                .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False,
                                             key_encipherment=False, data_encipherment=False, key_agreement=False,
                                             key_cert_sign=True, crl_sign=True, encipher_only=False,
                                             decipher_only=False), critical=True)
                .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
                .sign(key, hashes.SHA256()))
        _write(self.ca_key, _key_pem(key), 0o600)
        _write(self.ca_cert, cert.public_bytes(serialization.Encoding.PEM), 0o644)
        return self.ca_cert

    def _load_ca(self) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
        try:
            cert = x509.load_pem_x509_certificate(self.ca_cert.read_bytes())
            key = serialization.load_pem_private_key(self.ca_key.read_bytes(), password=None)
        except (OSError, ValueError) as error:
            raise TlsError(f"cannot read the CA in {self.folder} ({error}); delete the folder to make a new "
                           "one") from error
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise TlsError(f"{self.ca_key} is not the EC key this authority makes")
        return cert, key

    def files(self, name: str) -> ServerCertificate:
        """Where `name`'s certificate, key and keystore are (whether issued yet or not)."""
        return ServerCertificate(self.folder / f"{name}.crt", self.folder / f"{name}.key",
                                 self.folder / f"{name}.pem")

    def issue(self, name: str, hosts: Sequence[str] = LOOPBACK, *, now: datetime.datetime | None = None,
              key_mode: int = 0o600) -> ServerCertificate:
        """`name`'s certificate for `hosts` (DNS names or IP addresses), issued when needed."""
        now = now or datetime.datetime.now(datetime.UTC)
        self.ensure(now)
        ca_cert, ca_key = self._load_ca()
        files = self.files(name)
        if self._current(files, ca_cert, hosts, now):
            return files
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (x509.CertificateBuilder()
                .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])]))
                .issuer_name(ca_cert.subject).public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + SERVER_LIFETIME)
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .add_extension(_san(hosts), critical=False)
                .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH,
                                                      ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
                .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                               critical=False)
                .sign(ca_key, hashes.SHA256()))
        chain = cert.public_bytes(serialization.Encoding.PEM) + ca_cert.public_bytes(serialization.Encoding.PEM)
        _write(files.key, _key_pem(key), key_mode)
        _write(files.keystore, _key_pem(key) + chain, key_mode)
        _write(files.cert, chain, 0o644)
        return files

    @staticmethod
    def _current(files: ServerCertificate, ca_cert: x509.Certificate, hosts: Sequence[str],
                 now: datetime.datetime) -> bool:
        if not (files.cert.exists() and files.key.exists() and files.keystore.exists()):
            return False
        try:
            cert = x509.load_pem_x509_certificate(files.cert.read_bytes())
            cert.verify_directly_issued_by(ca_cert)
            san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        except (OSError, ValueError, TypeError, InvalidSignature, x509.ExtensionNotFound):
            return False
        return san == _san(hosts) and cert.not_valid_after_utc - now > RENEW_BEFORE
