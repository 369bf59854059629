"""The checks every incoming record passes before it may change a record.

`check` never raises for bad input: it returns a `Rejection` whose `reason` is one of the
codes below, and the service sends the raw bytes to the dead-letter topic and the
rejections table. The order matters: cheap checks first, the signature before trusting
any claim in the event, then what the key's kind may sign, then the topic owner, then
what the registry lets the sender originate.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from schemas.decision import DecisionTaken
from schemas.events import TYPES_BY_NAME, AnyEvent, categories_of, parse_event
from schemas.signing import KeyRegistry, SignatureRejected, permitted, verify
from schemas.topics import agency_of_events_topic

REASONS = (
    "oversized",  # larger than the configured limit
    "empty",  # a record with no value (tombstone)
    "malformed_json",  # not JSON, or not UTF-8
    "not_an_event",  # JSON, but not an object with a string `type`
    "unknown_type",  # a type or type version this coordinator does not know
    "invalid_schema",  # the type is known but fields are missing, wrong or extra
    "unsigned", "unknown_key", "wrong_agency", "revoked_key", "key_not_valid_then", "bad_signature",
    "key_not_allowed",  # the key's kind may not sign this event (a console key signs its own plans only)
    "wrong_topic",  # the signing agency does not own the topic the event came from
    "unknown_participant",  # the signing agency is not a participant of the registry
    "category_not_owned",  # a finding, decision or notice carries a category its sender may not originate
    "unknown_decision_kind",  # a decision kind not registered in schemas/vocabulary.yaml
)


@dataclass(frozen=True)
class Rejection:
    reason: str
    detail: str
    agency: str | None = None


@dataclass(frozen=True)
class Accepted:
    event: AnyEvent
    key_id: str
    key_kind: str  # `adapter` (the agency's own system) or `console` (a plan made in the console)


def check(raw: bytes | None, topic: str, registry: KeyRegistry, *, max_bytes: int,
          participants: Mapping[str, frozenset[str]] | None = None,
          decision_kinds: frozenset[str] | None = None) -> Accepted | Rejection:
    """`participants`: each registered participant's code with the information categories it
    may originate; `decision_kinds`: the registered ones (None: no such check, for tools that
    only verify signatures)."""
    if raw is None or len(raw) == 0:
        return Rejection("empty", "the record has no value")
    if len(raw) > max_bytes:
        return Rejection("oversized", f"{len(raw)} bytes, the limit is {max_bytes}")
    try:
        obj: Any = json.loads(raw)
    except (UnicodeDecodeError, ValueError) as error:
        return Rejection("malformed_json", f"not valid UTF-8 JSON: {error}")
    if not isinstance(obj, dict) or not isinstance(obj.get("type"), str):
        return Rejection("not_an_event", "expected a JSON object with a string `type`")
    claimed = obj.get("losagency") if isinstance(obj.get("losagency"), str) else None
    if obj["type"] not in TYPES_BY_NAME:
        known = ", ".join(sorted(TYPES_BY_NAME))
        return Rejection("unknown_type", f"type {obj['type'][:100]!r} is not one of: {known}", claimed)
    try:  # strictly, from the bytes received: a number is no time, `true` no count
        event = parse_event(raw, strict=True)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
            for e in error.errors(include_input=False, include_url=False)[:10])
        return Rejection("invalid_schema", problems, claimed)
    try:
        key = verify(obj, registry)
    except SignatureRejected as error:
        return Rejection(error.reason, error.detail, claimed)
    not_allowed = permitted(key, obj)
    if not_allowed is not None:
        return Rejection("key_not_allowed", not_allowed, event.losagency)
    owner = agency_of_events_topic(topic)
    if owner != event.losagency:
        return Rejection("wrong_topic", f"{event.losagency} signed an event on {topic}, owned by {owner}",
                         event.losagency)
    if participants is not None:
        owned = participants.get(event.losagency)
        if owned is None:
            return Rejection("unknown_participant", f"{event.losagency} is not a participant of the registry",
                             event.losagency)
        foreign = sorted(set(categories_of(event.data)) - owned)
        if foreign:
            return Rejection("category_not_owned", f"{event.losagency} may not originate {', '.join(foreign)}"
                                                   f" (it originates {', '.join(sorted(owned))})", event.losagency)
    if decision_kinds is not None and isinstance(event.data, DecisionTaken) \
            and str(event.data.kind) not in decision_kinds:
        return Rejection("unknown_decision_kind", f"decision kind {str(event.data.kind)!r} is not registered in"
                                                  " the vocabulary", event.losagency)
    return Accepted(event, key.key_id, key.kind)
