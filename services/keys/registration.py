"""Registering, rotating and revoking signing keys: administrative acts, each in the audit log.

Every act takes the registry's file lock, changes the registry in memory, appends its audit
entries in one database transaction and writes the registry inside that transaction: the
registry changes exactly when its audit entries commit (a failure in between puts the old
registry back and deletes a private key made for it). A private key made here is written
only to its holder's own folder; a holder may instead bring its public half, and then no
private key ever passes through here.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from schemas.agencies import load_agencies
from schemas.signing import CHECKPOINT, KINDS, KeyRegistry, PublicKey
from services.audit.checkpoints import SIGNER
from services.audit.entries import key_entry
from services.audit.store import append
from services.common.keys import (
    holder_key,
    load_registry,
    new_key_id,
    raw_public_key,
    registry_lock,
    save_registry,
    write_private_key,
)


class KeyAdminError(Exception):
    """An act that cannot be done as asked; the message says why and what to do instead."""


@dataclass(frozen=True)
class Holder:
    """Who will sign with a key: an agency's adapter, the console for one agency, or the audit
    server (kind `checkpoint`, agency `COORDINATOR`); `folder` is where its private keys live."""

    agency: str
    kind: str
    folder: Path


@dataclass
class Outcome:
    """The registry entries an act made or changed, as they stand after it."""

    registered: list[PublicKey] = field(default_factory=list)
    retired: list[PublicKey] = field(default_factory=list)
    revoked: list[PublicKey] = field(default_factory=list)
    entries: list[dict[str, Any]] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)


def check_holder(agency: str, kind: str, participants: Iterable[str] | None = None) -> None:
    """Raise `KeyAdminError` unless `kind` is known and `agency` may hold a key of it."""
    if kind not in KINDS:
        raise KeyAdminError(f"unknown key kind {kind!r}; one of {', '.join(KINDS)}")
    if kind == CHECKPOINT:
        if agency != SIGNER:
            raise KeyAdminError(f"a checkpoint key is the audit server's and belongs to {SIGNER}, not {agency}")
        return
    known = set(load_agencies()) if participants is None else set(participants)
    if agency not in known:
        raise KeyAdminError(f"{agency!r} is not a participant of schemas/agencies.yaml "
                            f"(e.g. {', '.join(sorted(known)[:4])})")


def _register(registry: KeyRegistry, outcome: Outcome, holder: Holder, *, by: str, now: datetime.datetime,
              public_key: bytes | None) -> PublicKey:
    key_id = new_key_id(holder.agency, holder.kind, now)
    generated = public_key is None
    if public_key is None:
        private = Ed25519PrivateKey.generate()
        outcome.written.append(write_private_key(holder.folder, key_id, private))
        public_key = raw_public_key(private)
    key = PublicKey(key_id, holder.agency, public_key, now, kind=holder.kind)
    registry.add(key)
    outcome.registered.append(key)
    outcome.entries.append(key_entry("key_registered", key.to_json(), at=now, by=by, generated=generated))
    return key


async def _commit(conn: asyncpg.Connection, keys_dir: Path,
                  act: Callable[[KeyRegistry, Outcome], None]) -> Outcome:
    with registry_lock(keys_dir):
        registry = load_registry(keys_dir)
        previous = registry.to_json()
        outcome, saved = Outcome(), False
        try:
            act(registry, outcome)
            if outcome.entries:
                async with conn.transaction():
                    await append(conn, outcome.entries)
                    save_registry(keys_dir, registry)
                    saved = True
        except BaseException:
            if saved:  # the commit failed after the registry was written
                save_registry(keys_dir, KeyRegistry.from_json(previous))
            for path in outcome.written:
                path.unlink(missing_ok=True)
            raise
        return outcome


async def register(conn: asyncpg.Connection, keys_dir: Path, holder: Holder, *, by: str,
                   now: datetime.datetime, public_key: bytes | None = None, rotate: bool = False) -> Outcome:
    """Register a new key for `holder` (its private half written to the holder's folder unless
    `public_key` is given). With `rotate`, the holder's agency's other keys of the same kind
    are retired at `now`: what they signed before stays valid, nothing signed after is."""
    check_holder(holder.agency, holder.kind)

    def act(registry: KeyRegistry, outcome: Outcome) -> None:
        previous = [k for k in registry if k.agency == holder.agency and k.kind == holder.kind
                    and k.revoked_at is None and (k.not_after is None or k.not_after > now)]
        key = _register(registry, outcome, holder, by=by, now=now, public_key=public_key)
        if rotate:
            for old in previous:
                retired = registry.retire(old.key_id, now)
                outcome.retired.append(retired)
                outcome.entries.append(key_entry("key_retired", retired.to_json(), at=now, by=by,
                                                 reason=f"rotated to {key.key_id}"))

    return await _commit(conn, keys_dir, act)


async def revoke(conn: asyncpg.Connection, keys_dir: Path, key_id: str, *, reason: str, by: str,
                 now: datetime.datetime) -> Outcome:
    """Revoke a key: nothing signed with it is accepted any more, whenever it says it signed."""
    if not reason.strip():
        raise KeyAdminError("say why the key is revoked (--reason); the coordinator names it in each rejection")

    def act(registry: KeyRegistry, outcome: Outcome) -> None:
        key = registry.get(key_id)
        if key is None:
            raise KeyAdminError(f"no key {key_id!r} in the registry (see `list`)")
        if key.revoked_at is not None:
            raise KeyAdminError(f"key {key_id!r} was revoked already at {key.revoked_at.isoformat()}")
        revoked = registry.revoke(key_id, now, reason.strip())
        outcome.revoked.append(revoked)
        outcome.entries.append(key_entry("key_revoked", revoked.to_json(), at=now, by=by, reason=reason.strip()))

    return await _commit(conn, keys_dir, act)


async def ensure(conn: asyncpg.Connection, keys_dir: Path, holders: Iterable[Holder], *, by: str,
                 now: datetime.datetime) -> Outcome:
    """Register a key for each holder that has no usable one (none valid now whose private
    half is in its folder), all in one act; an operator's runner uses this at start-up."""
    holders = list(holders)
    participants = set(load_agencies())
    for holder in holders:
        check_holder(holder.agency, holder.kind, participants)

    def act(registry: KeyRegistry, outcome: Outcome) -> None:
        for holder in holders:
            if holder_key(registry, holder.folder, agency=holder.agency, kind=holder.kind, at=now) is None:
                _register(registry, outcome, holder, by=by, now=now, public_key=None)

    return await _commit(conn, keys_dir, act)
