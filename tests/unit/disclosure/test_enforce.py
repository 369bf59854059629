"""What each agency sees of one shared operation, under the default policy."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import pytest

from deploy.local.stack import REPO
from schemas.agencies import load_agencies
from schemas.categories import Category
from services.disclosure.collaboration import CollaborationDecision
from services.disclosure.decide import OperationContext, Request, decide, explain
from services.disclosure.enforce import Approval, Viewer, item_digest, view_operation
from services.disclosure.policy import Policy, PolicyError, Purpose, Role, load_policy
from services.disclosure.pseudonyms import RecipientPseudonyms

POLICY = load_policy(REPO / "deploy" / "policy" / "los-default.yaml")
AGENCIES = load_agencies()
PLANTED = "PLANTED_SOCIAL_SECRET_4711"
EGRESS = RecipientPseudonyms(b"e" * 32)
ON = datetime.date(2026, 4, 20)


def entry(agency: str, kind: str, event_id: str, detail: dict[str, Any], persons: list[str] | None = None) -> dict:
    return {"at": "2026-04-14T08:00:00+00:00", "agency": agency, "kind": kind, "event_id": event_id,
            "ref": f"{agency}-1", "premises": "fb:LINKÖPING TANNEFORS 1:4", "business": "org:556036-0793",
            "persons": persons or [], "detail": detail}


def record(status: str = "executed") -> dict[str, Any]:
    return {
        "operation_id": "LKPG-2026-04", "revision": 2, "title": "Vårens tillslag", "municipality": "Linköping",
        "planned_date": "2026-04-14", "status": status, "lead_agency": "POLICE",
        "participants": ["FIRE_RTOG", "MUNI_SOCIAL_0581", "POLICE", "SOCIAL_INSURANCE", "TAX"],
        "targets": ["fb:LINKÖPING TANNEFORS 1:4"],
        "timeline": [
            entry("TAX", "inspection", "e1", {"findings": [{"code": "PERSONALLIGGARE_SAKNAS", "category": "tax",
                                                            "count": 3}]}),
            entry("TAX", "decision", "e2", {"decision_kind": "kontrollavgift", "category": "tax",
                                            "legal_reference": "SFL 50 kap. 3 §", "amount_sek": 20_000,
                                            "amount_kind": "imposed", "appeal_status": "not_appealed"}),
            entry("FIRE_RTOG", "decision", "e3", {"decision_kind": "förbud", "category": "municipal_decision",
                                             "legal_reference": "LSO 5 kap. 2 §", "amount_sek": None,
                                             "amount_kind": None, "appeal_status": "not_appealed"}),
            entry("MUNI_SOCIAL_0581", "inspection", "e4", {"findings": [{"code": PLANTED, "category": "social_services",
                                                                    "count": 1}]}, persons=["psn:k1:" + "a" * 64]),
            entry("MUNI_SOCIAL_0581", "notification", "e5", {"to_agency": "SOCIAL_INSURANCE",
                                                             "category": "social_services",
                                                             "legal_basis": "Lag (2008:206) 3 §"}),
        ],
    }


def view(agency: str, purpose: Purpose = Purpose.JOINT_OPERATION, role: Role = Role.OFFICER,
         rec: dict | None = None, approvals: list[Approval] | None = None):
    return view_operation(POLICY, rec or record(), Viewer(agency, role, "handläggare"), purpose, AGENCIES,
                          pseudonyms=EGRESS, approvals=approvals, on=ON)


@pytest.mark.parametrize("agency", sorted(AGENCIES))
@pytest.mark.parametrize("purpose", list(Purpose))
@pytest.mark.parametrize("role", list(Role))
def test_social_services_data_no_rule_opens_reaches_no_other_agency(agency: str, purpose: Purpose, role: Role) -> None:
    if agency == "MUNI_SOCIAL_0581" and role != Role.AUDITOR:
        return  # its own information
    shown = json.dumps(view(agency, purpose, role).record, ensure_ascii=False)
    assert PLANTED not in shown
    assert "psn:k1:" not in shown


def test_fire_sees_the_plan_and_public_decisions_and_nothing_of_the_tax_items() -> None:
    seen = view("FIRE_RTOG")
    assert seen.visible
    kinds = {(e["agency"], e["kind"]) for e in seen.record["timeline"]}
    assert ("MUNI_SOCIAL_0581", "inspection") not in kinds  # not even its existence
    # no rule opens the tax items to FIRE, and their existence is secret too (OSL 27 kap. 1 §)
    assert not any(e["agency"] == "TAX" for e in seen.record["timeline"])
    assert seen.record["amounts_sek"]["imposed"] == 0  # the withheld fee is not in the sum
    assert seen.record["decisions_by_kind"] == {"förbud": 1}


def test_the_police_see_tax_data_only_under_a_recorded_collaboration_decision() -> None:
    assert not any(e["agency"] == "TAX" for e in view("POLICE", Purpose.ORGANISED_CRIME).record["timeline"])
    decided = CollaborationDecision(
        "SAM-1", "A-2026/117", "lag-2016-774", frozenset({"POLICE", "TAX"}), frozenset({"LKPG-2026-04"}),
        "Operativa rådet", ON, ON, ON + datetime.timedelta(days=90), "samordnare", "POLICE",
        datetime.datetime(2026, 4, 20, tzinfo=datetime.UTC))
    seen = view_operation(POLICY, record(), Viewer("POLICE", Role.OFFICER, "handläggare"), Purpose.ORGANISED_CRIME,
                          AGENCIES, pseudonyms=EGRESS, collaborations=[decided], on=ON)
    fee = next(e for e in seen.record["timeline"] if e["event_id"] == "e2")
    assert fee["detail"]["amount_sek"] == 20_000
    disclosed = [a for a in seen.accesses if a.event_id == "e2" and a.decision.allowed]
    assert disclosed and disclosed[0].decision.basis.startswith("Lag (2016:774)")  # type: ignore[union-attr]


def test_a_fut_notice_reaches_only_its_addressee() -> None:
    to_fk = view("SOCIAL_INSURANCE")
    notice = next(e for e in to_fk.record["timeline"] if e["event_id"] == "e5")
    assert notice["detail"]["to_agency"] == "SOCIAL_INSURANCE"
    for agency in ("TAX", "POLICE", "FIRE_RTOG"):
        for purpose in Purpose:
            assert not any(e["event_id"] == "e5" for e in view(agency, purpose).record.get("timeline", []))


def test_an_agency_outside_the_operation_does_not_learn_it_exists() -> None:
    seen = view("EMPLOYMENT")
    assert not seen.visible and seen.record == {}
    assert seen.accesses and not seen.accesses[0].decision.allowed  # the denial is recorded


def test_an_approval_opens_exactly_its_items_to_the_police_asking_under_prop_2024_25_65() -> None:
    rec = record()
    fee = next(e for e in rec["timeline"] if e["event_id"] == "e2")
    approval = Approval("req-1", "TAX", "POLICE", "LKPG-2026-04", frozenset({Category.TAX}), Purpose.CRIME_PREVENTION,
                        "information-to-police", frozenset({("e2", item_digest(fee))}), ON)
    seen = view("POLICE", Purpose.CRIME_PREVENTION, approvals=[approval])
    shown = {e["event_id"]: e for e in seen.record["timeline"]}
    assert shown["e2"]["detail"]["amount_sek"] == 20_000
    assert "e1" not in shown  # the tax inspection was not in the decision
    assert any(a.approval == "req-1" for a in seen.accesses)
    assert PLANTED not in json.dumps(seen.record, ensure_ascii=False)


def test_sharing_ends_when_the_operation_closes() -> None:
    closed = view("FIRE_RTOG", rec=record(status="closed"))
    assert not closed.visible


def test_every_disclosure_and_denial_is_returned_for_the_audit_log() -> None:
    seen = view("FIRE_RTOG")
    assert {a.event_id for a in seen.accesses} >= {"e1", "e2", "e4", "e5"}  # e3 is FIRE's own
    assert not any(a.decision.allowed for a in seen.accesses if a.event_id in ("e1", "e2", "e4", "e5"))
    for access in seen.accesses:
        assert access.decision.policy == POLICY.label
        assert len(access.digest) == 64


def test_explain_says_which_rule_decided_and_why_the_others_did_not() -> None:
    request = Request(Category.TAX, "TAX", "FIRE_RTOG", Role.OFFICER, Purpose.JOINT_OPERATION,
                      OperationContext("X", frozenset({"TAX", "FIRE_RTOG"})), on=ON)
    lines = explain(POLICY, request)
    assert "organised-crime-collaboration: no: FIRE_RTOG is not among the recipients" in lines
    assert "general-clause-case-by-case: no: another category" in lines  # tax is not under 10:27 here
    assert lines[-1].startswith("decision: withheld (not even its existence shown) by default deny")
    assert decide(POLICY, request).policy == POLICY.label


def test_every_unverified_basis_is_marked_in_the_shipped_policy() -> None:
    unverified = {b.id for b in POLICY.bases if not b.verified}
    assert {"prop-2023-24-85", "prop-2024-25-65", "osl-10-15a"} <= unverified
    # the general clause is verified as a provision, not in what it excludes: its rules say so
    assert not POLICY.verified(next(r for r in POLICY.rules if r.id == "general-clause-case-by-case"))


def test_a_broken_policy_file_says_what_is_wrong(tmp_path: Path) -> None:
    doc = (REPO / "deploy" / "policy" / "los-default.yaml").read_text().replace("basis: osl-10-27", "basis: nope")
    path = tmp_path / "policy.yaml"
    path.write_text(doc)
    with pytest.raises(PolicyError, match="cites unknown basis 'nope'"):
        load_policy(path)
    assert isinstance(POLICY, Policy)


def test_persons_and_sole_traders_leave_in_each_recipients_own_pseudonyms() -> None:
    person, trader = "psn:o1:" + "c" * 64, "st:psn:o1:" + "d" * 64
    rec = record()
    rec["timeline"][2] = {**rec["timeline"][2], "business": trader, "persons": [person]}
    seen = {agency: view(agency, rec=rec).record for agency in ("FIRE_RTOG", "POLICE", "TAX")}
    ban = {agency: next(e for e in v["timeline"] if e["event_id"] == "e3") for agency, v in seen.items()}
    assert ban["FIRE_RTOG"]["persons"] == [EGRESS.person("FIRE_RTOG", person)]
    assert ban["FIRE_RTOG"]["business"] == "st:" + EGRESS.person("FIRE_RTOG", trader[3:])
    shown = {agency: ban[agency]["business"] for agency in ban if "business" in ban[agency]}
    assert len(shown) >= 2, shown  # a public decision: others see whose it is
    assert len(set(shown.values())) == len(shown)  # and each in its own pseudonym
    assert all(b.startswith("st:psn:r1:") for b in shown.values())
    assert "psn:o1:" not in json.dumps(seen)
    assert rec["timeline"][2]["persons"] == [person]  # the record itself is left as it was


@pytest.mark.parametrize(("change", "message"), [
    (("recipients: [SOCIAL_INSURANCE, EMPLOYMENT, MUNI_SOCIAL]", "recipients: [SOCIAL_INSURANCE, POLICE]"),
     "'POLICE' is no body Lag \\(2008:206\\)"),
    (("    act: decision\n    basis: osl-10-27", "    basis: osl-10-27"), "only a recorded decision can apply it"),
])
def test_a_policy_that_misapplies_an_act_is_refused_at_start(tmp_path: Path, change: tuple[str, str],
                                                             message: str) -> None:
    doc = (REPO / "deploy" / "policy" / "los-default.yaml").read_text()
    assert change[0] in doc
    path = tmp_path / "policy.yaml"
    path.write_text(doc.replace(change[0], change[1], 1))
    with pytest.raises(PolicyError, match=message):
        load_policy(path)
