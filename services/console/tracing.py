"""The console's end of an event's trace: a live view delivering a record change.

The coordinator stores the trace context of the event behind each record change
(`record_changes.traceparent`); when a live timeline sees the record change, the work
of telling the viewer runs as `console.live_change`, a child of that context, and the
queries it makes (the enforcement check) are its children. Nothing happens with tracing off.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from opentelemetry import trace
from opentelemetry.trace import SpanKind

from services.common.telemetry import context_of, tracing_enabled
from services.console.ports import Source

tracer = trace.get_tracer("services.console")


@asynccontextmanager
async def live_change(source: Source, operation_id: str) -> AsyncIterator[None]:
    """Run the block in the trace of the operation's latest change (when it has one)."""
    parent = context_of(await source.change_trace(operation_id)) if tracing_enabled() else None
    if parent is None:
        yield
        return
    with tracer.start_as_current_span("console.live_change", context=parent, kind=SpanKind.CONSUMER,
                                      attributes={"los.operation_id": operation_id, "los.channel": "sse"}):
        yield
