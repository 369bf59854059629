"""The console's errors, shown in Swedish: as a page in the browser, as JSON under /api."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

if TYPE_CHECKING:
    from services.console.context import Console


class ConsoleError(Exception):
    """An error with the HTTP status and the Swedish message the user sees."""

    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadRequest(ConsoleError):
    status = 400


class NotSignedIn(ConsoleError):
    status = 401


class Forbidden(ConsoleError):
    status = 403


class NotFound(ConsoleError):
    status = 404


NOT_FOUND_OPERATION = "Operationen finns inte, eller så får din myndighet inte ta del av den."


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/api"


def _page(request: Request, status: int, message: str) -> Response:
    console: Console = request.app.state.console
    return console.render(request, "error.html", {"status": status, "message": message}, status=status)


async def console_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, ConsoleError)
    if is_api(request):
        headers = {"WWW-Authenticate": "Bearer"} if isinstance(error, NotSignedIn) else None
        return JSONResponse({"detail": error.message}, status_code=error.status, headers=headers)
    if isinstance(error, NotSignedIn):
        return RedirectResponse(request.app.state.console.sign_in_url(request), status_code=303)
    return _page(request, error.status, error.message)


async def validation_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    problems = [f"{'.'.join(str(p) for p in e['loc'][1:]) or 'värde'}: {e['msg']}" for e in error.errors()]
    message = "Ogiltiga uppgifter i begäran: " + "; ".join(problems)
    if is_api(request):
        return JSONResponse({"detail": message}, status_code=422)
    return _page(request, 422, message)


async def http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, StarletteHTTPException)
    messages = {404: "Sidan finns inte.", 405: "Metoden stöds inte här."}
    message = messages.get(error.status_code, str(error.detail))
    if is_api(request) or error.status_code not in messages:
        return JSONResponse({"detail": message}, status_code=error.status_code, headers=error.headers)
    return _page(request, error.status_code, message)
