"""Every route of the console, tried with every role: the shared security sweep that the unit
tests (in-memory source) and the integration tests (PostgreSQL) both run.

For each route the sweep fills path parameters with a real operation (and request) and
varies each query parameter over probing values one at a time, every purpose included;
POST routes get a plausible body. It asserts the role rules (401/403) and that no
response, HTML or JSON, ever carries what the viewer's agency may not see."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.routing import APIRoute

from services.disclosure.policy import Purpose, Role

PUBLIC = ("/api/health", "/inloggning", "/logga-ut", "/dev-idp/")
AUDITORS = ("/api/audit", "/granskning")
COORDINATORS = ("/api/plans", "/planera", "/api/signals", "/signaler")
ANY_ROLE = ("/api/me", "/api/session", "/regelverk", "/api/mandates", "/uppdrag")
OTHER_PERSON = "psn:k1:" + "b" * 64


def routes(app: FastAPI) -> list[APIRoute]:
    """Every API and page route, also those of included routers."""
    def walk(found: list[Any]) -> Iterator[Any]:
        for route in found:
            inner = getattr(route, "original_router", None)
            yield from walk(inner.routes) if inner is not None else [route]

    return [r for r in walk(app.routes) if isinstance(r, APIRoute)]


def expected_status(path: str, role: Role | None) -> set[int] | None:
    """What the role rules demand of a route, or None when any answer is allowed."""
    if path.startswith(PUBLIC) or path == "/openapi.json":
        return None
    if role is None:
        return {401, 303}
    if path == "/" or path.startswith(ANY_ROLE):
        return None
    if path.startswith(AUDITORS):
        return None if role == Role.AUDITOR else {403}
    if path.startswith(COORDINATORS):
        return None if role == Role.COORDINATOR else {403}
    return {403} if role == Role.AUDITOR else None


@dataclass(frozen=True)
class Target:
    """The data the sweep probes: an operation, the request it may decide, the sentinels."""

    operation_id: str
    request_id: str
    participants: frozenset[str]
    owner_of_secret: str  # the one agency that may see `secret` (as officer or coordinator)
    secret: str  # a value no rule opens to anyone else
    title: str  # the operation's title: only its participants may learn it exists
    probes: dict[str, list[str]] = field(default_factory=dict)
    secrets: dict[str, frozenset[str]] = field(default_factory=dict)  # more sentinels: value -> who may see it
    # traces of existence (an item's id) -> the agencies that may know the item exists: unlike a value,
    # their auditors may meet it too, in the register of what the agency received or disclosed
    traces: dict[str, frozenset[str]] = field(default_factory=dict)

    def sentinels(self) -> dict[str, frozenset[str]]:
        """Every planted value with the agencies that may see it (never as auditors)."""
        return {self.secret: frozenset({self.owner_of_secret}), **self.secrets}


def probes(target: Target) -> dict[str, list[str]]:
    return {
        "purpose": [p.value for p in Purpose], "municipality": ["Linköping", "linköping"],
        "status": ["executed", "closed", "planned"], "from": ["2020-01-01"], "to": ["2030-12-31"],
        "agency": [target.owner_of_secret, "TAX", "FIRE_RTOG"], "after": ["2099-12-31~ZZZ"],
        "kind": ["business", "premises", "person", "orgnr", "pseudonym"],
        "key": ["org:556036-0793", "fb:LINKÖPING TANNEFORS 1:4", OTHER_PERSON],
        "value": ["556036-0793", OTHER_PERSON], "first": ["2020-01"], "last": ["2030-12"],
        "since": ["2020-01-01"], "until": ["2030-12-31"], "format": ["json", "csv"],
        "operation": [target.operation_id], "owner": [target.owner_of_secret],
        "category": ["social_services"],
        "done": ["x"], "next": ["/operationer"], **target.probes,
    }


def variants(route: APIRoute, target: Target, *, thorough: bool = True) -> list[dict[str, str]]:
    """The route's query parameters: a base of first values, then each alternative in turn
    (only the purposes when not `thorough`: what may be shown depends on them)."""
    values = probes(target)
    names = [p.alias for p in route.dependant.query_params if p.alias in values]
    base = {n: values[n][0] for n in names}
    found = [base]
    for n in names:
        if thorough or n == "purpose":
            found += [{**base, n: v} for v in values[n][1:]]
    return found


def bodies(path: str, target: Target) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """(json, form) for a POST route."""
    ask = {"operation_id": target.operation_id, "owner": target.owner_of_secret, "categories": ["tax"],
           "purpose": "joint_operation", "basis": "osl-10-27",
           "reason": "Behövs för att planera nästa insats."}
    if path == "/api/requests":
        return ask, None
    if path.endswith("/decision"):
        return {"approve": True, "assessment": "Intresset av utlämnande väger uppenbart tyngre.",
                "valid_until": "2026-06-01", "obvious": True}, None
    if path == "/begaranden":
        return None, {**ask, "categories": "social_services"}
    if path.endswith("/beslut"):
        return None, {"decision": "bevilja", "assessment": "Intresset av utlämnande väger uppenbart tyngre.",
                      "valid_until": "2026-06-01", "obvious": "ja"}
    collaboration = {"reference": "A-2026/1", "agencies": ["POLICE", "TAX"], "operations": [target.operation_id],
                     "decided_by": "Operativa rådet", "decided_on": "2026-04-01", "valid_from": "2026-04-01",
                     "valid_until": "2026-12-31"}
    if path == "/api/collaborations":
        return collaboration, None
    if path == "/samverkansbeslut":
        return None, {**collaboration, "operations": target.operation_id, "agencies": "TAX"}
    mandate = {"holder": "dev-sweep", "holder_name": "Svep", "purpose": "joint_operation",
               "case_reference": "LOS 2026/99", "operation_id": target.operation_id, "valid_until": "2026-12-31"}
    if path == "/api/mandates":
        return mandate, None
    if path == "/uppdrag":
        return None, mandate
    if path == "/api/plans":
        return {"title": "Svep", "municipality": "Linköping", "planned_date": "2030-01-01",
                "targets": [{"address": "Storgatan 1, 582 24 Linköping"}]}, None
    if path == "/planera":
        return None, {"title": "Svep", "municipality": "Linköping", "planned_date": "2030-01-01",
                      "target_0_address": "Storgatan 1, 582 24 Linköping"}
    return None, {}


@dataclass
class Finding:
    principal: str
    request: str
    problem: str


async def sweep(app: FastAPI, target: Target, client_for: Callable[[str | None, Role], httpx.AsyncClient],
                agencies: list[str], *, thorough: bool = True, concurrency: int = 1) -> tuple[int, list[Finding]]:
    """Try every route with every role of `agencies` (and signed out); return (requests, findings).
    `concurrency` principals are swept side by side (the database works while Python renders)."""
    every = routes(app)
    assert len(every) > 30, "the sweep found too few routes to mean anything"
    principals: list[tuple[str | None, Role]] = [(None, Role.OFFICER)]
    principals += [(a, r) for a in agencies for r in Role]
    slots = asyncio.Semaphore(concurrency)

    async def one(agency: str | None, role: Role) -> tuple[int, list[Finding]]:
        async with slots:
            return await _sweep_principal(every, target, client_for, agency, role, thorough)

    done = await asyncio.gather(*(one(agency, role) for agency, role in principals))
    return sum(n for n, _ in done), [f for _, found in done for f in found]


async def _sweep_principal(every: list[APIRoute], target: Target,
                           client_for: Callable[[str | None, Role], httpx.AsyncClient], agency: str | None,
                           role: Role, thorough: bool) -> tuple[int, list[Finding]]:
    found: list[Finding] = []
    count = 0
    who = f"{agency}/{role.value}" if agency else "signed out"
    hidden = [secret for secret, allowed in target.sentinels().items()
              if agency not in allowed or role == Role.AUDITOR]
    hidden += [trace for trace, allowed in target.traces.items() if agency not in allowed]
    may_know_it = agency in target.participants and role != Role.AUDITOR
    async with client_for(agency, role) as client:
        for route in every:
            if route.path.startswith("/dev-idp/") or route.path == "/logga-ut":
                continue  # signing in and out shows no operation data
            path = route.path.replace("{operation_id}", target.operation_id) \
                .replace("{request_id}", target.request_id)
            for method in sorted(route.methods - {"HEAD"}):
                calls = [(q, None, None) for q in variants(route, target, thorough=thorough)] \
                    if method == "GET" \
                    else [({}, *bodies(route.path, target))]
                for query, body, form in calls:
                    response = await client.request(method, path, params=query, json=body, data=form,
                                                    headers={"Origin": "http://testserver"})
                    count += 1
                    shown = f"{method} {path}?{query}"
                    text = response.text
                    expected = expected_status(route.path, role if agency else None)
                    if expected is not None and response.status_code not in expected:
                        found.append(Finding(who, shown, f"status {response.status_code}, expected {expected}"))
                    for secret in hidden:
                        if secret in text:
                            found.append(Finding(who, shown, f"the planted {secret} is in the response"))
                    if not may_know_it and target.title in text:
                        found.append(Finding(who, shown, "learnt that the operation exists"))
                    if response.status_code >= 500:
                        found.append(Finding(who, shown, f"server error {response.status_code}"))
    return count, found


def report(findings: list[Finding]) -> str:
    return json.dumps([f.__dict__ for f in findings[:40]], ensure_ascii=False, indent=1)
