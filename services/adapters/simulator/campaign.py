"""Campaigns and streams: operations played one after another, their records published in
time order, each turned into its canonical event as it is taken.

Both come from one generator: `generate_campaign(seed)` is exactly the first events of
`stream_events(seed, ...)`, so the two ground truths agree on the events they share.
"""

from __future__ import annotations

import heapq
import random
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from schemas.events import AnyEvent
from services.adapters.simulator.config import ScenarioConfig
from services.adapters.simulator.planning import Planner
from services.adapters.simulator.play import OperationPlayer
from services.adapters.simulator.records import Record, to_event
from services.adapters.simulator.truth import GroundTruth, TruthAccumulator
from services.adapters.simulator.world import World
from services.common.pseudonyms import LocalPseudonymiser


class Scenario:
    """The world, the planner and the players of one seed. Pseudonyms are the platform's own
    (`psn:o1:`), computed with `pseudonym_key`, the bytes of an OPRF key file: equal to what
    adapters get from a pseudonym service holding the same key."""

    def __init__(self, seed: int, pseudonym_key: bytes, config: ScenarioConfig, *,
                 keep_clear_ids: bool = False) -> None:
        rng = random.Random(seed)
        self.world = World(rng, LocalPseudonymiser(pseudonym_key), keep_clear_ids=keep_clear_ids)
        self._planner = Planner(rng, self.world, config)
        self._player = OperationPlayer(rng, config)
        self.operations_played = 0

    def records(self) -> Iterator[tuple[Record, str | None]]:
        """Every record in publication order, with the operation id when it is that operation's
        last record. Operations are played one at a time; a record is held back only until no
        operation still to be played can publish anything earlier."""
        pending: list[tuple[float, int, Record]] = []
        left: dict[str, int] = {}
        sequence = 0

        def publish(before: float | None) -> Iterator[tuple[Record, str | None]]:
            while pending and (before is None or pending[0][0] < before):
                record = heapq.heappop(pending)[2]
                op_id = record.operation.op_id
                left[op_id] -= 1
                if left[op_id] == 0:
                    del left[op_id]
                    yield record, op_id
                else:
                    yield record, None

        for spring in self._planner.springs():
            for operation in spring:
                yield from publish(operation.revisions[0].registered.timestamp())
                records = self._player.play(operation)
                self.operations_played += 1
                left[operation.op_id] = len(records)
                for record in records:
                    heapq.heappush(pending, (record.time.timestamp(), sequence, record))
                    sequence += 1
        yield from publish(None)


class EventStream(Iterator[AnyEvent]):
    """Canonical events of a scenario, made one at a time, with the ground truth of exactly
    the events taken so far (`truth()`)."""

    def __init__(self, seed: int, count: int | None, *, pseudonym_key: bytes,
                 config: ScenarioConfig | None = None, keep_event_ids: bool = True,
                 keep_clear_ids: bool = False, keep_operations: bool = False) -> None:
        self.config = config or ScenarioConfig(springs=None)
        self.accumulator = TruthAccumulator(seed, keep_event_ids=keep_event_ids)
        self.scenario = Scenario(seed, pseudonym_key, self.config, keep_clear_ids=keep_clear_ids)
        self._records = self.scenario.records()
        self._left = count
        self._operations: dict[uuid.UUID, str] | None = {} if keep_operations else None
        self.produced = 0

    def __next__(self) -> AnyEvent:
        if self._left is not None and self.produced >= self._left:
            raise StopIteration
        record, finished = next(self._records)
        self.accumulator.add(record)
        if finished is not None:
            self.accumulator.close_operation(finished)
        self.produced += 1
        if self._operations is not None:
            self._operations[record.event_id] = record.operation.op_id
        return to_event(record)

    def truth(self) -> GroundTruth:
        return self.accumulator.truth()

    @property
    def clear_ids(self) -> Mapping[str, str]:
        """Pseudonym -> 12-digit personnummer of everyone in the world (if kept)."""
        return self.scenario.world.clear_ids

    @property
    def operations(self) -> Mapping[uuid.UUID, str]:
        """Event id -> the operation it belongs to, also when the event does not say (if kept)."""
        return self._operations or {}


def stream_events(seed: int, count: int | None, *, pseudonym_key: bytes,
                  config: ScenarioConfig | None = None, keep_event_ids: bool = True) -> EventStream:
    """`count` canonical events (None: without end), generated lazily operation by operation.
    Iterate it for the events; its `truth()` is the ground truth of the events taken so far.
    The default config runs spring after spring; `keep_event_ids=False` leaves the event ids
    out of the truth so that memory stays flat at millions of events."""
    return EventStream(seed, count, pseudonym_key=pseudonym_key, config=config, keep_event_ids=keep_event_ids)


@dataclass(frozen=True)
class Campaign:
    seed: int
    config: ScenarioConfig
    events: list[AnyEvent]
    truth: GroundTruth
    clear_ids: Mapping[str, str] = field(repr=False)  # pseudonym -> clear personnummer, for native files
    operations: Mapping[uuid.UUID, str] = field(repr=False)  # event id -> operation, for file drops


def generate_campaign(seed: int, *, pseudonym_key: bytes, config: ScenarioConfig | None = None) -> Campaign:
    """A whole campaign (by default three springs in Östergötland) with its ground truth."""
    config = config or ScenarioConfig()
    if config.springs is None:
        raise ValueError("a campaign needs a number of springs; use stream_events for no end")
    stream = EventStream(seed, None, pseudonym_key=pseudonym_key, config=config, keep_clear_ids=True,
                         keep_operations=True)
    events = list(stream)
    return Campaign(seed, config, events, stream.truth(), dict(stream.clear_ids), dict(stream.operations))
