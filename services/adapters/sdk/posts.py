"""The identity of a native record (a post of a case) and the ids of the events it becomes.

A native record is named by its kind, its number and a version. The event it maps to has the id
`event_id_for(agency, kind, number, version)`, so reading an export twice gives the same events;
version n > 1 supersedes version n - 1; a withdrawn (makulerad) version becomes an
EventRetractedV1 with its own stable id. Writers recover the version from an event's id.
"""

from __future__ import annotations

import re
from uuid import UUID

from schemas.envelope import event_id_for
from schemas.events import AnyEvent, EventRetractedV1, new_event
from schemas.notification import EventRetracted
from services.adapters.sdk import native
from services.adapters.sdk.native import FieldError, Row

NUMBER = re.compile(r"[A-Za-z0-9][A-Za-z0-9_./:-]{0,63}")
RECORD_NUMBER = "a record number (A-Z, 0-9, _ . / : -)"
NUMBER_OF_64 = "a number of letters, digits and - . / _ : (at most 64)"


def record_number(row: Row, field: str, *, says: str = RECORD_NUMBER) -> str:
    """A record's number: letters, digits and `_ . / : -`, at most 64, starting alphanumeric."""
    value = native.required(row, field)
    if not NUMBER.fullmatch(value):
        raise FieldError(field, f"{value!r} is not {says}")
    return value


def optional_number(row: Row, field: str, *, says: str = RECORD_NUMBER) -> str | None:
    """The number of another record this one refers to, if given."""
    return None if native.optional(row, field) is None else record_number(row, field, says=says)


def version(row: Row, field: str = "version") -> int:
    """A version (or revision) the export always states: 1, 2, 3 ..."""
    value = native.parse_int(row, field)
    if value is None or value < 1:
        raise FieldError(field, "must be 1 or more")
    return value


def version_or_first(row: Row, field: str = "version") -> int:
    """A version the export may leave out for the first registration."""
    value = native.parse_int(row, field, required_=False)
    if value is None:
        return 1
    if value < 1:
        raise FieldError(field, "versions start at 1")
    return value


def supersedes(agency: str, kind: str, number: str, version: int) -> UUID | None:
    """The id of the version a correction replaces (None for version 1)."""
    return None if version == 1 else event_id_for(agency, kind, number, str(version - 1))


def withdrawal(agency: str, kind: str, number: str, version: int, row: Row, system: str | None, *,
               suffix: str) -> AnyEvent:
    """The EventRetractedV1 of a withdrawn version (`makuleringsorsak` is the reason, `registrerad`
    the time), with id `event_id_for(agency, kind + suffix, number, version)`."""
    retracted = EventRetracted(retracts=event_id_for(agency, kind, number, str(version)),
                               reason=native.required(row, "makuleringsorsak"))
    return new_event(EventRetractedV1, retracted, agency=agency, system=system,
                     time=native.parse_datetime(row, "registrerad"),
                     event_id=event_id_for(agency, kind + suffix, number, str(version)))


def version_in_id(agency: str, kind: str, number: str, event_id: UUID, *, most: int = 10_000) -> int | None:
    """The version n (at most `most`) whose event id `event_id` is, if any (writing)."""
    return next((n for n in range(1, most + 1) if event_id_for(agency, kind, number, str(n)) == event_id),
                None)
