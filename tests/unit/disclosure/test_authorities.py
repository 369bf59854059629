"""Separate authorities: Linköping's and Norrköping's social services are two, so in a
regional operation (ROS) neither's items are "own information" for the other; a rule that
names a function covers every municipality's participant; a withheld marker cites the
secrecy provision of the holder as well as the category."""

from __future__ import annotations

import datetime

from deploy.local.stack import REPO
from schemas.agencies import load_agencies
from schemas.categories import Category
from services.disclosure.decide import OWN, OperationContext, Request, decide
from services.disclosure.enforce import Viewer, view_operation
from services.disclosure.policy import Purpose, Role, load_policy
from services.disclosure.pseudonyms import RecipientPseudonyms
from tests.unit.disclosure.test_enforce import entry

POLICY = load_policy(REPO / "deploy" / "policy" / "los-default.yaml")
AGENCIES = load_agencies()
ON = datetime.date(2026, 4, 20)
LINKOPING, NORRKOPING = "MUNI_SOCIAL_0580", "MUNI_SOCIAL_0581"
ROS = OperationContext("ROS-2026-04", frozenset({"POLICE", "TAX", "WORK_ENV", LINKOPING, NORRKOPING, "FIRE_RTOG",
                                                 "MUNI_BUILDING_0580", "MUNI_BUILDING_0581"}))


def request(category: Category, owner: str, recipient: str, **extra: object) -> Request:
    return Request(category=category, owner=owner, recipient=recipient, role=Role.OFFICER,
                   purpose=Purpose.JOINT_OPERATION, operation=ROS, on=ON,
                   owner_function=AGENCIES[owner].function, recipient_function=AGENCIES[recipient].function,
                   **extra)  # type: ignore[arg-type]


def test_one_municipalitys_social_services_are_not_the_others_own() -> None:
    assert decide(POLICY, request(Category.SOCIAL_SERVICES, LINKOPING, LINKOPING)).rule == OWN
    other = decide(POLICY, request(Category.SOCIAL_SERVICES, LINKOPING, NORRKOPING))
    assert not other.allowed and other.rule != OWN


def test_a_rule_naming_a_function_covers_each_municipalitys_authority() -> None:
    for building in ("MUNI_BUILDING_0580", "MUNI_BUILDING_0581"):
        shared = decide(POLICY, request(Category.WORK_ENVIRONMENT, "WORK_ENV", building))
        assert shared.allowed and shared.rule == "work-environment-to-municipal-participants"


def test_the_withheld_marker_cites_the_holders_provision() -> None:
    assert decide(POLICY, request(Category.TAX, "TAX", "FIRE_RTOG")).provision == "OSL 27 kap. 1 §"
    held_by_police = decide(POLICY, request(Category.TAX, "POLICE", "FIRE_RTOG"))
    assert not held_by_police.allowed and held_by_police.provision == "OSL 35 kap. 1 §"


def test_in_a_regional_operation_a_planted_value_stays_with_its_municipality() -> None:
    planted = "LINKOPING_SOCIAL_4711"
    record = {
        "operation_id": ROS.operation_id, "revision": 1, "title": "ROS-insats", "municipality": "Linköping",
        "planned_date": "2026-04-14", "status": "executed", "lead_agency": "POLICE",
        "participants": sorted(ROS.participants), "targets": [],
        "timeline": [entry(LINKOPING, "inspection", "e1", {"findings": [
            {"code": planted, "category": "social_services", "count": 1}]})],
    }
    for agency in sorted(ROS.participants):
        seen = view_operation(POLICY, record, Viewer(agency, Role.OFFICER, "handläggare"), Purpose.JOINT_OPERATION,
                              AGENCIES, pseudonyms=RecipientPseudonyms(b"e" * 32), on=ON)
        assert (planted in str(seen.record)) == (agency == LINKOPING), agency
