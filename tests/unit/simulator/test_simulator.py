"""The scenario simulator: deterministic, valid, realistic, and its ground truth right.

The ground truth is checked against an independent fold of the events written here with
plain code: latest plan revision, drop superseded and retracted events, infer the operation
of an inspection without one from its premises and date, count.
"""

from __future__ import annotations

import datetime
import json
import os
import re
import subprocess
import sys
import tracemalloc
import uuid
import warnings
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from schemas.agencies import load_agencies
from schemas.decision import AmountKind
from schemas.events import (
    AnyEvent,
    DecisionTakenV1,
    EventRetractedV1,
    InspectionConductedV1,
    NotificationSentV1,
    OperationPlannedV1,
    OperationUpdatedV1,
    new_event,
    parse_event,
)
from schemas.identifiers import (
    is_samordningsnummer,
    parse_address,
    parse_fastighetsbeteckning,
    parse_organisationsnummer,
)
from schemas.subjects import Premises
from services.adapters.agencies import all_formats, bound, formats_of
from services.adapters.sdk.mapping import Mapped, MappingContext
from services.adapters.simulator import (
    Campaign,
    MissingFormatWarning,
    ScenarioConfig,
    generate_campaign,
    premises_key,
    stream_events,
    write_native,
)
from services.adapters.simulator.cli import app
from services.adapters.simulator.export import event_line
from services.common.pseudonyms import LocalPseudonymiser

KEY = bytes(range(32))
REPO = Path(__file__).resolve().parents[3]
STOCKHOLM = ZoneInfo("Europe/Stockholm")
PLANS = (OperationPlannedV1, OperationUpdatedV1)
AMOUNT_KINDS = ("imposed", "recovered", "stopped")


@pytest.fixture(scope="module")
def campaign() -> Campaign:
    return generate_campaign(7, pseudonym_key=KEY)


def _json(events: Sequence[AnyEvent]) -> list[dict[str, Any]]:
    return [e.model_dump(mode="json") for e in events]


# --- an independent fold of the events ----------------------------------------------------

def _local(moment: datetime.datetime) -> datetime.date:
    return moment.astimezone(STOCKHOLM).date()


