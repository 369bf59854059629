"""The composition root: `create_app(settings)` builds the console with real adapters, or
with the fakes a test passes in."""

from __future__ import annotations

import asyncio
import datetime
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from zoneinfo import ZoneInfo

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from schemas.agencies import load_agencies
from services.audit.chain import Checkpoint
from services.audit.checkpoints import read_published
from services.audit.digests import AuditDigests, load_audit_digests
from services.common.pseudonyms import read_secret_file
from services.console import devidp, labels
from services.console.auth import JwksDocument, JwksEndpoint, KeySource, TokenVerifier
from services.console.context import Console, utc_now
from services.console.enforcement import Enforcement
from services.console.errors import ConsoleError, console_error, http_error, validation_error
from services.console.ports import Publisher, Source
from services.console.publisher import KafkaPublisher
from services.console.queries import PostgresSource
from services.console.settings import ConsoleSettings
from services.console.views import (
    audit,
    collaborations,
    mandates,
    operations,
    planning,
    requests,
    results,
    session,
    signals,
    subjects,
)
from services.console.views import policy as policy_page
from services.disclosure.policy import load_policy
from services.disclosure.pseudonyms import RecipientPseudonyms

log = logging.getLogger(__name__)
HERE = Path(__file__).parent
REPO = HERE.parents[1]
STOCKHOLM = ZoneInfo("Europe/Stockholm")
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'")


class SecurityHeaders:
    """Headers every response carries; plain ASGI so live streams pass through untouched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                extra = {b"content-security-policy": CSP.encode(), b"x-content-type-options": b"nosniff",
                         b"referrer-policy": b"same-origin", b"x-frame-options": b"DENY"}
                if not scope["path"].startswith("/static/"):
                    extra[b"cache-control"] = b"no-store"
                headers += [(k, v) for k, v in extra.items() if k not in names]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


def _policy_path(path: Path) -> Path:
    return path if path.is_absolute() or path.exists() else REPO / path


def local_time(value: str | datetime.datetime | None) -> str:
    if value is None:
        return ""
    moment = datetime.datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        return moment.strftime("%Y-%m-%d %H:%M")
    return moment.astimezone(STOCKHOLM).strftime("%Y-%m-%d %H:%M")


def short_key(key: str | None) -> str:
    """A pseudonym is 70 characters: show its start, keep the whole in links and titles."""
    if not key:
        return ""
    if key.startswith(("psn:", "st:psn:")):
        return key[: key.rfind(":") + 9] + "…"
    return key.split(":", 1)[1] if key[:3] in ("org", "fb:", "ad:") else key


def templates() -> Jinja2Templates:
    found = Jinja2Templates(directory=str(HERE / "templates"))
    env = found.env
    env.globals.update(sek=labels.sek, label=labels.label, agency_name=labels.agency_name,
                       decision_kinds=labels.DECISION_KINDS)
    env.filters.update(local_time=local_time, short_key=short_key, sek=labels.sek)
    return found


def _key_sources(settings: ConsoleSettings, idp: devidp.DevIdentityProvider | None) -> list[KeySource]:
    sources: list[KeySource] = [idp] if idp else []
    if settings.console_jwks_file:
        sources.append(JwksDocument.from_file(settings.console_jwks_file, settings.console_issuer))
    if settings.console_jwks_url:
        sources.append(JwksEndpoint(settings.console_jwks_url, settings.console_issuer))
    if not sources:
        raise RuntimeError("no identity provider: set LOS_CONSOLE_JWKS_URL or LOS_CONSOLE_JWKS_FILE "
                           "(or LOS_CONSOLE_DEV_IDP=true for a local run)")
    return sources


def create_app(settings: ConsoleSettings, *, source: Source | None = None,
               make_publisher: Callable[[], Awaitable[Publisher]] | None = None,
               read_checkpoints: Callable[[], Awaitable[list[Checkpoint]]] | None = None,
               clock: Callable[[], datetime.datetime] = utc_now,
               pseudonyms: RecipientPseudonyms | None = None, digests: AuditDigests | None = None) -> FastAPI:
    """The console; `pseudonyms` defaults to the egress key of LOS_EGRESS_PSEUDONYM_KEY_FILE,
    `digests` to the audit digest key of LOS_AUDIT_DIGEST_KEY_FILE."""
    agencies = load_agencies()
    policy = load_policy(_policy_path(settings.policy_file))
    idp = devidp.DevIdentityProvider(settings.console_audience,
                                     agencies) if settings.console_dev_idp else None
    if idp is not None:
        log.warning("the development identity provider is enabled: anyone can sign in as anyone")

    async def kafka_publisher() -> Publisher:
        return await KafkaPublisher.start(settings.kafka_bootstrap_servers, login=settings.kafka_login())

    async def kafka_checkpoints() -> list[Checkpoint]:
        return await asyncio.wait_for(read_published(settings.kafka_bootstrap_servers, login=settings.kafka_login()),
                                      settings.console_checkpoint_timeout_seconds)

    verifier = TokenVerifier(_key_sources(settings, idp), settings.console_audience, agencies)
    if pseudonyms is None:
        pseudonyms = RecipientPseudonyms(read_secret_file(settings.egress_pseudonym_key_file,
                                                          "LOS_EGRESS_PSEUDONYM_KEY_FILE"))
    if digests is None:
        digests = load_audit_digests(settings.audit_digest_key_file)
    console = Console(
        settings=settings, enforcement=Enforcement(policy, agencies, pseudonyms, digests),
        source=source or PostgresSource(settings.database_url), verifier=verifier,
        templates=templates(), make_publisher=make_publisher or kafka_publisher,
        read_checkpoints=read_checkpoints or kafka_checkpoints, dev_idp=idp, clock=clock)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        await console.close()

    app = FastAPI(title="LOS samverkan – konsol", version="1", lifespan=lifespan,
                  description="Konsolen för LOS-samordnare, handläggare och granskare. Allt som visas har "
                              "passerat sekretessreglerna och skrivs i granskningsloggen.",
                  docs_url=None, redoc_url=None, openapi_url="/openapi.json")
    app.state.console = console
    app.add_middleware(SecurityHeaders)
    app.add_exception_handler(ConsoleError, console_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    for module in (session, operations, subjects, signals, planning, results, requests, collaborations, mandates,
                   policy_page,
                   audit):
        app.include_router(module.router)
    if idp is not None:
        app.include_router(devidp.router(idp, mandates.demo_mandates))
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    return app
