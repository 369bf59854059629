"""Key files on disk: the public key registry and agencies' private signing keys.

Layout of `LOS_KEYS_DIR`:
    registry.json            public keys of every agency (what the coordinator trusts)
    private/<key_id>.pem     a private key (on a real deployment only the agency holds its own)
"""

from __future__ import annotations

import datetime
import fcntl
import json
import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from schemas.signing import KeyRegistry, PublicKey


def load_registry(keys_dir: Path) -> KeyRegistry:
    path = keys_dir / "registry.json"
    if not path.exists():
        return KeyRegistry()
    return KeyRegistry.from_json(json.loads(path.read_text()))


def save_registry(keys_dir: Path, registry: KeyRegistry) -> None:
    keys_dir.mkdir(parents=True, exist_ok=True)
    tmp = keys_dir / "registry.json.tmp"
    tmp.write_text(json.dumps(registry.to_json(), indent=2))
    os.replace(tmp, keys_dir / "registry.json")


def load_private_key(keys_dir: Path, key_id: str) -> Ed25519PrivateKey:
    path = keys_dir / "private" / f"{key_id}.pem"
    if not path.exists():
        raise FileNotFoundError(f"no private key {key_id!r} at {path}; create one with `los-keys new`")
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} is not an Ed25519 key")
    return key


def create_key(keys_dir: Path, agency: str, *, now: datetime.datetime,
               key_id: str | None = None) -> tuple[str, Ed25519PrivateKey]:
    """Generate a key pair for `agency`, store the private half and register the public one."""
    with _locked(keys_dir):
        registry = load_registry(keys_dir)
        key_id = key_id or f"{agency}-{now:%Y%m%d}-{secrets.token_hex(3)}"
        private = Ed25519PrivateKey.generate()
        folder = keys_dir / "private"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{key_id}.pem"
        path.write_bytes(private.private_bytes(serialization.Encoding.PEM,
                                               serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
        os.chmod(path, 0o600)
        public = private.public_key().public_bytes(serialization.Encoding.Raw,
                                                   serialization.PublicFormat.Raw)
        registry.add(PublicKey(key_id, agency, public, now - datetime.timedelta(days=1)))
        save_registry(keys_dir, registry)
        return key_id, private


def active_key_id(keys_dir: Path, agency: str) -> str | None:
    """The newest unrevoked key of `agency` whose private half is here."""
    candidates = [k for k in load_registry(keys_dir)
                  if k.agency == agency and k.revoked_at is None
                  and (keys_dir / "private" / f"{k.key_id}.pem").exists()]
    return max(candidates, key=lambda k: k.not_before).key_id if candidates else None


def ensure_agency_key(keys_dir: Path, agency: str, *, now: datetime.datetime) -> tuple[str, Ed25519PrivateKey]:
    key_id = active_key_id(keys_dir, agency)
    if key_id is not None:
        return key_id, load_private_key(keys_dir, key_id)
    return create_key(keys_dir, agency, now=now)


class _locked:
    """An exclusive file lock on a folder, so two processes never write the registry at once."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / ".lock"

    def __enter__(self) -> None:
        self.handle = self.path.open("w")
        fcntl.flock(self.handle, fcntl.LOCK_EX)

    def __exit__(self, *exc: object) -> None:
        fcntl.flock(self.handle, fcntl.LOCK_UN)
        self.handle.close()
