"""The adapter's spans: every event starts a trace of its own.

`adapter.ingest_file` covers mapping one export file. Each event mapped from it gets the
root span `adapter.create_event` (PRODUCER, linked to the file's span) while it is signed,
so the signed `traceparent` extension and the Kafka header both name it; later
`adapter.publish`, its child, runs from the send to Kafka's acknowledgement. The
coordinator continues the trace from there. With tracing off none of this runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import Link, SpanKind, Status, StatusCode

from schemas.topics import events_topic
from services.adapters.sdk.outbox import OutboxEvent
from services.common.telemetry import context_of, tracing_enabled

if TYPE_CHECKING:
    from schemas.events import AnyEvent
    from services.adapters.sdk.pipeline import Signer

tracer = trace.get_tracer("services.adapters")


def traced_wire(signer: Signer, event: AnyEvent) -> tuple[str, str, bytes, bytes, list[tuple[str, bytes]]]:
    """`signer.wire(event)` inside the event's own root span (call only with tracing on)."""
    file_span = trace.get_current_span().get_span_context()
    with tracer.start_as_current_span(
            "adapter.create_event", context=Context(), kind=SpanKind.PRODUCER,
            links=[Link(file_span)] if file_span.is_valid else None,
            attributes={"messaging.system": "kafka", "messaging.operation.type": "create",
                        "messaging.destination.name": events_topic(signer.agency),
                        "messaging.message.id": str(event.id), "los.agency": signer.agency,
                        "los.event_type": event.type}):
        return signer.wire(event)


class SendSpans:
    """One `adapter.publish` span per outbox event, from its send to Kafka's answer."""

    def __init__(self, topic: str, batch: Sequence[OutboxEvent]) -> None:
        self.spans = []
        for event in batch:
            traceparent = next((v.decode() for k, v in event.headers if k == "traceparent"), None)
            self.spans.append(tracer.start_span(
                "adapter.publish", context=context_of(traceparent), kind=SpanKind.PRODUCER,
                attributes={"messaging.system": "kafka", "messaging.operation.type": "send",
                            "messaging.destination.name": topic, "messaging.message.id": event.event_id}))

    def end(self, results: Sequence[object]) -> None:
        for span, result in zip(self.spans, results, strict=True):
            if isinstance(result, BaseException):
                span.set_status(Status(StatusCode.ERROR, type(result).__name__))
            else:
                span.set_attribute("messaging.destination.partition.id", str(getattr(result, "partition", "")))
                span.set_attribute("messaging.kafka.offset", int(getattr(result, "offset", -1)))
            span.end()


def send_spans(topic: str, batch: Sequence[OutboxEvent]) -> SendSpans | None:
    """Spans for a batch about to be sent; None (nothing to do) with tracing off."""
    return SendSpans(topic, batch) if tracing_enabled() else None
