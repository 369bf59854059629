"""Person pseudonyms as the platform makes them: `psn:o1:<hex>`, the first 32 bytes of the
RFC 9497 OPRF output over the 12-digit personnummer, under the pseudonym service's key.

Only the pseudonym service holds the key (`LOS_OPRF_KEY_FILE`, 32 random bytes from which
the OPRF key is derived with RFC 9497 DeriveKeyPair). Adapters get pseudonyms through the
service without learning the key (`services.adapters.sdk.pseudonyms`); platform tools that
hold the key, such as the simulator playing the ground truth or the audit CLI's access
report by personnummer, use `LocalPseudonymiser`, which gives the very same strings.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from schemas.identifiers import parse_personnummer12
from services.common import oprf

KEY_ID = "o1"  # the OPRF key generation; a new key is a new id, never a silent change
PREFIX = f"psn:{KEY_ID}:"
KEY_INFO = b"LOS person pseudonyms"
MIN_SEED_BYTES = 32


class Pseudonymiser(Protocol):
    """Turns a 12-digit personnummer or samordningsnummer into its pseudonym."""

    def of(self, personnummer12: str) -> str:
        """The pseudonym (`psn:o1:...`); raises `ValueError` for a number that is not valid."""
        ...


def oprf_input(personnummer12: str) -> bytes:
    """What the OPRF is computed over: the canonical 12 digits, ASCII."""
    return parse_personnummer12(personnummer12).encode("ascii")


def pseudonym_of(output: bytes) -> str:
    """`psn:o1:` and the hex of the first 32 bytes of an OPRF output."""
    return PREFIX + output[:32].hex()


def oprf_secret(seed: bytes) -> bytes:
    """The OPRF key (a ristretto255 scalar) derived from the key file's random bytes."""
    if len(seed) < MIN_SEED_BYTES:
        raise ValueError(f"an OPRF key file holds at least {MIN_SEED_BYTES} random bytes, not {len(seed)}")
    return oprf.derive_key_pair(seed, KEY_INFO)[0]


def read_secret_file(path: Path, variable: str) -> bytes:
    """A key file's bytes; refuses a missing file or one too short. Who may read it is the
    deployment's business: mode 0600 locally, a secret mounted into one service with compose."""
    if not path.exists():
        raise FileNotFoundError(f"no key file at {path} ({variable}); the local runner makes one")
    data = path.read_bytes()
    if len(data) < MIN_SEED_BYTES:
        raise ValueError(f"{path} ({variable}) holds {len(data)} bytes; a key file holds {MIN_SEED_BYTES} or more")
    return data


def load_oprf_seed(path: Path) -> bytes:
    """The OPRF key file's bytes (the pseudonym service's; `LOS_OPRF_KEY_FILE`)."""
    return read_secret_file(path, "LOS_OPRF_KEY_FILE")


class LocalPseudonymiser:
    """The platform's own evaluator: it holds the OPRF key (`seed` is the key file's bytes)."""

    def __init__(self, seed: bytes) -> None:
        self._secret = oprf_secret(seed)

    def of(self, personnummer12: str) -> str:
        return pseudonym_of(oprf.evaluate(self._secret, oprf_input(personnummer12)))
