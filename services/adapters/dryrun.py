"""`ingest --dry-run`: map and check export files without a broker, an outbox or a signing key.

Every canonical event goes to standard output as one JSON line (or, with `--table`, a table),
every error and the summary to standard error. Pseudonyms come from the pseudonym service when
the agency's adapter key is at hand and the service answers; otherwise from `Placeholders`,
stand-ins no one can take for a pseudonym, which the summary names and the signer refuses.
A dry run never signs, stores or publishes anything.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from schemas.events import event_json
from schemas.signing import ADAPTER
from services.adapters.sdk.dryrun import FileCheck, check_file
from services.adapters.sdk.mapping import AgencyFormat, MappingContext
from services.adapters.sdk.pseudonyms import DRY_RUN_PREFIX, OprfClient, Placeholders, PseudonymServiceError
from services.adapters.settings import AdapterSettings
from services.common.keys import adapter_holder, holder_key, load_registry
from services.common.pseudonyms import Pseudonymiser


def dry_run(files: Sequence[Path], fmt: AgencyFormat, settings: AdapterSettings, *, table: bool,
            out: Console, err: Console) -> bool:
    """Check every file and print what it maps to; True when every record of every file mapped."""
    pseudonyms, source = _pseudonyms(settings, fmt.agency)
    checks: list[FileCheck] = []
    try:
        for path in files:
            ctx = MappingContext(pseudonyms=pseudonyms, today=datetime.date.today(), system=settings.adapter_system)
            try:
                check = check_file(path, fmt, ctx)
            except PseudonymServiceError as error:
                _close(pseudonyms)
                pseudonyms, source = Placeholders(), f"the pseudonym service did not answer: {error}"
                check = check_file(path, fmt, MappingContext(pseudonyms=pseudonyms, today=ctx.today,
                                                             system=ctx.system))
            checks.append(check)
            _print_events(check, out, table)
            for bad in check.errors:
                err.print("[red]error:[/] " + escape(f"{bad.file}:{bad.line}: column {bad.field}: {bad.message}"),
                          highlight=False, soft_wrap=True)
    finally:
        _close(pseudonyms)
    _summary(checks, fmt, source, pseudonyms, err)
    return all(not c.errors for c in checks)


def _close(pseudonyms: Pseudonymiser) -> None:
    if isinstance(pseudonyms, OprfClient):
        pseudonyms.close()


def _pseudonyms(settings: AdapterSettings, agency: str) -> tuple[Pseudonymiser, str]:
    """The pseudonym service's client when the agency's adapter key is here, else placeholders."""
    holder = adapter_holder(settings.adapter_keys_dir, agency)
    try:
        found = holder_key(load_registry(settings.keys_dir), holder, agency=agency, kind=ADAPTER,
                           at=datetime.datetime.now(datetime.UTC))
    except (OSError, ValueError) as error:
        return Placeholders(), f"the adapter key of {agency} cannot be read: {error}"
    if found is None:
        return Placeholders(), f"no registered adapter key of {agency} in {holder} to ask the pseudonym service with"
    return OprfClient(settings.pseudonym_url, agency, *found), f"the pseudonym service at {settings.pseudonym_url}"


def _print_events(check: FileCheck, out: Console, table: bool) -> None:
    if not table:
        for _, event in check.events:
            out.file.write(json.dumps(event_json(event), ensure_ascii=False) + "\n")
        out.file.flush()
        return
    shown = Table("line", "type", "id", "time", title=check.file)
    for line, event in check.events:
        shown.add_row(str(line), event.type, str(event.id), event.time.isoformat())
    out.print(shown)


def _summary(checks: list[FileCheck], fmt: AgencyFormat, source: str, pseudonyms: Pseudonymiser,
             err: Console) -> None:
    events, errors = sum(len(c.events) for c in checks), sum(len(c.errors) for c in checks)
    held = [c.file for c in checks if c.whole_file]
    files = f"{len(checks)} file" + ("" if len(checks) == 1 else "s")
    err.print(escape(f"dry run of {fmt.name} as {fmt.agency}: {events} events and {errors} errors in {files};"
                     " nothing was signed, stored or published"), highlight=False, soft_wrap=True)
    if held:
        err.print(escape(f"not one record would be stored of: {', '.join(held)} (the file as a whole is wrong)"),
                  highlight=False, soft_wrap=True)
    if isinstance(pseudonyms, Placeholders):
        err.print(escape(f"pseudonyms: placeholders ({DRY_RUN_PREFIX}<n>, one per person in this run), not "
                         f"the platform's: {source}"), highlight=False, soft_wrap=True)
    else:
        err.print(escape(f"pseudonyms: from {source}"), highlight=False, soft_wrap=True)