def _fold(events: Sequence[AnyEvent]) -> dict[str, Any]:
    plans: dict[str, Any] = {}
    for e in events:
        if isinstance(e, PLANS) and e.data.revision > plans.get(e.data.operation_id, (0,))[0]:
            plans[e.data.operation_id] = (e.data.revision, e.data)
    retracted = {e.data.retracts for e in events if isinstance(e, EventRetractedV1)}
    records = [e for e in events if not isinstance(e, (*PLANS, EventRetractedV1))]
    superseded = {e.data.supersedes for e in records}
    effective = [e for e in records if e.id not in retracted and e.id not in superseded]

    def operation_of(e: AnyEvent) -> str:
        data: Any = e.data
        if data.operation_id is not None:
            return str(data.operation_id)
        key, day = premises_key(data.premises), _local(data.conducted_at)
        found = [op for op, (_, plan) in plans.items() if plan.municipality == data.municipality
                 and key in {premises_key(t.premises) for t in plan.targets}
                 and abs((day - plan.planned_date).days) <= 1]
        assert len(found) == 1, f"{e.id}: operation cannot be inferred ({found})"
        return found[0]

    ops: dict[str, dict[str, Any]] = {}
    for op, (revision, plan) in plans.items():
        ops[op] = {"municipality": plan.municipality, "planned_date": plan.planned_date.isoformat(),
                   "status": plan.status.value, "lead_agency": plan.lead_agency,
                   "participants": sorted(plan.participants), "revision": revision, "visits": set(),
                   "inspections_by_agency": Counter(), "findings_by_agency": Counter(),
                   "decisions_by_agency": Counter(), "decisions_by_kind": Counter(),
                   "amounts_sek": Counter(), "notifications": 0, "sanctions": 0}
    subjects: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    findings: dict[str, list[tuple[datetime.date, str]]] = defaultdict(list)
    for e in effective:
        op = operation_of(e)
        agg = ops[op]
        data: Any = e.data
        listed = getattr(data, "persons_present", []) + getattr(data, "persons", [])
        protected = {p.pseudonym for p in listed if p.protected_identity}  # never in a shared dossier
        persons = {p.pseudonym for p in listed} - protected
        if data.business is not None:
            subjects["businesses"][data.business.orgnr or data.business.sole_trader].add(op)
        if data.premises is not None:
            subjects["premises"][premises_key(data.premises)].add(op)
        if isinstance(e, InspectionConductedV1):
            agg["visits"].add((premises_key(data.premises), _local(data.conducted_at)))
            agg["inspections_by_agency"][e.losagency] += 1
            agg["findings_by_agency"][e.losagency] += len(data.findings)
            # a finding's persons count only as present persons (whose protection is known)
            if data.findings and data.business is not None:
                findings[data.business.orgnr or data.business.sole_trader].append(
                    (_local(data.conducted_at), e.losagency))
        elif isinstance(e, DecisionTakenV1):
            agg["decisions_by_agency"][e.losagency] += 1
            agg["decisions_by_kind"][data.kind.value] += 1
            if data.amount_kind is not None:
                agg["amounts_sek"][data.amount_kind.value] += data.amount_sek
                agg["sanctions"] += data.amount_kind == AmountKind.IMPOSED
        else:
            assert isinstance(e, NotificationSentV1)
            agg["notifications"] += 1
        for person in persons:
            subjects["persons"][person].add(op)
    signals = sorted(b for b, found in findings.items() if any(
        len({a for d, a in found if 0 <= (d - start).days <= 364}) >= 3 for start, _ in found))
    results: dict[str, dict[str, Any]] = defaultdict(dict)
    periods: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for agg in ops.values():
        periods[agg["municipality"], agg["planned_date"][:7]].append(agg)
    for (town, month), group in periods.items():
        visits = set().union(*(a["visits"] for a in group))
        results[town][month] = {
            "premises_visited": len({k for k, _ in visits}), "visits": len(visits),
            "sanctions": sum(a["sanctions"] for a in group),
            "amounts": {k: sum(a["amounts_sek"][k] for a in group) for k in AMOUNT_KINDS}}
    operations = {}
    for op, agg in ops.items():
        visits = agg.pop("visits")
        agg.pop("sanctions")
        operations[op] = {**agg, "premises_visited": sorted({k for k, _ in visits}), "visits": len(visits),
                          **{k: {a: n for a, n in agg[k].items() if n}
                             for k in ("inspections_by_agency", "findings_by_agency", "decisions_by_agency",
                                       "decisions_by_kind")},
                          "amounts_sek": {k: agg["amounts_sek"][k] for k in AMOUNT_KINDS}}
    return {"operations": operations, "signals": signals, "results": dict(results),
            "subjects": {k: {i: sorted(v) for i, v in subjects[k].items()}
                         for k in ("businesses", "premises", "persons")},
            "event_count": len(events), "event_ids": sorted(str(e.id) for e in events),
            "events_by_type": dict(Counter(e.type for e in events))}


def _comparable(truth: Any) -> dict[str, Any]:
    shown: dict[str, Any] = json.loads(json.dumps(truth))
    shown.pop("seed", None)
    return shown


# --- determinism --------------------------------------------------------------------------

def test_same_seed_gives_identical_events_and_truth(campaign: Campaign) -> None:
    again = generate_campaign(7, pseudonym_key=KEY)
    assert _json(again.events) == _json(campaign.events)
    assert json.dumps(again.truth) == json.dumps(campaign.truth)


