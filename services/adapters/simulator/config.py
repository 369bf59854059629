"""The knobs of a scenario. Defaults give the Östergötland campaign the brief describes."""

from __future__ import annotations

from dataclasses import dataclass

from services.adapters.simulator.places import REGIONS


@dataclass(frozen=True)
class ScenarioConfig:
    first_year: int = 2024
    springs: int | None = 3  # None: spring after spring without end (streams)
    scale: str = "ostergotland"  # a key of places.REGIONS ("national" adds eleven regions)
    targets: tuple[int, int] = (8, 11)  # premises per operation, inclusive
    distinct_premises: tuple[int, int] = (22, 28)  # per region and spring, aimed at
    visits: tuple[int, int] = (36, 44)  # per region and spring, aimed at
    revisit_earlier: float = 0.3  # share of a first operation's targets visited in earlier springs
    new_occupant: float = 0.15  # a revisited premises is run by a new company
    plan_update: float = 0.5  # an operation gets a revision changing date, targets or participants
    joint_regional: float = 0.0  # a spring ends with a joint ROS action in both its municipalities
    missing_operation_id: float = 0.10  # inspections recorded without the operation id
    inspection_correction: float = 0.5  # an operation has one inspection corrected afterwards
    decision_correction: float = 0.06  # a decision is corrected (new amount, appeal decided)
    retraction: float = 0.02  # an inspection or decision is withdrawn
    social_insurance_per_spring: tuple[int, int] = (1_300_000, 1_700_000)  # recovered, and stopped

    def __post_init__(self) -> None:
        low, high = self.targets
        if not 1 <= low <= high <= 12:
            raise ValueError("targets: expected 1 <= low <= high <= 12")
        if self.springs is not None and self.springs < 1:
            raise ValueError("springs: expected at least 1, or None for no end")
        if self.scale not in REGIONS:
            raise ValueError(f"scale: expected one of {', '.join(REGIONS)}")
