"""Pseudonyms for an adapter, from the pseudonym service: the adapter holds no secret.

Each personnummer is blinded here (RFC 9497), the blinded elements go to the service in one
request signed with the agency's key, and the answers are unblinded here. The service never
sees a number; nothing on the adapter's host can compute or reverse a pseudonym. A file is
read twice: first to collect its numbers (`Collector`), so that the whole file costs one
round trip (`prefetch`), then to map it with the answers at hand.

When the service cannot be reached or refuses, `PseudonymServiceError` says so, naming
its address: the file's records are not mapped, so nothing is published with a wrong
pseudonym, and the file is tried again later.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable, Iterable
from typing import Protocol, runtime_checkable

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from schemas.pseudonyms import MAX_ELEMENTS, signed_request
from schemas.signing import unb64
from services.common import oprf
from services.common.pseudonyms import PREFIX, oprf_input, pseudonym_of

PLACEHOLDER = PREFIX + "0" * 64  # what the collecting pass writes; never stored or sent
DRY_RUN_PREFIX = "psn:DRY-RUN-PLACEHOLDER:"  # a dry run's stand-ins; the signer refuses them
CACHE_LIMIT = 200_000


class PseudonymServiceError(RuntimeError):
    """The pseudonym service could not be reached or refused the request."""


@runtime_checkable
class Prefetching(Protocol):
    def prefetch(self, numbers: Iterable[str]) -> None:
        """Get the pseudonyms of `numbers` in as few requests as possible, for `of` to answer."""
        ...


class Collector:
    """A pseudonymiser that only notes the numbers asked for (the first pass over a file)."""

    def __init__(self) -> None:
        self.numbers: set[str] = set()

    def of(self, personnummer12: str) -> str:
        self.numbers.add(personnummer12)
        return PLACEHOLDER


class Placeholders:
    """Stand-ins for a dry run when the pseudonym service is not asked: `psn:DRY-RUN-PLACEHOLDER:`
    and the person's number in order of appearance (1, 2 ...), the same for the same person
    within the run. Unmistakable for a pseudonym, derived from nothing secret and telling nothing
    of the personnummer; `Signer` refuses to sign an event that carries one."""

    def __init__(self) -> None:
        self._numbered: dict[str, str] = {}

    def of(self, personnummer12: str) -> str:
        oprf_input(personnummer12)  # the same ValueError as the service's client for a bad number
        found = self._numbered.get(personnummer12)
        if found is None:
            found = self._numbered[personnummer12] = f"{DRY_RUN_PREFIX}{len(self._numbered) + 1:064x}"
        return found


def carries_placeholder(value: bytes) -> bool:
    """Whether an event's bytes carry a stand-in that is not a pseudonym."""
    return DRY_RUN_PREFIX.encode() in value or PLACEHOLDER.encode() in value


def _utc_now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


class OprfClient:
    """The pseudonym service as an agency's adapter uses it; answers are kept for the run."""

    def __init__(self, url: str, agency: str, key_id: str, key: Ed25519PrivateKey, *, timeout: float = 30.0,
                 transport: httpx.BaseTransport | None = None,
                 clock: Callable[[], datetime.datetime] = _utc_now) -> None:
        self.url = url.rstrip("/")
        self.agency, self.key_id, self.key, self.clock = agency, key_id, key, clock
        self._http = httpx.Client(timeout=timeout, transport=transport)
        self._known: dict[str, str] = {}

    def close(self) -> None:
        self._http.close()

    def of(self, personnummer12: str) -> str:
        found = self._known.get(personnummer12)
        if found is None:
            self.prefetch([personnummer12])
            found = self._known[personnummer12]
        return found

    def prefetch(self, numbers: Iterable[str]) -> None:
        wanted = sorted({n for n in numbers if n not in self._known})
        if len(self._known) + len(wanted) > CACHE_LIMIT:
            self._known.clear()
        for start in range(0, len(wanted), MAX_ELEMENTS):
            self._evaluate(wanted[start:start + MAX_ELEMENTS])

    def _evaluate(self, numbers: list[str]) -> None:
        inputs = [oprf_input(n) for n in numbers]
        blinded = [oprf.blind(i) for i in inputs]
        request = signed_request(self.agency, [element for _, element in blinded], self.key, self.key_id,
                                 self.clock())
        try:
            response = self._http.post(f"{self.url}/v1/evaluate", content=json.dumps(request),
                                       headers={"content-type": "application/json"})
        except httpx.HTTPError as error:
            raise PseudonymServiceError(
                f"the pseudonym service at {self.url} cannot be reached ({error}); set LOS_PSEUDONYM_URL, "
                "or wait until it answers: records needing a pseudonym are not published meanwhile") from error
        if response.status_code != 200:
            try:
                body = response.json()
                said = f"{body['error']}: {body['detail']}"
            except (ValueError, KeyError, TypeError):
                said = response.text[:200]
            raise PseudonymServiceError(
                f"the pseudonym service at {self.url} refused {len(numbers)} numbers of {self.agency} "
                f"(HTTP {response.status_code}): {said}")
        try:
            evaluated = [unb64(e) for e in response.json()["evaluated"]]
            if len(evaluated) != len(numbers):
                raise ValueError(f"{len(evaluated)} answers to {len(numbers)} elements")
            outputs = [oprf.finalize(i, b, e) for i, (b, _), e in zip(inputs, blinded, evaluated, strict=True)]
        except (ValueError, KeyError, TypeError) as error:
            raise PseudonymServiceError(f"the pseudonym service at {self.url} answered nonsense: {error}") from error
        self._known.update(zip(numbers, (pseudonym_of(o) for o in outputs), strict=True))


__all__ = ["DRY_RUN_PREFIX", "PLACEHOLDER", "Collector", "OprfClient", "Placeholders", "Prefetching",
           "PseudonymServiceError", "carries_placeholder"]
