"""Uppdrag: a coordinator gives the authority's own people mandates (an operation, or standing
work), with the purpose and the authority's case reference, and revokes them; each act is an
audit entry in the same transaction. Everyone sees their own mandates; a coordinator sees the
authority's. A mandate opens nothing by itself (`services.console.mandates`)."""

from __future__ import annotations

import datetime
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from services.console.auth import Principal
from services.console.context import AnyUser, Console, ConsoleDep, Coordinator
from services.console.errors import BadRequest, NotFound
from services.console.mandates import (
    MAX_DAYS,
    OPERATION_PURPOSES,
    STANDING_PURPOSES,
    Mandate,
    MandateError,
    new_mandate,
    revoked,
)
from services.console.ports import OperationFilter, Scope
from services.disclosure.policy import Purpose, Role

router = APIRouter()
NOT_FOUND_MANDATE = "Uppdraget finns inte, eller så hör det inte till din myndighet."


def entry(m: Mandate, user: Principal, kind: str) -> dict[str, Any]:
    return {"kind": kind, "at": (m.revoked_at or m.assigned_at).isoformat(),
            "channel": "console", "actor": {"agency": user.agency, "role": user.role.value, "user": user.viewer.user},
            "mandate": m.id, "authority": m.authority, "holder": m.user, "purpose": m.purpose.value,
            "case_reference": m.case_reference, "operation_id": m.operation_id,
            "valid_until": m.valid_until.isoformat()}


async def assign(console: Console, user: Principal, *, holder: str, holder_name: str, purpose: Purpose,
                 case_reference: str, operation_id: str | None, valid_until: datetime.date) -> Mandate:
    now, operation = console.now(), (operation_id or "").strip() or None
    async with console.source.unit() as unit:
        named = False
        if operation is not None and purpose is Purpose.ORGANISED_CRIME:
            named = any(user.agency in d.agencies and d.valid_from <= now.date() <= d.valid_until
                        for d in await unit.collaborations(operation_id=operation))
        try:
            made = new_mandate(id=f"UPP-{uuid.uuid4().hex[:12].upper()}", authority=user.agency, user=holder,
                               user_name=holder_name, purpose=purpose, case_reference=case_reference,
                               operation_id=operation, valid_until=valid_until, assigned_by=user.viewer.user,
                               assigner_authority=user.agency, at=now, collaboration_named=named)
        except MandateError as error:
            raise BadRequest(str(error)) from error
        await unit.save_mandate(made)
        await unit.append_audit([entry(made, user, "mandate_assigned")])
    return made


DEMO_CASE = "UTV 2026/1"
DEMO_BY = "utvecklingsinloggningen"


async def demo_mandates(console: Console, user: Principal) -> list[Mandate]:
    """Development sign-in only: mandates on every operation the person's authority leads or
    takes part in (joint operation), and standing work, for 30 days, each an audit entry, so that
    a local demo shows what the rules decide without a coordinator first giving uppdrag."""
    now = console.now()
    until = now.date() + datetime.timedelta(days=30)
    async with console.source.unit() as unit:
        rows = await unit.plans(OperationFilter(), Scope(user.agency, open_only=False), None, 1000)
        held = {(m.operation_id, m.purpose) for m in await unit.mandates(authority=user.agency, user=user.subject)
                if m.in_force(now)}
        wanted: list[tuple[str | None, Purpose]] = [(r.operation_id, Purpose.JOINT_OPERATION) for r in rows]
        wanted += [(None, p) for p in STANDING_PURPOSES]
        made = [new_mandate(id=f"UPP-{uuid.uuid4().hex[:12].upper()}", authority=user.agency, user=user.subject,
                            user_name=user.name, purpose=purpose, case_reference=DEMO_CASE, operation_id=op,
                            valid_until=until, assigned_by=DEMO_BY, assigner_authority=user.agency, at=now)
                for op, purpose in wanted if (op, purpose) not in held]
        for m in made:
            await unit.save_mandate(m)
        await unit.append_audit([entry(m, user, "mandate_assigned") for m in made])
    return made


async def revoke(console: Console, user: Principal, mandate_id: str) -> Mandate:
    async with console.source.unit() as unit:
        found = await unit.mandate(mandate_id)
        if found is None or found.authority != user.agency:
            raise NotFound(NOT_FOUND_MANDATE)
        try:
            done = revoked(found, by=user.viewer.user, by_authority=user.agency, at=console.now())
        except MandateError as error:
            raise BadRequest(str(error)) from error
        await unit.save_mandate(done)
        await unit.append_audit([entry(done, user, "mandate_revoked")])
    return done


