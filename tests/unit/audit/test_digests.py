"""The audit log's digests are keyed: without the key nobody confirms a guess of what an
entry names; with it the platform finds a subject's entries, old unkeyed ones included."""

from __future__ import annotations

import datetime
import hashlib
import re
from pathlib import Path

import pytest

from schemas.canonical import canonical_json
from services.audit.digests import AuditDigests, is_keyed, legacy_subject, load_audit_digests
from services.audit.entries import access_entry, read_entry
from services.disclosure.decide import Decision
from services.disclosure.enforce import Access, Viewer, digest
from services.disclosure.policy import Role

KEY = AuditDigests(b"k" * 32)
FINDING = {"code": "PERSONALLIGGARE_SAKNAS", "category": "tax", "count": 3}


def test_a_digest_names_its_key_generation_and_depends_on_the_key() -> None:
    ours, theirs = KEY.subject("org:5560360793"), AuditDigests(b"x" * 32).subject("org:5560360793")
    assert re.fullmatch(r"hm1:[0-9a-f]{64}", ours) and ours != theirs and is_keyed(ours)
    assert not is_keyed(legacy_subject("org:5560360793")) and not is_keyed(None)


def test_a_plain_hash_of_a_guess_never_matches_a_keyed_digest() -> None:
    """What an export reader can compute from a guessed value is not what the entry holds."""
    fingerprint = digest(FINDING)
    keyed = KEY.item(fingerprint)
    guesses = {fingerprint, hashlib.sha256(canonical_json(FINDING)).hexdigest(), legacy_subject("org:5560360793")}
    assert keyed.removeprefix("hm1:") not in guesses and keyed not in guesses


def test_domains_are_separate_so_a_subject_is_never_an_item_or_a_text() -> None:
    value = "org:5560360793"
    assert len({KEY.subject(value), KEY.item(value), KEY.text("REQ-1/reason", value)}) == 3
    assert KEY.text("REQ-1/reason", "samma") != KEY.text("REQ-2/reason", "samma")


def test_a_subject_is_found_by_its_keyed_and_its_old_form() -> None:
    assert KEY.subject_forms("psn:o1:" + "a" * 64) == [KEY.subject("psn:o1:" + "a" * 64),
                                                      hashlib.sha256(("psn:o1:" + "a" * 64).encode()).hexdigest()]


def test_a_short_or_missing_key_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "short.key").write_bytes(b"k" * 16)
    with pytest.raises(ValueError, match="16 bytes"):
        load_audit_digests(tmp_path / "short.key")
    with pytest.raises(FileNotFoundError, match="LOS_AUDIT_DIGEST_KEY_FILE"):
        load_audit_digests(tmp_path / "none.key")


def test_entries_hold_keyed_digests_and_no_value() -> None:
    decision = Decision(True, True, "r", "OSL 10 kap. 2 §", True, False, "OSL 27 kap. 1 §", "p@1+abcdefabcdef", "x")
    access = Access("OP-1", "e1", "TAX", "POLICE", "tax", ("code", "count"), digest(FINDING), decision, None)
    viewer = Viewer("POLICE", Role.OFFICER, "Polis")
    entry = access_entry(access, KEY, at=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC), channel="feed",
                         purpose="joint_operation", actor=viewer, subjects=["org:5560360793"],
                         assessment_ref=KEY.text("REQ-1/assessment", "Väger tyngre"))
    read = read_entry(KEY, at=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC), viewer=viewer,
                      purpose="joint_operation", what="signals", subjects=["org:5560360793"], policy="p",
                      case_reference="Polisen 5000-K123-26", mandate="UPP-1", bases=["b", "a", "b"])
    assert entry["digest"] == KEY.item(digest(FINDING)) and entry["subjects"] == [KEY.subject("org:5560360793")]
    assert entry["assessment_ref"].startswith("hm1:") and "assessment" not in entry
    assert read["subjects"] == entry["subjects"] and read["bases"] == ["a", "b"]
    assert (read["case_reference"], read["mandate"], read["actor"]["agency"]) == ("Polisen 5000-K123-26", "UPP-1",
                                                                                  "POLICE")
    assert "5560360793" not in str(entry) + str(read) and "PERSONALLIGGARE" not in str(entry)
