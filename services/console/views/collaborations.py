"""Samverkansbeslut: a coordinator of an operation's lead authority records the collaboration
decision under lag (2016:774) that the operation is carried out under: its reference number,
who took it and when, the designated agencies and how long it holds. Only then, and only
between the agencies it designates, do the rules citing that law apply
(services/disclosure/collaboration.py). Recording it is an audit entry in the same
transaction; a decision is shown to the agencies it designates and to its recorder, with
only the operations the viewer may see."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import replace
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from services.console.context import Console, ConsoleDep, Coordinator, Worker
from services.console.errors import NOT_FOUND_OPERATION, BadRequest, NotFound
from services.console.ports import Unit
from services.disclosure.collaboration import (
    MAX_YEARS,
    CollaborationDecision,
    CollaborationError,
    designable,
    new_collaboration,
)
from services.disclosure.enforce import Viewer
from services.disclosure.policy import Act, Purpose

router = APIRouter()
SWEDISH = {
    "no rule of": "Ingen regel i regelverket gäller under ett samverkansbeslut på den grunden.",
    "at least two agencies": "Ett samverkansbeslut utser minst två myndigheter.",
    "not agencies the law designates": "Beslutet kan bara utse myndigheter som lagen omfattar:",
    "name the operations": "Ange de operationer som genomförs inom samverkan.",
    "only a coordinator of its lead": "Bara en samordnare hos operationens ledande myndighet registrerar dess"
                                      " samverkansbeslut.",
    "reference number": "Ange beslutets diarienummer och vem som fattade det.",
    "taken before it holds": "Beslutet fattas innan det börjar gälla, och börjar gälla innan det upphör.",
    "recorded after it was taken": "Ett beslut registreras efter att det fattats.",
    "at most": f"Ett samverkansbeslut registreras för högst {MAX_YEARS} år i taget.",
}


def swedish(error: CollaborationError) -> str:
    text = str(error)
    for en, sv in SWEDISH.items():
        if en in text:
            return f"{sv} {text.split(':', 1)[1].strip()}" if sv.endswith(":") else sv
    return text


def bases(console: Console) -> list[str]:
    """The bases some rule applies under a collaboration decision (lag-2016-774)."""
    return sorted({r.basis for r in console.policy.rules if r.act == Act.COLLABORATION})


def entry(console: Console, d: CollaborationDecision, viewer: Viewer) -> dict[str, Any]:
    basis = console.policy.basis(d.basis)
    return {"kind": "collaboration_decision", "at": d.recorded_at.isoformat(), "channel": "console",
            "actor": {"agency": viewer.agency, "role": viewer.role.value, "user": viewer.user},
            "decision_id": d.id, "reference": d.reference, "basis": basis.citation,
            "basis_verified": basis.verified, "agencies": sorted(d.agencies), "operations": sorted(d.operations),
            "decided_by": d.decided_by, "decided_on": d.decided_on.isoformat(),
            "valid_from": d.valid_from.isoformat(), "valid_until": d.valid_until.isoformat(),
            "policy": console.policy.label}


async def _visible(console: Console, unit: Unit, viewer: Viewer, operation_id: str) -> str | None:
    """The lead of an operation whose plan the viewer may see, else None (as if it did not exist)."""
    row = await unit.plan(operation_id)
    if row is None or not console.enforcement.plan(row, viewer, Purpose.JOINT_OPERATION, console.today()).visible:
        return None
    return row.lead_agency


async def record(console: Console, viewer: Viewer, *, reference: str, basis: str, agencies: list[str],
                 operations: list[str], decided_by: str, decided_on: datetime.date, valid_from: datetime.date,
                 valid_until: datetime.date) -> CollaborationDecision:
    unknown = sorted(set(agencies) - set(console.agencies))
    if unknown:
        raise BadRequest(f"Okänd myndighet: {', '.join(unknown)}")
    async with console.source.unit() as unit:
        leads: dict[str, str] = {}
        for op in {o.strip() for o in operations if o.strip()}:
            lead = await _visible(console, unit, viewer, op)
            if lead is None:
                raise NotFound(NOT_FOUND_OPERATION)
            leads[op] = lead
        try:
            made = new_collaboration(
                id=f"SAM-{uuid.uuid4().hex[:12].upper()}", reference=reference, basis=basis, agencies=agencies,
                operations=operations, decided_by=decided_by, decided_on=decided_on, valid_from=valid_from,
                valid_until=valid_until, recorded_by=viewer.user, recorded_for=viewer.agency, at=console.now(),
                on=console.today(),
                policy=console.policy, functions={c: a.function for c, a in console.agencies.items()},
                leads=leads)
        except CollaborationError as error:
            raise BadRequest(swedish(error)) from error
        await unit.save_collaboration(made)
        await unit.append_audit([entry(console, made, viewer)])
    return made


async def shown(console: Console, viewer: Viewer) -> list[CollaborationDecision]:
    """The decisions designating the viewer's agency or recorded by it, each with only the
    operations the viewer may see."""
    found = []
    async with console.source.unit() as unit:
        for d in await unit.collaborations():
            if viewer.agency not in d.agencies and viewer.agency != d.recorded_for:
                continue
            visible = frozenset([op for op in sorted(d.operations)
                                 if await _visible(console, unit, viewer, op) is not None])
            found.append(replace(d, operations=visible))
    return found


class CollaborationOut(BaseModel):
    id: str
    reference: str
    basis: str
    basis_verified: bool
    agencies: list[str]
    operations: list[str]
    decided_by: str
    decided_on: datetime.date
    valid_from: datetime.date
    valid_until: datetime.date
    recorded_by: str
    recorded_for: str

    @classmethod
    def of(cls, console: Console, d: CollaborationDecision) -> CollaborationOut:
        return cls(id=d.id, reference=d.reference, basis=d.basis,
                   basis_verified=console.policy.basis(d.basis).verified, agencies=sorted(d.agencies),
                   operations=sorted(d.operations), decided_by=d.decided_by, decided_on=d.decided_on,
                   valid_from=d.valid_from, valid_until=d.valid_until, recorded_by=d.recorded_by,
                   recorded_for=d.recorded_for)


class NewCollaboration(BaseModel):
    reference: str = Field(description="Beslutets diarienummer.")
    basis: str = Field(default="lag-2016-774", description="Grunden i regelverket (id).")
    agencies: list[str] = Field(description="De utsedda myndigheterna (koder).")
    operations: list[str] = Field(description="Operationer som genomförs inom samverkan.")
    decided_by: str = Field(description="Vem som fattade beslutet (organ och person).")
    decided_on: datetime.date
    valid_from: datetime.date
    valid_until: datetime.date


@router.get("/api/collaborations", response_model=list[CollaborationOut], tags=["utlämnande"],
            summary="Samverkansbeslut (lag 2016:774) som utser din myndighet")
async def api_list(console: ConsoleDep, user: Worker) -> list[CollaborationOut]:
    return [CollaborationOut.of(console, d) for d in await shown(console, user.viewer)]


@router.post("/api/collaborations", response_model=CollaborationOut, status_code=201, tags=["utlämnande"],
             summary="Registrera ett samverkansbeslut (samordnare hos operationens ledande myndighet)")
async def api_record(console: ConsoleDep, user: Coordinator, body: NewCollaboration) -> CollaborationOut:
    made = await record(console, user.viewer, reference=body.reference, basis=body.basis, agencies=body.agencies,
                        operations=body.operations, decided_by=body.decided_by, decided_on=body.decided_on,
                        valid_from=body.valid_from, valid_until=body.valid_until)
    return CollaborationOut.of(console, made)


@router.get("/samverkansbeslut", response_class=HTMLResponse, include_in_schema=False)
async def page(request: Request, console: ConsoleDep, user: Worker, done: str = "") -> Response:
    functions = {c: a.function for c, a in console.agencies.items()}
    designable_agencies = sorted(set().union(*(designable(console.policy, b, functions) for b in bases(console))))
    return console.render(request, "collaborations.html", {
        "nav": "samverkan", "decisions": await shown(console, user.viewer), "bases": bases(console),
        "policy": console.policy, "designable": designable_agencies, "today": console.today(), "done": done})


def _date(value: str, what: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as error:
        raise BadRequest(f"Ange {what} som ÅÅÅÅ-MM-DD.") from error


@router.post("/samverkansbeslut", include_in_schema=False)
async def page_record(console: ConsoleDep, user: Coordinator, reference: Annotated[str, Form()],
                      decided_by: Annotated[str, Form()], decided_on: Annotated[str, Form()],
                      valid_from: Annotated[str, Form()], valid_until: Annotated[str, Form()],
                      operations: Annotated[str, Form()], basis: Annotated[str, Form()] = "lag-2016-774",
                      agencies: Annotated[list[str] | None, Form()] = None) -> Response:
    made = await record(console, user.viewer, reference=reference, basis=basis, agencies=agencies or [],
                        operations=operations.replace(",", " ").split(), decided_by=decided_by,
                        decided_on=_date(decided_on, "beslutsdagen"), valid_from=_date(valid_from, "första dagen"),
                        valid_until=_date(valid_until, "sista dagen"))
    return RedirectResponse(f"/samverkansbeslut?done={made.id}", status_code=303)
