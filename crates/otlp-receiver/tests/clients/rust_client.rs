//! The Rust SDK's `opentelemetry-otlp` exporters (tonic and HTTP/protobuf) as a client of
//! `tests/clients.rs`, in process: records the plan with the SDK into its in-memory exporters,
//! then hands each batch to the OTLP exporter once and panics unless the export succeeds.

use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use opentelemetry::logs::{AnyValue, LogRecord as _, Logger as _, LoggerProvider as _, Severity};
use opentelemetry::metrics::MeterProvider as _;
use opentelemetry::trace::{
    Link, Span as _, SpanContext, SpanId, SpanKind, Status, TraceContextExt as _, TraceFlags,
    TraceId, TraceState, Tracer as _, TracerProvider as _,
};
use opentelemetry::{Array, Context, InstrumentationScope, Key, KeyValue, StringValue};
use opentelemetry_otlp::{
    Compression, LogExporter, MetricExporter, Protocol, SpanExporter, WithExportConfig as _,
    WithHttpConfig as _, WithTonicConfig as _,
};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::logs::in_memory_exporter::LogDataWithResource;
use opentelemetry_sdk::logs::{InMemoryLogExporter, LogBatch, LogExporter as _, SdkLoggerProvider};
use opentelemetry_sdk::metrics::data::ResourceMetrics;
use opentelemetry_sdk::metrics::exporter::PushMetricExporter as _;
use opentelemetry_sdk::metrics::{InMemoryMetricExporter, PeriodicReader, SdkMeterProvider};
use opentelemetry_sdk::trace::{
    InMemorySpanExporter, SdkTracerProvider, SpanData, SpanExporter as _,
};
use serde_json::{Map, Value, json};

use super::{Client, GRPC, Sent, nanos};

fn time(value: &Value) -> SystemTime {
    UNIX_EPOCH + Duration::from_nanos(nanos(value) as u64)
}

fn text(value: &Value) -> String {
    value.as_str().expect("a string in the plan").to_owned()
}

/// A plan attribute value as an OpenTelemetry attribute value (arrays are homogeneous).
fn attribute(value: &Value) -> opentelemetry::Value {
    match value {
        Value::Bool(b) => (*b).into(),
        Value::Number(n) if n.is_i64() => n.as_i64().unwrap().into(),
        Value::Number(n) => n.as_f64().unwrap().into(),
        Value::String(s) => s.clone().into(),
        Value::Array(items) => opentelemetry::Value::Array(match items.first() {
            Some(Value::Bool(_)) => Array::Bool(items.iter().filter_map(Value::as_bool).collect()),
            Some(Value::Number(n)) if n.is_i64() => {
                Array::I64(items.iter().filter_map(Value::as_i64).collect())
            }
            Some(Value::Number(_)) => Array::F64(items.iter().filter_map(Value::as_f64).collect()),
            _ => Array::String(
                items
                    .iter()
                    .map(|item| StringValue::from(text(item)))
                    .collect(),
            ),
        }),
        other => panic!("no attribute value for {other}"),
    }
}

fn attributes(map: &Value) -> Vec<KeyValue> {
    map.as_object()
        .expect("attributes")
        .iter()
        .map(|(key, value)| KeyValue::new(key.clone(), attribute(value)))
        .collect()
}

/// A plan value as a log body or log attribute value.
fn any_value(value: &Value) -> AnyValue {
    match value {
        Value::Bool(b) => AnyValue::Boolean(*b),
        Value::Number(n) if n.is_i64() => AnyValue::Int(n.as_i64().unwrap()),
        Value::Number(n) => AnyValue::Double(n.as_f64().unwrap()),
        Value::String(s) => AnyValue::String(s.clone().into()),
        Value::Array(items) => AnyValue::ListAny(Box::new(items.iter().map(any_value).collect())),
        Value::Object(map) => AnyValue::Map(Box::new(
            map.iter()
                .map(|(key, value)| (Key::from(key.clone()), any_value(value)))
                .collect::<HashMap<_, _>>(),
        )),
        Value::Null => panic!("no log value for null"),
    }
}

fn severity(number: &Value) -> Severity {
    match number.as_i64() {
        Some(13) => Severity::Warn,
        Some(17) => Severity::Error,
        other => panic!("a severity the plan does not use: {other:?}"),
    }
}

fn json_value(value: &opentelemetry::Value) -> Value {
    match value {
        opentelemetry::Value::Bool(b) => json!(b),
        opentelemetry::Value::I64(i) => json!(i),
        opentelemetry::Value::F64(f) => json!(f),
        other => json!(other.as_str()),
    }
}

