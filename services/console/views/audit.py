"""Granskning (auditors): is the audit chain intact, what did the agency disclose and receive,
and what was disclosed about one business or person. An auditor sees the entries that
concern the own agency (as discloser, recipient or actor), never other agencies' traffic.

An auditor is one agency's user like any other: a person is asked for by the pseudonym that
agency sees (`psn:r1:...`), and exported entries leave out the subjects' digests, which are
the platform's and the same for every agency. An agency's export keeps everything about what
it owns (denials to others included) and, of the entries naming it as recipient, no denial:
a denial tells of a record it may not see (`services.audit.review.shown_to`). The platform's
own audit tool (`python -m services.audit`) reports by personnummer."""

from __future__ import annotations

import datetime
import json
import logging
import re
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel

from schemas.identifiers import IdentifierError, parse_organisationsnummer
from services.audit.chain import Checkpoint
from services.audit.review import to_csv
from services.common.keys import load_registry
from services.console.auth import Principal
from services.console.context import Auditor, Console, ConsoleDep
from services.console.errors import BadRequest
from services.console.ports import AuditQuery, Scope
from services.console.under_mandate import held
from services.console.views.subjects import PSEUDONYM, internal_key
from services.disclosure.policy import Purpose

router = APIRouter()
log = logging.getLogger(__name__)
REPORT_FIELDS = ("seq", "at", "owner", "recipient", "operation_id", "category", "fields", "basis", "rule",
                 "purpose", "channel")
RECENT = 20
SHOWN_PROBLEMS = 20
PROBLEMS = [  # what services.audit says, as an auditor reads it
    (r"checkpoint at entry (\d+) has no valid coordinator signature; ignored",
     r"kontrollpunkten vid post \1 har ingen giltig signatur från samordningstjänsten och räknas inte"),
    (r"checkpoint at entry (\d+) \((.+)\) is beyond the database's last entry (\d+): "
     r"entries (\S+) were deleted",
     r"kontrollpunkten vid post \1 (\2) ligger efter databasens sista post \3: posterna \4 har tagits bort"),
    (r"entry (\d+) differs from the signed checkpoint of (.+): the chain was rewritten",
     r"post \1 skiljer sig från den signerade kontrollpunkten \2: kedjan har skrivits om"),
    (r"entry (\d+) is missing \(next present is (\d+)\)", r"post \1 saknas (nästa som finns är \2)"),
    (r"entry (\d+) does not point at entry (\d+)'s hash", r"post \1 pekar inte på post \2:s hash"),
    (r"entry (\d+) was changed: its content does not match its hash",
     r"post \1 har ändrats: innehållet stämmer inte med dess hash"),
]


def swedish_problems(problems: list[str]) -> list[str]:
    """Each problem once, in Swedish, at most SHOWN_PROBLEMS of them."""
    said: list[str] = []
    for problem in problems:
        text = next((re.sub(en, sv, problem) for en, sv in PROBLEMS if re.fullmatch(en, problem)), problem)
        if text not in said:
            said.append(text)
    if len(said) > SHOWN_PROBLEMS:
        said = [*said[:SHOWN_PROBLEMS], f"och {len(said) - SHOWN_PROBLEMS} till"]
    return said


def summary(rows: list[dict[str, Any]], counterpart: str) -> list[dict[str, Any]]:
    """How many disclosures per counterpart agency, category and basis: the register at a glance."""
    counted: dict[tuple[str, str, str], int] = {}
    for r in rows:
        key = (str(r.get(counterpart) or ""), str(r.get("category") or ""), str(r.get("basis") or ""))
        counted[key] = counted.get(key, 0) + 1
    return [{"agency": a, "category": c, "basis": b, "count": n}
            for (a, c, b), n in sorted(counted.items(), key=lambda item: (-item[1], item[0]))]


class Verification(BaseModel):
    ok: bool
    checked: int
    head_seq: int
    broken_at: int | None
    problems: list[str]
    checkpoints: int
    checkpoints_read: bool


async def verification(console: Console) -> Verification:
    """The whole chain, held against the checkpoints on Kafka when the broker answers."""
    read = True
    try:
        checkpoints: list[Checkpoint] = await console.read_checkpoints()
    except Exception as error:  # Kafka away: verify the chain alone and say so
        log.warning("checkpoints could not be read: %s", error)
        checkpoints, read = [], False
    registry = load_registry(console.settings.keys_dir)
    async with console.source.unit() as unit:
        report = await unit.verify_audit(checkpoints, registry)
    return Verification(ok=report.ok, checked=report.checked, head_seq=report.head_seq,
                        broken_at=report.broken_at, problems=swedish_problems(report.problems),
                        checkpoints=len(checkpoints),
                        checkpoints_read=read)


def _moment(day: datetime.date | None, *, end: bool = False) -> datetime.datetime | None:
    if day is None:
        return None
    return datetime.datetime.combine(day + datetime.timedelta(days=1 if end else 0), datetime.time(),
                                     datetime.UTC)


async def entries(console: Console, user: Principal, query: AuditQuery, what: str) -> list[dict[str, Any]]:
    """The viewer's agency's own entries (`shown_to`), without the subjects' digests (the
    platform's keys); read under the auditor's standing audit mandate, and logged."""
    viewer = user.viewer
    mandate = (await held(console, user)).standing(Purpose.AUDIT)
    async with console.source.unit() as unit:
        rows = await unit.audit_entries(AuditQuery(agency=viewer.agency, subjects=query.subjects,
                                                   since=query.since,
                                                   until=query.until, kinds=query.kinds, limit=query.limit))
        await unit.append_audit([console.enforcement.read(
            viewer, mandate, console.now(), what, [], sorted({str(r["basis"]) for r in rows if r.get("basis")}))])
    return [{k: v for k, v in r.items() if k != "subjects"} for r in rows]


