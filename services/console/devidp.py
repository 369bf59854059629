"""A development identity provider: pick agency, role and name, get a signed token.

Only for local runs and tests. `create_app` mounts it when `LOS_CONSOLE_DEV_IDP=true` and
never otherwise; its keys live in memory and die with the process. Tokens are RS256
JWTs with the same claims a real provider issues, verified by the same code.
"""

from __future__ import annotations

import datetime
import json
import secrets
import uuid
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from jwt import PyJWK
from jwt.algorithms import RSAAlgorithm
from pydantic import BaseModel, Field

from schemas.agencies import Agency
from services.console.auth import COOKIE, Principal
from services.console.errors import BadRequest
from services.disclosure.policy import Role

if TYPE_CHECKING:
    from services.console.context import Console

ISSUER = "urn:los:dev-idp"
LIFETIME = datetime.timedelta(hours=8)


class DevIdentityProvider:
    def __init__(self, audience: str, agencies: dict[str, Agency]) -> None:
        self.audience, self.agencies = audience, agencies
        self._private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = f"dev-{secrets.token_hex(4)}"
        public = json.loads(RSAAlgorithm.to_jwk(self._private.public_key()))
        self._jwk = {**public, "kid": self.kid, "use": "sig", "alg": "RS256"}

    @property
    def issuer(self) -> str:
        return ISSUER

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self._jwk]}

    async def key(self, kid: str | None) -> PyJWK | None:
        return PyJWK.from_dict(self._jwk) if kid == self.kid else None

    def issue(self, *, agency: str, role: Role, name: str, subject: str | None = None,
              now: datetime.datetime | None = None, lifetime: datetime.timedelta = LIFETIME) -> str:
        if agency not in self.agencies:
            raise BadRequest(f"Okänd myndighet: {agency}")
        if not name.strip():
            raise BadRequest("Ange ett namn.")
        now = now or datetime.datetime.now(datetime.UTC)
        claims = {"iss": ISSUER, "aud": self.audience, "sub": subject or f"dev-{uuid.uuid4().hex[:12]}",
                  "name": name.strip(), "agency": agency, "role": role.value,
                  "iat": int(now.timestamp()), "exp": int((now + lifetime).timestamp())}
        return jwt.encode(claims, self._private, algorithm="RS256", headers={"kid": self.kid})


class TokenRequest(BaseModel):
    agency: str = Field(description="Agency code, e.g. FIRE.")
    role: Role
    name: str = Field(min_length=1, max_length=120)
    subject: str | None = Field(default=None, max_length=120)


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "Bearer"
    expires_in: int = int(LIFETIME.total_seconds())


def local_path(target: str | None) -> str:
    """Only a path on this site (no open redirect to another)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def stable_subject(agency: str, role: Role, name: str) -> str:
    """The same person signing in again gets the same id, so mandates given to them hold."""
    slug = "".join(c if c.isalnum() else "-" for c in name.strip().lower())[:40]
    return f"dev-{agency.lower()}-{role.value}-{slug}"


def router(idp: DevIdentityProvider,
           on_demo_sign_in: Callable[[Console, Principal], Awaitable[object]] | None = None) -> APIRouter:
    """The development sign-in; `on_demo_sign_in` gives a person who asks for it demo mandates."""
    api = APIRouter(prefix="/dev-idp", tags=["utvecklingsinloggning"])

    @api.get("/logga-in", include_in_schema=False)
    async def sign_in_page(request: Request, next: str = "/") -> Response:
        console: Console = request.app.state.console
        return console.render(request, "devidp.html", {"next": local_path(next), "roles": list(Role)})

    @api.post("/logga-in", include_in_schema=False)
    async def sign_in(request: Request, agency: Annotated[str, Form()], role: Annotated[Role, Form()],
                      name: Annotated[str, Form()], next: Annotated[str, Form()] = "/",
                      demo_mandates: Annotated[bool, Form()] = False) -> Response:
        subject = stable_subject(agency, role, name)
        token = idp.issue(agency=agency, role=role, name=name, subject=subject)
        if demo_mandates and on_demo_sign_in is not None:
            await on_demo_sign_in(request.app.state.console, Principal(subject, name.strip(), agency, role))
        response = RedirectResponse(local_path(next), status_code=303)
        response.set_cookie(COOKIE, token, max_age=int(LIFETIME.total_seconds()), httponly=True,
                            samesite="strict", secure=request.url.scheme == "https", path="/")
        return response

    @api.post("/token", response_model=TokenResponse, summary="Utvecklingstoken (endast utvecklingsläge)")
    async def token(body: TokenRequest) -> TokenResponse:
        return TokenResponse(access_token=idp.issue(agency=body.agency, role=body.role, name=body.name,
                                                    subject=body.subject))

    @api.get("/jwks.json", summary="Utvecklingsinloggningens nycklar (JWKS)")
    async def jwks() -> dict[str, Any]:
        return idp.jwks()

    return api
