"""`ingest --dry-run` maps and checks a file with no broker, outbox or key, printing every event
and every error, with placeholders for pseudonyms unless the pseudonym service answers; and
`ingest` exits 0 only when every record mapped, 3 when any was quarantined (with
`--all-or-nothing`, the whole file), 2 on a usage error. The pseudonym service is a handler
behind httpx's mock transport; nothing is published (`--no-publish`)."""

from __future__ import annotations

import copy
import datetime
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from typer.testing import CliRunner, Result

from schemas.agencies import load_registry as load_participants
from schemas.events import event_json
from schemas.pseudonyms import RequestRefused, check_request
from schemas.signing import b64
from services.adapters import cli, dryrun
from services.adapters.cli import REJECTED, USAGE, app
from services.adapters.sdk.dryrun import check_file, refusal
from services.adapters.sdk.mapping import MappingContext, events_of
from services.adapters.sdk.outbox import Outbox
from services.adapters.sdk.pseudonyms import DRY_RUN_PREFIX, OprfClient, Placeholders
from services.common import oprf
from services.common.keys import adapter_holder, create_key, load_registry
from services.common.pseudonyms import LocalPseudonymiser, oprf_secret
from tests.unit.adapters.samples import SAMPLES

TAX = SAMPLES["tax-personalliggare"]
SEED = b"s" * 32


@dataclass
class Adapter:
    """An adapter's environment in `tmp_path`: its settings, and its key once registered."""

    root: Path
    env: dict[str, str]

    def register_key(self) -> None:
        keys = Path(self.env["LOS_KEYS_DIR"])
        create_key(keys, "TAX", now=datetime.datetime.now(datetime.UTC),
                   holder=adapter_holder(Path(self.env["LOS_ADAPTER_KEYS_DIR"]), "TAX"))

    def invoke(self, *args: str) -> Result:
        return CliRunner().invoke(app, list(args), env=self.env)

    def outbox(self) -> Outbox:
        return Outbox(self.root / "spool" / "tax" / "outbox.db")


class Service:
    """The pseudonym service, checking each request against the adapter's key registry."""

    def __init__(self, keys: Path, *, away: bool = False) -> None:
        self.keys, self.away, self.requests = keys, away, 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if self.away:
            raise httpx.ConnectError("connection refused")
        self.requests += 1
        try:
            checked = check_request(json.loads(request.content), load_registry(self.keys), frozenset({"TAX"}),
                                    datetime.datetime.now(datetime.UTC))
        except RequestRefused as error:
            return httpx.Response(403, json={"error": error.reason, "detail": error.detail})
        secret = oprf_secret(SEED)
        return httpx.Response(200, json={"evaluated": [b64(oprf.blind_evaluate(secret, e))
                                                       for e in checked.elements]})


@pytest.fixture
def adapter(tmp_path: Path) -> Adapter:
    env = {"LOS_KEYS_DIR": str(tmp_path / "keys"), "LOS_ADAPTER_KEYS_DIR": str(tmp_path / "adapter-keys"),
           "LOS_ADAPTER_SPOOL_DIR": str(tmp_path / "spool"), "LOS_PSEUDONYM_URL": "http://pseudonyms.test",
           "COLUMNS": "300"}
    return Adapter(tmp_path, env)


@pytest.fixture
def service(adapter: Adapter, monkeypatch: pytest.MonkeyPatch) -> Iterator[Service]:
    """Every pseudonym client the CLI makes talks to this service."""
    answering = Service(Path(adapter.env["LOS_KEYS_DIR"]))

    class Client(OprfClient):
        def __init__(self, url: str, agency: str, key_id: str, key: Ed25519PrivateKey) -> None:
            super().__init__(url, agency, key_id, key, transport=httpx.MockTransport(answering))

    monkeypatch.setattr(cli, "OprfClient", Client)
    monkeypatch.setattr(dryrun, "OprfClient", Client)
    yield answering


def bad_copy(tmp_path: Path) -> Path:
    """The tax sample with one bad record, line 3."""
    return TAX.with_cell(tmp_path, 3, "organisationsnummer", "559118-2779")


# --- the dry run -------------------------------------------------------------------------------------


def test_a_dry_run_prints_each_event_as_json_and_exits_0_with_no_key_broker_or_outbox(
        adapter: Adapter, service: Service) -> None:
    result = adapter.invoke("ingest", "--dry-run", "-f", TAX.name, str(TAX.path))
    assert result.exit_code == 0, result.stderr
    printed = [json.loads(line) for line in result.stdout.splitlines()]
    expected = [event_json(e) for e in TAX.events()]
    assert [e["id"] for e in printed] == [e["id"] for e in expected]
    assert service.requests == 0  # no key to sign a request with: the service is not asked
    assert printed[0]["data"]["persons_present"][0]["pseudonym"] == f"{DRY_RUN_PREFIX}{1:064x}"
    persons = [p for e in printed for p in e["data"].get("persons_present", e["data"].get("persons", []))]
    assert persons and all(p["pseudonym"].startswith(DRY_RUN_PREFIX) for p in persons)
    assert "10 events and 0 errors in 1 file; nothing was signed, stored or published" in result.stderr
    assert "pseudonyms: placeholders" in result.stderr and "no registered adapter key of TAX" in result.stderr
    assert not (adapter.root / "spool").exists()


def test_a_dry_run_asks_the_pseudonym_service_when_the_key_is_here_and_it_answers(
        adapter: Adapter, service: Service) -> None:
    adapter.register_key()
    result = adapter.invoke("ingest", "--dry-run", "-f", TAX.name, str(TAX.path))
    assert result.exit_code == 0, result.stderr
    platform = MappingContext(pseudonyms=LocalPseudonymiser(SEED), today=datetime.date.today(), system=None)
    expected = [event_json(e) for e in events_of(TAX.format.read(TAX.path, platform))]
    assert [json.loads(line) for line in result.stdout.splitlines()] == expected
    assert service.requests == 1 and "pseudonyms: from the pseudonym service at http://pseudonyms.test" in result.stderr
    assert not (adapter.root / "spool").exists()


