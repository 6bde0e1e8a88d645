//! Quickstart: an app whose tracer, logger and meter providers export through `sdk-exporter`.
//!
//! It handles one pretend HTTP request: a server span with a database child and a cache child,
//! an event, an error status, a log record inside the trace and a request counter.
//!
//! ```text
//! cargo run --example quickstart                 # no server needed: line protocol on stdout
//! OTEL_EXPORTER_DATALAYERS_ENDPOINT=http://127.0.0.1:8361 \
//! OTEL_EXPORTER_DATALAYERS_DATABASE=otel cargo run --example quickstart   # into Datalayers
//! ```
//!
//! Every `OTEL_EXPORTER_DATALAYERS_*` variable works here (`_PROTOCOL=influxdb-v1` for InfluxDB
//! 1.x, `_USERNAME`/`_PASSWORD`, `_TIMEOUT`, ...).

use std::error::Error;

use opentelemetry::logs::{LogRecord as _, Logger as _, LoggerProvider as _, Severity};
use opentelemetry::metrics::MeterProvider as _;
use opentelemetry::trace::{
    Span as _, SpanKind, Status, TraceContextExt as _, Tracer as _, TracerProvider as _,
};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::logs::SdkLoggerProvider;
use opentelemetry_sdk::metrics::SdkMeterProvider;
use opentelemetry_sdk::trace::SdkTracerProvider;
use otel_datalayers::datalayers_client::config::OTEL_EXPORTER_DATALAYERS_ENDPOINT;
use otel_datalayers::sdk_exporter::{LogExporter, MetricExporter, SpanExporter};

fn main() -> Result<(), Box<dyn Error>> {
    // 1. The span exporter's builder: HTTP when an endpoint is configured, else stdout. The log and
    //    metric exporters come from it (`for_exporter`), sharing its connection pool and counters.
    let builder = match std::env::var(OTEL_EXPORTER_DATALAYERS_ENDPOINT) {
        Ok(endpoint) if !endpoint.trim().is_empty() => {
            eprintln!("quickstart: exporting to {endpoint}");
            SpanExporter::builder()
        }
        _ => {
            eprintln!(
                "quickstart: {OTEL_EXPORTER_DATALAYERS_ENDPOINT} is not set, writing line protocol to stdout"
            );
            SpanExporter::builder().with_stdout()
        }
    };

    // 2. The providers, as in any OpenTelemetry app.
    let resource = Resource::builder().with_service_name("quickstart").build();
    let tracer_provider = SdkTracerProvider::builder()
        .with_resource(resource.clone())
        .with_batch_exporter(builder.build()?)
        .build();
    let logger_provider = SdkLoggerProvider::builder()
        .with_resource(resource.clone())
        .with_batch_exporter(builder.for_exporter::<LogExporter>().build()?)
        .build();
    let meter_provider = SdkMeterProvider::builder()
        .with_resource(resource)
        .with_periodic_exporter(builder.for_exporter::<MetricExporter>().build()?)
        .build();

    // 3. The app.
    let tracer = tracer_provider.tracer("quickstart");
    let logger = logger_provider.logger("quickstart");
    let requests = meter_provider
        .meter("quickstart")
        .u64_counter("http_requests")
        .build();

    // An HTTP handler span with a database child and a cache child.
    let handler = tracer
        .span_builder("GET /orders/{id}")
        .with_kind(SpanKind::Server)
        .with_attributes([
            KeyValue::new("http.request.method", "GET"),
            KeyValue::new("http.route", "/orders/{id}"),
            KeyValue::new("url.path", "/orders/42"),
        ])
        .start(&tracer);
    let cx = Context::current_with_span(handler);
    let active = cx.clone().attach(); // children and the log record below join this trace
    let span = cx.span();

    let mut db = tracer
        .span_builder("SELECT orders")
        .with_kind(SpanKind::Client)
        .with_attributes([
            KeyValue::new("db.system", "postgresql"),
            KeyValue::new("db.statement", "SELECT * FROM orders WHERE id = $1"),
        ])
        .start(&tracer);
    db.end();
    let mut cache = tracer
        .span_builder("GET cart:42")
        .with_kind(SpanKind::Client)
        .with_attributes([
            KeyValue::new("db.system", "redis"),
            KeyValue::new("cache.hit", false),
        ])
        .start(&tracer);
    cache.end();

    span.add_event("cache miss", vec![KeyValue::new("cache.key", "cart:42")]);
    span.set_attribute(KeyValue::new("http.response.status_code", 502));
    span.set_status(Status::error("cart service unavailable"));

    // A log record inside the trace: the SDK attaches the active trace and span ids.
    let mut record = logger.create_log_record();
    record.set_severity_number(Severity::Error);
    record.set_severity_text("ERROR");
    record.set_body("order lookup failed: cart service unavailable".into());
    record.add_attribute("order.id", 42);
    logger.emit(record);

    requests.add(
        1,
        &[
            KeyValue::new("http.route", "/orders/{id}"),
            KeyValue::new("status", "502"),
        ],
    );
    span.end();
    drop(active);

    // 4. Shutdown flushes everything still queued.
    tracer_provider.shutdown()?;
    logger_provider.shutdown()?;
    meter_provider.shutdown()?;
    eprintln!("quickstart: {}", builder.stats_handle().snapshot());
    Ok(())
}
