"""`python -m services.adapters new <agency>` writes a package that works as written: installed
(into a folder of its own, offline, with pip as an agency would), the adapter lists its format
through the entry point, its own tests pass, it passes the linter, and its sample dry-runs
clean while a broken copy does not. The registry decides who may have one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from services.adapters.cli import REJECTED, USAGE, app
from services.adapters.kit.scaffold import scaffold


def run(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300,
                          check=False)


@pytest.mark.parametrize(("participant", "agency_args"), [
    ("SOCIAL_INSURANCE", []),  # a national agency: the format is its own
    ("MUNI_BUILDING_0581", ["--agency", "MUNI_BUILDING_0581"]),  # one municipality's committee
])
def test_the_package_written_works_as_written(tmp_path: Path, participant: str, agency_args: list[str]) -> None:
    result = CliRunner().invoke(app, ["new", participant, "--out", str(tmp_path / "adapter")])
    assert result.exit_code == 0, result.stderr
    package, name = tmp_path / "adapter", f"{participant.lower().replace('_', '-')}-export"
    sample = package / "samples" / f"{name}.csv"
    assert sorted(p.relative_to(package).as_posix() for p in package.rglob("*") if p.is_file()) == [
        ".gitignore", "README.md", "pyproject.toml", f"samples/{name}.csv",
        f"src/los_adapter_{participant.lower()}/__init__.py", f"src/los_adapter_{participant.lower()}/format.py",
        "tests/test_format.py"]
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "site"), "COLUMNS": "300",
           "LOS_KEYS_DIR": str(tmp_path / "keys"), "LOS_ADAPTER_KEYS_DIR": str(tmp_path / "keys")}

    installed = run("-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation", "--no-index",
                    "--target", str(tmp_path / "site"), str(package), cwd=tmp_path, env=env)
    assert installed.returncode == 0, installed.stderr
    listed = run("-m", "services.adapters", "formats", cwd=package, env=env)
    assert listed.returncode == 0 and name in listed.stderr, listed.stderr
    tests = run("-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=package, env=env)
    assert tests.returncode == 0 and " passed" in tests.stdout and "failed" not in tests.stdout, tests.stdout
    lint = run("-m", "ruff", "check", "--no-cache", ".", cwd=package, env=env)
    assert lint.returncode == 0, lint.stdout

    clean = run("-m", "services.adapters", "ingest", "--dry-run", "-f", name, *agency_args, str(sample),
                cwd=package, env=env)
    assert clean.returncode == 0, clean.stderr
    events = [json.loads(line) for line in clean.stdout.splitlines()]
    assert [e["losagency"] for e in events] == [participant] * 3
    broken = tmp_path / "broken.csv"
    broken.write_text(sample.read_text(encoding="utf-8").replace("Norrköping;", "Norrköping;x;", 1), encoding="utf-8")
    failed = run("-m", "services.adapters", "ingest", "--dry-run", "-f", name, *agency_args, str(broken),
                 cwd=package, env=env)
    assert failed.returncode == REJECTED, failed.stderr
    assert f"{broken}:2: column " in failed.stderr


def test_an_agency_not_in_the_registry_is_told_how_to_join(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["new", "MIGRATION", "--out", str(tmp_path / "adapter")],
                                env={"COLUMNS": "300"})
    assert result.exit_code == USAGE
    assert "MIGRATION is not a participant of schemas/agencies.yaml" in result.stderr
    assert "docs/topics.md" in result.stderr and "national:" in result.stderr
    assert not (tmp_path / "adapter").exists()


@pytest.mark.parametrize(("args", "said"), [
    (["MUNI_SOCIAL"], "name the one whose adapter this is, one of MUNI_SOCIAL_0562"),
    (["TAX", "--name", "tax-personalliggare"], "a format named 'tax-personalliggare' is installed already"),
    (["TAX", "--name", "Tax Export"], "lower-case letters, digits and -"),
    ([], "name the participant"),
])
def test_a_request_the_kit_cannot_follow_is_a_usage_error(tmp_path: Path, args: list[str], said: str) -> None:
    result = CliRunner().invoke(app, ["new", *args, "--out", str(tmp_path / "adapter")], env={"COLUMNS": "300"})
    assert result.exit_code == USAGE
    assert said in result.stderr


def test_a_folder_with_something_in_it_is_left_alone(tmp_path: Path) -> None:
    (tmp_path / "mine.txt").write_text("keep", encoding="utf-8")
    result = CliRunner().invoke(app, ["new", "--agency", "TAX", "--out", str(tmp_path)], env={"COLUMNS": "300"})
    assert result.exit_code == USAGE and "is not empty" in result.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["mine.txt"]


def test_the_default_folder_and_format_name_follow_the_participant(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    written = scaffold("work_env")
    assert (written.folder, written.agency, written.format_name) == (
        Path("los-adapter-work_env"), "WORK_ENV", "work-env-export")
    pyproject = (tmp_path / "los-adapter-work_env" / "pyproject.toml").read_text(encoding="utf-8")
    assert '[project.entry-points."los.agency_formats"]\nwork_env = "los_adapter_work_env:FORMATS"' in pyproject
    assert "__" not in pyproject.replace("__future__", "")