def test_a_dry_run_falls_back_to_placeholders_when_the_service_does_not_answer(
        adapter: Adapter, service: Service) -> None:
    adapter.register_key()
    service.away = True
    result = adapter.invoke("ingest", "--dry-run", "-f", TAX.name, str(TAX.path))
    assert result.exit_code == 0, result.stderr
    assert DRY_RUN_PREFIX in result.stdout and "psn:o1:" not in result.stdout
    assert "the pseudonym service did not answer" in result.stderr and "cannot be reached" in result.stderr


def test_a_dry_run_prints_every_error_with_file_line_and_column_and_exits_3(
        adapter: Adapter, service: Service, tmp_path: Path) -> None:
    bad = bad_copy(tmp_path)
    result = adapter.invoke("ingest", "--dry-run", "-f", TAX.name, str(bad))
    assert result.exit_code == REJECTED
    assert len(result.stdout.splitlines()) == 9
    assert f"error: {bad}:3: column organisationsnummer:" in result.stderr
    assert "9 events and 1 errors in 1 file" in result.stderr


def test_a_dry_run_of_a_file_without_a_column_shows_one_error_and_no_event(
        adapter: Adapter, service: Service, tmp_path: Path) -> None:
    lines = TAX.path.read_text(encoding="utf-8").splitlines()
    bad = tmp_path / "no-kommun.csv"
    bad.write_text("\n".join(line.rpartition(";")[0] for line in lines) + "\n", encoding="utf-8")  # no overklagande
    result = adapter.invoke("ingest", "--dry-run", "-f", TAX.name, str(bad))
    assert result.exit_code == REJECTED
    assert result.stdout == ""
    [error] = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert error.startswith(f"error: {bad}:1: column overklagande: the header has no column overklagande;")
    assert "not one record would be stored" in result.stderr


def test_a_dry_run_can_show_a_table(adapter: Adapter, service: Service) -> None:
    result = adapter.invoke("ingest", "--dry-run", "--table", "-f", TAX.name, str(TAX.path))
    assert result.exit_code == 0
    assert "se.los.inspection.conducted.v1" in result.stdout and str(TAX.events()[0].id) in result.stdout


def test_a_dry_run_reports_what_the_adapter_could_not_sign_or_the_coordinator_would_reject() -> None:
    ctx = MappingContext(pseudonyms=Placeholders(), today=datetime.date(2026, 6, 1))
    as_employment = copy.copy(TAX.format)
    as_employment.agency = "EMPLOYMENT"  # a format that writes another agency's code into its events
    check = check_file(TAX.path, as_employment, ctx)
    assert check.events == [] and len(check.errors) == 10
    assert all(e.field == "-" and "can publish only its own" in e.message for e in check.errors)
    inspection = TAX.events()[0].model_copy(update={"losagency": "EMPLOYMENT"})
    assert "category_not_owned" in (refusal(inspection, "EMPLOYMENT", load_participants()) or "")
    assert "not a participant" in (refusal(inspection.model_copy(update={"losagency": "MIGRATION"}), "MIGRATION",
                                           load_participants()) or "")


# --- exit codes ------------------------------------------------------------------------------------


def test_ingest_exits_0_when_every_record_is_stored(adapter: Adapter, service: Service) -> None:
    adapter.register_key()
    result = adapter.invoke("ingest", "--no-publish", "-f", TAX.name, str(TAX.path))
    assert result.exit_code == 0, result.stderr
    assert adapter.outbox().counts()["accepted"] == 10


def test_ingest_exits_3_when_a_record_is_quarantined_and_stores_the_others(
        adapter: Adapter, service: Service, tmp_path: Path) -> None:
    adapter.register_key()
    result = adapter.invoke("ingest", "--no-publish", "-f", TAX.name, str(bad_copy(tmp_path)))
    assert result.exit_code == REJECTED
    assert adapter.outbox().counts()["accepted"] == 9 and adapter.outbox().counts()["quarantined"] == 1
    assert "quarantine --agency TAX" in result.stderr


def test_ingest_all_or_nothing_stores_nothing_of_a_file_with_a_bad_record(
        adapter: Adapter, service: Service, tmp_path: Path) -> None:
    adapter.register_key()
    bad = bad_copy(tmp_path)
    result = adapter.invoke("ingest", "--no-publish", "--all-or-nothing", "-f", TAX.name, str(bad), str(TAX.path))
    assert result.exit_code == REJECTED
    counts = adapter.outbox().counts()
    assert (counts["accepted"], counts["quarantined"], counts["files"]) == (10, 2, 1)  # the good file went in
    assert "held back whole" in result.stderr
    reasons = adapter.outbox().quarantined()
    assert [(q.file, q.line) for q in reasons] == [(bad.name, 3), (bad.name, 0)]


@pytest.mark.parametrize(("args", "said"), [
    (["-f", "no-such-format"], "unknown format"),
    (["-f", "muni-building-tillsyn"], "name yours with --agency"),
    (["-f", "muni-building-tillsyn", "--agency", "MUNI_SOCIAL_0580"], "cannot run it"),
    (["-f", "tax-personalliggare"], "no valid adapter key of TAX"),
])
def test_ingest_exits_2_on_a_usage_error(adapter: Adapter, args: list[str], said: str) -> None:
    result = adapter.invoke("ingest", "--no-publish", *args, str(TAX.path))
    assert result.exit_code == USAGE
    assert said in result.stderr
