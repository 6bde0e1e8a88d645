"""One OpenTelemetry Python SDK client for tests/clients.rs.

Reads a plan (JSON) on stdin: the receiver's address, the exporter (`grpc`, `http/protobuf` or
`http/json`), gzip on or off, and the telemetry to send (names, attributes, times, values).
Records the spans, logs and metrics with the SDK into memory, then hands each batch to the
real OTLP exporter once and checks its result: a failed export exits non-zero with the reason,
it is never only logged. Prints what it sent as JSON on stdout: the ids the SDK made up, the
resource the SDK built, and the exception event's attributes.

Times in the plan are decimal strings of Unix nanoseconds.
"""

import json
import sys

from opentelemetry import trace
from opentelemetry._logs import SeverityNumber
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import (
    InMemoryLogRecordExporter,
    LogRecordExportResult,
    SimpleLogRecordProcessor,
)
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader, MetricExportResult
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Link, SpanContext, SpanKind, Status, StatusCode, TraceFlags

TIMEOUT_SECONDS = 10


def exporters(plan):
    """The span, log and metric exporters of the plan's protocol, gzip on or off."""
    protocol, endpoint, gzip = plan["protocol"], plan["endpoint"], plan["gzip"]
    if protocol == "grpc":
        import grpc
        from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter
        from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

        compression = grpc.Compression.Gzip if gzip else grpc.Compression.NoCompression
        options = {
            "endpoint": endpoint,
            "insecure": True,
            "compression": compression,
            "timeout": TIMEOUT_SECONDS,
        }
        return OTLPSpanExporter(**options), OTLPLogExporter(**options), OTLPMetricExporter(**options)
    if protocol == "http/protobuf":
        from opentelemetry.exporter.otlp.proto.http import Compression
        from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        compression = Compression.Gzip if gzip else Compression.NoCompression
    elif protocol == "http/json":
        from opentelemetry.exporter.otlp.common.http import Compression
        from opentelemetry.exporter.otlp.json.http._log_exporter import OTLPLogExporter
        from opentelemetry.exporter.otlp.json.http.metric_exporter import OTLPMetricExporter
        from opentelemetry.exporter.otlp.json.http.trace_exporter import OTLPSpanExporter

        compression = Compression.GZIP if gzip else Compression.NONE
    else:
        raise SystemExit(f"unknown protocol {protocol!r}")
    return (
        OTLPSpanExporter(endpoint=f"{endpoint}/v1/traces", compression=compression, timeout=TIMEOUT_SECONDS),
        OTLPLogExporter(endpoint=f"{endpoint}/v1/logs", compression=compression, timeout=TIMEOUT_SECONDS),
        OTLPMetricExporter(endpoint=f"{endpoint}/v1/metrics", compression=compression, timeout=TIMEOUT_SECONDS),
    )


def export(what, exporter, batch, success):
    """Hands `batch` to `exporter` once; exits with the reason unless it succeeded."""
    result = exporter.export(batch)
    if result != success:
        raise SystemExit(f"{what} export through {type(exporter).__module__} failed: {result!r}")


def record_spans(plan, resource):
    """The parent (event, exception, error status) and its child (link), ended, in memory."""
    memory = InMemorySpanExporter()
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(SimpleSpanProcessor(memory))
    scope = plan["scope"]
    tracer = provider.get_tracer(scope["name"], scope["version"])

    parent_plan, child_plan, link_plan = plan["parent"], plan["child"], plan["link"]
    parent = tracer.start_span(
        parent_plan["name"],
        kind=SpanKind.SERVER,
        attributes=parent_plan["attributes"],
        start_time=int(parent_plan["start"]),
    )
    event = plan["event"]
    parent.add_event(event["name"], event["attributes"], timestamp=int(event["time"]))
    try:
        raise ValueError(plan["exception"]["message"])
    except ValueError as error:
        parent.record_exception(error, timestamp=int(plan["exception"]["time"]))
    parent.set_status(Status(StatusCode.ERROR, parent_plan["status_message"]))
    in_parent = trace.set_span_in_context(parent)

    linked = SpanContext(
        trace_id=int(link_plan["trace_id"], 16),
        span_id=int(link_plan["span_id"], 16),
        is_remote=True,
        trace_flags=TraceFlags(TraceFlags.SAMPLED),
    )
    child = tracer.start_span(
        child_plan["name"],
        context=in_parent,
        kind=SpanKind.CLIENT,
        attributes=child_plan["attributes"],
        links=[Link(linked, link_plan["attributes"])],
        start_time=int(child_plan["start"]),
    )
    child.set_status(Status(StatusCode.OK))
    child.end(end_time=int(child_plan["end"]))
    parent.end(end_time=int(parent_plan["end"]))
    return memory.get_finished_spans(), in_parent


