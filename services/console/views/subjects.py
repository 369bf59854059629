"""Subjekt: one business, premises or person across operations, each operation's part
passing the enforcement point; only operations the viewer may see are listed.

A person or a sole trader is asked for by the pseudonym the viewer's agency sees
(`psn:r1:...`, see services/disclosure/pseudonyms.py); the console maps it back to the
platform's key by computing that agency's form of the candidates the records name. Another
agency's pseudonym, or the platform's own, finds nothing."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel

from schemas.identifiers import (
    IdentifierError,
    parse_address,
    parse_fastighetsbeteckning,
    parse_organisationsnummer,
)
from services.console.context import Console, ConsoleDep, Worker
from services.console.errors import BadRequest
from services.console.ports import Scope
from services.console.purpose import ask_for_purpose, required
from services.disclosure.enforce import Viewer
from services.disclosure.policy import Purpose
from services.disclosure.pseudonyms import EXTERNAL

router = APIRouter()
KINDS = ("business", "premises", "person")
LIMIT = 100  # operations per subject page, newest first
PSEUDONYM = EXTERNAL  # what a user may type: the own agency's pseudonym of a person
ASK_PSEUDONYM = ("Ange personens pseudonym som den visas för din myndighet (psn:r1:…)."
                 " Personnummer söks inte i konsolen.")
PLAN_FIELDS = ("operation_id", "title", "municipality", "planned_date", "status", "lead_agency")


def subject_key(kind: str, text: str) -> str:
    """The key correlation uses, from what a person types (orgnr, property, address, pseudonym)."""
    text = " ".join(text.split())
    if not text:
        raise BadRequest("Ange vem eller vad du söker.")
    try:
        if kind == "business":
            if text.startswith("st:"):
                if PSEUDONYM.fullmatch(text[3:]):
                    return text
                raise BadRequest("Ange en enskild näringsidkare med den pseudonym din myndighet ser (st:psn:r1:…).")
            return "org:" + parse_organisationsnummer(text.removeprefix("org:"))
        if kind == "premises":
            if text.startswith(("fb:", "ad:")):
                return text[:3] + text[3:].upper()
            try:
                return "fb:" + parse_fastighetsbeteckning(text).key
            except IdentifierError:
                return "ad:" + parse_address(text).key
    except IdentifierError as error:
        raise BadRequest(f"Kan inte tolka {text!r}: {error}") from error
    if kind == "person":
        if not PSEUDONYM.fullmatch(text):
            raise BadRequest(ASK_PSEUDONYM)
        return text
    raise BadRequest(f"Okänd typ av subjekt: {kind}")


async def internal_key(console: Console, viewer: Viewer, kind: str, key: str, scope: Scope) -> str:
    """The platform's key of what the viewer typed (`subject_key`): a person or sole trader
    mapped back from the viewer's pseudonym, among those named in operations within the
    viewer's `scope`; `key` itself (which names nothing) when none is."""
    if kind == "person" or key.startswith("st:"):
        async with console.source.unit() as unit:
            candidates = await unit.subject_keys(kind, "psn:" if kind == "person" else "st:psn:", scope)
        return console.enforcement.pseudonyms.resolve(viewer.agency, key, candidates) or key
    return key


def concerns(item: dict[str, Any], kind: str, key: str) -> bool:
    if kind == "person":
        return key in (item.get("persons") or [])
    return item.get(kind) == key


async def subject_history(console: Console, viewer: Viewer, purpose: Purpose, kind: str,
                          key: str) -> list[dict[str, Any]]:
    """The subject's part of each operation the viewer may see; audited as shown. `key` is
    as the viewer sees it (`subject_key`). The search runs only over operations within the
    viewer's scope (`Enforcement.scope`, inside the query); each is still decided."""
    now, today = console.now(), console.today()
    scope = console.enforcement.scope(viewer, purpose, today)
    internal = await internal_key(console, viewer, kind, key, scope)
    history: list[dict[str, Any]] = []
    entries: list[dict[str, Any]] = []
    async with console.source.unit() as unit:
        for operation_id in await unit.subject_operations(kind, internal, scope, LIMIT):
            record = await unit.record(operation_id)
            if record is None:
                continue
            requests = await unit.approved_requests(operation_id=operation_id)
            collaborations = await unit.collaborations(operation_id=operation_id)
            view = console.enforcement.operation(record, viewer, purpose, today, requests, collaborations)
            items = [e for e in view.record.get("timeline", []) if concerns(e, kind,
                                                                            key)] if view.visible else []
            targeted = view.visible and kind == "premises" and key in view.record["targets"]
            entries += console.enforcement.entries(view, viewer, purpose, now, record=record,
                                                   requests=requests,
                                                   only_events={e["event_id"] for e in items})
            if items or targeted:
                history.append({**{k: view.record[k] for k in PLAN_FIELDS}, "items": items})
        entries.append(console.enforcement.read(viewer, purpose, now, f"subject {kind}", [internal]))
        await unit.append_audit(entries)
    return history


class SubjectHistory(BaseModel):
    kind: str
    key: str
    purpose: Purpose
    policy: str
    operations: list[dict[str, Any]]


Kind = Annotated[str, Query(description="business, premises eller person.")]
Key = Annotated[str, Query(description="Organisationsnummer, fastighetsbeteckning, adress eller pseudonym.")]
NeedPurpose = Annotated[Purpose | None, Query(description="Ändamålet; krävs, skrivs i granskningsloggen.")]


@router.get("/api/subjects", response_model=SubjectHistory, tags=["subjekt"],
            summary="Ett företags, en lokals eller en persons historik över operationer")
async def api_subject(console: ConsoleDep, user: Worker, kind: Kind, key: Key,
                      purpose: NeedPurpose = None) -> SubjectHistory:
    purpose = required(purpose)
    subject = subject_key(kind, key)
    history = await subject_history(console, user.viewer, purpose, kind, subject)
    return SubjectHistory(kind=kind, key=subject, purpose=purpose, policy=console.policy.label,
                          operations=history)


@router.get("/subjekt", response_class=HTMLResponse, include_in_schema=False)
async def page_subject(request: Request, console: ConsoleDep, user: Worker, kind: str = "business",
                       key: str = "", purpose: NeedPurpose = None) -> Response:
    if kind not in KINDS:
        raise BadRequest(f"Okänd typ av subjekt: {kind}")
    context: dict[str, Any] = {"kind": kind, "key": key, "purpose": purpose, "history": None, "subject": None}
    if key.strip():
        if purpose is None:
            return ask_for_purpose(request, console, "ett subjekts historik")
        subject = subject_key(kind, key)
        context.update(subject=subject, history=await subject_history(console, user.viewer, purpose, kind,
                                                                      subject))
    return console.render(request, "subject.html", context)
