"""Captures what the real OpenTelemetry Python SDK sends over OTLP/HTTP, JSON and protobuf.

Usage: python capture_otlp.py OUT_DIR

Needs the pinned set scripts/install-test-peers.sh installs (opentelemetry-sdk==1.45.2,
opentelemetry-exporter-otlp-proto-http==1.45.1, opentelemetry-exporter-otlp-json-http==0.66b1);
crates/otel-lp/tests/python_sdk.rs runs it with that virtualenv.

The same telemetry goes through both exporters (`opentelemetry-exporter-otlp-json-http` and
`-proto-http`) to a small HTTP server in this process, which saves each request body as sent:

- traces.json / traces.pb: a resource with a quoted, comma-holding value; array attributes; an
  exception event; a link; error statuses; one span with float("nan") and float("inf")
  attributes beside a db.statement.
- logs.json / logs.pb: records with a body, severity, trace context, a NaN attribute.
- metrics.json / metrics.pb: a gauge, a counter, a histogram.
- empty-traces.json: what the JSON exporter sends for an empty export (`{}`), if it sends one.

Ids and timestamps are fixed, so that a new capture differs from the committed one only when an
SDK or exporter changes what it sends (metric timestamps come from the SDK's clock).
"""

import http.server
import json
import os
import sys
import threading

from opentelemetry.exporter.otlp.json.http._log_exporter import (
    OTLPLogExporter as JsonLogExporter,
)
from opentelemetry.exporter.otlp.json.http.metric_exporter import (
    OTLPMetricExporter as JsonMetricExporter,
)
from opentelemetry.exporter.otlp.json.http.trace_exporter import (
    OTLPSpanExporter as JsonSpanExporter,
)
from opentelemetry.exporter.otlp.proto.http._log_exporter import (
    OTLPLogExporter as ProtoLogExporter,
)
from opentelemetry.exporter.otlp.proto.http.metric_exporter import (
    OTLPMetricExporter as ProtoMetricExporter,
)
from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
    OTLPSpanExporter as ProtoSpanExporter,
)
from opentelemetry.metrics import Observation
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import (
    InMemoryLogRecordExporter,
    SimpleLogRecordProcessor,
)
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.id_generator import IdGenerator
from opentelemetry._logs import SeverityNumber
from opentelemetry.trace import (
    Link,
    NonRecordingSpan,
    SpanContext,
    SpanKind,
    Status,
    StatusCode,
    TraceFlags,
    set_span_in_context,
)

# 2024-05-01T12:00:00Z
BASE_NS = 1_714_564_800_000_000_000


class FixedIds(IdGenerator):
    """Deterministic ids: one trace, spans numbered from 1."""

    def __init__(self):
        self.next_span = 0

    def generate_span_id(self):
        self.next_span += 1
        return 0x1000_0000_0000_0000 + self.next_span

    def generate_trace_id(self):
        return 0x4BF9_2F35_77B3_4DA6_A3CE_929D_0E0E_4736


class Capture(http.server.BaseHTTPRequestHandler):
    """Saves each POST body as OUT_DIR/<name>: the path names the exporter, the
    content type names the encoding."""

    out_dir = "."
    empty_exports = 0

    def do_POST(self):  # noqa: N802 (the http.server API)
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        signal = self.path.rstrip("/").rsplit("/", 1)[-1]
        kind = self.headers.get("Content-Type", "")
        extension = "json" if "json" in kind else "pb"
        name = f"{signal}.{extension}"
        if self.path.startswith("/empty/"):
            name = f"empty-{name}"
        with open(os.path.join(self.out_dir, name), "wb") as file:
            file.write(body)
        reply = b"{}" if extension == "json" else b""
        self.send_response(200)
        self.send_header("Content-Type", kind or "application/octet-stream")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args):
        pass


def exporters(base, json_class, proto_class, signal):
    return (
        json_class(endpoint=f"{base}/json/v1/{signal}"),
        proto_class(endpoint=f"{base}/proto/v1/{signal}"),
    )


