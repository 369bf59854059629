"""OpenTelemetry set-up: one TracerProvider per process, chosen by settings.

Spans cross Kafka as the W3C `traceparent` header (and the signed CloudEvents extension),
so one trace runs from an adapter through the coordinator to Postgres and the console.
"""

from __future__ import annotations

from typing import Any

from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter

_configured = False


def setup_tracing(service_name: str, exporter: str, *, span_exporter: SpanExporter | None = None) -> None:
    """Install the process's tracer provider once; `exporter` is none, console or otlp."""
    global _configured
    if _configured:
        return
    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    if span_exporter is None and exporter == "console":
        span_exporter = ConsoleSpanExporter()
    elif span_exporter is None and exporter == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        span_exporter = OTLPSpanExporter()
    if span_exporter is not None:
        provider.add_span_processor(BatchSpanProcessor(span_exporter))
    trace.set_tracer_provider(provider)
    _configured = True


def current_traceparent() -> str | None:
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier.get("traceparent")


def context_from_headers(headers: dict[str, str]) -> object:
    return propagate.extract(headers)


def instrument_asyncpg() -> None:
    """Spans for every query (COPY is not covered by the instrumentation)."""
    from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor

    instrumentor = AsyncPGInstrumentor()  # type: ignore[no-untyped-call]
    if not instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.instrument()


def broker_middlewares(app_name: str) -> list[Any]:
    """Tracing (W3C traceparent in Kafka headers) and Prometheus metrics for a FastStream broker."""
    from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
    from faststream.kafka.prometheus import KafkaPrometheusMiddleware
    from prometheus_client import REGISTRY

    return [KafkaTelemetryMiddleware(tracer_provider=trace.get_tracer_provider()),
            KafkaPrometheusMiddleware(registry=REGISTRY, app_name=app_name, metrics_prefix="los")]


def serve_metrics(port: int | None) -> None:
    if port is not None:
        from prometheus_client import start_http_server

        start_http_server(port, addr="127.0.0.1")
