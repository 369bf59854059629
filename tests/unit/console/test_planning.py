"""Planera insats: a coordinator's plan is checked against the contract, signed with the
console's key for her agency, naming her, and sent to her agency's own topic, where the
coordinator service accepts it. Without a registered console key nothing is signed or made."""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from schemas.events import OperationPlannedV1
from schemas.signing import CONSOLE
from services.common.keys import create_key, load_registry, save_registry
from services.console.planning import PlanInput, TargetInput, check_plan, suggested_id
from services.console.publisher import console_user
from services.coordinator.domain.intake import Accepted, check
from services.disclosure.policy import Role
from tests.unit.console.conftest import NOW, Console

AGENCIES = {"MUNI_SECURITY_0581", "POLICE", "FIRE_RTOG", "TAX"}
FORM = {"title": "Kvällstillslag Hageby", "municipality": "Norrköping", "planned_date": "2026-12-01",
        "participants": ["POLICE", "FIRE_RTOG", "TAX"],
        "target_0_fastighetsbeteckning": "Norrköping Sandgatan 2:14", "target_0_address": "",
        "target_0_orgnr": "556036-0793", "target_0_business_name": "Hageby Bilvård AB",
        "target_0_industry": "car_wash",
        "target_1_fastighetsbeteckning": "", "target_1_address": "Hagebygatan 3, 603 65 Norrköping",
        "target_1_orgnr": "", "target_1_business_name": "", "target_1_industry": "kiosk",
        "target_2_fastighetsbeteckning": "", "target_2_address": "", "target_2_orgnr": "",
        "target_2_business_name": "", "target_2_industry": "other"}


def test_a_valid_plan_has_the_planner_as_lead_and_participant() -> None:
    given = PlanInput(title="Tillslag", municipality="Norrköping", planned_date=datetime.date(2026, 12, 1),
                      participants=["FIRE_RTOG"],
                      targets=[TargetInput(address="Hagebygatan 3, 603 65 Norrköping")])
    checked = check_plan(given, lead_agency="MUNI_SECURITY_0581", known_agencies=AGENCIES)
    assert checked.errors == {} and checked.plan is not None
    assert checked.plan.lead_agency == "MUNI_SECURITY_0581" and checked.plan.participants == ["MUNI_SECURITY_0581",
                                                                                         "FIRE_RTOG"]
    assert checked.plan.operation_id.startswith("NORR-20261201-")


def test_what_is_wrong_is_said_in_swedish_next_to_each_field() -> None:
    given = PlanInput(title="", municipality="Norrköping", planned_date="den första", participants=["NOPE"],
                      targets=[TargetInput(orgnr="556036-0794", business_name="Fel AB",
                                           fastighetsbeteckning="Norrköping Sandgatan 2:14"),
                               TargetInput(orgnr="556036-0793")])
    errors = check_plan(given, lead_agency="POLICE", known_agencies=AGENCIES).errors
    assert errors["participants"] == "Deltagare: okända myndigheter NOPE"
    assert errors["target_1_business_name"] == "Mål 2: ange företagets namn till organisationsnumret"
    assert errors["target_1_fastighetsbeteckning"] == "Mål 2: ange fastighetsbeteckning eller adress"
    checked = check_plan(PlanInput(title="", municipality="N", planned_date="x", targets=[
        TargetInput(orgnr="556036-0794", business_name="Fel AB", address="Storgatan 1, 582 24 Linköping")]),
        lead_agency="POLICE", known_agencies=AGENCIES)
    assert checked.errors["title"] == "Rubrik: måste fyllas i"
    assert checked.errors["planned_date"] == "Datum: ange ett datum (ÅÅÅÅ-MM-DD)"
    assert checked.errors["target_0_orgnr"].startswith("Mål 1: organisationsnummer: ogiltigt värde")
    no_targets = check_plan(PlanInput(title="t", municipality="m", planned_date="2026-12-01"),
                            lead_agency="POLICE",
                            known_agencies=AGENCIES)
    assert no_targets.plan is None and "minst ett mål" in no_targets.errors["targets"]


def test_a_suggested_id_fits_the_contract() -> None:
    assert suggested_id("Åtvidaberg", datetime.date(2026, 1, 2)).startswith("ATVI-20260102-")