async def register(console: Console, user: Principal, since: datetime.date | None,
                   until: datetime.date | None) -> dict[str, list[dict[str, Any]]]:
    viewer = user.viewer
    rows = await entries(console, user, AuditQuery(since=_moment(since), until=_moment(until, end=True),
                                                   kinds=("disclosure",)), f"disclosure register {since}..{until}")
    return {"disclosed_by": [r for r in rows if r.get("owner") == viewer.agency],
            "disclosed_to": [r for r in rows if r.get("recipient") == viewer.agency]}


def subject_of(kind: str, value: str) -> str:
    value = value.strip()
    if kind == "orgnr":
        try:
            return "org:" + parse_organisationsnummer(value)
        except IdentifierError as error:
            raise BadRequest(f"Ogiltigt organisationsnummer: {error}") from error
    if kind == "pseudonym" and PSEUDONYM.fullmatch(value):
        return value
    raise BadRequest("Ange ett organisationsnummer eller en pseudonym som den visas för din myndighet (psn:r1:…).")


async def access_report(console: Console, user: Principal, subject: str) -> list[dict[str, Any]]:
    """What the own agency disclosed or received about the subject (`subject_of`: a person by
    the agency's own pseudonym, about them as a person and as a sole trader); asked for under a
    standing mandate for subject access (the person's request is its case), and logged."""
    now, viewer = console.now(), user.viewer
    mandate = (await held(console, user)).standing(Purpose.SUBJECT_ACCESS)
    everything = Scope(viewer.agency, participants_only=False, open_only=False)  # the report holds own entries only
    internal = (await internal_key(console, viewer, "person", subject, everything) if subject.startswith("psn:")
                else subject)
    keys = [internal, f"st:{internal}"] if internal != subject else [subject]
    digests = tuple(d for key in keys for d in console.enforcement.digests.subject_forms(key))
    async with console.source.unit() as unit:
        found = await unit.audit_entries(AuditQuery(agency=viewer.agency, subjects=digests, kinds=("disclosure",)))
        await unit.append_audit([console.enforcement.read(
            viewer, mandate, now, "subject access report", keys,
            sorted({str(r["basis"]) for r in found if r.get("basis")}))])
    return [{k: row.get(k) for k in REPORT_FIELDS} for row in found]


Day = Annotated[datetime.date | None, Query(description="ÅÅÅÅ-MM-DD")]
SubjectKind = Annotated[str, Query(description="orgnr eller pseudonym")]


@router.get("/api/audit/verification", response_model=Verification, tags=["granskning"],
            summary="Är granskningsloggens kedja obruten och stämmer den med de signerade kontrollpunkterna?")
async def api_verification(console: ConsoleDep, user: Auditor) -> Verification:
    return await verification(console)


@router.get("/api/audit/register", tags=["granskning"], summary="Din myndighets utlämnanderegister")
async def api_register(console: ConsoleDep, user: Auditor, since: Day = None,
                       until: Day = None) -> dict[str, list[dict[str, Any]]]:
    return await register(console, user, since, until)


@router.get("/api/audit/access-report", tags=["granskning"],
            summary="Registerutdrag: vad som lämnats ut om ett företag eller en person")
async def api_access_report(console: ConsoleDep, user: Auditor, kind: SubjectKind,
                            value: str) -> list[dict[str, Any]]:
    return await access_report(console, user, subject_of(kind, value))


@router.get("/api/audit/entries", tags=["granskning"], response_class=Response,
            summary="Export av loggposter som rör din myndighet (JSON eller CSV)")
async def api_entries(console: ConsoleDep, user: Auditor, since: Day = None, until: Day = None,
                      format: Annotated[str, Query(pattern="^(json|csv)$")] = "json") -> Response:
    rows = await entries(console, user, AuditQuery(since=_moment(since), until=_moment(until, end=True)),
                         f"audit export {since}..{until}")
    name = f"los-granskning-{user.agency.lower()}-{console.today()}"
    if format == "csv":
        return Response(to_csv(rows), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})
    return Response(json.dumps(rows, ensure_ascii=False, indent=1), media_type="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{name}.json"'})


@router.get("/granskning", response_class=HTMLResponse, include_in_schema=False)
async def page_overview(request: Request, console: ConsoleDep, user: Auditor, since: Day = None,
                        until: Day = None) -> Response:
    found = await register(console, user, since, until)
    return console.render(request, "audit.html", {
        "nav": "granskning", "register": found, "since": since or "", "until": until or "", "recent": RECENT,
        "by_summary": summary(found["disclosed_by"],
                              "recipient"), "to_summary": summary(found["disclosed_to"], "owner")})


@router.get("/granskning/verifiering", response_class=HTMLResponse, include_in_schema=False)
async def page_verification(request: Request, console: ConsoleDep, user: Auditor) -> Response:
    return console.render(request, "audit_verify.html", {"nav": "granskning",
                                                         "v": await verification(console)})


@router.get("/granskning/registerutdrag", response_class=HTMLResponse, include_in_schema=False)
async def page_access_report(request: Request, console: ConsoleDep, user: Auditor, kind: str = "orgnr",
                             value: str = "") -> Response:
    context: dict[str, Any] = {"nav": "granskning", "kind": kind, "value": value,
                               "purpose": Purpose.SUBJECT_ACCESS, "rows": None}
    if value.strip():
        subject = subject_of(kind, value)
        context.update(subject=subject, rows=await access_report(console, user, subject))
    return console.render(request, "audit_report.html", context)
