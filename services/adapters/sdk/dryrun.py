"""A dry run: what an export file would become, with no broker, outbox or signing key.

`check_file` maps a file as `ingest_file` does (the header checked first, the pseudonyms asked
for in one go) and checks each event as the signer and the coordinator would: it is the
adapter's own participant's, that participant is in the registry, and its findings, decisions
and notices carry only the information categories the participant may originate. Nothing is
signed, stored or published; the result lists every event and every error, with its line.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from schemas.agencies import Registry, load_registry
from schemas.events import AnyEvent, categories_of
from services.adapters.sdk.mapping import AgencyFormat, Mapped, MappingContext, RecordError
from services.adapters.sdk.pipeline import prefetch_pseudonyms


@dataclass(frozen=True)
class FileCheck:
    """What a file maps to: each event with its line, and each error."""

    file: str
    events: list[tuple[int, AnyEvent]]
    errors: list[RecordError]

    @property
    def whole_file(self) -> bool:
        """Something is wrong with the file as a whole: nothing of it would be stored."""
        return any(e.whole_file for e in self.errors)


def check_file(path: Path, fmt: AgencyFormat, ctx: MappingContext,
               registry: Registry | None = None) -> FileCheck:
    """Map `path` with `fmt` as its participant (`fmt.agency`) runs it; never raises for bad records.

    Raises `PseudonymServiceError` when `ctx` asks the pseudonym service and it does not answer."""
    known = registry or load_registry()
    prefetch_pseudonyms(path, fmt, ctx)
    events: list[tuple[int, AnyEvent]] = []
    errors: list[RecordError] = []
    for result in fmt.read(path, ctx):
        if not isinstance(result, Mapped):
            errors.append(result)
            continue
        refused = refusal(result.event, fmt.agency, known)
        if refused is None:
            events.append((result.line, result.event))
        else:
            errors.append(RecordError(str(path), result.line, "-", refused, ""))
    return FileCheck(str(path), events, errors)


def refusal(event: AnyEvent, agency: str, registry: Registry) -> str | None:
    """Why the adapter of `agency` could not publish `event`, or the coordinator would reject it."""
    if event.losagency != agency:
        return f"the event is {event.losagency}'s; the adapter of {agency} can publish only its own"
    participant = registry.participants.get(agency)
    if participant is None:
        return f"{agency} is not a participant of schemas/agencies.yaml: the coordinator rejects its events"
    foreign = sorted(set(categories_of(event.data)) - set(participant.categories))
    if foreign:
        return (f"{agency} may not originate {', '.join(foreign)} (it originates "
                f"{', '.join(participant.categories)}): the coordinator rejects the event as category_not_owned")
    return None

