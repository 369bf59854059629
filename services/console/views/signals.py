"""Signaler: businesses that several agencies found something about within a year, counted
over what the disclosure rules let the coordinator's agency see in the operations the coordinator
holds a mandate for, each under the bases that opened the findings it counts. Computed when asked
for, and logged as a read under each mandate, with the businesses and the bases
(`services.console.signals`)."""

from __future__ import annotations

import asyncio
import datetime
from collections import defaultdict
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel

from services.console.auth import Principal
from services.console.context import Console, ConsoleDep, Coordinator
from services.console.mandates import Mandate
from services.console.ports import Cursor, OperationFilter
from services.console.signals import Sighting, Signal, cross_agency_signals, sightings
from services.console.under_mandate import held
from services.disclosure.policy import Purpose
from services.disclosure.requests import DisclosureRequest

router = APIRouter()
BATCH = 100


async def compute_signals(console: Console, user: Principal, purpose: Purpose | None) -> list[Signal]:
    """Fold every operation the person holds a mandate for (under `purpose`, or any) and may
    see into sightings, each decided under its mandate, a batch of records at a time; the read
    is logged under each mandate that contributed, with the signalled businesses and the bases
    that opened them."""
    today, now, viewer = console.today(), console.now(), user.viewer
    mine = await held(console, user)
    scope = console.enforcement.scope_within(viewer, mine.purposes(purpose), today, mine.operations(purpose))
    found: list[Sighting] = []
    used: dict[str, Mandate] = {}
    async with console.source.unit() as unit:
        approved: dict[str, list[DisclosureRequest]] = defaultdict(list)
        for r in await unit.approved_requests(recipient=viewer.agency):
            approved[r.operation_id].append(r)
        decisions = await unit.collaborations()
        cursor: Cursor | None = None
        while True:
            records = await unit.records(OperationFilter(), scope, cursor, BATCH)
            for record in records:
                op = record["operation_id"]
                mandate = mine.for_operation(op, purpose)
                if mandate is None:
                    continue
                view = console.enforcement.operation(record, viewer, mandate.purpose, today, approved.get(op, []),
                                                     [d for d in decisions if op in d.operations])
                seen = sightings(view.record, view.accesses, record) if view.visible else []
                if seen:
                    found += seen
                    used[mandate.id] = mandate
            if len(records) < BATCH:
                break
            last = records[-1]
            cursor = Cursor(datetime.date.fromisoformat(last["planned_date"]), last["operation_id"])
            await asyncio.sleep(0)  # let other requests in between batches
        shown = cross_agency_signals(found, min_agencies=console.settings.console_signal_min_agencies,
                                     window_days=console.settings.console_signal_window_days)
        under = list(used.values()) or [m for m in [mine.first(purpose)] if m is not None]
        await unit.append_audit([console.enforcement.read(
            viewer, m, now, "cross-agency signals", [s.internal for s in shown],
            bases=[b for s in shown for b in s.bases]) for m in under])
    return shown


class SignalOut(BaseModel):
    business: str
    agencies: list[str]
    first: datetime.date
    last: datetime.date
    bases: list[str]


class Signals(BaseModel):
    policy: str
    min_agencies: int
    window_days: int
    signals: list[SignalOut]


def _out(s: Signal) -> SignalOut:
    return SignalOut(business=s.business, agencies=list(s.agencies), first=s.first, last=s.last, bases=list(s.bases))


NamedPurpose = Annotated[Purpose | None, Query(
    description="Bara operationer där du har uppdrag med detta ändamål; annars alla dina uppdrag.")]


@router.get("/api/signals", response_model=Signals, tags=["signaler"],
            summary="Företag som flera myndigheter har gjort fynd hos, räknat på det din myndighet får se")
async def api_signals(console: ConsoleDep, user: Coordinator, purpose: NamedPurpose = None) -> Signals:
    shown = await compute_signals(console, user, purpose)
    return Signals(policy=console.policy.label,
                   min_agencies=console.settings.console_signal_min_agencies,
                   window_days=console.settings.console_signal_window_days, signals=[_out(s) for s in shown])


@router.get("/signaler", response_class=HTMLResponse, include_in_schema=False)
async def page_signals(request: Request, console: ConsoleDep, user: Coordinator,
                       purpose: NamedPurpose = None) -> Response:
    shown = await compute_signals(console, user, purpose)
    context: dict[str, Any] = {"nav": "signaler", "signals": shown, "purpose": purpose,
                               "min_agencies": console.settings.console_signal_min_agencies,
                               "window_days": console.settings.console_signal_window_days}
    return console.render(request, "signals.html", context)
