"""Tracing off costs nothing per event; stored trace contexts are read strictly."""

from __future__ import annotations

from opentelemetry import trace

from services.common.telemetry import broker_middlewares, context_of, continued, tracing_enabled
from services.coordinator.tracing import traced_store

TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def test_with_tracing_off_no_span_is_started_for_an_event() -> None:
    async def work(conn: object) -> int:
        return 1

    assert not tracing_enabled()  # unit tests run with the exporter `none`
    assert traced_store([], [], [], work) is work  # type: ignore[arg-type]
    assert [type(m).__name__ for m in broker_middlewares("test")] == ["KafkaPrometheusMiddleware"]


def test_a_stored_traceparent_names_its_remote_parent() -> None:
    found = context_of(TRACEPARENT)
    assert found is not None
    parent = trace.get_current_span(found).get_span_context()
    assert (f"{parent.trace_id:032x}", f"{parent.span_id:016x}", parent.is_remote) == (
        "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", True)
    with continued(TRACEPARENT):
        assert trace.get_current_span().get_span_context() == parent
    assert not trace.get_current_span().get_span_context().is_valid


def test_no_or_a_broken_traceparent_is_no_parent() -> None:
    assert context_of(None) is None
    assert context_of("") is None
    assert context_of("00-not-a-trace-01") is None
    with continued("garbage"):
        assert not trace.get_current_span().get_span_context().is_valid
