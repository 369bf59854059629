"""Files of a campaign: canonical events (events.jsonl), the ground truth (ground_truth.json)
and each agency's native export files, written with the agency's own formats."""

from __future__ import annotations

import json
import tempfile
import warnings
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from schemas.agencies import load_agencies
from schemas.canonical import canonical_json
from schemas.events import AnyEvent, EventRetractedV1, OperationPlannedV1, OperationUpdatedV1, event_json
from services.adapters.agencies import formats_of
from services.adapters.sdk.mapping import AgencyFormat, MappingContext
from services.adapters.simulator.campaign import Campaign
from services.adapters.simulator.truth import GroundTruth

EVENTS_FILE = "events.jsonl"
TRUTH_FILE = "ground_truth.json"
NATIVE_DIR = "native"


class MissingFormatWarning(UserWarning):
    """An agency has events but no native format (yet): they are only in events.jsonl."""


class UnwritableEventsWarning(UserWarning):
    """No native format of the agency could express some of its events."""


@dataclass
class NativeExport:
    files: list[Path] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # agency -> why its events have no native file


def event_line(event: AnyEvent) -> str:
    """One line of events.jsonl: the event's canonical JSON."""
    return canonical_json(event_json(event)).decode("utf-8")


def write_events(events: Sequence[AnyEvent], path: Path) -> Path:
    with path.open("w", encoding="utf-8") as handle:
        for event in events:
            handle.write(event_line(event) + "\n")
    return path


def write_truth(truth: GroundTruth, path: Path) -> Path:
    path.write_text(json.dumps(truth, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


def _families(events: Sequence[AnyEvent]) -> list[list[AnyEvent]]:
    """Plans (with their retractions) apart from case records: an agency may export the two
    with different formats (Polisen: plans as JSON, cases as XML)."""
    plan_types = (OperationPlannedV1, OperationUpdatedV1)
    plan_ids = {e.id for e in events if isinstance(e, plan_types)}
    plans: list[AnyEvent] = [e for e in events if isinstance(e, plan_types) or (
        isinstance(e, EventRetractedV1) and e.data.retracts in plan_ids)]
    chosen = {e.id for e in plans}
    rest: list[AnyEvent] = [e for e in events if e.id not in chosen]
    return [family for family in (plans, rest) if family]


def _write_family(campaign: Campaign, family: list[AnyEvent], fmt: AgencyFormat, folder: Path,
                  ctx: MappingContext, split: bool) -> list[Path]:
    """Write into a scratch folder first, so a format that cannot hold the events leaves nothing."""
    parts: dict[str, list[AnyEvent]] = defaultdict(list)
    for event in family:
        parts[f"-{campaign.operations.get(event.id, 'unassigned')}" if split else ""].append(event)
    with tempfile.TemporaryDirectory(dir=folder) as scratch:
        written = []
        for part, events in sorted(parts.items()):
            written.append(Path(scratch) / f"{fmt.name}{part}{fmt.suffix}")
            fmt.write(events, written[-1], ctx, campaign.clear_ids)
        paths = []
        for path in written:
            target = folder / path.name
            for n in range(2, 1000):
                if not target.exists():
                    break
                target = folder / f"{path.stem}-{n}{path.suffix}"  # a second family in one format
            paths.append(path.replace(target))
    return paths


def write_native(campaign: Campaign, out_dir: Path, ctx: MappingContext, *, split_by_operation: bool = False,
                 formats: Callable[[str], list[AgencyFormat]] = formats_of,
                 canonical: bool = True) -> NativeExport:
    """Write `out_dir/native/<agency>/<format>.<suffix>` for every agency with events (one file
    per operation with `split_by_operation`, like a file drop), and unless `canonical` is
    False also `out_dir/events.jsonl` and `out_dir/ground_truth.json`.

    An agency without a native format is skipped with a MissingFormatWarning; events none of
    its formats can express are skipped with an UnwritableEventsWarning."""
    out_dir.mkdir(parents=True, exist_ok=True)
    result = NativeExport()
    if canonical:
        result.files += [write_events(campaign.events, out_dir / EVENTS_FILE),
                         write_truth(campaign.truth, out_dir / TRUTH_FILE)]
    for agency in load_agencies():
        events = [e for e in campaign.events if e.losagency == agency]
        if not events:
            continue
        available = formats(agency)
        if not available:
            reason = (f"no native format for {agency} in services/adapters/agencies yet; its {len(events)} "
                      f"events are only in {EVENTS_FILE}")
            warnings.warn(reason, MissingFormatWarning, stacklevel=2)
            result.skipped[agency] = reason
            continue
        folder = out_dir / NATIVE_DIR / agency.lower()
        folder.mkdir(parents=True, exist_ok=True)
        for family in _families(events):
            errors = []
            for fmt in available:
                try:
                    result.files += _write_family(campaign, family, fmt, folder, ctx, split_by_operation)
                    break
                except ValueError as error:
                    errors.append(f"{fmt.name}: {error}")
            else:
                reason = f"{len(family)} {agency} events fit none of its formats: " + "; ".join(errors)
                warnings.warn(reason, UnwritableEventsWarning, stacklevel=2)
                result.skipped[agency] = reason
    return result