/// Records the plan with the Rust SDK and exports each signal once through
/// `opentelemetry-otlp`; panics unless every export succeeds.
pub(super) async fn run(client: Client, plan: Value) -> Sent {
    let resource = Resource::builder()
        .with_attributes(attributes(&plan["resource"]))
        .build();
    let scope = InstrumentationScope::builder(text(&plan["scope"]["name"]))
        .with_version(text(&plan["scope"]["version"]))
        .build();
    let (spans, exception) = record_spans(&plan, &resource, &scope);
    let parent = spans
        .iter()
        .find(|span| span.parent_span_id == SpanId::INVALID)
        .expect("the parent span");
    let child = spans
        .iter()
        .find(|span| span.parent_span_id != SpanId::INVALID)
        .expect("the child span");
    let logs = record_logs(&plan, &resource, &scope, &parent.span_context);
    let metrics = record_metrics(&plan, &resource, &scope);

    let (mut span_exporter, mut log_exporter, metric_exporter) =
        exporters(client, &text(&plan["endpoint"]));
    span_exporter.set_resource(&resource);
    log_exporter.set_resource(&resource);
    span_exporter
        .export(spans.clone())
        .await
        .unwrap_or_else(|error| panic!("{client:?}: span export: {error}"));
    let batch: Vec<_> = logs
        .iter()
        .map(|log| (&log.record, &log.instrumentation))
        .collect();
    log_exporter
        .export(LogBatch::new(&batch))
        .await
        .unwrap_or_else(|error| panic!("{client:?}: log export: {error}"));
    metric_exporter
        .export(&metrics)
        .await
        .unwrap_or_else(|error| panic!("{client:?}: metric export: {error}"));

    Sent {
        trace_id: parent.span_context.trace_id().to_string(),
        parent_span_id: parent.span_context.span_id().to_string(),
        child_span_id: child.span_context.span_id().to_string(),
        resource: resource
            .iter()
            .map(|(key, value)| (key.to_string(), json_value(value)))
            .collect::<Map<_, _>>(),
        exception: exception
            .iter()
            .map(|kv| (kv.key.to_string(), json_value(&kv.value)))
            .collect(),
    }
}

/// The parent (event, exception, error status) and its child (link), ended, and the
/// exception event's attributes.
fn record_spans(
    plan: &Value,
    resource: &Resource,
    scope: &InstrumentationScope,
) -> (Vec<SpanData>, Vec<KeyValue>) {
    let recorded = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(recorded.clone())
        .with_resource(resource.clone())
        .build();
    let tracer = provider.tracer_with_scope(scope.clone());
    let parent_plan = &plan["parent"];
    let mut parent = tracer
        .span_builder(text(&parent_plan["name"]))
        .with_kind(SpanKind::Server)
        .with_attributes(attributes(&parent_plan["attributes"]))
        .with_start_time(time(&parent_plan["start"]))
        .start(&tracer);
    let event = &plan["event"];
    parent.add_event_with_timestamp(
        text(&event["name"]),
        time(&event["time"]),
        attributes(&event["attributes"]),
    );
    // The Rust API's `record_error` stamps the event with the current time; the same event
    // (semantic-convention names) with the planned time instead.
    let exception = vec![
        KeyValue::new("exception.type", "std::io::Error"),
        KeyValue::new("exception.message", text(&plan["exception"]["message"])),
    ];
    parent.add_event_with_timestamp(
        "exception",
        time(&plan["exception"]["time"]),
        exception.clone(),
    );
    parent.set_status(Status::error(text(&parent_plan["status_message"])));
    let in_parent = Context::current_with_span(parent);

    let link_plan = &plan["link"];
    let linked = SpanContext::new(
        TraceId::from_hex(&text(&link_plan["trace_id"])).expect("a trace id"),
        SpanId::from_hex(&text(&link_plan["span_id"])).expect("a span id"),
        TraceFlags::SAMPLED,
        true,
        TraceState::default(),
    );
    let link = Link::new(linked, attributes(&link_plan["attributes"]), 0);
    let child_plan = &plan["child"];
    let mut child = tracer
        .span_builder(text(&child_plan["name"]))
        .with_kind(SpanKind::Client)
        .with_attributes(attributes(&child_plan["attributes"]))
        .with_links(vec![link])
        .with_start_time(time(&child_plan["start"]))
        .start_with_context(&tracer, &in_parent);
    child.set_status(Status::Ok);
    child.end_with_timestamp(time(&child_plan["end"]));
    in_parent
        .span()
        .end_with_timestamp(time(&parent_plan["end"]));
    let spans = recorded.get_finished_spans().expect("recorded spans");
    (spans, exception)
}

