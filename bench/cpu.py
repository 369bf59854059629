"""CPU seconds spent by each part of the system during a measurement (Linux /proc).

Shows where the time of an end-to-end run goes: the coordinator (with its checker
process), the feeds, PostgreSQL, Kafka, and the benchmark's own producer."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds of the process and of its children it has reaped)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None
    return int(fields[1]), sum(int(f) for f in fields[11:15]) / TICKS


def _tree_seconds(roots: Iterable[int], others: set[int]) -> float:
    """CPU seconds of the process trees under `roots`, leaving out the trees of `others`
    (the benchmark's own process is the parent of the services it starts)."""
    stats = {int(p): s for p in os.listdir("/proc") if p.isdigit() and (s := _stat(int(p))) is not None}
    children: dict[int, list[int]] = {}
    for pid, (parent, _) in stats.items():
        children.setdefault(parent, []).append(pid)
    total, todo = 0.0, [r for r in roots if r in stats]
    while todo:
        pid = todo.pop()
        total += stats[pid][1]
        todo += [c for c in children.get(pid, []) if c not in others]
    return total


class CpuMeter:
    """`start()`, run, `stop()`: CPU seconds per role, each role a set of process trees."""

    def __init__(self, roles: dict[str, list[int]]) -> None:
        self.roles = roles
        self._start: dict[str, float] = {}

    def _seconds(self) -> dict[str, float]:
        roots = {pid for pids in self.roles.values() for pid in pids}
        return {role: _tree_seconds(pids, roots - set(pids)) for role, pids in self.roles.items()}

    def start(self) -> None:
        self._start = self._seconds()

    def stop(self) -> dict[str, float]:
        return {role: seconds - self._start[role] for role, seconds in self._seconds().items()}


def describe(seconds: dict[str, float], wall: float) -> str:
    return ", ".join(f"{role} {s:.1f}" for role, s in sorted(seconds.items(), key=lambda x: -x[1])) + \
        f" CPU-s in {wall:.1f} s"
