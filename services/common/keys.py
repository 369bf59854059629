"""Key files on disk: the public key registry and each holder's private signing keys.

The registry folder (`LOS_KEYS_DIR`), public:
    registry.json            every registered public key with its agency, kind and window
                             (the one thing the coordinator trusts)

A holder's own folder holds its private keys and nobody else's:
    private/<key_id>.pem     e.g. the console's (`LOS_CONSOLE_KEYS_DIR`), one agency's adapter
                             (`LOS_ADAPTER_KEYS_DIR/<agency>`), the audit server's (`LOS_AUDIT_KEYS_DIR`)

Keys are made and registered by an administrator with `python -m services.keys`, which
writes an audit entry for each; a service only looks up the key it should sign with
(`holder_key`) and never makes one. `create_key` and `ensure_agency_key` serve tests and
benchmarks, where one folder is both registry and holder.
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

from schemas.signing import ADAPTER, KeyRegistry, PublicKey

REGISTER_HINT = "an administrator registers one with `python -m services.keys register`"


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


def private_key_path(holder: Path, key_id: str) -> Path:
    return holder / "private" / f"{key_id}.pem"


def load_private_key(holder: Path, key_id: str) -> Ed25519PrivateKey:
    path = private_key_path(holder, key_id)
    if not path.exists():
        raise FileNotFoundError(f"no private key {key_id!r} at {path}; {REGISTER_HINT}")
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} is not an Ed25519 key")
    return key


def write_private_key(holder: Path, key_id: str, key: Ed25519PrivateKey) -> Path:
    """Store a private key in its holder's folder, readable by its owner only."""
    folder = holder / "private"
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    path = private_key_path(holder, key_id)
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as handle:
        handle.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    return path


def raw_public_key(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def new_key_id(agency: str, kind: str, now: datetime.datetime) -> str:
    middle = "" if kind == ADAPTER else f"{kind}-"
    return f"{agency}-{middle}{now:%Y%m%d}-{secrets.token_hex(3)}"


def adapter_holder(adapter_keys_dir: Path, agency: str) -> Path:
    """An agency's adapter's own folder under `LOS_ADAPTER_KEYS_DIR`."""
    return adapter_keys_dir / agency.lower()


def holder_key(registry: KeyRegistry, holder: Path, *, agency: str, kind: str,
               at: datetime.datetime) -> tuple[str, Ed25519PrivateKey] | None:
    """The key a holder signs with at `at`: the newest registered key of `agency` and `kind`
    that is valid then and whose private half is in the holder's folder; None if there is none."""
    candidates = [k for k in registry if k.agency == agency and k.kind == kind and k.valid_at(at)
                  and private_key_path(holder, k.key_id).exists()]
    if not candidates:
        return None
    newest = max(candidates, key=lambda k: (k.not_before, k.key_id))
    return newest.key_id, load_private_key(holder, newest.key_id)


# --- tests and benchmarks: one folder is both registry and holder -------------------------
def create_key(keys_dir: Path, agency: str, *, now: datetime.datetime, key_id: str | None = None,
               kind: str = ADAPTER, holder: Path | None = None) -> tuple[str, Ed25519PrivateKey]:
    """Generate a key pair for `agency`, store the private half (in `holder`, by default the
    registry's own folder) and register the public one, valid from a day before `now`. No
    audit entry: administrators register keys with `python -m services.keys`."""
    with registry_lock(keys_dir):
        registry = load_registry(keys_dir)
        key_id = key_id or new_key_id(agency, kind, now)
        private = Ed25519PrivateKey.generate()
        write_private_key(holder or keys_dir, key_id, private)
        registry.add(PublicKey(key_id, agency, raw_public_key(private), now - datetime.timedelta(days=1),
                               kind=kind))
        save_registry(keys_dir, registry)
        return key_id, private


def active_key_id(keys_dir: Path, agency: str, kind: str = ADAPTER) -> str | None:
    """The newest unrevoked key of `agency` and `kind` whose private half is here."""
    candidates = [k for k in load_registry(keys_dir)
                  if k.agency == agency and k.kind == kind and k.revoked_at is None
                  and private_key_path(keys_dir, k.key_id).exists()]
    return max(candidates, key=lambda k: k.not_before).key_id if candidates else None


def ensure_agency_key(keys_dir: Path, agency: str, *, now: datetime.datetime,
                      kind: str = ADAPTER) -> tuple[str, Ed25519PrivateKey]:
    key_id = active_key_id(keys_dir, agency, kind)
    if key_id is not None:
        return key_id, load_private_key(keys_dir, key_id)
    return create_key(keys_dir, agency, now=now, kind=kind)


class registry_lock:
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
