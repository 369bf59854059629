"""The register of duties to notify: every function it names is in the registry, every entry
says whether it is verified, a notice cites a duty by the text the register gives, and a broken
file names its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from schemas.agencies import load_registry
from schemas.notice_duties import NOTICE_DUTIES_FILE, load_notice_duties
from schemas.yaml_lines import ConfigurationError

DUTIES = load_notice_duties()


def test_the_register_names_only_functions_of_the_registry() -> None:
    functions = set(load_registry().functions)
    for duty in DUTIES.duties.values():
        assert duty.functions <= functions, duty.id


def test_fut_reaches_the_paying_bodies_and_marks_what_is_unverified() -> None:
    fut = DUTIES.duties["fut-2008-206"]
    assert fut.functions == {"SOCIAL_INSURANCE", "EMPLOYMENT", "MUNI_SOCIAL"}
    assert not next(a for a in fut.addressees if a.function == "MUNI_SOCIAL").verified
    assert {a.body for a in fut.addressees if a.function is None} >= {"Pensionsmyndigheten", "Migrationsverket"}
    assert not DUTIES.duties["prop-2024-25-65"].verified


@pytest.mark.parametrize(("legal_basis", "cited"), [
    ("Lag (2008:206) 3 §", ["fut-2008-206"]),
    ("lag (2008:206) om underrättelseskyldighet", ["fut-2008-206"]),
    ("Lag om uppgiftsskyldighet till Polismyndigheten (prop. 2024/25:65)", ["prop-2024-25-65"]),
    ("OSL 10 kap. 28 §", []),
    (None, []),
])
def test_a_notice_cites_a_duty_by_the_registers_text(legal_basis: str | None, cited: list[str]) -> None:
    assert [d.id for d in DUTIES.cited_by(legal_basis)] == cited


def test_a_broken_register_names_the_line(tmp_path: Path) -> None:
    text = NOTICE_DUTIES_FILE.read_text(encoding="utf-8").replace('cited_as: ["2008:206"]', "cited_as: []")
    broken = tmp_path / "duties.yaml"
    broken.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigurationError, match=r"duties.yaml:\d+: duties.fut-2008-206.cited_as"):
        load_notice_duties(broken)
