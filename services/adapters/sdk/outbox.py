"""The adapter's durable outbox: events are on disk before the agency system hears "accepted".

SQLite in WAL mode with `synchronous=FULL`: a committed insert survives a crash or power
loss. Each event is stored once by its (deterministic) id, so reading the same export
again, or restarting mid-file, never queues an event twice. Events leave in insertion
order; a row is marked sent only after Kafka acknowledged it (acks=all), so a crash
between the two re-sends it under the same id, which the coordinator de-duplicates.

Records that could not be mapped go to `quarantine` with the reason, for review.
"""

from __future__ import annotations

import datetime
import json
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id    TEXT NOT NULL UNIQUE,
    topic       TEXT NOT NULL,
    key         BLOB NOT NULL,
    value       BLOB NOT NULL,
    headers     TEXT NOT NULL,
    accepted_at TEXT NOT NULL,
    sent_at     TEXT,
    partition   INTEGER,
    offset      INTEGER
);
CREATE INDEX IF NOT EXISTS outbox_unsent ON outbox (seq) WHERE sent_at IS NULL;
CREATE TABLE IF NOT EXISTS quarantine (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    file        TEXT NOT NULL,
    line        INTEGER NOT NULL,
    field       TEXT NOT NULL,
    message     TEXT NOT NULL,
    raw         TEXT NOT NULL,
    at          TEXT NOT NULL,
    UNIQUE (file, line, field, message)
);
CREATE TABLE IF NOT EXISTS files (
    name        TEXT PRIMARY KEY,
    sha256      TEXT NOT NULL,
    events      INTEGER NOT NULL,
    errors      INTEGER NOT NULL,
    at          TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class OutboxEvent:
    seq: int
    event_id: str
    topic: str
    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]]


@dataclass(frozen=True)
class Entry:
    """An outbox row as the agency sees it: queued when, sent when and where (None: not yet)."""

    seq: int
    event_id: str
    topic: str
    accepted_at: str
    sent_at: str | None
    partition: int | None
    offset: int | None


@dataclass(frozen=True)
class Quarantined:
    id: int
    file: str
    line: int
    field: str
    message: str
    raw: str
    at: str


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat()


class Outbox:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        self._db.close()

    # --- accepting ------------------------------------------------------------------------
    def accept(self, rows: Sequence[tuple[str, str, bytes, bytes, list[tuple[str, bytes]]]]) -> int:
        """Store (event_id, topic, key, value, headers) rows durably; return how many were new."""
        with self._transaction():
            before = self._db.total_changes
            self._db.executemany(
                "INSERT OR IGNORE INTO outbox (event_id, topic, key, value, headers, accepted_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                [(eid, topic, key, value, _headers_json(headers), _now())
                 for eid, topic, key, value, headers in rows],
            )
            return self._db.total_changes - before

    def quarantine(self, file: str, line: int, field: str, message: str, raw: str) -> bool:
        cursor = self._db.execute(
            "INSERT OR IGNORE INTO quarantine (file, line, field, message, raw, at) VALUES (?,?,?,?,?,?)",
            (file, line, field, message, raw, _now()),
        )
        return cursor.rowcount == 1

    def record_file(self, name: str, sha256: str, events: int, errors: int) -> None:
        self._db.execute("INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?)",
                         (name, sha256, events, errors, _now()))

    def file_done(self, name: str, sha256: str) -> bool:
        row = self._db.execute("SELECT sha256 FROM files WHERE name = ?", (name,)).fetchone()
        return row is not None and row[0] == sha256

    # --- sending --------------------------------------------------------------------------
    def unsent(self, limit: int = 500) -> list[OutboxEvent]:
        rows = self._db.execute(
            "SELECT seq, event_id, topic, key, value, headers FROM outbox"
            " WHERE sent_at IS NULL ORDER BY seq LIMIT ?", (limit,)).fetchall()
        return [_event(r) for r in rows]

    def mark_sent(self, acks: Sequence[tuple[int, int, int]]) -> None:
        """Mark (seq, partition, offset) rows as acknowledged by Kafka."""
        with self._transaction():
            self._db.executemany(
                "UPDATE outbox SET sent_at = ?, partition = ?, offset = ? WHERE seq = ?",
                [(_now(), partition, offset, seq) for seq, partition, offset in acks])

    def mark_unsent(self, from_seq: int = 0) -> int:
        """Queue already-sent events again (replay); their ids stay the same."""
        cursor = self._db.execute(
            "UPDATE outbox SET sent_at = NULL WHERE seq >= ? AND sent_at IS NOT NULL", (from_seq,))
        return cursor.rowcount

    # --- review ---------------------------------------------------------------------------
    def counts(self) -> dict[str, int]:
        total, unsent = self._db.execute(
            "SELECT count(*), count(*) FILTER (WHERE sent_at IS NULL) FROM outbox").fetchone()
        (quarantined,) = self._db.execute("SELECT count(*) FROM quarantine").fetchone()
        (files,) = self._db.execute("SELECT count(*) FROM files").fetchone()
        return {"accepted": total, "unsent": unsent, "sent": total - unsent,
                "quarantined": quarantined, "files": files}

    def quarantined(self, limit: int = 100) -> list[Quarantined]:
        rows = self._db.execute(
            "SELECT id, file, line, field, message, raw, at FROM quarantine ORDER BY id LIMIT ?",
            (limit,)).fetchall()
        return [Quarantined(*r) for r in rows]

    def entries(self, *, since: str | None = None, event_id: str | None = None) -> list[Entry]:
        """Every row in order, queued at or after `since` (ISO 8601, UTC), or the one `event_id`."""
        rows = self._db.execute(
            "SELECT seq, event_id, topic, accepted_at, sent_at, partition, offset FROM outbox"
            " WHERE accepted_at >= ? AND (? IS NULL OR event_id = ?) ORDER BY seq",
            (since or "", event_id, event_id)).fetchall()
        return [Entry(*r) for r in rows]

    def sent_events(self) -> Iterator[OutboxEvent]:
        for row in self._db.execute(
                "SELECT seq, event_id, topic, key, value, headers FROM outbox"
                " WHERE sent_at IS NOT NULL ORDER BY seq"):
            yield _event(row)

    def _transaction(self) -> _Tx:
        return _Tx(self._db)


class _Tx:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, *rest: object) -> None:
        self.db.execute("ROLLBACK" if exc_type else "COMMIT")


def _headers_json(headers: list[tuple[str, bytes]]) -> str:
    return json.dumps([[k, v.decode()] for k, v in headers])


def _event(row: tuple[int, str, str, bytes, bytes, str]) -> OutboxEvent:
    seq, event_id, topic, key, value, headers = row
    return OutboxEvent(seq, event_id, topic, key, value,
                       [(k, v.encode()) for k, v in json.loads(headers)])
