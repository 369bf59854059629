"""Read-only look at every agency's outbox under a spool folder (status pages, tests)."""

from __future__ import annotations

from pathlib import Path

from services.adapters.sdk.outbox import Outbox


def unsent_counts(spool_dir: Path) -> dict[str, int]:
    counts = {}
    for db in sorted(spool_dir.glob("*/outbox.db")):
        outbox = Outbox(db)
        try:
            counts[db.parent.name.upper()] = outbox.counts()["unsent"]
        finally:
            outbox.close()
    return counts
