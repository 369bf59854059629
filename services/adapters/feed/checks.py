"""Judging one feed record: is it a valid message, and is it news to the destination?

Pure: no I/O. `check` never raises; an invalid record becomes `Invalid` with the reason,
which the reader quarantines. `judge` compares a valid message with what was last delivered
for its operation: only a view that is newer and different is delivered.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import ValidationError

from schemas.canonical import CanonicalFormError, canonical_json
from schemas.feeds import OperationViewMessage

MAX_REASON = 1000


@dataclass(frozen=True)
class Valid:
    message: OperationViewMessage
    raw: dict[str, Any]  # the message exactly as received, parsed
    digest: str  # SHA-256 of the view's canonical form: the content, whatever its change_seq


@dataclass(frozen=True)
class Invalid:
    reason: str


@dataclass(frozen=True)
class Delivered:
    """What the destination last received of one operation."""

    change_seq: int
    digest: str


class Outcome(StrEnum):
    DELIVERED = "delivered"  # new to the destination: written or posted
    DUPLICATE = "duplicate"  # the same operation and change_seq again (a resend)
    OLDER = "older"  # a lower change_seq than one delivered: the destination has a newer view
    UNCHANGED = "unchanged"  # a newer change_seq with the same content (the record changed for others)
    QUARANTINED = "quarantined"  # not a valid feed message


def _errors(error: ValidationError) -> str:
    parts = [f"{'.'.join(str(p) for p in e['loc']) or 'message'}: {e['msg']}" for e in error.errors()[:5]]
    more = error.error_count() - len(parts)
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")


def check(value: bytes | None) -> Valid | Invalid:
    """A record's value as a feed message, or why it is not one."""
    if not value:
        return Invalid("empty record (no value)")
    try:
        raw = json.loads(value)
    except (UnicodeDecodeError, ValueError) as error:
        return Invalid(f"not UTF-8 JSON: {error}"[:MAX_REASON])
    if not isinstance(raw, dict):
        return Invalid("not a JSON object")
    try:
        message = OperationViewMessage.model_validate(raw)
        digest = hashlib.sha256(canonical_json(raw["view"])).hexdigest()
    except ValidationError as error:
        return Invalid(f"not a valid {OperationViewMessage.TYPE} message: {_errors(error)}"[:MAX_REASON])
    except CanonicalFormError as error:
        return Invalid(f"the view has no canonical form: {error}"[:MAX_REASON])
    return Valid(message, raw, digest)


def judge(valid: Valid, last: Delivered | None) -> Outcome:
    """Whether to deliver `valid`, given what was last delivered for its operation."""
    if last is None:
        return Outcome.DELIVERED
    seq = valid.message.change_seq
    if seq == last.change_seq:
        return Outcome.DUPLICATE
    if seq < last.change_seq:
        return Outcome.OLDER
    if valid.digest == last.digest:
        return Outcome.UNCHANGED
    return Outcome.DELIVERED
