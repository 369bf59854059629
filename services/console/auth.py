"""Sign-in: OIDC-compatible bearer tokens (JWT) verified against the identity provider's JWKS.

A token carries `sub`, `name`, `agency` (a code of the agency registry) and `role`
(coordinator, officer or auditor). API clients send it as `Authorization: Bearer`; a
browser session carries the same token in an HttpOnly, SameSite=Strict cookie, so no
script can read it and no other site can make the browser send it.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import jwt
from jwt import PyJWK, PyJWKClient, PyJWKSet

from schemas.agencies import Agency
from services.disclosure.enforce import Viewer
from services.disclosure.policy import Role

COOKIE = "los_session"
ALGORITHMS = ["RS256", "ES256", "EdDSA"]


class InvalidToken(Exception):
    """A token that does not sign anyone in; the message says why (for the log, not the user)."""


@dataclass(frozen=True)
class Principal:
    """The signed-in person."""

    subject: str
    name: str
    agency: str
    role: Role

    @property
    def viewer(self) -> Viewer:
        return Viewer(self.agency, self.role, f"{self.name} <{self.subject}>")


class KeySource(Protocol):
    """Signing keys of one issuer."""

    @property
    def issuer(self) -> str | None: ...

    async def key(self, kid: str | None) -> PyJWK | None: ...


class JwksDocument:
    """A JWKS read once from a file (or given as a dict)."""

    def __init__(self, jwks: dict[str, Any], issuer: str | None) -> None:
        self._keys = PyJWKSet.from_dict(jwks).keys
        self._issuer = issuer

    @classmethod
    def from_file(cls, path: Path, issuer: str | None) -> JwksDocument:
        return cls(json.loads(path.read_text(encoding="utf-8")), issuer)

    @property
    def issuer(self) -> str | None:
        return self._issuer

    async def key(self, kid: str | None) -> PyJWK | None:
        if kid is None:
            return self._keys[0] if len(self._keys) == 1 else None
        return next((k for k in self._keys if k.key_id == kid), None)


class JwksEndpoint:
    """The identity provider's JWKS URL, fetched and cached by PyJWKClient."""

    def __init__(self, url: str, issuer: str | None) -> None:
        self._client = PyJWKClient(url, cache_keys=True, lifespan=600, timeout=5)
        self._issuer = issuer

    @property
    def issuer(self) -> str | None:
        return self._issuer

    async def key(self, kid: str | None) -> PyJWK | None:
        def fetch() -> PyJWK | None:
            try:
                keys = self._client.get_signing_keys()
            except jwt.PyJWKClientError:
                return None
            return next((k for k in keys if kid is None or k.key_id == kid), None)

        return await asyncio.to_thread(fetch)


class TokenVerifier:
    def __init__(self, sources: list[KeySource], audience: str, agencies: dict[str, Agency]) -> None:
        self.sources, self.audience, self.agencies = sources, audience, agencies

    async def verify(self, token: str) -> Principal:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as error:
            raise InvalidToken(f"not a JWT: {error}") from error
        kid = header.get("kid")
        for source in self.sources:
            key = await source.key(kid)
            if key is None:
                continue
            try:
                claims = jwt.decode(token, key=key, algorithms=ALGORITHMS, audience=self.audience,
                                    issuer=source.issuer, leeway=30,
                                    options={"require": ["exp", "sub", "aud"]})
            except jwt.PyJWTError as error:
                raise InvalidToken(str(error)) from error
            return self._principal(claims)
        raise InvalidToken(f"no trusted key {kid!r}")

    def _principal(self, claims: dict[str, Any]) -> Principal:
        agency, role, name = claims.get("agency"), claims.get("role"), claims.get("name")
        if not isinstance(agency, str) or agency not in self.agencies:
            raise InvalidToken(f"unknown agency {agency!r}")
        if role not in {r.value for r in Role}:
            raise InvalidToken(f"unknown role {role!r}")
        if not isinstance(name, str) or not name.strip():
            raise InvalidToken("no name")
        return Principal(str(claims["sub"]), name.strip(), agency, Role(role))


def bearer(authorization: str | None) -> str | None:
    if authorization and authorization[:7].lower() == "bearer ":
        return authorization[7:].strip() or None
    return None
