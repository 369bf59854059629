"""Regelverket: the disclosure policy in force, rule by rule, as the people who answer for it
read it: what each rule opens, to whom, on which act and basis, and which bases and rules are
not verified in primary sources (marked `okontrollerad`)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from services.console.context import AnyUser, ConsoleDep

router = APIRouter()
ACTS = {
    "standing": "gäller utan särskild åtgärd",
    "notice": "bara i en underrättelse som innehavaren ställt till mottagaren",
    "decision": "bara genom ett utlämnandebeslut för namngivna uppgifter, ändamål och tid",
    "collaboration": "bara inom ett registrerat samverkansbeslut som utser båda myndigheterna",
}


@router.get("/regelverk", response_class=HTMLResponse, include_in_schema=False)
async def page(request: Request, console: ConsoleDep, user: AnyUser) -> Response:
    policy = console.policy
    return console.render(request, "policy.html", {
        "nav": "regelverk", "policy": policy, "acts": ACTS,
        "bases": {b.id: b for b in policy.bases}})