def test_same_seed_gives_the_same_bytes_in_another_process() -> None:
    """Nothing depends on string hashing, the clock or the process."""
    script = ("import hashlib, json; from services.adapters.simulator import generate_campaign;"
              "from services.adapters.simulator.export import event_line;"
              "c = generate_campaign(7, pseudonym_key=bytes(range(32)));"
              "print(hashlib.sha256(('\\n'.join(map(event_line, c.events)) + json.dumps(c.truth)).encode())"
              ".hexdigest())")
    digests = {subprocess.run([sys.executable, "-c", script], env={**os.environ, "PYTHONHASHSEED": seed},
                              capture_output=True, text=True, check=True, cwd=REPO).stdout
               for seed in ("1", "2")}
    assert len(digests) == 1 and len(digests.pop().strip()) == 64


def test_another_seed_gives_another_campaign(campaign: Campaign) -> None:
    other = generate_campaign(8, pseudonym_key=KEY)
    assert {e.id for e in other.events} != {e.id for e in campaign.events}
    assert other.truth["operations"] != campaign.truth["operations"]


def test_the_truth_is_json(campaign: Campaign) -> None:
    assert json.loads(json.dumps(campaign.truth)) == campaign.truth


# --- validity -----------------------------------------------------------------------------

def test_every_event_validates_and_has_a_unique_id(campaign: Campaign) -> None:
    ids = [e.id for e in campaign.events]
    assert len(set(ids)) == len(ids)
    for event in campaign.events:
        assert parse_event(event_line(event)) == event


def test_events_are_what_new_event_builds(campaign: Campaign) -> None:
    for event in campaign.events[::17]:
        rebuilt = new_event(type(event), event.data, agency=event.losagency, event_id=event.id,
                            time=event.time)
        assert rebuilt == event


def test_events_are_published_in_time_order_per_agency(campaign: Campaign) -> None:
    last: dict[str, datetime.datetime] = {}
    for event in campaign.events:
        assert event.time >= last.get(event.losagency, event.time)
        last[event.losagency] = event.time
    by_id = {e.id: e for e in campaign.events}
    for event in campaign.events:
        earlier = getattr(event.data, "supersedes", None) or getattr(event.data, "retracts", None)
        if earlier is not None:
            assert by_id[earlier].time < event.time and by_id[earlier].losagency == event.losagency


def test_identifiers_are_valid(campaign: Campaign) -> None:
    orgnrs, sole_traders = set(), set()
    for event in campaign.events:
        data: Any = event.data
        if isinstance(event, PLANS):
            premises = [t.premises for t in event.data.targets]
            businesses = [t.business for t in event.data.targets if t.business is not None]
        else:
            premises = [data.premises] if getattr(data, "premises", None) else []
            businesses = [data.business] if getattr(data, "business", None) else []
        for place in premises:
            assert place.address is not None and parse_address(place.address).city
            if place.fastighetsbeteckning is not None:
                area = parse_fastighetsbeteckning(place.fastighetsbeteckning).area
                assert area == place.address.split()[-1]
        for business in businesses:
            if business.orgnr is not None:
                assert parse_organisationsnummer(business.orgnr) == business.orgnr
                orgnrs.add(business.orgnr)
            else:
                assert business.sole_trader in campaign.clear_ids
                sole_traders.add(business.sole_trader)
    assert {o[0] for o in orgnrs} >= {"5"} and Counter(o[0] for o in orgnrs)["5"] > len(orgnrs) / 2
    assert all(int(o[2:4]) >= 20 for o in orgnrs)
    assert sole_traders
    numbers = list(campaign.clear_ids.values())
    assert all(re.fullmatch(r"(19|20)\d{10}", n) for n in numbers)
    assert any(is_samordningsnummer(n) for n in numbers)
    protected = {p.pseudonym for e in campaign.events if isinstance(e, InspectionConductedV1)
                 for p in e.data.persons_present if p.protected_identity}
    assert protected


def test_no_clear_personnummer_in_any_canonical_event(campaign: Campaign) -> None:
    text = "\n".join(event_line(e) for e in campaign.events)
    digits = re.sub(r"[-+]", "", text)
    for pnr in campaign.clear_ids.values():
        assert pnr not in digits and pnr[2:] not in digits and f"{pnr[2:8]}-{pnr[8:]}" not in text


