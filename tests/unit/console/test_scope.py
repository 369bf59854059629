"""The SQL prefilter derived from the policy never hides an operation the enforcement point
would show: for any plan, viewer and purpose, `decide` visible implies the scope passes it."""

from __future__ import annotations

import datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from deploy.local.stack import REPO
from schemas.agencies import load_agencies
from services.console.enforcement import Enforcement
from services.console.memory import _matches
from services.console.ports import OperationFilter, PlanRow
from services.disclosure.enforce import Viewer
from services.disclosure.policy import Purpose, Role, load_policy
from tests.unit.console.conftest import DIGESTS, EGRESS

AGENCIES = load_agencies()
ENFORCEMENT = Enforcement(load_policy(REPO / "deploy" / "policy" / "los-default.yaml"), AGENCIES, EGRESS, DIGESTS)
ON = datetime.date(2026, 5, 4)
codes = st.sampled_from(sorted(AGENCIES))


@st.composite
def plans(draw: st.DrawFn) -> PlanRow:
    participants = draw(st.lists(codes, min_size=1, max_size=6, unique=True))
    lead = draw(st.sampled_from(participants)) if draw(st.booleans()) else draw(codes)
    return PlanRow("OP-1", 1, "t", "Linköping", ON, draw(st.sampled_from(["planned", "executed", "closed",
                                                                          "cancelled"])),
                   lead, tuple(sorted(participants)), (), datetime.datetime(2026, 5, 4, tzinfo=datetime.UTC))


@settings(max_examples=600, deadline=None)
@given(plans(), codes, st.sampled_from(list(Role)), st.sampled_from(list(Purpose)))
def test_the_prefilter_keeps_every_plan_the_rules_open(row: PlanRow, agency: str, role: Role,
                                                       purpose: Purpose) -> None:
    viewer = Viewer(agency, role, "u")
    visible = ENFORCEMENT.plan(row, viewer, purpose, ON).visible
    scope = ENFORCEMENT.scope(viewer, purpose, ON)
    if visible:
        assert _matches(row.as_record(), OperationFilter(), scope, None), (scope, row)


def test_an_auditor_is_shown_no_plans_at_all() -> None:
    assert ENFORCEMENT.scope(Viewer("POLICE", Role.AUDITOR, "u"), Purpose.AUDIT, ON).nothing


def test_for_results_reporting_only_the_own_plans_can_open() -> None:
    assert ENFORCEMENT.scope(Viewer("FIRE_RTOG", Role.OFFICER, "u"), Purpose.RESULTS_REPORTING, ON).own_only
