"""Signing in and out, the start page, who am I, and health."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel

from services.console.auth import COOKIE, bearer
from services.console.context import AnyUser, ConsoleDep
from services.console.devidp import local_path
from services.console.errors import NotSignedIn
from services.disclosure.policy import Role

router = APIRouter()


class Me(BaseModel):
    subject: str
    name: str
    agency: str
    agency_name: str
    role: Role


@router.get("/", include_in_schema=False)
async def start(user: AnyUser) -> Response:
    return RedirectResponse("/granskning" if user.role == Role.AUDITOR else "/operationer", status_code=303)


@router.get("/inloggning", response_class=HTMLResponse, include_in_schema=False)
async def sign_in_info(request: Request, console: ConsoleDep, next: str = "/") -> Response:
    if console.dev_idp is not None:
        return RedirectResponse(f"/dev-idp/logga-in?next={local_path(next)}", status_code=303)
    return console.render(request, "signin.html", {})


@router.post("/logga-ut", include_in_schema=False)
async def sign_out(console: ConsoleDep) -> Response:
    response = RedirectResponse("/dev-idp/logga-in" if console.dev_idp else "/inloggning", status_code=303)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
    return response


@router.get("/api/me", response_model=Me, tags=["inloggning"], summary="Den inloggade")
async def me(console: ConsoleDep, user: AnyUser) -> Me:
    return Me(subject=user.subject, name=user.name, agency=user.agency,
              agency_name=console.agencies[user.agency].name, role=user.role)


@router.post("/api/session", status_code=204, tags=["inloggning"],
             summary="Lägg bärartoken i en sessionscookie (HttpOnly, SameSite=Strict) för webbläsaren")
async def session(request: Request, user: AnyUser) -> Response:
    token = bearer(request.headers.get("authorization"))
    if token is None:
        raise NotSignedIn("Skicka token i Authorization: Bearer.")
    response = Response(status_code=204)
    response.set_cookie(COOKIE, token, httponly=True, samesite="strict", secure=request.url.scheme == "https",
                        path="/")
    return response


@router.get("/api/health", tags=["drift"], summary="Svarar när konsolen är igång")
async def health() -> dict[str, str]:
    return {"status": "ok"}
