"""Resultat: the numbers per month and municipality count only what the viewer may see."""

from __future__ import annotations

import csv
import io

from services.console.charts import bar_chart
from services.console.results import ResultRow, to_csv
from services.disclosure.policy import Role
from tests.unit.console.conftest import TAX_FEE, Console, decision, entry, record


async def results(console: Console, agency: str, purpose: str, role: Role = Role.OFFICER) -> list[dict]:
    async with console.client(agency, role) as client:
        response = await client.get(f"/api/results?purpose={purpose}&first=2025-01&last=2026-12")
    assert response.status_code == 200, response.text
    return list(response.json()["rows"])


async def test_a_withheld_fee_counts_for_nobody_who_may_not_see_it(console: Console) -> None:
    console.collaborate("POLICE", "TAX")  # lag (2016:774): the police see the tax fee, FIRE is not designated
    fire = {r["period"]: r for r in await results(console, "FIRE_RTOG", "joint_operation")}
    police = {r["period"]: r for r in await results(console, "POLICE", "organised_crime", Role.COORDINATOR)}
    assert fire["2026-04"]["imposed_sek"] == 0
    assert police["2026-04"]["imposed_sek"] == TAX_FEE
    assert fire["2026-04"]["premises_visited"] == 1 and fire["2026-04"]["visits"] == 1


async def test_for_results_reporting_an_agency_counts_the_operations_it_leads(make_console) -> None:  # type: ignore[no-untyped-def]
    led = record("LKPG-2026-06", lead="FIRE_RTOG", participants=["FIRE_RTOG", "TAX"], planned="2026-06-02", timeline=[
        entry("FIRE_RTOG", "decision", "f1", decision("förbud", "municipal_decision", 5_000, "imposed")),
        entry("TAX", "decision", "t1", decision("kontrollavgift", "tax", 12_500, "imposed"))])
    console = make_console([led, record("LKPG-2026-07", lead="POLICE", participants=["FIRE_RTOG", "POLICE"],
                                        planned="2026-07-01")])
    rows = await results(console, "FIRE_RTOG", "results_reporting")
    assert [(r["period"], r["operations"], r["imposed_sek"], r["sanctions"]) for r in rows] == [
        ("2026-06", 1, 5_000, 1)]


async def test_the_page_asks_for_the_purpose_then_draws_charts_with_text(console: Console) -> None:
    async with console.client("FIRE_RTOG") as client:
        ask = await client.get("/resultat")
        page = await client.get("/resultat?purpose=joint_operation&first=2025-01&last=2026-12")
        exported = await client.get("/api/results.csv?purpose=joint_operation&first=2025-01&last=2026-12")
    assert "Ange ändamål" in ask.text and 'value="results_reporting" selected' in ask.text
    assert page.text.count('role="img"') == 2 and "<desc" in page.text and "<caption>" in page.text
    assert exported.headers["content-disposition"].startswith("attachment")
    rows = list(csv.reader(io.StringIO(exported.text), delimiter=";"))
    assert rows[0][:3] == ["Kommun", "Månad", "Operationer"]
    assert [r[:2] for r in rows[1:]] == [["Linköping", "2026-04"], ["Norrköping", "2026-05"]]
    reads = [e for e in console.audit if e["kind"] == "read"]
    assert len(reads) == 2 and reads[0]["what"].startswith("results 2025-01..2026-12")


def test_a_chart_names_itself_and_its_numbers() -> None:
    svg = bar_chart("Besök per månad", "2026-04: 3 besök", ["2026-04"], {"Besök": [3]}, chart_id="x")
    assert svg.startswith("<svg") and 'role="img"' in svg and 'aria-labelledby="x-title x-desc"' in svg
    assert "<title id=\"x-title\">Besök per månad</title>" in svg and "<style" not in svg


def test_the_csv_has_swedish_headings() -> None:
    text = to_csv([ResultRow("Motala", "2026-03", 1, 2, 3, 1, 100, 0, 0)])
    assert text.splitlines()[1] == "Motala;2026-03;1;2;3;1;100;0;0"


async def test_sums_are_kept_until_something_they_count_changes(console: Console) -> None:
    first = await results(console, "FIRE_RTOG", "joint_operation")
    assert len(console.app.state.console.cache) == 1
    again = await results(console, "FIRE_RTOG", "joint_operation")
    assert again == first
    assert len([e for e in console.audit if e["kind"] == "read"]) == 2  # each view is logged all the same
    changed = {**console.source.state.records["LKPG-2026-04"], "timeline": []}
    console.source.put_record(changed)
    after = {r["period"]: r for r in await results(console, "FIRE_RTOG", "joint_operation")}
    assert after["2026-04"]["premises_visited"] == 0 and len(console.app.state.console.cache) == 2
