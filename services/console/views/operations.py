"""Operationer: the list of operations a viewer may see, and one operation's timeline,
updating live (Server-Sent Events) as the coordinator changes the record."""

from __future__ import annotations

import asyncio
import datetime
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from pydantic import BaseModel

from services.common.periodic import sleep_unless_stopped
from services.console.auth import Principal
from services.console.context import Console, ConsoleDep, Worker
from services.console.enforcement import absent_plan, bases_shown, shown_subjects
from services.console.errors import NOT_FOUND_OPERATION, BadRequest, NotFound
from services.console.mandates import Mandate
from services.console.ports import Cursor, OperationFilter
from services.console.tracing import live_change
from services.console.under_mandate import held
from services.disclosure.enforce import Viewer, digest
from services.disclosure.policy import Purpose

router = APIRouter()
BATCH = 200
MAX_EXAMINED = 5000  # rows decided per request at most; the page then ends early with a cursor


@dataclass
class ListPage:
    operations: list[dict[str, Any]]
    next: Cursor | None


def operation_filter(console: Console, municipality: str | None, status: str | None,
                     date_from: datetime.date | None, date_to: datetime.date | None,
                     agency: str | None) -> OperationFilter:
    if status and status not in ("planned", "executed", "closed", "cancelled"):
        raise BadRequest(f"Okänd status: {status}")
    if agency and agency not in console.agencies:
        raise BadRequest(f"Okänd myndighet: {agency}")
    return OperationFilter(municipality=(municipality or "").strip() or None, status=status or None,
                           date_from=date_from, date_to=date_to, agency=agency or None)


async def list_operations(console: Console, user: Principal, purpose: Purpose | None, where: OperationFilter,
                          after: Cursor | None, limit: int) -> ListPage:
    """A page of the plans the person holds a mandate for (with `purpose`, or any) that the
    enforcement point lets them see, each decided under its own mandate; each shown plan is
    audited as read in the mandate's case."""
    today, now = console.today(), console.now()
    mine = await held(console, user)
    viewer = user.viewer
    assigned = mine.operations(purpose)
    scope = console.enforcement.scope_within(viewer, mine.purposes(purpose), today, assigned)
    shown: list[dict[str, Any]] = []
    entries: list[dict[str, Any]] = []
    cursor, examined, exhausted = after, 0, False
    async with console.source.unit() as unit:
        while len(shown) < limit and examined < MAX_EXAMINED and not exhausted:
            batch = await unit.plans(where, scope, cursor, min(BATCH, max(limit * 2, 20)))
            exhausted = len(batch) < min(BATCH, max(limit * 2, 20))
            for row in batch:
                examined += 1
                cursor = row.cursor
                mandate = mine.for_operation(row.operation_id, purpose)
                if mandate is None:
                    continue
                view = console.enforcement.plan(row, viewer, mandate.purpose, today)
                entries += console.enforcement.entries(view, viewer, mandate.purpose, now)
                if view.visible:
                    shown.append({**view.record, "mandate": mandate})
                    entries.append(console.enforcement.read(
                        viewer, mandate, now, f"plan {row.operation_id}",
                        [t for t in row.targets if isinstance(t, str)], bases_shown(view, viewer)))
                    if len(shown) == limit:
                        exhausted = exhausted and row is batch[-1]
                        break
        await unit.append_audit(entries)
    return ListPage(shown, None if exhausted else cursor)


async def show_operation(console: Console, user: Principal, purpose: Purpose | None,
                         operation_id: str) -> tuple[dict[str, Any], Mandate]:
    """One operation as the person may see it under their mandate for it; the read (with the
    mandate's purpose and case reference) and every item shown are audited.

    The plan is decided first, from the same small row whether the operation exists or not
    (`absent_plan`): an operation the viewer may not see, one they hold no mandate for and
    one that does not exist are refused after the same reads, the same decision and an audit
    entry alike, with the same answer. Only a visible plan's record is read."""
    now, today = console.now(), console.today()
    viewer = user.viewer
    mandate = (await held(console, user)).for_operation(operation_id, purpose)
    under = mandate.purpose if mandate else purpose or Purpose.JOINT_OPERATION
    async with console.source.unit() as unit:
        row = await unit.plan(operation_id)
        plan = console.enforcement.plan(row if row is not None and mandate is not None else absent_plan(operation_id),
                                        viewer, under, today)
        record = await unit.record(operation_id) if row is not None and plan.visible else None
        if record is None or mandate is None:  # the plan's denial is the audit entry; the viewer learns nothing
            await unit.append_audit(console.enforcement.entries(plan, viewer, under, now))
            view = None
        else:
            requests = await unit.approved_requests(operation_id=operation_id)
            collaborations = await unit.collaborations(operation_id=operation_id)
            view = console.enforcement.operation(record, viewer, under, today, requests, collaborations)
            entries = console.enforcement.entries(view, viewer, under, now, record=record, requests=requests)
            if view.visible:
                entries.append(console.enforcement.read(viewer, mandate, now, f"operation {operation_id}",
                                                        shown_subjects(view.record, record),
                                                        bases_shown(view, viewer)))
            await unit.append_audit(entries)
    if view is None or not view.visible or mandate is None:
        raise NotFound(NOT_FOUND_OPERATION)
    return view.record, mandate


