"""Planera insats: coordinators plan a joint operation; the plan is published as an
`OperationPlannedV1` signed with the console's key for their agency, naming the planner, on
their agency's own topic, and appears once the coordinator service has processed it.

Without a registered console key for the agency nothing is signed: the planner is told, in
Swedish, that the authority must register one, and the console logs it."""

from __future__ import annotations

import asyncio
import datetime
import logging
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel

from schemas.topics import events_topic
from services.console.auth import Principal
from services.console.context import Console, ConsoleDep, Coordinator
from services.console.errors import BadRequest, ConsoleError
from services.console.mandates import CASE_REFERENCE, MAX_DAYS
from services.console.planning import INDUSTRIES, Checked, PlanInput, TargetInput, check_plan
from services.console.publisher import NoConsoleKey, console_key, publish_plan
from services.console.views import mandates
from services.disclosure.policy import Purpose

router = APIRouter()
log = logging.getLogger(__name__)
FORM_ROWS = 3  # target rows the form starts with (a button adds more)


class Unavailable(ConsoleError):
    status = 503


class NotRegistered(Unavailable):
    """The planner's authority has no console key: nothing can be signed for it."""


def no_key_message(console: Console, agency: str) -> str:
    known = console.agencies.get(agency)
    return (f"Planen kan inte signeras: {known.name if known else agency} har ingen giltig signeringsnyckel "
            "registrerad för konsolen. Myndighetens administratör behöver registrera en konsolnyckel; "
            "därefter kan planer publiceras.")


async def has_console_key(console: Console, agency: str) -> bool:
    found = await asyncio.to_thread(console_key, console.settings.keys_dir, console.settings.console_keys_dir,
                                    agency, now=console.now())
    if found is None:
        log.warning("no console key for %s: plans cannot be signed until an administrator registers one "
                    "(python -m services.keys register --agency %s --kind console)", agency, agency)
    return found is not None


class Published(BaseModel):
    status: str = "published"
    operation_id: str
    event_id: str
    topic: str


async def plan_and_publish(console: Console, user: Principal,
                           given: PlanInput) -> tuple[Checked, Published | None]:
    viewer = user.viewer
    checked = check_plan(given, lead_agency=viewer.agency, known_agencies=set(console.agencies))
    reference = (given.case_reference or "").strip()
    if reference and not CASE_REFERENCE.fullmatch(reference):
        checked = Checked(None, {**checked.errors, "case_reference": "Ange diarienumret med 3–40 tecken: bokstäver, "
                                                                   "siffror, mellanslag och . : / _ -."})
    if checked.plan is None:
        return checked, None
    if not await has_console_key(console, viewer.agency):
        raise NotRegistered(no_key_message(console, viewer.agency))
    try:
        publisher = await console.publisher()
        event_id = await publish_plan(publisher, checked.plan, user=user.subject,
                                      keys_dir=console.settings.keys_dir,
                                      holder=console.settings.console_keys_dir, now=console.now())
    except NoConsoleKey as error:  # revoked or retired since the check above
        log.warning("%s", error)
        raise NotRegistered(no_key_message(console, viewer.agency)) from error
    except Exception as error:  # the broker away: say so, keep what was typed
        log.exception("publishing plan %s failed", checked.plan.operation_id)
        raise Unavailable("Planen kunde inte publiceras just nu (meddelandetjänsten svarar inte). "
                          "Försök igen om en stund.") from error
    log.info("%s published plan %s as %s", viewer.user, checked.plan.operation_id, event_id)
    if reference:  # the planner works on the operation in the authority's case
        until = min(max(checked.plan.planned_date + datetime.timedelta(days=180), console.today()),
                    console.today() + datetime.timedelta(days=MAX_DAYS))
        await mandates.assign(console, user, holder=user.subject, holder_name=user.name,
                              purpose=Purpose.JOINT_OPERATION, case_reference=reference,
                              operation_id=checked.plan.operation_id, valid_until=until)
    return checked, Published(operation_id=checked.plan.operation_id, event_id=event_id,
                              topic=events_topic(viewer.agency))


def _form_input(form: dict[str, Any], rows: int) -> PlanInput:
    def text(name: str) -> str | None:
        value = form.get(name)
        return value if isinstance(value, str) else None

    targets = []
    for i in range(rows):
        industry = text(f"target_{i}_industry") or "other"
        targets.append(TargetInput(
            fastighetsbeteckning=text(f"target_{i}_fastighetsbeteckning"),
            address=text(f"target_{i}_address"),
            orgnr=text(f"target_{i}_orgnr"), business_name=text(f"target_{i}_business_name"),
            industry=industry if industry in INDUSTRIES else "other", note=text(f"target_{i}_note")))
    return PlanInput(operation_id=text("operation_id"), title=text("title") or "",
                     case_reference=text("case_reference"),
                     municipality=text("municipality") or "", planned_date=text("planned_date") or "",
                     participants=[p for p in form.get("participants", []) if isinstance(p, str)],
                     targets=targets)


def _page(request: Request, console: Console, given: PlanInput | None, errors: dict[str, str],
          published: Published | None = None, status: int = 200, no_key: str | None = None) -> Response:
    rows = max(FORM_ROWS, len(given.targets) if given else 0)
    typed = given.targets if given else []
    targets = typed + [TargetInput() for _ in range(rows - len(typed))]
    return console.render(request, "plan.html", {
        "nav": "planera", "given": given, "targets": targets, "errors": errors, "published": published,
        "industries": INDUSTRIES, "no_key": no_key}, status=status)


@router.post("/api/plans", response_model=Published, status_code=201, tags=["planering"],
             summary="Planera en gemensam insats (publiceras signerad på den egna myndighetens ämne)")
async def api_plan(console: ConsoleDep, user: Coordinator, given: PlanInput) -> Published:
    checked, published = await plan_and_publish(console, user, given)
    if published is None:
        raise BadRequest("Planen är inte giltig: " + "; ".join(checked.errors.values()))
    return published


@router.get("/planera", response_class=HTMLResponse, include_in_schema=False)
async def page_form(request: Request, console: ConsoleDep, user: Coordinator) -> Response:
    registered = await has_console_key(console, user.agency)  # said before anything is typed
    return _page(request, console, None, {}, no_key=None if registered else no_key_message(console, user.agency))


@router.post("/planera", response_class=HTMLResponse, include_in_schema=False)
async def page_submit(request: Request, console: ConsoleDep, user: Coordinator) -> Response:
    form = await request.form()
    fields: dict[str, Any] = {k: form.get(k) for k in form if k != "participants"}
    fields["participants"] = form.getlist("participants")
    numbers = [int(k.split("_")[1]) for k in form if k.startswith("target_") and k.split("_")[1].isdigit()]
    rows = 1 + max(numbers or [FORM_ROWS - 1])
    given = _form_input(fields, min(rows, 100))
    try:
        checked, published = await plan_and_publish(console, user, given)
    except NotRegistered as error:  # the form again, with what was typed
        return _page(request, console, given, {}, status=error.status, no_key=error.message)
    if published is None:
        return _page(request, console, given, checked.errors, status=422)
    return _page(request, console, None, {}, published=published)
