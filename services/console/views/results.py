"""Resultat: premises visited, visits, sanctions and kronor per month and municipality,
with charts and CSV, counted only over what the enforcement point lets the viewer see."""

from __future__ import annotations

import asyncio
import calendar
import datetime
from collections import defaultdict
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel

from services.console.charts import bar_chart
from services.console.context import Console, ConsoleDep, Worker
from services.console.errors import BadRequest
from services.console.ports import Cursor, OperationFilter
from services.console.purpose import ask_for_purpose, required
from services.console.results import ResultRow, add_view, by_month, ordered, to_csv, total
from services.disclosure.enforce import Viewer
from services.disclosure.policy import Purpose
from services.disclosure.requests import DisclosureRequest

router = APIRouter()
BATCH = 100
CACHED = 64  # result tables kept; one is valid while nothing it counted has changed


Period = tuple[datetime.date, datetime.date]


def month_range(first: str | None, last: str | None, today: datetime.date) -> Period:
    """From the first day of `first` to the last of `last` (YYYY-MM); the last twelve months by default."""
    try:
        end = datetime.date.fromisoformat((last or today.strftime("%Y-%m")) + "-01")
        start = datetime.date.fromisoformat(first + "-01") if first else \
            datetime.date(end.year - 1, end.month, 1) + datetime.timedelta(days=31)
    except ValueError as error:
        raise BadRequest("Ange månader som ÅÅÅÅ-MM.") from error
    start = start.replace(day=1)
    end = end.replace(day=calendar.monthrange(end.year, end.month)[1])
    if start > end:
        raise BadRequest("Första månaden ligger efter den sista.")
    return start, end


async def compute_results(console: Console, viewer: Viewer, purpose: Purpose, where: OperationFilter,
                          what: str) -> list[ResultRow]:
    """Fold every operation the viewer may see into the table, a batch of records at a time.

    Nothing of an item is shown, only sums of what the enforcement point let through, so
    the audit log gets the read with its purpose rather than an entry per counted item."""
    today, now = console.today(), console.now()
    scope = console.enforcement.scope(viewer, purpose, today)
    table: dict[tuple[str, str], ResultRow] = {}
    async with console.source.unit() as unit:
        approved: dict[str, list[DisclosureRequest]] = defaultdict(list)
        requests = await unit.approved_requests(recipient=viewer.agency)
        for r in requests:
            approved[r.operation_id].append(r)
        collaborations = await unit.collaborations()
        key = ("results", viewer.agency, viewer.role, purpose, where, today, await unit.stamp(where, scope),
               tuple(sorted(r.id for r in requests)), tuple(d.id for d in collaborations))
        if key in console.cache:
            await unit.append_audit([console.enforcement.read(viewer, purpose, now, what, [])])
            return list(console.cache[key])
        cursor: Cursor | None = None
        while True:
            records = await unit.records(where, scope, cursor, BATCH)
            for record in records:
                view = console.enforcement.operation(record, viewer, purpose, today,
                                                     approved.get(record["operation_id"], []), collaborations)
                if view.visible:
                    add_view(table, view.record)
            if len(records) < BATCH:
                break
            last = records[-1]
            cursor = Cursor(datetime.date.fromisoformat(last["planned_date"]), last["operation_id"])
            await asyncio.sleep(0)  # let other requests in between batches
        await unit.append_audit([console.enforcement.read(viewer, purpose, now, what, [])])
    rows = ordered(table)
    while len(console.cache) >= CACHED:
        console.cache.pop(next(iter(console.cache)))
    console.cache[key] = tuple(rows)
    return rows