async def may_see(console: Console, viewer: Viewer, purpose: Purpose, operation_id: str) -> int | None:
    """The revision when the viewer may see the operation's plan, else None (nothing is
    shown); a missing operation is decided like a hidden one (`absent_plan`)."""
    async with console.source.unit() as unit:
        row = await unit.plan(operation_id)
    visible = console.enforcement.plan(row or absent_plan(operation_id), viewer, purpose, console.today()).visible
    return row.revision if row is not None and visible else None


async def view_digest(console: Console, viewer: Viewer, purpose: Purpose, operation_id: str) -> str | None:
    """A digest of what the viewer's view of the operation shows now (None: nothing): what a
    live stream compares, so that a change the viewer may not see sends it nothing. Nothing
    is shown here, so nothing is logged; the page the browser then fetches is."""
    async with console.source.unit() as unit:
        record = await unit.record(operation_id)
        requests = await unit.approved_requests(operation_id=operation_id) if record is not None else []
        collaborations = await unit.collaborations(operation_id=operation_id) if record is not None else []
    if record is None:
        return None
    view = console.enforcement.operation(record, viewer, purpose, console.today(), requests, collaborations)
    return digest(view.record) if view.visible else None


def _sse(event: str, data: dict[str, Any]) -> str:
    return f"event: {event}\ndata: {json.dumps(data)}\n\n"


async def changes(console: Console, viewer: Viewer, purpose: Purpose, operation_id: str,
                  first: datetime.datetime | None,
                  held_still: Callable[[], Awaitable[bool]] | None = None) -> AsyncIterator[str]:
    """`changed` each time the viewer's own view of the operation changes (the record's
    `updated_at` moving is only the cue to compare); ends after a while (the browser
    reconnects), at shutdown, or with `gone` when the viewer may no longer see it or no
    longer holds the mandate (`held_still`, asked at each change)."""
    settings = console.settings
    loop = asyncio.get_running_loop()
    deadline = loop.time() + settings.console_sse_max_seconds
    last, quiet = first, 0.0
    shown = await view_digest(console, viewer, purpose, operation_id)
    yield "retry: 3000\n\n" + _sse("ready", {"operation_id": operation_id})
    while loop.time() < deadline:
        if await sleep_unless_stopped(console.stopping, settings.console_sse_poll_seconds):
            return
        current = await console.source.changed_at(operation_id)
        if current == last:
            quiet += settings.console_sse_poll_seconds
            if quiet >= 15:
                quiet = 0.0
                yield ": still here\n\n"
            continue
        last = current
        async with live_change(console.source, operation_id):  # continues the change's trace (tracing on)
            revision = await may_see(console, viewer, purpose, operation_id)
            now_shown = await view_digest(console, viewer, purpose, operation_id) if revision is not None else None
        if revision is None or now_shown is None or (held_still is not None and not await held_still()):
            yield _sse("gone", {"operation_id": operation_id})
            return
        if now_shown == shown:  # changed for someone else: nothing to tell this viewer
            quiet += settings.console_sse_poll_seconds
            continue
        shown, quiet = now_shown, 0.0
        yield _sse("changed", {"operation_id": operation_id, "revision": revision})


# --- JSON API ------------------------------------------------------------------------------

class MandateOut(BaseModel):
    id: str
    purpose: Purpose
    case_reference: str
    valid_until: datetime.date


def mandate_out(m: Mandate) -> MandateOut:
    return MandateOut(id=m.id, purpose=m.purpose, case_reference=m.case_reference, valid_until=m.valid_until)


class OperationSummary(BaseModel):
    operation_id: str
    title: str
    municipality: str
    planned_date: datetime.date
    status: str
    lead_agency: str
    participants: list[str]
    mandate: MandateOut


class OperationList(BaseModel):
    operations: list[OperationSummary]
    next: str | None


class OperationDetail(BaseModel):
    purpose: Purpose
    mandate: MandateOut
    policy: str
    operation_id: str
    revision: int
    title: str
    municipality: str
    planned_date: datetime.date
    status: str
    lead_agency: str
    participants: list[str]
    targets: list[str]
    timeline: list[dict[str, Any]]
    inspections_by_agency: dict[str, int]
    decisions_by_kind: dict[str, int]
    amounts_sek: dict[str, int]
    premises_visited: list[str]
    withheld_items: int


