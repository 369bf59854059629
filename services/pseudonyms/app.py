"""The HTTP face of the pseudonym service: `POST /v1/evaluate` and `GET /healthz`.

`create_app` is the composition root: it takes the OPRF key, a way to read the key
registry, the participants, the ledger and a clock, so tests run it with their own.
"""

from __future__ import annotations

import datetime
import json
import logging
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from prometheus_client import Counter
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from schemas.pseudonyms import MAX_ELEMENTS, RequestRefused, check_request
from schemas.signing import KeyRegistry, b64
from services.common import oprf
from services.pseudonyms.ledger import Ledger, RateLimited

log = logging.getLogger(__name__)
EVALUATED = Counter("los_pseudonym_evaluations_total", "Blinded elements evaluated", ["agency"])
REFUSED = Counter("los_pseudonym_refusals_total", "Requests refused", ["reason"])
MAX_BODY = (MAX_ELEMENTS + 10) * 48 + 4096  # base64url elements with quotes and commas, and the envelope
STATUS = {"malformed": 400, "too_many": 413, "unsigned": 401, "bad_signature": 401, "unknown_key": 401,
          "stale": 401, "wrong_agency": 403, "revoked_key": 403, "key_not_valid_then": 403,
          "unknown_participant": 403, "key_not_allowed": 403}


def _utc_now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _refuse(reason: str, detail: str, status: int, headers: dict[str, str] | None = None) -> JSONResponse:
    REFUSED.labels(reason).inc()
    log.warning("refused (%s): %s", reason, detail)
    return JSONResponse({"error": reason, "detail": detail}, status_code=status, headers=headers)


async def _body(request: Request) -> bytes | None:
    """The request body, or None when it is larger than any valid request."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY):
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def create_app(secret: bytes, registry: Callable[[], KeyRegistry], participants: frozenset[str], ledger: Ledger,
               clock: Callable[[], datetime.datetime] = _utc_now,
               lifespan: Callable[[Starlette], AbstractAsyncContextManager[None]] | None = None) -> Starlette:
    async def evaluate(request: Request) -> JSONResponse:
        body = await _body(request)
        if body is None:
            return _refuse("too_many", f"the request is larger than {MAX_BODY} bytes", 413)
        try:
            obj: Any = json.loads(body)
        except ValueError:
            return _refuse("malformed", "not JSON", 400)
        now = clock()
        try:
            checked = check_request(obj, registry(), participants, now)
        except RequestRefused as error:
            return _refuse(error.reason, error.detail, STATUS[error.reason])
        agency, key_id, count = checked.key.agency, checked.key.key_id, len(checked.elements)
        try:
            for element in checked.elements:
                oprf.deserialize_element(element)
        except oprf.InvalidElementError:
            return _refuse("malformed", "an element is not a valid ristretto255 element", 400)
        try:
            await ledger.record(agency, key_id, count, now)
        except RateLimited as error:
            await ledger.refused(agency, key_id, "rate_limited", count, now)
            return _refuse("rate_limited", f"{agency}: {error}", 429, {"Retry-After": "3600"})
        evaluated = await run_in_threadpool(lambda: [oprf.blind_evaluate(secret, e) for e in checked.elements])
        EVALUATED.labels(agency).inc(count)
        log.info("evaluated %d elements for %s (key %s)", count, agency, key_id)
        return JSONResponse({"evaluated": [b64(e) for e in evaluated]})

    async def healthz(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    return Starlette(routes=[Route("/v1/evaluate", evaluate, methods=["POST"]),
                             Route("/healthz", healthz, methods=["GET"])], lifespan=lifespan)
