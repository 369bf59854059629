"""The purpose a user states before seeing personal data (and that the audit log records).

Pages ask with a form (a select of every purpose, in Swedish) that comes back to the same
address with `purpose=` added; API routes answer 400 until the parameter is given.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from services.console.context import Console
from services.console.errors import BadRequest, is_api
from services.disclosure.policy import Purpose

PARAM = "purpose"


MISSING = ("Ange ändamål med parametern purpose (" + ", ".join(p.value for p in Purpose)
           + "); det skrivs i granskningsloggen.")


def required(purpose: Purpose | None) -> Purpose:
    """The purpose an API route needs (400 until given)."""
    if purpose is None:
        raise BadRequest(MISSING)
    return purpose


def ask_for_purpose(request: Request, console: Console, what: str,
                    suggested: Purpose = Purpose.JOINT_OPERATION) -> Response:
    """The form that asks for the purpose (HTML), or a 400 naming the parameter (API)."""
    if is_api(request):
        raise BadRequest(MISSING)
    keep = [(k, v) for k, v in request.query_params.multi_items() if k != PARAM]
    return console.render(request, "purpose.html", {
        "what": what, "action": request.url.path, "keep": keep, "suggested": suggested})
