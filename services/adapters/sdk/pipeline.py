"""From an export file to the outbox: map each record, sign it, store it durably.

Good records go to the outbox, bad ones to quarantine with the reason; the file counts
as done only when both are stored, so a crash mid-file redoes the file and the outbox's
unique event ids keep the redo from queueing anything twice.

A file is held back whole (nothing of it stored, its errors quarantined with a note that the
file was held back, the file not marked done) when something is wrong with the file as a whole
(a header without a required column), or, with `all_or_nothing`, when any record is bad.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from opentelemetry import trace

from schemas.envelope import CONTENT_TYPE
from schemas.events import AnyEvent, event_json, to_bytes
from schemas.signing import sign
from schemas.topics import events_topic
from services.adapters.sdk.mapping import AgencyFormat, Mapped, MappingContext
from services.adapters.sdk.metrics import ACCEPTED, QUARANTINED
from services.adapters.sdk.outbox import Outbox
from services.adapters.sdk.pseudonyms import Collector, Prefetching, carries_placeholder
from services.adapters.sdk.tracing import traced_wire
from services.common.telemetry import current_traceparent, tracing_enabled

log = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)


class WrongAgency(ValueError):
    """An adapter may publish only its own agency's events, to its own topic."""


class PlaceholderPseudonym(ValueError):
    """An event carries a dry run's or a collecting pass's stand-in instead of a pseudonym."""


@dataclass(frozen=True)
class FileResult:
    file: str
    events: int  # mapped records
    new: int  # of which were not in the outbox before
    errors: int  # records quarantined
    skipped: bool = False  # the same file (by content) was done before
    held_back: bool = False  # nothing of the file was stored: it is in quarantine whole


def _utc_now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


@dataclass(frozen=True)
class Signer:
    agency: str
    key_id: str
    key: Ed25519PrivateKey
    clock: Callable[[], datetime.datetime] = _utc_now

    def wire(self, event: AnyEvent) -> tuple[str, str, bytes, bytes, list[tuple[str, bytes]]]:
        """The outbox row of a signed event: (id, topic, key, value, headers)."""
        if event.losagency != self.agency:
            raise WrongAgency(f"adapter of {self.agency} cannot publish an event of {event.losagency}")
        obj = event_json(event)
        traceparent = current_traceparent()
        if traceparent and not obj.get("traceparent"):
            obj["traceparent"] = traceparent
        signed = sign(obj, self.key, self.key_id, self.clock())
        value = to_bytes(signed)
        if carries_placeholder(value):
            raise PlaceholderPseudonym(f"event {event.id} carries a placeholder instead of a pseudonym")
        headers = [("content-type", CONTENT_TYPE.encode())]
        if signed.get("traceparent"):
            headers.append(("traceparent", str(signed["traceparent"]).encode()))
        return str(event.id), events_topic(self.agency), event.partition_key, value, headers


def prefetch_pseudonyms(path: Path, fmt: AgencyFormat, ctx: MappingContext) -> None:
    """Get every pseudonym the file needs in one go, when the pseudonymiser batches: read the
    file once collecting its numbers (nothing is kept of that pass), then ask for them."""
    if isinstance(ctx.pseudonyms, Prefetching):
        collector = Collector()
        for _ in fmt.read(path, replace(ctx, pseudonyms=collector)):
            pass
        ctx.pseudonyms.prefetch(collector.numbers)


def ingest_file(path: Path, fmt: AgencyFormat, ctx: MappingContext, signer: Signer,
                outbox: Outbox, *, force: bool = False, all_or_nothing: bool = False) -> FileResult:
    """Map, sign and store one export file. Returns what happened; never raises for bad records.

    With `all_or_nothing`, a file with any bad record is held back whole (see the module).
    Raises `PseudonymServiceError` when the pseudonym service cannot give the file's
    pseudonyms: then nothing of the file is stored, and it is not marked done."""
    if fmt.agency != signer.agency:
        raise WrongAgency(f"format {fmt.name} is for {fmt.agency}, this adapter signs for {signer.agency}")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    name = path.name
    if not force and outbox.file_done(name, digest):
        return FileResult(name, 0, 0, 0, skipped=True)
    with tracer.start_as_current_span("adapter.ingest_file", attributes={
            "los.agency": signer.agency, "los.format": fmt.name, "los.file": name}):
        prefetch_pseudonyms(path, fmt, ctx)
        rows, errors, whole, traced = [], 0, False, tracing_enabled()
        for result in fmt.read(path, ctx):
            if isinstance(result, Mapped):  # with tracing on, each event starts a trace of its own
                rows.append(traced_wire(signer, result.event) if traced else signer.wire(result.event))
            else:
                errors += 1
                whole = whole or result.whole_file
                outbox.quarantine(name, result.line, result.field, result.message, result.raw)
                QUARANTINED.labels(signer.agency).inc()
                log.warning("quarantined %s", result)
        if whole or (all_or_nothing and errors):
            why = "the file as a whole cannot be mapped" if whole else f"{errors} records cannot be mapped"
            outbox.quarantine(name, 0, "-", f"the file is held back whole: {why}, so none of its "
                              f"{len(rows)} mapped records was stored", "")
            log.warning("%s held back whole: %s", name, why)
            return FileResult(name, len(rows), 0, errors, held_back=True)
        new = outbox.accept(rows)
        ACCEPTED.labels(signer.agency).inc(new)
        outbox.record_file(name, digest, len(rows), errors)
    return FileResult(name, len(rows), new, errors)
