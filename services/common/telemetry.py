"""OpenTelemetry set-up: one TracerProvider per process, chosen by settings.

Spans cross Kafka as the W3C `traceparent` header (and the signed CloudEvents extension),
so one trace runs from an adapter through the coordinator to Postgres and the console.
"""

from __future__ import annotations

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