async def listed(console: Console, user: Principal) -> list[Mandate]:
    """A coordinator's authority's mandates; anyone else's own."""
    async with console.source.unit() as unit:
        return await unit.mandates(authority=user.agency,
                                   user=None if user.role is Role.COORDINATOR else user.subject)


class MandateOut(BaseModel):
    id: str
    holder: str
    holder_name: str
    purpose: Purpose
    case_reference: str
    operation_id: str | None
    valid_until: datetime.date
    assigned_by: str
    assigned_at: datetime.datetime
    revoked_at: datetime.datetime | None

    @classmethod
    def of(cls, m: Mandate) -> MandateOut:
        return cls(id=m.id, holder=m.user, holder_name=m.user_name, purpose=m.purpose,
                   case_reference=m.case_reference, operation_id=m.operation_id, valid_until=m.valid_until,
                   assigned_by=m.assigned_by, assigned_at=m.assigned_at, revoked_at=m.revoked_at)


class NewMandate(BaseModel):
    holder: str = Field(description="Personens id från inloggningen (sub).")
    holder_name: str = Field(description="Personens namn.")
    purpose: Purpose = Field(description="Ändamålet med arbetet.")
    case_reference: str = Field(description="Din myndighets diarienummer för ärendet.")
    operation_id: str | None = Field(default=None, description="Operationen; tom för stående arbete "
                                                               "(resultat, granskning, registerutdrag).")
    valid_until: datetime.date = Field(description=f"Sista dag uppdraget gäller (högst {MAX_DAYS} dagar framåt).")


@router.get("/api/mandates", response_model=list[MandateOut], tags=["uppdrag"],
            summary="Dina uppdrag (samordnare: myndighetens)")
async def api_list(console: ConsoleDep, user: AnyUser) -> list[MandateOut]:
    return [MandateOut.of(m) for m in await listed(console, user)]


@router.post("/api/mandates", response_model=MandateOut, status_code=201, tags=["uppdrag"],
             summary="Ge en person i din myndighet ett uppdrag (samordnare)")
async def api_assign(console: ConsoleDep, user: Coordinator, body: NewMandate) -> MandateOut:
    return MandateOut.of(await assign(console, user, holder=body.holder, holder_name=body.holder_name,
                                      purpose=body.purpose, case_reference=body.case_reference,
                                      operation_id=body.operation_id, valid_until=body.valid_until))


@router.post("/api/mandates/{mandate_id}/revocation", response_model=MandateOut, tags=["uppdrag"],
             summary="Återkalla ett uppdrag i din myndighet (samordnare)")
async def api_revoke(console: ConsoleDep, user: Coordinator, mandate_id: str) -> MandateOut:
    return MandateOut.of(await revoke(console, user, mandate_id))


@router.get("/uppdrag", response_class=HTMLResponse, include_in_schema=False)
async def page(request: Request, console: ConsoleDep, user: AnyUser, done: str = "") -> Response:
    return console.render(request, "mandates.html", {
        "nav": "uppdrag", "mandates": await listed(console, user), "now": console.now(), "done": done,
        "operation_purposes": OPERATION_PURPOSES, "standing_purposes": STANDING_PURPOSES,
        "today": console.today(), "last_day": console.today() + datetime.timedelta(days=MAX_DAYS)})


@router.post("/uppdrag", include_in_schema=False)
async def page_assign(console: ConsoleDep, user: Coordinator, holder: Annotated[str, Form()],
                      holder_name: Annotated[str, Form()], purpose: Annotated[Purpose, Form()],
                      case_reference: Annotated[str, Form()], valid_until: Annotated[datetime.date, Form()],
                      operation_id: Annotated[str, Form()] = "") -> Response:
    made = await assign(console, user, holder=holder, holder_name=holder_name, purpose=purpose,
                        case_reference=case_reference, operation_id=operation_id, valid_until=valid_until)
    return RedirectResponse(f"/uppdrag?done={made.id}", status_code=303)


@router.post("/uppdrag/{mandate_id}/aterkalla", include_in_schema=False)
async def page_revoke(console: ConsoleDep, user: Coordinator, mandate_id: str) -> Response:
    done = await revoke(console, user, mandate_id)
    return RedirectResponse(f"/uppdrag?done={done.id}", status_code=303)
