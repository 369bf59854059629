"""The OPRF against RFC 9497's test vectors (Appendix A.1.1, OPRF(ristretto255, SHA-512),
mode 0) and RFC 9380's for expand_message_xmd with SHA-512; and the protocol's promise:
blind, evaluate blindly and finalize gives what the key holder computes directly."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.common import oprf

SEED = bytes.fromhex("a3" * 32)
KEY_INFO = bytes.fromhex("74657374206b6579")  # "test key"
SK = bytes.fromhex("5ebcea5ee37023ccb9fc2d2019f9d7737be85591ae8652ffa9ef0f4d37063b0e")
BLIND = bytes.fromhex("64d37aed22a27f5191de1c1d69fadb899d8862b58eb4220029e036ec4c1f6706")
VECTORS = [  # input, blinded element, evaluation element, output
    ("00",
     "609a0ae68c15a3cf6903766461307e5c8bb2f95e7e6550e1ffa2dc99e412803c",
     "7ec6578ae5120958eb2db1745758ff379e77cb64fe77b0b2d8cc917ea0869c7e",
     "527759c3d9366f277d8c6020418d96bb393ba2afb20ff90df23fb7708264e2f3"
     "ab9135e3bd69955851de4b1f9fe8a0973396719b7912ba9ee8aa7d0b5e24bcf6"),
    ("5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a",
     "da27ef466870f5f15296299850aa088629945a17d1f5b7f5ff043f76b3c06418",
     "b4cbf5a4f1eeda5a63ce7b77c7d23f461db3fcab0dd28e4e17cecb5c90d02c25",
     "f4a74c9c592497375e796aa837e907b1a045d34306a749db9f34221f7e750cb4"
     "f2a6413a6bf6fa5e19ba6348eb673934a722a7ede2e7621306d18951e7cf2c73"),
]


def test_the_context_string_is_the_suites() -> None:
    dst = bytes.fromhex("48617368546f47726f75702d4f50524656312d002d72697374726574746f3235352d534841353132")
    assert dst == b"HashToGroup-" + oprf.CONTEXT


def test_derive_key_pair_gives_the_rfcs_key() -> None:
    sk, pk = oprf.derive_key_pair(SEED, KEY_INFO)
    assert sk == SK
    assert len(pk) == oprf.ELEMENT_BYTES


@pytest.mark.parametrize(("data", "blinded", "evaluated", "output"), VECTORS)
def test_the_rfc_vectors(data: str, blinded: str, evaluated: str, output: str) -> None:
    blind, element = oprf.blind(bytes.fromhex(data), BLIND)
    assert (blind, element.hex()) == (BLIND, blinded)
    assert oprf.blind_evaluate(SK, element).hex() == evaluated
    assert oprf.finalize(bytes.fromhex(data), blind, bytes.fromhex(evaluated)).hex() == output
    assert oprf.evaluate(SK, bytes.fromhex(data)).hex() == output


@pytest.mark.parametrize(("msg", "length", "expected"), [  # RFC 9380 appendix K.3
    (b"abc", 0x80,
     "7f1dddd13c08b543f2e2037b14cefb255b44c83cc397c1786d975653e36a6b11bdd7732d8b38adb4a0edc26a0cef4bb4"
     "5217135456e58fbca1703cd6032cb1347ee720b87972d63fbf232587043ed2901bce7f22610c0419751c065922b48843"
     "1851041310ad659e4b23520e1772ab29dcdeb2002222a363f0c2b1c972b3efe1"),
    (b"abcdef0123456789", 0x20, "087e45a86e2939ee8b91100af1583c4938e0f5fc6c9db4b107b83346bc967f58"),
])
def test_expand_message_xmd_sha512(msg: bytes, length: int, expected: str) -> None:
    assert oprf.expand_message_xmd(msg, b"QUUX-V01-CS02-with-expander-SHA512-256", length).hex() == expected


@settings(max_examples=40, deadline=None)
@given(data=st.binary(max_size=40), seed=st.binary(min_size=32, max_size=32))
def test_blind_evaluate_finalize_equals_evaluate(data: bytes, seed: bytes) -> None:
    sk, _ = oprf.derive_key_pair(seed, b"LOS test")
    blind, element = oprf.blind(data)
    assert oprf.finalize(data, blind, oprf.blind_evaluate(sk, element)) == oprf.evaluate(sk, data)


def test_blinding_hides_the_input_each_time() -> None:
    first, second = oprf.blind(b"198112189876")[1], oprf.blind(b"198112189876")[1]
    assert first != second  # a fresh blind per request: the server cannot tell repeats apart


@pytest.mark.parametrize("bad", [bytes(32), b"\xff" * 32, b"\x01" * 31])
def test_the_server_refuses_what_is_not_an_element(bad: bytes) -> None:
    with pytest.raises(oprf.InvalidElementError):
        oprf.blind_evaluate(SK, bad)
