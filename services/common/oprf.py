"""RFC 9497 OPRF in mode 0 (OPRF), suite ristretto255-SHA512: the pure primitives.

A client blinds its input (`blind`), the key holder evaluates the blinded element
(`blind_evaluate`) without learning the input, and the client unblinds and hashes the result
(`finalize`). The output equals what the key holder computes from the input directly
(`evaluate`), so a party holding the key can produce the same values without a client.
Group arithmetic and the one-way map are libsodium's (through `rbcl`); the rest follows the
RFC's text, step by step, and `tests/unit/common/test_oprf.py` holds it to the RFC's test
vectors (Appendix A.1.1). No I/O here: keys and inputs come from the caller.
"""

from __future__ import annotations

import hashlib

import rbcl

__all__ = [
    "CONTEXT",
    "ELEMENT_BYTES",
    "OUTPUT_BYTES",
    "SCALAR_BYTES",
    "DeriveKeyPairError",
    "InvalidElementError",
    "InvalidInputError",
    "blind",
    "blind_evaluate",
    "derive_key_pair",
    "deserialize_element",
    "evaluate",
    "expand_message_xmd",
    "finalize",
    "hash_to_group",
    "hash_to_scalar",
    "random_scalar",
]

SUITE = b"ristretto255-SHA512"
MODE_OPRF = 0
CONTEXT = b"OPRFV1-" + bytes([MODE_OPRF]) + b"-" + SUITE
ELEMENT_BYTES = 32  # Ne
SCALAR_BYTES = 32  # Ns
OUTPUT_BYTES = 64  # Nh
_IDENTITY = bytes(ELEMENT_BYTES)  # ristretto255 encodes the identity as all zeros
_SHA512_BLOCK = 128  # s_in_bytes
_SHA512_DIGEST = 64  # b_in_bytes


class InvalidInputError(ValueError):
    """The input hashes to the identity element (RFC 9497 InvalidInputError)."""


class InvalidElementError(ValueError):
    """Bytes that are not a valid, non-identity ristretto255 element (DeserializeError)."""


class DeriveKeyPairError(ValueError):
    """No non-zero scalar in 256 tries (RFC 9497 DeriveKeyPairError; never seen in practice)."""


def _i2osp(value: int, length: int) -> bytes:
    return value.to_bytes(length, "big")


def expand_message_xmd(msg: bytes, dst: bytes, len_in_bytes: int) -> bytes:
    """RFC 9380 section 5.3.1 with SHA-512."""
    ell = -(-len_in_bytes // _SHA512_DIGEST)
    if ell > 255 or len_in_bytes > 65535 or len(dst) > 255:
        raise ValueError("expand_message_xmd: requested length or DST too long")
    dst_prime = dst + _i2osp(len(dst), 1)
    msg_prime = bytes(_SHA512_BLOCK) + msg + _i2osp(len_in_bytes, 2) + _i2osp(0, 1) + dst_prime
    b0 = hashlib.sha512(msg_prime).digest()
    blocks = [hashlib.sha512(b0 + _i2osp(1, 1) + dst_prime).digest()]
    for i in range(2, ell + 1):
        mixed = bytes(x ^ y for x, y in zip(b0, blocks[-1], strict=True))
        blocks.append(hashlib.sha512(mixed + _i2osp(i, 1) + dst_prime).digest())
    return b"".join(blocks)[:len_in_bytes]


def hash_to_group(msg: bytes) -> bytes:
    """The suite's HashToGroup: expand_message_xmd to 64 bytes, then ristretto255's one-way map."""
    uniform = expand_message_xmd(msg, b"HashToGroup-" + CONTEXT, 64)
    return bytes(rbcl.crypto_core_ristretto255_from_hash(uniform))


def hash_to_scalar(msg: bytes, dst: bytes | None = None) -> bytes:
    """The suite's HashToScalar: 64 uniform bytes reduced modulo the group order."""
    uniform = expand_message_xmd(msg, dst if dst is not None else b"HashToScalar-" + CONTEXT, 64)
    return bytes(rbcl.crypto_core_ristretto255_scalar_reduce(uniform))


def derive_key_pair(seed: bytes, info: bytes) -> tuple[bytes, bytes]:
    """RFC 9497 DeriveKeyPair: (skS, pkS) from a seed and public key info."""
    derive_input = seed + _i2osp(len(info), 2) + info
    for counter in range(256):
        sk = hash_to_scalar(derive_input + _i2osp(counter, 1), b"DeriveKeyPair" + CONTEXT)
        if sk != bytes(SCALAR_BYTES):
            return sk, bytes(rbcl.crypto_scalarmult_ristretto255_base(sk))
    raise DeriveKeyPairError("no valid key in 256 tries")


def random_scalar() -> bytes:
    """A uniformly random non-zero scalar (a fresh blind for each input)."""
    while True:
        scalar = bytes(rbcl.crypto_core_ristretto255_scalar_random())
        if scalar != bytes(SCALAR_BYTES):
            return scalar


def deserialize_element(data: bytes) -> bytes:
    """Check what a peer sent: a canonical ristretto255 encoding of a non-identity element."""
    if len(data) != ELEMENT_BYTES or data == _IDENTITY or not rbcl.crypto_core_ristretto255_is_valid_point(data):
        raise InvalidElementError("not a valid ristretto255 element")
    return data


def _mult(scalar: bytes, element: bytes) -> bytes:
    return bytes(rbcl.crypto_scalarmult_ristretto255(scalar, element))


def blind(data: bytes, blind_scalar: bytes | None = None) -> tuple[bytes, bytes]:
    """Client: (blind, blindedElement). `blind_scalar` is for test vectors only; by default a
    fresh random one is drawn, and it must never be reused."""
    scalar = blind_scalar if blind_scalar is not None else random_scalar()
    element = hash_to_group(data)
    if element == _IDENTITY:
        raise InvalidInputError("the input maps to the identity element")
    return scalar, _mult(scalar, element)


def blind_evaluate(sk: bytes, blinded_element: bytes) -> bytes:
    """Server: evaluatedElement = skS * blindedElement (the element is checked first)."""
    return _mult(sk, deserialize_element(blinded_element))


def _finish(data: bytes, element: bytes) -> bytes:
    hash_input = (_i2osp(len(data), 2) + data + _i2osp(len(element), 2) + element + b"Finalize")
    return hashlib.sha512(hash_input).digest()


def finalize(data: bytes, blind_scalar: bytes, evaluated_element: bytes) -> bytes:
    """Client: unblind the server's answer and hash it with the input (64 bytes)."""
    inverse = bytes(rbcl.crypto_core_ristretto255_scalar_invert(blind_scalar))
    return _finish(data, _mult(inverse, deserialize_element(evaluated_element)))


def evaluate(sk: bytes, data: bytes) -> bytes:
    """Server-side Evaluate: the same output as blind + blind_evaluate + finalize, from the input."""
    element = hash_to_group(data)
    if element == _IDENTITY:
        raise InvalidInputError("the input maps to the identity element")
    return _finish(data, _mult(sk, element))