/// Each planned log record; `in_span` ones carry the parent span's context.
fn record_logs(
    plan: &Value,
    resource: &Resource,
    scope: &InstrumentationScope,
    parent: &SpanContext,
) -> Vec<LogDataWithResource> {
    let recorded = InMemoryLogExporter::default();
    let provider = SdkLoggerProvider::builder()
        .with_simple_exporter(recorded.clone())
        .with_resource(resource.clone())
        .build();
    let logger = provider.logger_with_scope(scope.clone());
    for log in plan["logs"].as_array().expect("logs") {
        let mut record = logger.create_log_record();
        record.set_timestamp(time(&log["time"]));
        record.set_observed_timestamp(time(&log["observed"]));
        let severity = severity(&log["severity_number"]);
        assert_eq!(log["severity_text"], severity.name());
        record.set_severity_number(severity);
        record.set_severity_text(severity.name());
        record.set_body(any_value(&log["body"]));
        record.add_attributes(
            log["attributes"]
                .as_object()
                .expect("log attributes")
                .iter()
                .map(|(key, value)| (key.clone(), any_value(value))),
        );
        if log["in_span"] == true {
            record.set_trace_context(
                parent.trace_id(),
                parent.span_id(),
                Some(parent.trace_flags()),
            );
        }
        logger.emit(record);
    }
    recorded.get_emitted_logs().expect("recorded logs")
}

/// A counter, an up-down counter, a histogram and a gauge, collected once (cumulative).
fn record_metrics(
    plan: &Value,
    resource: &Resource,
    scope: &InstrumentationScope,
) -> ResourceMetrics {
    let recorded = InMemoryMetricExporter::default();
    let provider = SdkMeterProvider::builder()
        .with_reader(PeriodicReader::builder(recorded.clone()).build())
        .with_resource(resource.clone())
        .build();
    let meter = provider.meter_with_scope(scope.clone());
    let metrics = &plan["metrics"];
    let labels = attributes(&metrics["attributes"]);
    let numbers = |value: &Value| value.as_array().expect("numbers").clone();

    let counter = meter
        .u64_counter(text(&metrics["counter"]["name"]))
        .with_unit(text(&metrics["counter"]["unit"]))
        .build();
    for add in numbers(&metrics["counter"]["adds"]) {
        counter.add(add.as_u64().expect("a count"), &labels);
    }
    let up_down = meter
        .i64_up_down_counter(text(&metrics["up_down_counter"]["name"]))
        .build();
    for add in numbers(&metrics["up_down_counter"]["adds"]) {
        up_down.add(add.as_i64().expect("an integer"), &labels);
    }
    let histogram_plan = &metrics["histogram"];
    let bounds = numbers(&histogram_plan["bounds"]);
    let histogram = meter
        .f64_histogram(text(&histogram_plan["name"]))
        .with_unit(text(&histogram_plan["unit"]))
        .with_boundaries(bounds.iter().filter_map(Value::as_f64).collect())
        .build();
    for value in numbers(&histogram_plan["records"]) {
        histogram.record(value.as_f64().expect("a number"), &labels);
    }
    meter
        .f64_gauge(text(&metrics["gauge"]["name"]))
        .build()
        .record(
            metrics["gauge"]["value"].as_f64().expect("a number"),
            &labels,
        );

    provider.force_flush().expect("collect metrics");
    let mut collected = recorded.get_finished_metrics().expect("recorded metrics");
    assert_eq!(collected.len(), 1, "one collection");
    collected.remove(0)
}

/// The span, log and metric exporters of the client's protocol, gzip on or off.
fn exporters(client: Client, endpoint: &str) -> (SpanExporter, LogExporter, MetricExporter) {
    if client.protocol == GRPC {
        macro_rules! tonic_exporter {
            ($builder:expr) => {{
                let builder = $builder.with_tonic().with_endpoint(endpoint);
                let builder = if client.gzip {
                    builder.with_compression(Compression::Gzip)
                } else {
                    builder
                };
                builder.build().expect("tonic exporter")
            }};
        }
        (
            tonic_exporter!(SpanExporter::builder()),
            tonic_exporter!(LogExporter::builder()),
            tonic_exporter!(MetricExporter::builder()),
        )
    } else {
        // OTLP/HTTP takes each signal's full URL.
        macro_rules! http_exporter {
            ($builder:expr, $path:literal) => {{
                let builder = $builder
                    .with_http()
                    .with_protocol(Protocol::HttpBinary)
                    .with_http_client(reqwest::Client::new())
                    .with_endpoint(format!("{endpoint}{}", $path));
                let builder = if client.gzip {
                    builder.with_compression(Compression::Gzip)
                } else {
                    builder
                };
                builder.build().expect("HTTP exporter")
            }};
        }
        (
            http_exporter!(SpanExporter::builder(), "/v1/traces"),
            http_exporter!(LogExporter::builder(), "/v1/logs"),
            http_exporter!(MetricExporter::builder(), "/v1/metrics"),
        )
    }
}