def charts(rows: list[ResultRow]) -> list[dict[str, str]]:
    months = by_month(rows)
    labels = [m.period for m in months]
    visits = bar_chart(
        "Besökta lokaler och besök per månad",
        "; ".join(f"{m.period}: {m.premises_visited} lokaler, {m.visits} besök" for m in months)
        or "Inga värden",
        labels, {"Besökta lokaler": [m.premises_visited for m in months], "Besök": [m.visits for m in months],
                 "Sanktioner": [m.sanctions for m in months]}, unit="antal", chart_id="besok")
    amounts = bar_chart(
        "Belopp per månad i kronor",
        "; ".join(f"{m.period}: påfört {m.imposed_sek} kr, återkrävt {m.recovered_sek} kr, "
                  f"stoppat {m.stopped_sek} kr" for m in months) or "Inga värden",
        labels, {"Påfört": [m.imposed_sek for m in months],
                 "Återkrävt eller indrivet": [m.recovered_sek for m in months],
                 "Stoppade utbetalningar": [m.stopped_sek for m in months]}, unit="kr", chart_id="belopp")
    return [{"caption": "Besökta lokaler, besök och sanktioner per månad", "svg": visits},
            {"caption": "Påförda, återkrävda och stoppade belopp per månad (kr)", "svg": amounts}]


class Results(BaseModel):
    purpose: Purpose
    policy: str
    first_month: str
    last_month: str
    municipality: str | None
    rows: list[dict[str, Any]]


Month = Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$", description="ÅÅÅÅ-MM")]
Municipality = Annotated[str | None, Query(description="En kommun, annars alla.")]
NeedPurpose = Annotated[Purpose | None, Query(description="Ändamålet; krävs, skrivs i granskningsloggen.")]


async def _results(console: Console, viewer: Viewer, purpose: Purpose, first: str | None, last: str | None,
                   municipality: str | None) -> tuple[datetime.date, datetime.date, list[ResultRow]]:
    start, end = month_range(first, last, console.today())
    where = OperationFilter(municipality=(municipality or "").strip() or None, date_from=start, date_to=end)
    what = f"results {start:%Y-%m}..{end:%Y-%m} {where.municipality or 'all municipalities'}"
    return start, end, await compute_results(console, viewer, purpose, where, what)


@router.get("/api/results", response_model=Results, tags=["resultat"],
            summary="Resultat per månad och kommun")
async def api_results(console: ConsoleDep, user: Worker, first: Month = None, last: Month = None,
                      municipality: Municipality = None, purpose: NeedPurpose = None) -> Results:
    purpose = required(purpose)
    start, end, rows = await _results(console, user.viewer, purpose, first, last, municipality)
    return Results(purpose=purpose, policy=console.policy.label, first_month=f"{start:%Y-%m}",
                   last_month=f"{end:%Y-%m}", municipality=municipality or None,
                   rows=[r.__dict__ for r in rows])


@router.get("/api/results.csv", tags=["resultat"], summary="Resultat som CSV (semikolonseparerad)",
            response_class=Response)
async def api_results_csv(console: ConsoleDep, user: Worker, first: Month = None, last: Month = None,
                          municipality: Municipality = None, purpose: NeedPurpose = None) -> Response:
    purpose = required(purpose)
    start, end, rows = await _results(console, user.viewer, purpose, first, last, municipality)
    return Response(to_csv(rows), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="los-resultat-{start:%Y-%m}-{end:%Y-%m}.csv"'})


@router.get("/resultat", response_class=HTMLResponse, include_in_schema=False)
async def page_results(request: Request, console: ConsoleDep, user: Worker, first: Month = None,
                       last: Month = None, municipality: Municipality = None,
                       purpose: NeedPurpose = None) -> Response:
    if purpose is None:
        return ask_for_purpose(request, console, "resultaten", suggested=Purpose.RESULTS_REPORTING)
    start, end, rows = await _results(console, user.viewer, purpose, first, last, municipality)
    drawn = await asyncio.to_thread(charts, rows) if rows else []
    query = request.url.query
    return console.render(request, "results.html", {
        "nav": "resultat", "rows": rows, "charts": drawn, "purpose": purpose, "first": f"{start:%Y-%m}",
        "last": f"{end:%Y-%m}", "municipality": municipality or "", "csv_url": f"/api/results.csv?{query}",
        "total": total(rows)})
