"""Signaler: a business several agencies found something about, counted only over findings the
viewer may see, shown under the bases that opened them, logged, and never stored."""

from __future__ import annotations

import datetime
from collections.abc import Callable

from services.console.signals import OWN_BASIS, Sighting, cross_agency_signals
from services.disclosure.enforce import Viewer
from services.disclosure.policy import Purpose, Role
from tests.unit.console.conftest import DIGESTS, PLANTED, Console

DAY = datetime.date(2026, 4, 14)
BUSINESS = "org:556036-0793"


def seen(agency: str, days: int, basis: str = OWN_BASIS, business: str = BUSINESS) -> Sighting:
    return Sighting(business, agency, DAY + datetime.timedelta(days=days), basis, business)


def test_a_signal_needs_enough_agencies_within_the_window() -> None:
    three = [seen("TAX", 0, "b1"), seen("FIRE_RTOG", 100, "b2"), seen("POLICE", 300)]
    [signal] = cross_agency_signals(three, min_agencies=3, window_days=365)
    assert signal.agencies == ("FIRE_RTOG", "POLICE", "TAX") and signal.bases == ("b1", "b2", OWN_BASIS)
    assert (signal.first, signal.last) == (DAY, DAY + datetime.timedelta(days=300))
    assert cross_agency_signals(three, min_agencies=3, window_days=200) == []
    assert cross_agency_signals(three[:2] * 5, min_agencies=3) == []  # many findings, two agencies


def test_the_widest_window_wins_and_the_strongest_signal_comes_first() -> None:
    other = "org:559000-0001"
    found = [seen("TAX", 0), seen("FIRE_RTOG", 10), seen("POLICE", 20), seen("WORK_ENV", 30),
             seen("TAX", 0, business=other), seen("FIRE_RTOG", 1, business=other), seen("POLICE", 2, business=other)]
    first, second = cross_agency_signals(found, min_agencies=3)
    assert (first.business, len(first.agencies)) == (BUSINESS, 4) and second.business == other


async def test_no_signal_from_findings_the_viewer_may_not_see(make_console: Callable[..., Console]) -> None:
    """Tax, the rescue service and social services all found something at the business; the
    stored signal of old counted all three for everyone. Now each coordinator's signal counts
    exactly the agencies whose findings its own view of the operation shows."""
    console = make_console(console_signal_min_agencies=3)
    record = console.source.state.records["LKPG-2026-04"]
    enforcement, today = console.app.state.console.enforcement, console.app.state.console.today()
    assert len({e["agency"] for e in record["timeline"] if e["kind"] == "inspection"}) == 3
    for agency in ("POLICE", "TAX", "FIRE_RTOG", "MUNI_SOCIAL_0581", "SOCIAL_INSURANCE", "ENFORCEMENT"):
        async with console.client(agency, Role.COORDINATOR) as client:
            for purpose in Purpose:
                view = enforcement.operation(record, Viewer(agency, Role.COORDINATOR, "x"), purpose, today)
                visible = {e["agency"] for e in view.record.get("timeline", []) if e["kind"] == "inspection"
                           and e.get("business") and any(not f.get("withheld") for f in e.get("findings", []))}
                found = (await client.get(f"/api/signals?purpose={purpose.value}")).json()["signals"]
                assert [s["agencies"] for s in found] == ([sorted(visible)] if len(visible) >= 3 else []), \
                    (agency, purpose)
                if purpose == Purpose.JOINT_OPERATION:
                    assert found == [], agency  # nobody may see all three for a joint operation


async def test_a_signal_names_the_bases_of_what_it_counts_and_is_logged(make_console: Callable[..., Console]) -> None:
    console = make_console(console_signal_min_agencies=2)
    async with console.client("MUNI_SOCIAL_0581", Role.COORDINATOR) as social, \
            console.client("FIRE_RTOG", Role.COORDINATOR) as fire:
        ours = (await social.get("/api/signals?purpose=joint_operation")).json()
        theirs = (await fire.get("/api/signals?purpose=joint_operation")).json()
        page = await social.get("/signaler?purpose=joint_operation")
        every_mandate = await social.get("/signaler")
    [signal] = ours["signals"]
    assert signal["business"] == BUSINESS and signal["agencies"] == ["FIRE_RTOG", "MUNI_SOCIAL_0581"]
    assert OWN_BASIS in signal["bases"] and any("6 kap. 5 §" in b for b in signal["bases"])
    assert theirs["signals"] == []  # FIRE may not see social services' finding: one agency only
    assert page.status_code == 200 and "Signaler" in page.text and PLANTED not in page.text
    assert every_mandate.status_code == 200 and "Signaler" in every_mandate.text
    reads = [e for e in console.audit if e["kind"] == "read" and e["what"] == "cross-agency signals"]
    assert len(reads) == 4 and reads[0]["subjects"] == [DIGESTS.subject(BUSINESS)]
    assert reads[0]["bases"] == sorted(signal["bases"]) and reads[1]["subjects"] == []
    assert all(r["case_reference"] and r["mandate"] for r in reads)


async def test_signals_are_for_coordinators(console: Console) -> None:
    async with console.client("POLICE", Role.OFFICER) as officer, console.client("POLICE", Role.AUDITOR) as auditor:
        assert (await officer.get("/api/signals?purpose=joint_operation")).status_code == 403
        assert (await auditor.get("/api/signals?purpose=joint_operation")).status_code == 403
