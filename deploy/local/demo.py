"""The demo scenario `make up` loads: a simulated LOS campaign, dropped as native export
files into the adapter gateway's folders, so it flows through adapters, Kafka, the
coordinator and the feeds exactly as real exports would."""

from __future__ import annotations

import datetime
import shutil
import tempfile
from pathlib import Path

from services.adapters.agencies import all_formats
from services.adapters.sdk.mapping import MappingContext
from services.adapters.simulator import generate_campaign, write_native
from services.common.pseudonyms import LocalPseudonymiser


def format_of(path: Path, names: list[str]) -> str | None:
    matching = [n for n in names if path.stem == n or path.stem.startswith(n + "-")]
    return max(matching, key=len) if matching else None


def load_demo(drop_dir: Path, *, seed: int = 1) -> int:
    """Write the campaign's export files into `<drop_dir>/<participant>/<format>/` once (the
    gateway's folders); return how many.

    A marker file keeps a second `make up` from loading it again."""
    marker = drop_dir / ".demo-loaded"
    if marker.exists():
        return 0
    campaign = generate_campaign(seed, pseudonym_key=b"demo" * 8)
    names = list(all_formats())
    # native files carry clear numbers; the gateway pseudonymises them through the pseudonym service
    ctx = MappingContext(pseudonyms=LocalPseudonymiser(b"demo" * 8), today=datetime.date.today())
    count = 0
    with tempfile.TemporaryDirectory() as tmp:
        exported = write_native(campaign, Path(tmp), ctx, split_by_operation=True, canonical=False)
        for path in sorted(exported.files):
            name = format_of(path, names)
            if name is None:
                continue
            folder = drop_dir / path.parent.name / name  # written under native/<participant>/
            folder.mkdir(parents=True, exist_ok=True)
            part = folder / (path.name + ".part")
            shutil.copy(path, part)
            part.rename(folder / path.name)  # the gateway sees whole files only
            count += 1
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(f"seed {seed}, {count} files, {len(campaign.events)} events\n")
    return count
