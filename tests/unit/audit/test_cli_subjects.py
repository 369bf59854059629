"""The platform's audit tool finds a person's entries from the personnummer: under the
pseudonym service's key, and under the old shared key while the operator keeps it."""

from __future__ import annotations

from pathlib import Path

from schemas.identifiers import pseudonymise
from services.audit.cli import _subject_keys
from services.audit.settings import AuditSettings
from services.common.pseudonyms import LocalPseudonymiser

PNR = "198112189876"


def test_a_person_is_looked_up_by_every_key_the_log_may_hold(tmp_path: Path) -> None:
    (tmp_path / "oprf.key").write_bytes(b"n" * 32)
    (tmp_path / "legacy.key").write_bytes(b"o" * 32)
    settings = AuditSettings(oprf_key_file=tmp_path / "oprf.key")
    person = LocalPseudonymiser(b"n" * 32).of(PNR)
    assert _subject_keys(None, "19811218-9876", settings) == [person, f"st:{person}"]
    with_legacy = AuditSettings(oprf_key_file=tmp_path / "oprf.key", legacy_pseudonym_key_file=tmp_path / "legacy.key")
    old = pseudonymise(PNR, b"o" * 32)
    assert _subject_keys(None, "19811218-9876", with_legacy) == [person, f"st:{person}", old, f"st:{old}"]
    assert _subject_keys("556036-0793", None, settings) == ["org:556036-0793"]