# --- realism ------------------------------------------------------------------------------

def test_every_operation_has_eight_to_twelve_targets(campaign: Campaign) -> None:
    plans = [e for e in campaign.events if isinstance(e, PLANS)]
    assert plans
    for event in plans:
        keys = {premises_key(t.premises) for t in event.data.targets}
        assert 8 <= len(keys) == len(event.data.targets) <= 12
        assert event.data.lead_agency == "POLICE" and "POLICE" in event.data.participants
    assert any(isinstance(e, OperationUpdatedV1) and e.data.status.value == "planned" for e in plans)
    final = {op["status"] for op in campaign.truth["operations"].values()}
    assert final == {"closed"}


def test_municipalities_and_subjects_across_them(campaign: Campaign) -> None:
    truth = campaign.truth
    towns = {op["municipality"] for op in truth["operations"].values()}
    assert {"Linköping", "Norrköping"} <= towns and len(towns) >= 4
    assert any(len(ops) >= 2 for ops in truth["subjects"]["premises"].values())
    towns_of: dict[str, set[str]] = defaultdict(set)
    for business, ops in truth["subjects"]["businesses"].items():
        towns_of[business] |= {truth["operations"][op]["municipality"] for op in ops}
    assert any(len(t) >= 2 for t in towns_of.values())


def test_totals_per_spring_are_realistic(campaign: Campaign) -> None:
    per_year: dict[str, list[Any]] = defaultdict(lambda: [set(), 0])
    for op in campaign.truth["operations"].values():
        per_year[op["planned_date"][:4]][0].update(op["premises_visited"])
        per_year[op["planned_date"][:4]][1] += op["visits"]
    assert len(per_year) == 3
    for premises, visits in per_year.values():
        assert 20 <= len(premises) <= 30 and 30 <= visits <= 50
    social: Counter[tuple[int, str]] = Counter()
    for e in campaign.events:
        if isinstance(e, DecisionTakenV1) and e.losagency == "SOCIAL_INSURANCE" and e.data.amount_kind:
            social[e.data.decided_at.year, e.data.amount_kind.value] += e.data.amount_sek or 0
    assert len(social) == 6 and all(1_000_000 <= total <= 2_000_000 for total in social.values())


def test_tax_control_fees(campaign: Campaign) -> None:
    fees = [e.data for e in campaign.events if isinstance(e, DecisionTakenV1) and e.losagency == "TAX"
            and e.data.kind.value == "kontrollavgift"]
    assert fees
    for fee in fees:
        assert fee.amount_kind == AmountKind.IMPOSED
        assert fee.amount_sek == 10_000 or ((fee.amount_sek or 0) - 12_500) % 2_500 == 0


def test_some_inspections_leave_out_the_operation_within_a_day(campaign: Campaign) -> None:
    plans = {op: datetime.date.fromisoformat(t["planned_date"])
             for op, t in campaign.truth["operations"].items()}
    inspections = [e for e in campaign.events if isinstance(e, InspectionConductedV1)]
    missing = [e for e in inspections if e.data.operation_id is None]
    assert 0.05 <= len(missing) / len(inspections) <= 0.15
    for event in missing:
        day = _local(event.data.conducted_at)
        assert abs((day - plans[campaign.operations[event.id]]).days) <= 1


def test_corrections_and_retractions_are_present(campaign: Campaign) -> None:
    superseding = [e for e in campaign.events if getattr(e.data, "supersedes", None)]
    retractions = [e for e in campaign.events if isinstance(e, EventRetractedV1)]
    assert len(superseding) >= 3 and len(retractions) >= 3
    assert any(isinstance(e, InspectionConductedV1) for e in superseding)
    assert any(isinstance(e, DecisionTakenV1) for e in superseding)
    notices = [e for e in campaign.events if isinstance(e, NotificationSentV1)]
    assert notices
    for notice in notices:
        assert notice.losagency.startswith("MUNI_SOCIAL_") and notice.data.to_agency == "SOCIAL_INSURANCE"
        assert notice.data.legal_basis == "Lag (2008:206) 3 §"


