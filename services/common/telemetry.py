"""OpenTelemetry set-up: one TracerProvider per process, chosen by settings.

Spans cross Kafka as the W3C `traceparent` header (and the signed CloudEvents extension),
and Postgres as the `traceparent` column of `record_changes`, so one trace runs from an
adapter through the coordinator to Postgres and the console (docs/observability.md).

With the exporter `none` no SDK provider is installed: spans are the API's no-ops, the
Kafka telemetry middleware and the asyncpg instrumentation are left out, and code that
would start a span per event asks `tracing_enabled()` first and skips it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from opentelemetry import context, propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter

_configured = False
_enabled = False


def setup_tracing(service_name: str, exporter: str, *, span_exporter: SpanExporter | None = None) -> None:
    """Install the process's tracer provider once; `exporter` is none, console or otlp."""
    global _configured, _enabled
    if _configured:
        return
    _configured = True
    if span_exporter is None and exporter == "console":
        span_exporter = ConsoleSpanExporter()
    elif span_exporter is None and exporter == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        span_exporter = OTLPSpanExporter()  # OTEL_EXPORTER_OTLP_ENDPOINT and friends
    if span_exporter is None:
        return  # tracing off: the API's no-op tracer stays in place
    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    provider.add_span_processor(BatchSpanProcessor(span_exporter))  # OTEL_BSP_* tune it
    trace.set_tracer_provider(provider)
    _enabled = True


def tracing_enabled() -> bool:
    """True when spans go somewhere: per-event spans are started only then."""
    return _enabled


def current_traceparent() -> str | None:
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier.get("traceparent")


def context_from_headers(headers: Mapping[str, str]) -> context.Context:
    return propagate.extract(headers)


def context_of(traceparent: str | None) -> context.Context | None:
    """The remote context a stored W3C `traceparent` names, None when there is none."""
    if not traceparent:
        return None
    found = propagate.extract({"traceparent": traceparent})
    return found if trace.get_current_span(found).get_span_context().is_valid else None


@contextmanager
def continued(traceparent: str | None) -> Iterator[None]:
    """Run the block as part of the trace `traceparent` names (spans started inside are its
    children); a plain block when it is None or invalid."""
    found = context_of(traceparent)
    if found is None:
        yield
        return
    token = context.attach(found)
    try:
        yield
    finally:
        context.detach(token)


def instrument_asyncpg() -> None:
    """Spans for every query (COPY is not covered by the instrumentation); only with tracing on."""
    if not _enabled:
        return
    from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor

    instrumentor = AsyncPGInstrumentor()  # type: ignore[no-untyped-call]
    if not instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.instrument()


def broker_middlewares(app_name: str) -> list[Any]:
    """Prometheus metrics and, with tracing on, spans (W3C traceparent in Kafka headers) for a
    FastStream broker."""
    from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
    from faststream.kafka.prometheus import KafkaPrometheusMiddleware
    from prometheus_client import REGISTRY

    middlewares: list[Any] = [KafkaPrometheusMiddleware(registry=REGISTRY, app_name=app_name, metrics_prefix="los")]
    if _enabled:
        middlewares.insert(0, KafkaTelemetryMiddleware(tracer_provider=trace.get_tracer_provider()))
    return middlewares


def serve_metrics(port: int | None, host: str = "127.0.0.1") -> None:
    """Serve the process's Prometheus metrics on `host`:`port` (`LOS_METRICS_HOST`, `LOS_METRICS_PORT`);
    nothing when `port` is None."""
    if port is not None:
        from prometheus_client import start_http_server

        start_http_server(port, addr=host)
