"""Utlämnandebegäranden: an agency asks another for withheld information; the owner approves
or refuses with its assessment. Each step is an audit entry in the transaction that makes it."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from schemas.categories import Category
from schemas.vocabulary import CategoryCode, load_vocabulary
from services.audit.texts import KeptText, kept_text
from services.console.context import Console, ConsoleDep, Worker
from services.console.enforcement import absent_plan
from services.console.errors import NOT_FOUND_OPERATION, BadRequest, NotFound
from services.disclosure.enforce import Viewer
from services.disclosure.policy import Purpose
from services.disclosure.requests import DisclosureRequest, RequestError, decide_request, new_request

router = APIRouter()
NOT_FOUND_REQUEST = "Begäran finns inte, eller så gäller den inte din myndighet."
NOT_REQUESTABLE = (Category.SOCIAL_SERVICES, Category.PLANNED_OPERATION, Category.BUSINESS_IDENTITY,
                   Category.PREMISES, Category.RECORD_METADATA)


def requestable() -> list[str]:
    """The registered categories a request may name (a participant's own included)."""
    return [c for c in load_vocabulary().categories if c not in NOT_REQUESTABLE]
SWEDISH = {  # RequestError messages (English in the disclosure core) as the user reads them
    "does not need to request": "En myndighet behöver inte begära ut sina egna uppgifter.",
    "at least one category": "Välj minst en kategori av uppgifter.",
    "social services": "Socialtjänstens klientuppgifter kan inte begäras ut här (OSL 26 kap.).",
    "say why": "Beskriv varför uppgifterna behövs (minst en mening).",
    "was already": "Begäran är redan avgjord.",
    "decides on its own information": "Bara den myndighet som äger uppgifterna beslutar om dem.",
    "record the assessment": "Skriv in bedömningen (intresseavvägningen), minst en mening.",
}


def swedish(error: RequestError) -> str:
    return next((sv for en, sv in SWEDISH.items() if en in str(error)), str(error))


def _actor(viewer: Viewer) -> dict[str, str]:
    return {"agency": viewer.agency, "role": viewer.role.value, "user": viewer.user}


def request_entry(console: Console, r: DisclosureRequest,
                  viewer: Viewer) -> tuple[dict[str, Any], list[KeptText]]:
    """The audit entry of a step (asked, approved or refused) and the free texts it names by
    keyed digest: the reason and the assessment stay out of the chain (`services.audit.texts`)."""
    basis = next((b.citation for b in console.policy.bases if b.id == r.basis), r.basis)
    decided = r.decided_at is not None
    digests = console.enforcement.digests
    texts = [kept_text(digests, r.id, "reason", r.reason)]
    if r.assessment:
        texts.append(kept_text(digests, r.id, "assessment", r.assessment))
    return {"kind": "request_decision" if decided else "disclosure_request",
            "at": (r.decided_at or r.created_at).isoformat(), "channel": "console", "actor": _actor(viewer),
            "request_id": r.id, "owner": r.owner, "recipient": r.requester, "operation_id": r.operation_id,
            "categories": sorted(str(c) for c in r.categories), "purpose": r.purpose.value, "basis": basis,
            "reason_ref": texts[0].ref, "status": r.status.value,
            "assessment_ref": texts[1].ref if r.assessment else None, "decision_maker": r.decided_by,
            "policy": console.policy.label}, texts


async def create(console: Console, viewer: Viewer, *, operation_id: str, owner: str, categories: list[str],
                 purpose: Purpose, basis: str, reason: str) -> DisclosureRequest:
    if owner not in console.agencies:
        raise BadRequest(f"Okänd myndighet: {owner}")
    if basis not in {b.id for b in console.policy.bases}:
        raise BadRequest(f"Okänd rättslig grund: {basis}")
    asked = frozenset(categories)
    if not asked <= set(load_vocabulary().categories):
        raise BadRequest("Okänd kategori av uppgifter.")
    now = console.now()
    async with console.source.unit() as unit:
        row = await unit.plan(operation_id.strip())  # a missing plan is decided like a hidden one
        plan = console.enforcement.plan(row or absent_plan(operation_id.strip()), viewer, purpose, console.today())
        if row is None or not plan.visible:
            raise NotFound(NOT_FOUND_OPERATION)
        try:
            made = new_request(id=f"REQ-{uuid.uuid4().hex[:12].upper()}", requester=viewer.agency,
                               requested_by=viewer.user, owner=owner, operation_id=row.operation_id,
                               categories=asked, purpose=purpose, basis=basis, reason=reason, at=now)
        except RequestError as error:
            raise BadRequest(swedish(error)) from error
        await unit.save_request(made)
        entry, texts = request_entry(console, made, viewer)
        await unit.append_audit([entry], texts)
    return made


async def decide(console: Console, viewer: Viewer, request_id: str, *, approve: bool,
                 assessment: str) -> DisclosureRequest:
    async with console.source.unit() as unit:
        found = await unit.request(request_id)
        if found is None or viewer.agency not in (found.owner, found.requester):
            raise NotFound(NOT_FOUND_REQUEST)
        try:
            decided = decide_request(found, approve=approve, assessment=assessment, decided_by=viewer.user,
                                     decider_agency=viewer.agency, at=console.now())
        except RequestError as error:
            raise BadRequest(swedish(error)) from error
        await unit.save_request(decided)
        entry, texts = request_entry(console, decided, viewer)
        await unit.append_audit([entry], texts)
    return decided


async def inbox(console: Console, viewer: Viewer) -> list[DisclosureRequest]:
    async with console.source.unit() as unit:
        return await unit.requests_for(viewer.agency)


class RequestOut(BaseModel):
    id: str
    requester: str
    requested_by: str
    owner: str
    operation_id: str
    categories: list[str]
    purpose: Purpose
    basis: str
    reason: str
    created_at: str
    status: str
    assessment: str | None
    decided_by: str | None
    decided_at: str | None

    @classmethod
    def of(cls, r: DisclosureRequest) -> RequestOut:
        return cls(id=r.id, requester=r.requester, requested_by=r.requested_by, owner=r.owner,
                   operation_id=r.operation_id, categories=sorted(str(c) for c in r.categories),
                   purpose=r.purpose, basis=r.basis, reason=r.reason, created_at=r.created_at.isoformat(),
                   status=r.status.value, assessment=r.assessment, decided_by=r.decided_by,
                   decided_at=r.decided_at.isoformat() if r.decided_at else None)


class NewRequest(BaseModel):
    operation_id: str
    owner: str = Field(description="Myndigheten som äger uppgifterna (kod).")
    categories: list[CategoryCode]
    purpose: Purpose
    basis: str = Field(description="Den rättsliga grund som åberopas (id i regelverket).")
    reason: str


class Decision(BaseModel):
    approve: bool
    assessment: str = Field(description="Intresseavvägningen, minst en mening.")


@router.get("/api/requests", response_model=list[RequestOut], tags=["utlämnande"],
            summary="Begäranden till och från din myndighet")
async def api_inbox(console: ConsoleDep, user: Worker) -> list[RequestOut]:
    return [RequestOut.of(r) for r in await inbox(console, user.viewer)]


@router.post("/api/requests", response_model=RequestOut, status_code=201, tags=["utlämnande"],
             summary="Begär utlämnande av sekretessbelagda uppgifter")
async def api_create(console: ConsoleDep, user: Worker, body: NewRequest) -> RequestOut:
    return RequestOut.of(await create(console, user.viewer, operation_id=body.operation_id, owner=body.owner,
                                      categories=list(body.categories), purpose=body.purpose,
                                      basis=body.basis, reason=body.reason))


@router.post("/api/requests/{request_id}/decision", response_model=RequestOut, tags=["utlämnande"],
             summary="Bevilja eller avslå en begäran med bedömning (ägarmyndigheten)")
async def api_decide(console: ConsoleDep, user: Worker, request_id: str, body: Decision) -> RequestOut:
    return RequestOut.of(await decide(console, user.viewer, request_id, approve=body.approve,
                                      assessment=body.assessment))


@router.get("/begaranden", response_class=HTMLResponse, include_in_schema=False)
async def page_inbox(request: Request, console: ConsoleDep, user: Worker,
                     operation: Annotated[str, Query()] = "", owner: Annotated[str, Query()] = "",
                     category: Annotated[str, Query()] = "", done: Annotated[str, Query()] = "") -> Response:
    found = await inbox(console, user.viewer)
    return console.render(request, "requests.html", {
        "nav": "begaranden", "incoming": [r for r in found if r.owner == user.agency],
        "outgoing": [r for r in found if r.requester == user.agency], "requestable": requestable(),
        "bases": console.policy.bases, "prefill": {"operation": operation, "owner": owner,
                                                   "category": category},
        "done": done})


@router.post("/begaranden", include_in_schema=False)
async def page_create(console: ConsoleDep, user: Worker, operation_id: Annotated[str, Form()],
                      owner: Annotated[str, Form()], purpose: Annotated[Purpose, Form()],
                      basis: Annotated[str, Form()], reason: Annotated[str, Form()],
                      categories: Annotated[list[str] | None, Form()] = None) -> Response:
    made = await create(console, user.viewer, operation_id=operation_id, owner=owner,
                        categories=categories or [],
                        purpose=purpose, basis=basis, reason=reason)
    return RedirectResponse(f"/begaranden?done={made.id}", status_code=303)


@router.post("/begaranden/{request_id}/beslut", include_in_schema=False)
async def page_decide(console: ConsoleDep, user: Worker, request_id: str, decision: Annotated[str, Form()],
                      assessment: Annotated[str, Form()]) -> Response:
    if decision not in ("bevilja", "avslå"):
        raise BadRequest("Välj bevilja eller avslå.")
    made = await decide(console, user.viewer, request_id, approve=decision == "bevilja",
                        assessment=assessment)
    return RedirectResponse(f"/begaranden?done={made.id}", status_code=303)