# --- the ground truth ---------------------------------------------------------------------

def test_truth_matches_an_independent_fold_of_the_events(campaign: Campaign) -> None:
    assert _comparable(campaign.truth) == _comparable(_fold(campaign.events))


def test_corrections_and_retractions_change_the_truth(campaign: Campaign) -> None:
    """Counting every event, superseded and retracted ones too, gives another truth."""
    naive: Counter[str] = Counter()
    for e in campaign.events:
        if isinstance(e, InspectionConductedV1):
            naive[campaign.operations[e.id]] += 1
    truth = campaign.truth["operations"]
    counted = {op: sum(t["inspections_by_agency"].values()) for op, t in truth.items()}
    assert counted != dict(naive) and all(counted[op] <= naive[op] for op in counted)


def test_premises_key_is_the_same_for_every_spelling() -> None:
    planned = Premises(address="Sandgatan 14 B, 602 22 Norrköping")
    spelled = Premises(address="Sandg. 14B, 60222 Norrköping")
    assert premises_key(planned) == premises_key(spelled) == "SANDGATAN 14 B|60222|NORRKÖPING"
    both = Premises(fastighetsbeteckning="NORRKÖPING SANDGATAN 2:14",
                    address="Sandgatan 14 B, 602 22 Norrköping")
    assert premises_key(both) == "NORRKÖPING SANDGATAN 2:14"


# --- the stream ---------------------------------------------------------------------------

def test_stream_of_the_campaigns_length_is_the_campaign(campaign: Campaign) -> None:
    stream = stream_events(7, len(campaign.events), pseudonym_key=KEY)
    assert _json(list(stream)) == _json(campaign.events)
    assert json.dumps(stream.truth()) == json.dumps(campaign.truth)


@pytest.mark.parametrize("count", [1, 4_321])
def test_truth_of_a_cut_stream_is_that_of_its_events(count: int) -> None:
    stream = stream_events(3, count, pseudonym_key=KEY)
    events = list(stream)
    assert len(events) == count
    assert _comparable(stream.truth()) == _comparable(_fold(events))


def test_stream_is_lazy_and_bounded() -> None:
    """The first event comes before the second operation is played, and memory grows only by
    the truth's aggregates: a few hundred bytes per event, where holding the events would
    take some 4 KB each."""
    stream = stream_events(5, 20_000, pseudonym_key=KEY, keep_event_ids=False)
    first = next(stream)
    assert isinstance(first, OperationPlannedV1)
    assert stream.scenario.operations_played <= 2  # not the ~250 operations 20,000 events take
    tracemalloc.start()
    try:
        for n, _ in enumerate(stream, start=2):
            if n == 5_000:
                early, _ = tracemalloc.get_traced_memory()
                tracemalloc.reset_peak()
        _, late_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert stream.produced == 20_000 and stream.scenario.operations_played < 300
    assert (late_peak - early) / 15_000 < 1_000
    truth = stream.truth()
    assert truth["event_count"] == 20_000 and truth["event_ids"] is None


def test_national_scale_runs_regions_side_by_side() -> None:
    config = ScenarioConfig(scale="national", springs=1)
    truth = generate_campaign(1, pseudonym_key=KEY, config=config).truth
    assert len(truth["operations"]) == 48
    assert len({op["municipality"] for op in truth["operations"].values()}) == 24


# --- files --------------------------------------------------------------------------------

def _context() -> MappingContext:
    return MappingContext(pseudonyms=LocalPseudonymiser(KEY), today=datetime.date(2030, 1, 1))


