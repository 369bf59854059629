"""A drop folder's files once ingested: moved to `done/`, or to `rejected/` when nothing of the
file was stored (it was held back whole), so the agency's system can see which ones to fix and
send again. Bad records are reported, never silently passed over."""

from __future__ import annotations

import logging
from pathlib import Path

from services.adapters.sdk.pipeline import FileResult

log = logging.getLogger(__name__)


def file_away(path: Path, result: FileResult, label: str = "") -> Path:
    """Move `path` out of its drop folder according to `result`; returns where it went."""
    name = f"{label} {path.name}".strip()
    folder = path.parent / ("rejected" if result.held_back else "done")
    folder.mkdir(exist_ok=True)
    target = path.rename(folder / path.name)
    if result.held_back:
        log.error("%s: held back whole, nothing stored, %d errors quarantined; moved to %s", name,
                  result.errors, folder)
    elif result.errors:
        log.warning("%s: %d records, %d new, %d quarantined", name, result.events, result.new, result.errors)
    else:
        log.info("%s: %d records, %d new", name, result.events, result.new)
    return target
