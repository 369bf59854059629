"""The benchmark harness keeps working: it runs at smoke size on the test stack. Its figures
are not judged here (benchmarks are not timed tests); `make bench` reports them."""

from __future__ import annotations

import math

import pytest
from rich.console import Console

from bench.__main__ import _measure, server_pids
from tests.conftest import Infra

pytestmark = pytest.mark.integration


async def test_the_benchmark_harness_measures_every_figure_at_smoke_size(infra: Infra) -> None:
    report = await _measure("smoke", infra.env, [1], server_pids(infra.stack), Console(quiet=True))
    names = [r.name for r in report.results]
    assert any(n.startswith("Kafka produce") for n in names)
    assert any(n.startswith("publish to records and audit entries, 1 coordinator") for n in names)
    assert any("p99" in n for n in names) and any(n.startswith("audit verification") for n in names)
    assert all(r.value > 0 and not math.isnan(r.value) for r in report.results), report.results
    cpu = next(r for r in report.results if r.name.startswith("CPU time"))
    assert "coordinator" in cpu.note and "postgres" in cpu.note and "kafka" in cpu.note
