"""Utlämnandebegäranden: an agency asks another for withheld information; the owner decides,
by a person with the owner's delegation, with its assessment. An approval is bound to the
one rule its basis matches, the items that exist when it is taken, the purpose and an expiry
(services/disclosure/requests.py). Each step is an audit entry in the transaction that makes
it."""

from __future__ import annotations

import datetime
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from schemas.categories import Category
from schemas.vocabulary import CategoryCode, load_vocabulary
from services.audit.texts import KeptText, kept_text
from services.console.auth import Principal
from services.console.context import Console, ConsoleDep, Worker
from services.console.enforcement import absent_plan
from services.console.errors import NOT_FOUND_OPERATION, BadRequest, NotFound
from services.disclosure.decide import OperationContext
from services.disclosure.delegations import in_force
from services.disclosure.enforce import Viewer
from services.disclosure.policy import Purpose
from services.disclosure.requests import (
    MAX_VALIDITY_DAYS,
    DisclosureRequest,
    RequestError,
    decide_request,
    matching_rule,
    new_request,
)

router = APIRouter()
NOT_FOUND_REQUEST = "Begäran finns inte, eller så gäller den inte din myndighet."
NOT_REQUESTABLE = (Category.SOCIAL_SERVICES, Category.PLANNED_OPERATION, Category.BUSINESS_IDENTITY,
                   Category.PREMISES, Category.RECORD_METADATA,
                   "contact_details")  # social services answer the police by a notice, not a decision


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
    "has no delegation": "Du har ingen delegation att besluta om utlämnande för din myndighet. Delegationer"
                         " förs in i registret av en administratör.",
    "record the assessment": "Skriv in bedömningen (intresseavvägningen), minst en mening.",
    "no rule of the policy": "Ingen regel i regelverket låter ett beslut på den grunden lämna ut de uppgifterna"
                             " till er för det ändamålet. Välj en annan grund, eller avstå.",
    "more than one rule": "Grunden passar fler än en regel i regelverket; regelverket måste rättas först.",
    "as it stands": "Operationen finns inte längre; beslutet kan inte fattas.",
    "give the approval an expiry": f"Ange till och med vilket datum beslutet gäller (högst {MAX_VALIDITY_DAYS}"
                                   " dagar framåt).",
    "obviously (uppenbart)": "Generalklausulen kräver att det är uppenbart att intresset av att uppgifterna"
                             " lämnas har företräde framför det intresse som sekretessen ska skydda. Bekräfta"
                             " den bedömningen, eller avslå.",
    "no such items": "Det finns ännu inga sådana uppgifter i operationen att besluta om.",
}


def swedish(error: RequestError) -> str:
    return next((sv for en, sv in SWEDISH.items() if en in str(error)), str(error))


def _actor(viewer: Viewer) -> dict[str, str]:
    return {"agency": viewer.agency, "role": viewer.role.value, "user": viewer.user}


def basis_verified(console: Console, r: DisclosureRequest) -> bool:
    """Whether the request's basis (and the rule an approval names) is confirmed in primary sources."""
    basis = next((b for b in console.policy.bases if b.id == r.basis), None)
    rule = console.policy.rule(r.rule) if r.rule else None
    return basis is not None and basis.verified and (rule is None or rule.verified)


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
            "basis_verified": basis_verified(console, r),
            "reason_ref": texts[0].ref, "status": r.status.value,
            "assessment_ref": texts[1].ref if r.assessment else None, "decision_maker": r.decided_by,
            "delegation": r.delegation, "rule": r.rule, "items": sorted(e for e, _ in r.items),
            "valid_until": r.valid_until.isoformat() if r.valid_until else None, "threshold": r.threshold,
            "policy": console.policy.label}, texts


def functions(console: Console) -> dict[str, str]:
    return {code: agency.function for code, agency in console.agencies.items()}


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
            context = OperationContext(row.operation_id, frozenset(row.participants),
                                       closed=row.status in ("closed", "cancelled"))
            matching_rule(console.policy, made, context, functions(console), console.today())
        except RequestError as error:
            raise BadRequest(swedish(error)) from error
        await unit.save_request(made)
        entry, texts = request_entry(console, made, viewer)
        await unit.append_audit([entry], texts)
    return made


