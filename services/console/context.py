"""What every route reaches: the console's parts, the signed-in person and role checks."""

from __future__ import annotations

import asyncio
import datetime
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from schemas.agencies import Agency
from services.audit.chain import Checkpoint
from services.console import labels
from services.console.auth import COOKIE, InvalidToken, Principal, TokenVerifier, bearer
from services.console.devidp import DevIdentityProvider
from services.console.enforcement import Enforcement
from services.console.errors import Forbidden, NotSignedIn
from services.console.ports import Publisher, Source
from services.console.settings import ConsoleSettings
from services.disclosure.policy import Policy, Role

log = logging.getLogger(__name__)
STOCKHOLM = ZoneInfo("Europe/Stockholm")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def utc_now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


@dataclass
class Console:
    """The composition of one console process (built by `app.create_app`)."""

    settings: ConsoleSettings
    enforcement: Enforcement
    source: Source
    verifier: TokenVerifier
    templates: Jinja2Templates
    make_publisher: Callable[[], Awaitable[Publisher]]
    read_checkpoints: Callable[[], Awaitable[list[Checkpoint]]]
    dev_idp: DevIdentityProvider | None = None
    clock: Callable[[], datetime.datetime] = utc_now
    stopping: asyncio.Event = field(default_factory=asyncio.Event)
    cache: dict[Any, Any] = field(default_factory=dict)  # computed sums by what they depend on
    _publisher: Publisher | None = None
    _publisher_lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @property
    def policy(self) -> Policy:
        return self.enforcement.policy

    @property
    def agencies(self) -> dict[str, Agency]:
        return self.enforcement.agencies

    def now(self) -> datetime.datetime:
        return self.clock()

    def today(self) -> datetime.date:
        """The date in Sweden: what the rules' validity and the decisions are dated by."""
        return self.clock().astimezone(STOCKHOLM).date()

    async def publisher(self) -> Publisher:
        async with self._publisher_lock:
            if self._publisher is None:
                self._publisher = await self.make_publisher()
            return self._publisher

    async def close(self) -> None:
        self.stopping.set()
        if self._publisher is not None:
            await self._publisher.close()
        await self.source.close()

    def sign_in_url(self, request: Request) -> str:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        base = "/dev-idp/logga-in" if self.dev_idp else "/inloggning"
        return f"{base}?next={quote(target, safe='')}"

    def render(self, request: Request, template: str, context: dict[str, Any], *,
               status: int = 200) -> HTMLResponse:
        user: Principal | None = getattr(request.state, "principal", None)
        return self.templates.TemplateResponse(request, template, {
            "user": user, "labels": labels, "agencies": self.agencies, "policy_label": self.policy.label,
            "dev_idp": self.dev_idp is not None, "Role": Role, **context}, status_code=status)


def console_of(request: Request) -> Console:
    console: Console = request.app.state.console
    return console


def _same_origin(request: Request) -> bool:
    """A form post made by a page of this site (SameSite=Strict already keeps others out)."""
    origin = request.headers.get("origin") or request.headers.get("referer")
    if not origin or origin == "null":
        return origin is None
    parts = urlsplit(origin)
    return parts.netloc == request.url.netloc


async def signed_in(request: Request) -> Principal:
    console = console_of(request)
    header_token = bearer(request.headers.get("authorization"))
    token = header_token or request.cookies.get(COOKIE)
    if not token:
        raise NotSignedIn("Du är inte inloggad.")
    try:
        principal = await console.verifier.verify(token)
    except InvalidToken as error:
        log.info("sign-in refused: %s", error)
        raise NotSignedIn("Inloggningen är ogiltig eller har gått ut. Logga in igen.") from error
    if header_token is None and request.method not in SAFE_METHODS and not _same_origin(request):
        raise Forbidden("Begäran kom inte från konsolens egna sidor och avvisades.")
    request.state.principal = principal
    return principal


ROLE_MESSAGES = {
    frozenset({Role.COORDINATOR, Role.OFFICER}):
        "Sidan är till för samordnare och handläggare. Som granskare arbetar du under Granskning.",
    frozenset({Role.COORDINATOR}): "Bara samordnare kan planera insatser.",
    frozenset({Role.AUDITOR}): "Granskningssidorna är bara till för granskare.",
}


def allow(*roles: Role) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency that lets only these roles through (403 with a Swedish message)."""
    allowed = frozenset(roles)

    async def check(principal: Annotated[Principal, Depends(signed_in)]) -> Principal:
        if principal.role not in allowed:
            raise Forbidden(ROLE_MESSAGES.get(allowed, "Din roll har inte tillgång till den här sidan."))
        return principal

    return check


ConsoleDep = Annotated[Console, Depends(console_of)]
AnyUser = Annotated[Principal, Depends(signed_in)]
Worker = Annotated[Principal, Depends(allow(Role.COORDINATOR, Role.OFFICER))]
Coordinator = Annotated[Principal, Depends(allow(Role.COORDINATOR))]
Auditor = Annotated[Principal, Depends(allow(Role.AUDITOR))]