def record_logs(plan, resource, in_parent):
    """Each planned log record; `in_span` ones carry the parent span's context."""
    memory = InMemoryLogRecordExporter()
    provider = LoggerProvider(resource=resource)
    provider.add_log_record_processor(SimpleLogRecordProcessor(memory))
    scope = plan["scope"]
    logger = provider.get_logger(scope["name"], scope["version"])
    for log in plan["logs"]:
        logger.emit(
            timestamp=int(log["time"]),
            observed_timestamp=int(log["observed"]),
            context=in_parent if log["in_span"] else None,
            severity_number=SeverityNumber(log["severity_number"]),
            severity_text=log["severity_text"],
            body=log["body"],
            attributes=log["attributes"],
        )
    return memory.get_finished_logs()


def record_metrics(plan, resource):
    """A counter, an up-down counter, a histogram and a gauge, collected once (cumulative)."""
    reader = InMemoryMetricReader()
    provider = MeterProvider(resource=resource, metric_readers=[reader])
    scope, metrics = plan["scope"], plan["metrics"]
    meter = provider.get_meter(scope["name"], scope["version"])
    attributes = metrics["attributes"]

    counter = meter.create_counter(metrics["counter"]["name"], unit=metrics["counter"]["unit"])
    for value in metrics["counter"]["adds"]:
        counter.add(value, attributes)
    up_down = meter.create_up_down_counter(metrics["up_down_counter"]["name"])
    for value in metrics["up_down_counter"]["adds"]:
        up_down.add(value, attributes)
    histogram_plan = metrics["histogram"]
    histogram = meter.create_histogram(
        histogram_plan["name"],
        unit=histogram_plan["unit"],
        explicit_bucket_boundaries_advisory=histogram_plan["bounds"],
    )
    for value in histogram_plan["records"]:
        histogram.record(value, attributes)
    meter.create_gauge(metrics["gauge"]["name"]).set(metrics["gauge"]["value"], attributes)
    return reader.get_metrics_data()


def main():
    plan = json.load(sys.stdin.buffer)
    resource = Resource.create(plan["resource"])
    span_exporter, log_exporter, metric_exporter = exporters(plan)

    spans, in_parent = record_spans(plan, resource)
    logs = record_logs(plan, resource, in_parent)
    metrics = record_metrics(plan, resource)
    export("span", span_exporter, spans, SpanExportResult.SUCCESS)
    export("log", log_exporter, logs, LogRecordExportResult.SUCCESS)
    export("metric", metric_exporter, metrics, MetricExportResult.SUCCESS)
    for exporter in (span_exporter, log_exporter, metric_exporter):
        exporter.shutdown()

    parent = next(span for span in spans if span.parent is None)
    child = next(span for span in spans if span.parent is not None)
    exception = next(event for event in parent.events if event.name == "exception")
    json.dump(
        {
            "trace_id": f"{parent.context.trace_id:032x}",
            "parent_span_id": f"{parent.context.span_id:016x}",
            "child_span_id": f"{child.context.span_id:016x}",
            "resource": dict(resource.attributes),
            "exception": dict(exception.attributes),
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
