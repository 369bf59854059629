"""Each event's trace, continued through the coordinator and its Postgres transaction.

FastStream's batch span (`<topics> process`) starts a trace of its own, and one
transaction stores the whole batch. So, with tracing on:

- `coordinator.store_batch` covers one transaction attempt, under the batch span; the
  asyncpg spans of its queries are its children.
- every event gets `coordinator.accept` (CONSUMER) in the event's own trace (parent: the
  `traceparent` Kafka header, the value the adapter also signed into the event), from the
  batch's arrival to its store, linked to the batch span; under it `coordinator.store` (CLIENT, db.system
  postgresql) covers the transaction attempt and links to `coordinator.store_batch`.
- a rejected event gets `coordinator.reject` (status error, with the reason).
- the record changes the transaction queues keep the `coordinator.accept` context of the
  last event of their operation (else the batch's): the relay and the console continue it.

With tracing off `traced_store` hands back the work unchanged: no per-event cost.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Generic, TypeVar

import asyncpg
from opentelemetry import trace
from opentelemetry.trace import Link, Span, SpanKind, Status, StatusCode

from services.common.telemetry import context_from_headers, current_traceparent, tracing_enabled
from services.coordinator.ports import IncomingRecord, RejectedRecord
from services.coordinator.service import Checked

T = TypeVar("T")
tracer = trace.get_tracer("services.coordinator")

# The changes this transaction queued get the context of the last event of their operation.
MARK_CHANGES = """
WITH traced AS MATERIALIZED (
    SELECT DISTINCT ON (o.op) o.op, t.traceparent
    FROM unnest($1::uuid[], $2::text[]) WITH ORDINALITY AS t(event_id, traceparent, n)
    JOIN events e USING (event_id)
    CROSS JOIN LATERAL (VALUES (e.operation_id), (e.explicit_operation)) AS o(op)
    WHERE o.op IS NOT NULL
    ORDER BY o.op, t.n DESC)
UPDATE record_changes c
SET traceparent = coalesce((SELECT traced.traceparent FROM traced WHERE traced.op = c.operation_id), $3)
WHERE c.published_at IS NULL AND c.traceparent IS NULL AND c.xmin = pg_current_xact_id()::xid"""


def traced_store(kafka_records: Sequence[Any], checked: Sequence[Checked], rejected: Sequence[RejectedRecord],
                 work: Callable[[asyncpg.Connection], Awaitable[T]]) -> Callable[[asyncpg.Connection], Awaitable[T]]:
    """`work` (one transaction attempt) with the spans above; `work` itself when tracing is off."""
    if not tracing_enabled():
        return work
    return _EventSpans(kafka_records, checked, rejected, work)


def _messaging(record: IncomingRecord) -> dict[str, Any]:
    return {"messaging.system": "kafka", "messaging.operation.type": "process",
            "messaging.destination.name": record.topic,
            "messaging.destination.partition.id": str(record.partition), "messaging.kafka.offset": record.offset}


class _EventSpans(Generic[T]):
    def __init__(self, kafka_records: Sequence[Any], checked: Sequence[Checked], rejected: Sequence[RejectedRecord],
                 work: Callable[[asyncpg.Connection], Awaitable[T]]) -> None:
        self.work, self.ended = work, False
        batch = trace.get_current_span()
        started: int | None = getattr(batch, "start_time", None)  # the batch's arrival
        links = [Link(batch.get_span_context())] if batch.get_span_context().is_valid else None
        headers = {(r.topic, r.partition, r.offset): r.headers for r in kafka_records}

        def parent(record: IncomingRecord) -> Any:
            raw = headers.get((record.topic, record.partition, record.offset)) or ()
            return context_from_headers({k: v.decode(errors="replace") for k, v in raw if v is not None})

        self.accepts: list[tuple[str, Span]] = []
        for c in checked:
            span = tracer.start_span(
                "coordinator.accept", context=parent(c.record), kind=SpanKind.CONSUMER,
                links=links, start_time=started,
                attributes={**_messaging(c.record), "messaging.message.id": c.fact.event_id,
                            "los.agency": c.fact.agency, "los.event_type": c.type})
            self.accepts.append((c.fact.event_id, span))
        for r in rejected:
            span = tracer.start_span("coordinator.reject", context=parent(r.record), kind=SpanKind.CONSUMER,
                                     links=links, start_time=started,
                                     attributes={**_messaging(r.record), "los.reject_reason": r.reason})
            span.set_status(Status(StatusCode.ERROR, r.reason))
            span.end()

    async def __call__(self, conn: asyncpg.Connection) -> T:
        with tracer.start_as_current_span("coordinator.store_batch",
                                          attributes={"los.events": len(self.accepts)}) as batch:
            link = [Link(batch.get_span_context())]
            stores = [tracer.start_span("coordinator.store", context=trace.set_span_in_context(accept),
                                        kind=SpanKind.CLIENT, links=link,
                                        attributes={"db.system": "postgresql", "db.operation": "transaction"})
                      for _, accept in self.accepts]
            try:
                result = await self.work(conn)
                if self.accepts:
                    await conn.execute(MARK_CHANGES, [event_id for event_id, _ in self.accepts],
                                       [_traceparent(accept) for _, accept in self.accepts], current_traceparent())
            except BaseException as error:
                for store in stores:
                    store.set_status(Status(StatusCode.ERROR, type(error).__name__))
                    store.end()
                raise
            for store in stores:
                store.end()
        if not self.ended:
            self.ended = True
            for _, accept in self.accepts:
                accept.end()
        return result


def _traceparent(span: Span) -> str:
    ctx = span.get_span_context()
    return f"00-{ctx.trace_id:032x}-{ctx.span_id:016x}-{int(ctx.trace_flags):02x}"
