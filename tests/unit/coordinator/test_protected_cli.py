"""The register's CLI: help for each act, and a clear one-line error (exit status 2) for what
it cannot act on, before any database is reached."""

from __future__ import annotations

from typer.testing import CliRunner

from services.coordinator.protected import app

RUNNER = CliRunner()
HIDDEN = "psn:o1:" + "a" * 64


def test_each_act_has_help() -> None:
    assert RUNNER.invoke(app, ["--help"]).exit_code == 0
    for act in ("add", "lift", "count"):
        shown = RUNNER.invoke(app, [act, "--help"])
        assert shown.exit_code == 0 and "--help" in shown.output, act
    assert "--personnummer" in RUNNER.invoke(app, ["add", "--help"]).output


def test_what_it_cannot_act_on_is_refused_with_one_clear_line() -> None:
    cases = {
        ("add",): "give --personnummer or --pseudonym",
        ("lift", "--pseudonym", "psn:r1:" + "a" * 64): "not a recipient's",
        ("add", "--pseudonym", HIDDEN, "--personnummer", "19121212-1212"): "not both",
        ("add", "--personnummer", "1234"): "personnummer",
    }
    for args, said in cases.items():
        result = RUNNER.invoke(app, list(args))
        assert result.exit_code == 2 and "error:" in result.output and said in result.output, (args, result.output)
        assert "Traceback" not in result.output