Municipality = Annotated[str | None, Query(description="Kommun (exakt namn, oavsett versaler).")]
Status = Annotated[str | None, Query(description="planned, executed, closed eller cancelled.")]
From = Annotated[datetime.date | None, Query(alias="from", description="Planerat datum från och med.")]
To = Annotated[datetime.date | None, Query(alias="to", description="Planerat datum till och med.")]
Agency = Annotated[str | None, Query(description="En deltagande myndighet (kod).")]
After = Annotated[str | None, Query(description="Fortsättning från föregående sida (`next`).")]
NamedPurpose = Annotated[Purpose | None, Query(
    description="Vilket av dina uppdrag du arbetar under, när du har flera (deras ändamål); annars det första.")]


@router.get("/api/operations", response_model=OperationList, tags=["operationer"],
            summary="Operationer du har uppdrag i och som din myndighet får ta del av")
async def api_list(console: ConsoleDep, user: Worker, municipality: Municipality = None,
                   status: Status = None,
                   date_from: From = None, date_to: To = None, agency: Agency = None, after: After = None,
                   purpose: NamedPurpose = None) -> OperationList:
    where = operation_filter(console, municipality, status, date_from, date_to, agency)
    page = await list_operations(console, user, purpose, where, Cursor.decode(after or ""),
                                 console.settings.console_page_size)
    fields = OperationSummary.model_fields
    summaries = [OperationSummary(**{k: op[k] for k in fields if k != "mandate"},
                                  mandate=mandate_out(op["mandate"])) for op in page.operations]
    return OperationList(operations=summaries, next=page.next.encode() if page.next else None)


@router.get("/api/operations/{operation_id}", response_model=OperationDetail, tags=["operationer"],
            summary="En operations tidslinje, så som din myndighet får se den under ditt uppdrag")
async def api_detail(console: ConsoleDep, user: Worker, operation_id: str,
                     purpose: NamedPurpose = None) -> OperationDetail:
    record, mandate = await show_operation(console, user, purpose, operation_id)
    return OperationDetail(purpose=mandate.purpose, mandate=mandate_out(mandate), policy=console.policy.label,
                           **record)


@router.get("/api/operations/{operation_id}/events", tags=["operationer"],
            summary="Händelseström (Server-Sent Events) när det du får se av operationen ändras",
            response_class=StreamingResponse)
async def api_events(console: ConsoleDep, user: Worker, operation_id: str,
                     purpose: NamedPurpose = None) -> StreamingResponse:
    viewer, now = user.viewer, console.now()
    first = await console.source.changed_at(operation_id)
    mandate = (await held(console, user)).for_operation(operation_id, purpose)
    under = mandate.purpose if mandate else purpose or Purpose.JOINT_OPERATION
    if await may_see(console, viewer, under, operation_id) is None or mandate is None:
        raise NotFound(NOT_FOUND_OPERATION)
    async with console.source.unit() as unit:  # following an operation is a read of it
        await unit.append_audit([console.enforcement.read(viewer, mandate, now, f"live updates {operation_id}", [])])
    async def held_still() -> bool:
        return (await held(console, user)).for_operation(operation_id, mandate.purpose) is not None

    return StreamingResponse(changes(console, viewer, under, operation_id, first, held_still),
                             media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


# --- pages ---------------------------------------------------------------------------------

@router.get("/operationer", response_class=HTMLResponse, include_in_schema=False)
async def page_list(request: Request, console: ConsoleDep, user: Worker, municipality: Municipality = None,
                    status: Status = None, date_from: From = None, date_to: To = None, agency: Agency = None,
                    after: After = None, purpose: NamedPurpose = None) -> Response:
    where = operation_filter(console, municipality, status, date_from, date_to, agency)
    page = await list_operations(console, user, purpose, where, Cursor.decode(after or ""),
                                 console.settings.console_page_size)
    keep = [(k, v) for k, v in request.query_params.multi_items() if k != "after"]
    return console.render(request, "operations.html", {
        "operations": page.operations, "next": page.next.encode() if page.next else None, "keep": keep,
        "filter": where, "purpose": purpose, "first_page": after is None})


@router.get("/operationer/{operation_id}", response_class=HTMLResponse, include_in_schema=False)
async def page_detail(request: Request, console: ConsoleDep, user: Worker, operation_id: str,
                      purpose: NamedPurpose = None) -> Response:
    record, mandate = await show_operation(console, user, purpose, operation_id)
    return console.render(request, "operation.html", {"op": record, "purpose": mandate.purpose,
                                                      "mandate": mandate})


@router.get("/operationer/{operation_id}/tidslinje", response_class=HTMLResponse, include_in_schema=False)
async def page_timeline(request: Request, console: ConsoleDep, user: Worker, operation_id: str,
                        purpose: NamedPurpose = None) -> Response:
    """The timeline fragment the live view swaps in (audited like the whole page)."""
    record, mandate = await show_operation(console, user, purpose, operation_id)
    return console.render(request, "_timeline.html", {"op": record, "purpose": mandate.purpose,
                                                      "mandate": mandate})
