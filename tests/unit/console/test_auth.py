"""Sign-in: only tokens signed by a trusted provider, for this console, naming a known agency
and role; the development provider exists only when switched on."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from services.console.app import create_app
from services.console.auth import COOKIE
from services.console.memory import MemorySource
from services.console.settings import ConsoleSettings
from services.disclosure.policy import Role
from tests.unit.console.conftest import DIGESTS, EGRESS, PLANTED, Console


def provider(tmp_path: Path) -> tuple[rsa.RSAPrivateKey, Path]:
    """A stand-in for the agencies' real OIDC provider: a key and its published JWKS."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = {**json.loads(RSAAlgorithm.to_jwk(key.public_key())), "kid": "idp-1", "alg": "RS256", "use": "sig"}
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": [jwk]}))
    return key, path


def token(key: rsa.RSAPrivateKey, **claims: object) -> str:
    now = datetime.datetime.now(datetime.UTC)
    body = {"iss": "https://idp.example.se", "aud": "los-console", "sub": "u-1", "name": "Eva Ek",
            "agency": "FIRE_RTOG", "role": "officer", "iat": int(now.timestamp()),
            "exp": int((now + datetime.timedelta(hours=1)).timestamp()), **claims}
    return jwt.encode({k: v for k, v in body.items() if v is not None}, key, algorithm="RS256",
                      headers={"kid": "idp-1"})


@pytest.fixture
def production(tmp_path: Path) -> tuple[rsa.RSAPrivateKey, Console]:
    key, jwks = provider(tmp_path)
    settings = ConsoleSettings(console_jwks_file=jwks, console_issuer="https://idp.example.se")
    app = create_app(settings, source=MemorySource(), pseudonyms=EGRESS, digests=DIGESTS)
    return key, Console(app, app.state.console.source, None, tmp_path)  # type: ignore[arg-type]


async def me(console: Console, bearer: str) -> int:
    async with console.client() as client:
        return (await client.get("/api/me", headers={"Authorization": f"Bearer {bearer}"})).status_code


async def test_a_token_from_the_configured_provider_signs_in(production) -> None:  # type: ignore[no-untyped-def]
    key, console = production
    async with console.client() as client:
        response = await client.get("/api/me", headers={"Authorization": f"Bearer {token(key)}"})
    assert response.status_code == 200
    assert response.json() == {"subject": "u-1", "name": "Eva Ek", "agency": "FIRE_RTOG",
                               "agency_name": "Räddningstjänsten Östra Götaland", "role": "officer"}


@pytest.mark.parametrize("claims", [
    {"aud": "another-app"}, {"iss": "https://evil.example"}, {"agency": "NOT_AN_AGENCY"}, {"role": "admin"},
    {"exp": 1_000_000}, {"name": None}, {"sub": None},
], ids=["audience", "issuer", "agency", "role", "expired", "name", "subject"])
async def test_a_token_that_does_not_hold_up_is_refused(production,
                                                        claims: dict) -> None:  # type: ignore[no-untyped-def]
    key, console = production
    assert await me(console, token(key, **claims)) == 401


async def test_a_token_signed_by_anyone_else_is_refused(production) -> None:  # type: ignore[no-untyped-def]
    _, console = production
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert await me(console, token(stranger)) == 401
    assert await me(console, "not-a-token") == 401
    unsigned = jwt.encode({"sub": "x", "agency": "FIRE_RTOG", "role": "officer", "name": "x",
                           "aud": "los-console"},
                          key=None, algorithm="none")
    assert await me(console, unsigned) == 401


async def test_the_development_provider_is_absent_unless_switched_on(production) -> None:  # type: ignore[no-untyped-def]
    _, console = production
    async with console.client() as client:
        for path in ("/dev-idp/logga-in", "/dev-idp/jwks.json"):
            assert (await client.get(path)).status_code == 404
        assert (await client.post("/dev-idp/token", json={"agency": "FIRE_RTOG", "role": "officer",
                                                           "name": "x"})).status_code == 404
        spec = (await client.get("/openapi.json")).json()
    assert not [p for p in spec["paths"] if p.startswith("/dev-idp")]
    assert not [r for r in console.app.routes if getattr(r, "path", "").startswith("/dev-idp")]