def test_native_files_read_back_to_the_events(campaign: Campaign, tmp_path: Path) -> None:
    formats = all_formats()
    if not formats:
        pytest.skip("no agency formats installed")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingFormatWarning)
        result = write_native(campaign, tmp_path, _context())
    assert (tmp_path / "events.jsonl").read_text(encoding="utf-8").count("\n") == len(campaign.events)
    assert json.loads((tmp_path / "ground_truth.json").read_text(encoding="utf-8")) == campaign.truth
    by_id = {e.id: e for e in campaign.events}
    read: set[uuid.UUID] = set()
    for path in result.files:
        if path.parent.parent.name != "native":
            continue
        fmt = next(f for name, f in formats.items() if path.name == f"{name}{f.suffix}")
        fmt = bound(fmt, path.parent.name.upper())  # written under native/<participant>/
        for item in fmt.read(path, _context()):
            assert isinstance(item, Mapped), str(item)
            assert item.event == by_id[item.event.id]
            read.add(item.event.id)
    written = {e.id for e in campaign.events if e.losagency not in result.skipped}
    assert read == written


def test_native_files_split_by_operation(campaign: Campaign, tmp_path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingFormatWarning)
        result = write_native(campaign, tmp_path, _context(), split_by_operation=True, canonical=False)
    police = sorted(p.name for p in result.files if p.parent.name == "police")
    operations = sorted(campaign.truth["operations"])
    if police:
        assert [n for n in police if n.startswith("police-operations-")] == [
            f"police-operations-{op}.json" for op in operations]


def test_agencies_without_a_format_are_skipped_with_a_warning(campaign: Campaign, tmp_path: Path) -> None:
    with pytest.warns(MissingFormatWarning, match="no native format for TAX"):
        result = write_native(campaign, tmp_path, _context(), canonical=False,
                              formats=lambda agency: [] if agency == "TAX" else formats_of(agency))
    assert "TAX" in result.skipped and set(result.skipped) <= set(load_agencies())
    assert not (tmp_path / "native" / "tax").exists()
    assert all(p.exists() and "tax" not in p.parts for p in result.files)


# --- command line -------------------------------------------------------------------------

def test_cli_help_and_runs(tmp_path: Path) -> None:
    runner = CliRunner()
    for args in (["--help"], ["campaign", "--help"], ["stream", "--help"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 0 and "Usage" in result.output
    out = tmp_path / "s.jsonl"
    result = runner.invoke(app, ["stream", "--events", "300", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8").count("\n") == 300
    assert json.loads((tmp_path / "s.truth.json").read_text(encoding="utf-8"))["event_count"] == 300
    result = runner.invoke(app, ["campaign", "--springs", "1", "--canonical", "--out", str(tmp_path / "c")])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "c").iterdir()) == ["events.jsonl", "ground_truth.json"]


def test_a_regional_campaign_has_joint_actions_of_two_municipalities_each_acting_in_its_own() -> None:
    """ROS: Linköping and Norrköping act together; each municipality's authorities take part,
    every national agency too, and a municipal authority inspects premises of its own
    municipality only."""
    regional = generate_campaign(11, pseudonym_key=KEY, config=ScenarioConfig(springs=2, joint_regional=1.0))
    registry = load_agencies()
    towns = {op: {registry[p].municipality for p in t["participants"] if p in registry} - {None}
             for op, t in regional.truth["operations"].items()}
    joint = [op for op, found in towns.items() if len(found) == 2]
    assert len(joint) == 2, "one joint action each spring"
    assert any(towns[op] == {"0580", "0581"} for op in joint), "Linköping and Norrköping act together"
    senders = {e.losagency for e in regional.events}
    assert {code for code, a in registry.items() if a.kind == "state"} <= senders
    kommunkod = {"Linköping": "0580", "Norrköping": "0581"}
    for event in regional.events:
        agency = registry.get(event.losagency)
        if isinstance(event, InspectionConductedV1) and agency is not None and agency.municipality:
            town = event.data.municipality
            assert kommunkod.get(town, agency.municipality) == agency.municipality, (event.losagency, town)
    truth = regional.truth["operations"]
    assert all(truth[op]["inspections_by_agency"] for op in joint)
