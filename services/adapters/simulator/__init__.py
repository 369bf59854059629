"""The scenario simulator: deterministic LOS campaigns and event streams with their ground truth.

    generate_campaign(seed, pseudonym_key=...) -> Campaign   events, truth, clear ids (key: OPRF key file bytes)
    write_native(campaign, out_dir, ctx)                     native files, events.jsonl, truth
    stream_events(seed, count, pseudonym_key=...)            lazy events; .truth() of those taken
    premises_key(premises)                                   the key premises are counted on

Everything follows from the seed (`random.Random(seed)`, never the clock); the ground truth is
computed from the simulator's own records, not by replaying events through coordinator code.
"""

from services.adapters.simulator.campaign import Campaign, EventStream, generate_campaign, stream_events
from services.adapters.simulator.config import ScenarioConfig
from services.adapters.simulator.export import (
    MissingFormatWarning,
    NativeExport,
    UnwritableEventsWarning,
    write_native,
)
from services.adapters.simulator.truth import GroundTruth, TruthAccumulator, premises_key

__all__ = [
    "Campaign",
    "EventStream",
    "GroundTruth",
    "MissingFormatWarning",
    "NativeExport",
    "ScenarioConfig",
    "TruthAccumulator",
    "UnwritableEventsWarning",
    "generate_campaign",
    "premises_key",
    "stream_events",
    "write_native",
]
