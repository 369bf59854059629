"""What the feed reader keeps on disk: what each destination was last given of each operation
(SQLite, `synchronous=FULL`), and append-only JSON Lines logs (what was received, what was
quarantined), each line flushed to disk before the Kafka offset moves past its record."""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import sqlite3
from pathlib import Path
from typing import Any

from services.adapters.feed.checks import Delivered

SCHEMA = """
CREATE TABLE IF NOT EXISTS delivered (
    operation_id TEXT PRIMARY KEY,
    change_seq   INTEGER NOT NULL,
    digest       TEXT NOT NULL,
    at           TEXT NOT NULL
);
"""


def destination_file(state_dir: Path, destination: str) -> Path:
    """The state of one destination (an output folder or a URL): a new destination starts
    afresh and is given every view again."""
    return state_dir / f"delivered-{hashlib.sha256(destination.encode()).hexdigest()[:16]}.db"


class DeliveredViews:
    """The last view delivered per operation, for one destination."""

    def __init__(self, path: Path, destination: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(SCHEMA + "CREATE TABLE IF NOT EXISTS destination (name TEXT NOT NULL);")
        if self._db.execute("SELECT count(*) FROM destination").fetchone()[0] == 0:
            self._db.execute("INSERT INTO destination VALUES (?)", (destination,))

    def last(self, operation_id: str) -> Delivered | None:
        row = self._db.execute("SELECT change_seq, digest FROM delivered WHERE operation_id = ?",
                               (operation_id,)).fetchone()
        return Delivered(row[0], row[1]) if row else None

    def remember(self, operation_id: str, delivered: Delivered) -> None:
        self._db.execute(
            "INSERT INTO delivered VALUES (?, ?, ?, ?) ON CONFLICT (operation_id) DO UPDATE SET"
            " change_seq = excluded.change_seq, digest = excluded.digest, at = excluded.at",
            (operation_id, delivered.change_seq, delivered.digest, _now()))

    def close(self) -> None:
        self._db.close()


class JsonLines:
    """An append-only log, one JSON object a line, each line on disk when `append` returns."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._handle = path.open("a", encoding="utf-8")

    def append(self, entry: dict[str, Any]) -> None:
        self._handle.write(json.dumps({"at": _now(), **entry}, ensure_ascii=False) + "\n")
        self._handle.flush()
        os.fsync(self._handle.fileno())

    def close(self) -> None:
        self._handle.close()


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat()
