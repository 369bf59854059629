"""Signaler: businesses that several agencies found something about within a year, counted
over what the disclosure rules let the coordinator's agency see, each under the bases that
opened the findings it counts. Computed when asked for, from every visible operation, and
logged as a read with the businesses and the bases (`services.console.signals`)."""

from __future__ import annotations

import asyncio
import datetime
from collections import defaultdict
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel

from services.console.context import Console, ConsoleDep, Coordinator
from services.console.ports import Cursor, OperationFilter
from services.console.purpose import ask_for_purpose, required
from services.console.signals import Sighting, Signal, cross_agency_signals, sightings
from services.disclosure.enforce import Viewer
from services.disclosure.policy import Purpose
from services.disclosure.requests import DisclosureRequest

router = APIRouter()
BATCH = 100


async def compute_signals(console: Console, viewer: Viewer, purpose: Purpose) -> list[Signal]:
    """Fold every operation the viewer may see into sightings, a batch of records at a time;
    the read is logged with the signalled businesses and the bases that opened them."""
    today, now = console.today(), console.now()
    scope = console.enforcement.scope(viewer, purpose, today)
    found: list[Sighting] = []
    async with console.source.unit() as unit:
        approved: dict[str, list[DisclosureRequest]] = defaultdict(list)
        for r in await unit.approved_requests(recipient=viewer.agency):
            approved[r.operation_id].append(r)
        cursor: Cursor | None = None
        while True:
            records = await unit.records(OperationFilter(), scope, cursor, BATCH)
            for record in records:
                view = console.enforcement.operation(record, viewer, purpose, today,
                                                     approved.get(record["operation_id"], []))
                if view.visible:
                    found += sightings(view.record, view.accesses, record)
            if len(records) < BATCH:
                break
            last = records[-1]
            cursor = Cursor(datetime.date.fromisoformat(last["planned_date"]), last["operation_id"])
            await asyncio.sleep(0)  # let other requests in between batches
        shown = cross_agency_signals(found, min_agencies=console.settings.console_signal_min_agencies,
                                     window_days=console.settings.console_signal_window_days)
        await unit.append_audit([console.enforcement.read(
            viewer, purpose, now, "cross-agency signals", [s.internal for s in shown],
            bases=[b for s in shown for b in s.bases])])
    return shown


class SignalOut(BaseModel):
    business: str
    agencies: list[str]
    first: datetime.date
    last: datetime.date
    bases: list[str]


class Signals(BaseModel):
    purpose: Purpose
    policy: str
    min_agencies: int
    window_days: int
    signals: list[SignalOut]


def _out(s: Signal) -> SignalOut:
    return SignalOut(business=s.business, agencies=list(s.agencies), first=s.first, last=s.last, bases=list(s.bases))


NeedPurpose = Annotated[Purpose | None, Query(description="Ändamålet; krävs, skrivs i granskningsloggen.")]


@router.get("/api/signals", response_model=Signals, tags=["signaler"],
            summary="Företag som flera myndigheter har gjort fynd hos, räknat på det din myndighet får se")
async def api_signals(console: ConsoleDep, user: Coordinator, purpose: NeedPurpose = None) -> Signals:
    purpose = required(purpose)
    shown = await compute_signals(console, user.viewer, purpose)
    return Signals(purpose=purpose, policy=console.policy.label,
                   min_agencies=console.settings.console_signal_min_agencies,
                   window_days=console.settings.console_signal_window_days, signals=[_out(s) for s in shown])


@router.get("/signaler", response_class=HTMLResponse, include_in_schema=False)
async def page_signals(request: Request, console: ConsoleDep, user: Coordinator,
                       purpose: NeedPurpose = None) -> Response:
    if purpose is None:
        return ask_for_purpose(request, console, "signalerna")
    shown = await compute_signals(console, user.viewer, purpose)
    context: dict[str, Any] = {"nav": "signaler", "signals": shown, "purpose": purpose,
                               "min_agencies": console.settings.console_signal_min_agencies,
                               "window_days": console.settings.console_signal_window_days}
    return console.render(request, "signals.html", context)