async def test_a_coordinator_publishes_a_signed_plan_on_her_own_topic(console: Console) -> None:
    async with console.client("MUNI_SECURITY_0581", Role.COORDINATOR) as client:
        page = await client.post("/planera", data=FORM)
    assert page.status_code == 200, page.text
    assert "Insatsen är publicerad" in page.text
    [(topic, key, value, headers)] = console.publisher.sent
    assert topic == "los.events.muni_security_0581" and ("content-type",
                                                    b"application/cloudevents+json; charset=utf-8") \
        in headers
    result = check(value, topic, load_registry(console.keys_dir), max_bytes=256 * 1024)
    assert isinstance(result, Accepted), result  # the coordinator's own intake checks accept it
    event = result.event
    assert result.key_kind == "console", "signed with the console's key, which signs plans only"
    assert isinstance(event, OperationPlannedV1)
    # the planner, by her token's subject (the development identity provider's are `dev-<hex>`)
    assert event.source.startswith("urn:los:agency:MUNI_SECURITY_0581/console.dev-"), event.source
    plan = event.data
    assert plan.lead_agency == "MUNI_SECURITY_0581" and set(plan.participants) == {"MUNI_SECURITY_0581", "POLICE",
                                                                              "FIRE_RTOG", "TAX"}
    assert [t.business.orgnr if t.business else None for t in plan.targets] == ["556036-0793", None]
    assert key == f"op:{plan.operation_id}".encode() and plan.operation_id in page.text


async def test_an_invalid_plan_is_shown_again_with_its_errors_and_nothing_is_sent(console: Console) -> None:
    async with console.client("MUNI_SECURITY_0581", Role.COORDINATOR) as client:
        page = await client.post("/planera", data={**FORM, "title": "", "target_0_orgnr": "556036-0794"})
    assert page.status_code == 422 and "Planen kunde inte publiceras" in page.text
    assert 'aria-invalid="true"' in page.text and "Hageby Bilvård AB" in page.text  # what was typed is kept
    assert console.publisher.sent == []


async def test_the_api_plans_too_and_only_for_coordinators(console: Console) -> None:
    body = {"title": "API-tillslag", "municipality": "Linköping", "planned_date": "2026-12-02",
            "participants": ["FIRE_RTOG"], "targets": [{"address": "Storgatan 1, 582 24 Linköping"}]}
    async with console.client("POLICE", Role.OFFICER) as officer:
        assert (await officer.post("/api/plans", json=body)).status_code == 403
    async with console.client("POLICE", Role.COORDINATOR) as coordinator:
        made = await coordinator.post("/api/plans", json=body)
    assert made.status_code == 201 and made.json()["topic"] == "los.events.police"
    sent = json.loads(console.publisher.sent[0][2])
    assert sent["data"]["title"] == "API-tillslag" and sent["lossignature"]


async def test_when_the_broker_is_away_the_coordinator_is_told_so(console: Console) -> None:
    console.publisher.fail = True
    async with console.client("POLICE", Role.COORDINATOR) as client:
        page = await client.post("/planera", data=FORM)
    assert page.status_code == 503 and "kunde inte publiceras just nu" in page.text


def test_the_planner_is_named_by_a_safe_id_derived_from_her_subject() -> None:
    assert console_user("dev-1a2b3c") == "dev-1a2b3c"  # already safe: kept
    mapped = console_user("karin.testsson@polisen.se")
    assert mapped.startswith("karin.testsson_polisen.se-") and len(mapped) == len("karin.testsson_polisen.se") + 17
    assert console_user("karin.testsson#polisen.se") != mapped, "two subjects never share an id"
    assert len(console_user("x" * 300)) <= 56 and console_user("åäö") == console_user("åäö")
    assert all(c.isalnum() or c in "_.-" for c in console_user("ÅÄÖ ✓ / \\ åäö"))


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("registered", ["nothing", "an adapter key", "another agency's console key",
                                        "a revoked console key"])
async def test_without_a_console_key_the_planner_is_told_in_swedish_and_no_key_is_made(
        make_console: Callable[..., Console], tmp_path: Path, registered: str,
        caplog: pytest.LogCaptureFixture) -> None:
    keys = tmp_path / "keys"
    keys.mkdir()
    if registered == "an adapter key":
        create_key(keys, "POLICE", now=NOW)  # the agency system's: the console never signs with it
    elif registered == "another agency's console key":
        create_key(keys, "TAX", now=NOW, kind=CONSOLE)
    elif registered == "a revoked console key":
        key_id, _ = create_key(keys, "POLICE", now=NOW, kind=CONSOLE)
        registry = load_registry(keys)
        registry.revoke(key_id, NOW, "Misstänkt röjd")
        save_registry(keys, registry)
    before = _files(keys)
    console = make_console(keys_dir=keys)
    async with console.client("POLICE", Role.COORDINATOR) as client:
        form = await client.get("/planera")
        page = await client.post("/planera", data=FORM)
        api = await client.post("/api/plans", json={"title": "API-tillslag", "municipality": "Linköping",
                                                   "planned_date": "2026-12-02",
                                                   "targets": [{"address": "Storgatan 1, 582 24 Linköping"}]})
    said = "har ingen giltig signeringsnyckel registrerad för konsolen"
    assert form.status_code == 200 and said in form.text  # told before anything is typed
    assert page.status_code == 503 and said in page.text and "Kvällstillslag Hageby" in page.text  # kept
    assert api.status_code == 503 and said in api.json()["detail"]
    assert console.publisher.sent == [], "nothing is signed or sent"
    assert _files(keys) == before, "the console writes no key and no registry"
    assert "no console key for POLICE" in caplog.text  # and the operators see it in the log