async def decide(console: Console, user: Principal, request_id: str, *, approve: bool, assessment: str,
                 valid_until: datetime.date | None = None, obvious: bool = False) -> DisclosureRequest:
    """The owner's decision, taken by the signed-in person under a delegation in force."""
    viewer, now = user.viewer, console.now()
    async with console.source.unit() as unit:
        found = await unit.request(request_id)
        if found is None or viewer.agency not in (found.owner, found.requester):
            raise NotFound(NOT_FOUND_REQUEST)
        delegation = in_force(await unit.delegations(authority=viewer.agency, holder=user.subject),
                              viewer.agency, user.subject, now)
        record = await unit.record(found.operation_id) if approve and viewer.agency == found.owner else None
        try:
            decided = decide_request(found, approve=approve, assessment=assessment, decided_by=viewer.user,
                                     decider_agency=viewer.agency, at=now, delegation=delegation,
                                     policy=console.policy, record=record, functions=functions(console),
                                     valid_until=valid_until, obvious=obvious)
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
    basis_verified: bool = Field(description="Falskt där grunden, eller regeln beslutet fattas enligt, inte är"
                                             " kontrollerad mot primärkällor.")
    reason: str
    created_at: str
    status: str
    assessment: str | None
    decided_by: str | None
    decided_at: str | None
    rule: str | None = Field(description="Regeln i regelverket som ett bifall fattas enligt.")
    items: list[str] = Field(description="Händelserna (id) som ett bifall omfattar, så som de var då.")
    valid_until: datetime.date | None = Field(description="Ett bifall gäller till och med denna dag.")

    @classmethod
    def of(cls, console: Console, r: DisclosureRequest) -> RequestOut:
        return cls(id=r.id, requester=r.requester, requested_by=r.requested_by, owner=r.owner,
                   operation_id=r.operation_id, categories=sorted(str(c) for c in r.categories),
                   purpose=r.purpose, basis=r.basis, basis_verified=basis_verified(console, r), reason=r.reason,
                   created_at=r.created_at.isoformat(), status=r.status.value, assessment=r.assessment,
                   decided_by=r.decided_by, decided_at=r.decided_at.isoformat() if r.decided_at else None,
                   rule=r.rule, items=sorted(e for e, _ in r.items), valid_until=r.valid_until)


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
    valid_until: datetime.date | None = Field(
        default=None, description=f"Ett bifall gäller till och med denna dag (högst {MAX_VALIDITY_DAYS} dagar).")
    obvious: bool = Field(
        default=False, description="Generalklausulen: beslutsfattaren bedömer att det är uppenbart att intresset"
                                   " av att uppgifterna lämnas har företräde framför sekretessintresset.")


@router.get("/api/requests", response_model=list[RequestOut], tags=["utlämnande"],
            summary="Begäranden till och från din myndighet")
async def api_inbox(console: ConsoleDep, user: Worker) -> list[RequestOut]:
    return [RequestOut.of(console, r) for r in await inbox(console, user.viewer)]


@router.post("/api/requests", response_model=RequestOut, status_code=201, tags=["utlämnande"],
             summary="Begär utlämnande av sekretessbelagda uppgifter")
async def api_create(console: ConsoleDep, user: Worker, body: NewRequest) -> RequestOut:
    return RequestOut.of(console, await create(console, user.viewer, operation_id=body.operation_id,
                                               owner=body.owner, categories=list(body.categories),
                                               purpose=body.purpose, basis=body.basis, reason=body.reason))


@router.post("/api/requests/{request_id}/decision", response_model=RequestOut, tags=["utlämnande"],
             summary="Bevilja eller avslå en begäran med bedömning (ägarmyndigheten, med delegation)")
async def api_decide(console: ConsoleDep, user: Worker, request_id: str, body: Decision) -> RequestOut:
    return RequestOut.of(console, await decide(console, user, request_id, approve=body.approve,
                                               assessment=body.assessment, valid_until=body.valid_until,
                                               obvious=body.obvious))


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
        "verified": {r.id: basis_verified(console, r) for r in found},
        "citation": {b.id: b.citation for b in console.policy.bases},
        "expiry": console.today() + datetime.timedelta(days=30), "today": console.today(),
        "last_day": console.today() + datetime.timedelta(days=MAX_VALIDITY_DAYS), "done": done})


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
                      assessment: Annotated[str, Form()],
                      valid_until: Annotated[str, Form()] = "",
                      obvious: Annotated[str | None, Form()] = None) -> Response:
    if decision not in ("bevilja", "avslå"):
        raise BadRequest("Välj bevilja eller avslå.")
    try:
        until = datetime.date.fromisoformat(valid_until) if valid_until.strip() else None
    except ValueError as error:
        raise BadRequest("Ange ett datum som ÅÅÅÅ-MM-DD.") from error
    made = await decide(console, user, request_id, approve=decision == "bevilja", assessment=assessment,
                        valid_until=until, obvious=obvious == "ja")
    return RedirectResponse(f"/begaranden?done={made.id}", status_code=303)