def test_without_any_identity_provider_the_console_does_not_start() -> None:
    with pytest.raises(RuntimeError, match="LOS_CONSOLE_JWKS_URL"):
        create_app(ConsoleSettings(), source=MemorySource())


async def test_signing_in_in_the_browser_sets_a_strict_http_only_cookie(console: Console) -> None:
    async with console.client() as client:
        page = await client.get("/operationer")
        assert page.status_code == 303 and page.headers["location"].startswith("/dev-idp/logga-in?next=")
        form = await client.get(page.headers["location"])
        assert 'lang="sv"' in form.text and "Utvecklingsinloggning" in form.text
        signed = await client.post("/dev-idp/logga-in", data={"agency": "FIRE_RTOG", "role": "officer",
                                                               "name": "Eva Ek", "next": "/operationer"})
        assert signed.status_code == 303 and signed.headers["location"] == "/operationer"
        cookie = signed.headers["set-cookie"]
        assert cookie.startswith(f"{COOKIE}=") and "HttpOnly" in cookie and "SameSite=strict" in cookie
        listed = await client.get("/operationer")
        assert listed.status_code == 200 and "Eva Ek" in listed.text


async def test_a_development_sign_in_may_ask_for_demo_mandates_in_the_own_authoritys_operations(
        console: Console) -> None:
    """For a local demo: the person gets uppdrag in the operations FIRE takes part in (each an
    audit entry), the same id on the next sign-in, and still sees only what the rules open."""
    async with console.client() as plain, console.client() as demo:
        await plain.post("/dev-idp/logga-in", data={"agency": "FIRE_RTOG", "role": "officer", "name": "Eva Ek"})
        nothing = await plain.get("/api/operations")
        for _ in range(2):
            await demo.post("/dev-idp/logga-in", data={"agency": "FIRE_RTOG", "role": "officer", "name": "Eva Ek",
                                                      "demo_mandates": "true"})
        shown = (await demo.get("/api/operations")).json()
        planted = (await demo.get("/api/operations/LKPG-2026-04")).text
    assert nothing.json()["operations"] == []
    ops = {o["operation_id"] for o in shown["operations"]}
    assert ops and all("FIRE_RTOG" in console.source.state.records[op]["participants"] for op in ops)
    assert PLANTED not in planted
    given = [e for e in console.audit if e["kind"] == "mandate_assigned"]
    assert given and len({(e["operation_id"], e["purpose"]) for e in given}) == len(given)  # not twice


async def test_the_sign_in_never_sends_you_to_another_site(console: Console) -> None:
    async with console.client() as client:
        signed = await client.post("/dev-idp/logga-in", data={"agency": "FIRE_RTOG", "role": "officer",
                                                              "name": "Eva",
                                                               "next": "//evil.example/"})
    assert signed.headers["location"] == "/"


async def test_a_form_posted_from_another_site_is_refused(console: Console) -> None:
    async with console.client() as client:
        client.cookies.set(COOKIE, console.token("POLICE", Role.COORDINATOR))
        response = await client.post("/planera", data={"title": "x"},
                                     headers={"Origin": "https://evil.example"})
    assert response.status_code == 403
    assert console.publisher.sent == []


@pytest.mark.parametrize(("role", "path", "allowed"), [
    (Role.AUDITOR, "/operationer", False), (Role.AUDITOR, "/planera", False), (Role.AUDITOR, "/granskning",
                                                                               True),
    (Role.OFFICER, "/planera", False), (Role.COORDINATOR, "/planera", True), (Role.OFFICER, "/granskning",
                                                                              False),
    (Role.COORDINATOR, "/granskning", False), (Role.OFFICER, "/begaranden", True),
])
async def test_roles_decide_which_pages_open(console: Console, role: Role, path: str, allowed: bool) -> None:
    async with console.client("FIRE_RTOG", role) as client:
        response = await client.get(path)
    assert response.status_code == (200 if allowed else 403), response.text[:300]
    if not allowed:
        assert 'lang="sv"' in response.text and "Åtkomst nekad" in response.text


async def test_pages_carry_security_headers(console: Console) -> None:
    async with console.client("FIRE_RTOG") as client:
        response = await client.get("/operationer")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY" and response.headers["cache-control"] == "no-store"