def traces(base, resource):
    provider = TracerProvider(resource=resource, id_generator=FixedIds())
    # Collected first, then sent as one request through each exporter.
    memory = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracer = provider.get_tracer("checkout.handlers", "2.1.0", attributes={"scope.kind": "web"})

    at = lambda ms: BASE_NS + ms * 1_000_000  # noqa: E731
    linked = SpanContext(
        trace_id=0x0AF7_6519_16CD_43DD_8448_EB21_1C80_319C,
        span_id=0x00F0_67AA_0BA9_02B7,
        is_remote=True,
        trace_flags=TraceFlags(TraceFlags.SAMPLED),
    )
    root = tracer.start_span(
        "POST /cart/checkout",
        kind=SpanKind.SERVER,
        start_time=at(0),
        attributes={
            "http.request.method": "POST",
            "http.response.status_code": 500,
            "http.request.header.accept": ["text/html", "application/json"],
            "retry.delays_ms": [10, 20, 40],
            "feature.flags": [True, False],
            "sampling.weights": [0.25, 1.5],
        },
        links=[Link(linked, {"link.reason": "retry of an earlier request"})],
    )
    parent = set_span_in_context(root)
    db = tracer.start_span(
        "SELECT orders",
        kind=SpanKind.CLIENT,
        context=parent,
        start_time=at(5),
        attributes={
            "db.system": "postgresql",
            "db.statement": "SELECT * FROM orders WHERE id = $1 AND note = 'a \"b\", c'",
            "db.rows.ratio": float("nan"),
            "db.cost.estimate": float("inf"),
            "db.cost.floor": float("-inf"),
            "db.row_count": 3,
        },
    )
    db.set_status(Status(StatusCode.OK))
    db.end(end_time=at(25))
    pay = tracer.start_span("charge card", kind=SpanKind.INTERNAL, context=parent, start_time=at(30))
    try:
        raise ValueError('card declined: "insufficient funds", code=51')
    except ValueError as error:
        pay.record_exception(
            error,
            # A fixed stack trace: the real one would name this machine's paths.
            attributes={
                "payment.attempt": 2,
                "exception.stacktrace": (
                    "Traceback (most recent call last):\n"
                    '  File "checkout/payments.py", line 42, in charge\n'
                    "    raise ValueError(reason)\n"
                    'ValueError: card declined: "insufficient funds", code=51\n'
                ),
            },
            timestamp=at(40),
            escaped=True,
        )
    pay.set_status(Status(StatusCode.ERROR, "payment failed"))
    pay.end(end_time=at(45))
    root.add_event("checkout.failed", {"cart.items": 3}, timestamp=at(46))
    root.set_status(Status(StatusCode.ERROR))
    root.end(end_time=at(50))
    spans = memory.get_finished_spans()
    for exporter in exporters(base, JsonSpanExporter, ProtoSpanExporter, "traces"):
        exporter.export(spans)
        exporter.shutdown()
    provider.shutdown()

    # What the JSON exporter sends for an export without spans.
    empty, _ = exporters(base + "/empty", JsonSpanExporter, ProtoSpanExporter, "traces")
    empty.export([])


def logs(base, resource):
    provider = LoggerProvider(resource=resource)
    memory = InMemoryLogRecordExporter()
    provider.add_log_record_processor(SimpleLogRecordProcessor(memory))
    logger = provider.get_logger("checkout.payments", "2.1.0")
    context = set_span_in_context(
        NonRecordingSpan(
            SpanContext(
                trace_id=0x4BF9_2F35_77B3_4DA6_A3CE_929D_0E0E_4736,
                span_id=0x1000_0000_0000_0003,
                is_remote=False,
                trace_flags=TraceFlags(TraceFlags.SAMPLED),
            )
        )
    )
    logger.emit(
        timestamp=BASE_NS + 41_000_000,
        observed_timestamp=BASE_NS + 42_000_000,
        context=context,
        severity_number=SeverityNumber.ERROR,
        severity_text="ERROR",
        body="card declined, order 7 \"blue\"",
        attributes={
            "payment.attempt": 2,
            "payment.score": float("nan"),
            "payment.methods": ["card", "voucher"],
        },
    )
    logger.emit(
        timestamp=BASE_NS + 43_000_000,
        severity_number=SeverityNumber.INFO,
        body={"order": 7, "items": ["a", "b"], "total": 12.5},
    )
    records = memory.get_finished_logs()
    for exporter in exporters(base, JsonLogExporter, ProtoLogExporter, "logs"):
        exporter.export(records)
        exporter.shutdown()
    provider.shutdown()


def metrics(base, resource):
    reader = InMemoryMetricReader()
    provider = MeterProvider(resource=resource, metric_readers=[reader])
    meter = provider.get_meter("checkout.metrics", "2.1.0")
    meter.create_observable_gauge(
        "queue.fill_ratio",
        callbacks=[
            lambda _: [
                # (The SDK itself drops a NaN observation, so none is sent here.)
                Observation(0.75, {"queue": "payments"}),
            ]
        ],
    )
    counter = meter.create_counter("orders.placed", unit="1")
    counter.add(3, {"region": "eu, west"})
    histogram = meter.create_histogram("checkout.duration", unit="ms")
    for value in (12.5, 48.0, 230.0):
        histogram.record(value, {"route": "/cart"})
    data = reader.get_metrics_data()
    for exporter in exporters(base, JsonMetricExporter, ProtoMetricExporter, "metrics"):
        exporter.export(data)
        exporter.shutdown()
    provider.shutdown()


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else "."
    os.makedirs(out_dir, exist_ok=True)
    Capture.out_dir = out_dir
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Capture)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    resource = Resource.create(
        {
            "service.name": "checkout",
            "service.instance.id": "checkout-7",
            "service.version": "2.1.0",
            "deployment.environment": 'eu "west", zone=2',
        }
    )
    traces(base, resource)
    logs(base, resource)
    metrics(base, resource)
    server.shutdown()
    # The JSON request must be valid JSON with the non-finite doubles as proto3 JSON strings.
    with open(os.path.join(out_dir, "traces.json"), encoding="utf-8") as file:
        text = file.read()
    json.loads(text)
    assert '"NaN"' in text and '"Infinity"' in text, text
    print(f"captured into {out_dir}: {sorted(os.listdir(out_dir))}")


if __name__ == "__main__":
    main()
