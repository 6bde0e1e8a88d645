//! Shared test inputs: the reference's integration fodder (`tests-integration/test_fodder.go`)
//! built twice, once as SDK data and once as OTLP protobuf, plus realistic spans for the
//! allocation test and the benchmark; and a parser-based line comparison.
#![allow(dead_code, unreachable_pub)]

use std::{
    borrow::Cow,
    collections::BTreeMap,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use opentelemetry::{
    InstrumentationScope, KeyValue,
    logs::{AnyValue, LogRecord as _, Logger as _, LoggerProvider as _, Severity},
    trace::{Event, Link, SpanContext, SpanId, SpanKind, Status, TraceFlags, TraceId, TraceState},
};
use opentelemetry_proto::tonic::{
    collector::{logs::v1::ExportLogsServiceRequest, trace::v1::ExportTraceServiceRequest},
    common::v1::{AnyValue as PAnyValue, KeyValue as PKeyValue, any_value::Value as PValue},
    logs::v1::{LogRecord as PLogRecord, ResourceLogs, ScopeLogs},
    trace::v1::{ResourceSpans, ScopeSpans, Span as PSpan, span},
};
use opentelemetry_sdk::{
    logs::{SdkLogRecord, SdkLoggerProvider},
    trace::{SpanData, SpanEvents, SpanLinks},
};

pub fn time(ns: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_nanos(ns)
}

pub fn trace_id(hi: u8, lo: u8) -> [u8; 16] {
    let mut id = [0; 16];
    id[7] = hi;
    id[15] = lo;
    id
}

pub fn span_id(n: u8) -> [u8; 8] {
    [0, 0, 0, 0, 0, 0, 0, n]
}

fn context(trace: [u8; 16], span: [u8; 8]) -> SpanContext {
    SpanContext::new(
        TraceId::from_bytes(trace),
        SpanId::from_bytes(span),
        TraceFlags::SAMPLED,
        false,
        TraceState::default(),
    )
}

/// A span with everything empty but ids, name, kind and times.
pub fn sdk_span(
    trace: [u8; 16],
    span: [u8; 8],
    parent: [u8; 8],
    name: &'static str,
    kind: SpanKind,
    start: u64,
    end: u64,
) -> SpanData {
    SpanData {
        span_context: context(trace, span),
        parent_span_id: SpanId::from_bytes(parent),
        parent_span_is_remote: false,
        span_kind: kind,
        name: Cow::Borrowed(name),
        start_time: time(start),
        end_time: time(end),
        attributes: Vec::new(),
        dropped_attributes_count: 0,
        events: SpanEvents::default(),
        links: SpanLinks::default(),
        status: Status::Unset,
        instrumentation_scope: InstrumentationScope::builder("fodder").build(),
    }
}

/// The reference's three trace fodder spans, as SDK data.
pub fn fodder_sdk_spans() -> Vec<SpanData> {
    let mut first = sdk_span(
        trace_id(2, 1),
        span_id(3),
        [0; 8],
        "cpu_temp",
        SpanKind::Internal,
        1622848000000000000,
        1622848100000000000,
    );
    first.attributes = vec![KeyValue::new("k", true)];
    first.dropped_attributes_count = 7;
    let mut event = Event::new(
        "yay-event",
        time(1622848000000000001),
        vec![KeyValue::new("foo", "bar")],
        5,
    );
    event.dropped_attributes_count = 5;
    first.events.events = vec![event];
    first.events.dropped_count = 13;
    first.links.links = vec![Link::new(
        context(trace_id(2, 2), span_id(3)),
        vec![KeyValue::new("yay-link", 123)],
        19,
    )];
    first.links.dropped_count = 17;
    let second = sdk_span(
        trace_id(2, 1),
        span_id(4),
        span_id(3),
        "http_request",
        SpanKind::Client,
        1622848000000000002,
        1622848000000000005,
    );
    let third = sdk_span(
        trace_id(2, 2),
        span_id(5),
        [0; 8],
        "process_batch",
        SpanKind::Consumer,
        1622848000000000010,
        1622848000000000012,
    );
    vec![first, second, third]
}

pub fn pkv(key: &str, value: PValue) -> PKeyValue {
    PKeyValue {
        key: key.into(),
        value: Some(PAnyValue { value: Some(value) }),
        ..Default::default()
    }
}

pub fn proto_span(
    trace: [u8; 16],
    span: [u8; 8],
    parent: [u8; 8],
    name: &str,
    kind: i32,
    start: u64,
    end: u64,
) -> PSpan {
    PSpan {
        trace_id: trace.to_vec(),
        span_id: span.to_vec(),
        parent_span_id: if parent == [0; 8] {
            Vec::new()
        } else {
            parent.to_vec()
        },
        name: name.into(),
        kind,
        start_time_unix_nano: start,
        end_time_unix_nano: end,
        ..Default::default()
    }
}

pub fn proto_request(spans: Vec<PSpan>) -> ExportTraceServiceRequest {
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            scope_spans: vec![ScopeSpans {
                spans,
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

/// The reference's three trace fodder spans, as OTLP protobuf.
pub fn fodder_proto_traces() -> ExportTraceServiceRequest {
    let mut first = proto_span(
        trace_id(2, 1),
        span_id(3),
        [0; 8],
        "cpu_temp",
        1,
        1622848000000000000,
        1622848100000000000,
    );
    first.attributes = vec![pkv("k", PValue::BoolValue(true))];
    first.dropped_attributes_count = 7;
    first.events = vec![span::Event {
        time_unix_nano: 1622848000000000001,
        name: "yay-event".into(),
        attributes: vec![pkv("foo", PValue::StringValue("bar".into()))],
        dropped_attributes_count: 5,
    }];
    first.dropped_events_count = 13;
    first.links = vec![span::Link {
        trace_id: trace_id(2, 2).to_vec(),
        span_id: span_id(3).to_vec(),
        attributes: vec![pkv("yay-link", PValue::IntValue(123))],
        dropped_attributes_count: 19,
        ..Default::default()
    }];
    first.dropped_links_count = 17;
    proto_request(vec![
        first,
        proto_span(
            trace_id(2, 1),
            span_id(4),
            span_id(3),
            "http_request",
            3,
            1622848000000000002,
            1622848000000000005,
        ),
        proto_span(
            trace_id(2, 2),
            span_id(5),
            [0; 8],
            "process_batch",
            5,
            1622848000000000010,
            1622848000000000012,
        ),
    ])
}

/// The expected lines of the trace fodder, sorted fields, in emission order (event, link, span).
pub const FODDER_TRACE_LINES: &str = r#"logs,span_id=0000000000000003,trace_id=00000000000000020000000000000001 attributes="{\"foo\":\"bar\"}",dropped_attributes_count=5u,event.name="yay-event" 1622848000000000001
span-links,linked_span_id=0000000000000003,linked_trace_id=00000000000000020000000000000002,span_id=0000000000000003,trace_id=00000000000000020000000000000001 attributes="{\"yay-link\":123}",dropped_attributes_count=19u 1622848000000000000
spans,span_id=0000000000000003,trace_id=00000000000000020000000000000001 attributes="{\"k\":true}",dropped_attributes_count=7u,dropped_events_count=13u,dropped_links_count=17u,duration_nano=100000000000i,end_time_unix_nano=1622848100000000000i,span.kind="Internal",span.name="cpu_temp" 1622848000000000000
spans,span_id=0000000000000004,trace_id=00000000000000020000000000000001 duration_nano=3i,end_time_unix_nano=1622848000000000005i,parent_span_id="0000000000000003",span.kind="Client",span.name="http_request" 1622848000000000002
spans,span_id=0000000000000005,trace_id=00000000000000020000000000000002 duration_nano=2i,end_time_unix_nano=1622848000000000012i,span.kind="Consumer",span.name="process_batch" 1622848000000000010
"#;

/// The reference's expected trace lines, verbatim (its field order is arbitrary).
pub const REFERENCE_TRACE_LINES: &str = r#"spans,span_id=0000000000000003,trace_id=00000000000000020000000000000001 duration_nano=100000000000i,end_time_unix_nano=1622848100000000000i,span.kind="Internal",attributes="{\"k\":true}",dropped_attributes_count=7u,dropped_events_count=13u,dropped_links_count=17u,span.name="cpu_temp" 1622848000000000000
logs,span_id=0000000000000003,trace_id=00000000000000020000000000000001 attributes="{\"foo\":\"bar\"}",dropped_attributes_count=5u,event.name="yay-event" 1622848000000000001
span-links,linked_span_id=0000000000000003,linked_trace_id=00000000000000020000000000000002,span_id=0000000000000003,trace_id=00000000000000020000000000000001 dropped_attributes_count=19u,attributes="{\"yay-link\":123}" 1622848000000000000
spans,span_id=0000000000000004,trace_id=00000000000000020000000000000001 duration_nano=3i,end_time_unix_nano=1622848000000000005i,span.kind="Client",parent_span_id="0000000000000003",span.name="http_request" 1622848000000000002
spans,span_id=0000000000000005,trace_id=00000000000000020000000000000002 duration_nano=2i,end_time_unix_nano=1622848000000000012i,span.kind="Consumer",span.name="process_batch" 1622848000000000010
"#;

/// The reference's expected log line, verbatim.
pub const REFERENCE_LOG_LINE: &str = r#"logs,span_id=0000000000000003,trace_id=00000000000000020000000000000001 body="something-happened",attributes="{\"k\":true}",dropped_attributes_count=5u,severity_number=9i,severity_text="info" 1622848686000000000
"#;

/// The log fodder, as OTLP protobuf.
pub fn fodder_proto_logs() -> ExportLogsServiceRequest {
    ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            scope_logs: vec![ScopeLogs {
                log_records: vec![PLogRecord {
                    time_unix_nano: 1622848686000000000,
                    severity_number: 9,
                    severity_text: "info".into(),
                    body: Some(PAnyValue {
                        value: Some(PValue::StringValue("something-happened".into())),
                    }),
                    attributes: vec![pkv("k", PValue::BoolValue(true))],
                    dropped_attributes_count: 5,
                    trace_id: trace_id(2, 1).to_vec(),
                    span_id: span_id(3).to_vec(),
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

/// A fresh SDK log record (records can only be made by a logger).
pub fn sdk_log_record() -> SdkLogRecord {
    let provider = SdkLoggerProvider::builder().build();
    provider.logger("fodder").create_log_record()
}

/// The log fodder, as an SDK record (the SDK has no dropped-attributes count to set).
pub fn fodder_sdk_log() -> SdkLogRecord {
    let mut record = sdk_log_record();
    record.set_timestamp(time(1622848686000000000));
    record.set_severity_number(Severity::Info);
    record.set_severity_text("info");
    record.set_body(AnyValue::from("something-happened"));
    record.add_attribute("k", true);
    record.set_trace_context(
        TraceId::from_bytes(trace_id(2, 1)),
        SpanId::from_bytes(span_id(3)),
        None,
    );
    record
}

/// A realistic server span: 10 attributes of mixed types, one event, one link.
pub fn realistic_sdk_span(n: u64) -> SpanData {
    let mut span = sdk_span(
        {
            let mut t = [0x4b; 16];
            t[..8].copy_from_slice(&n.to_be_bytes());
            t
        },
        (n + 1).to_be_bytes(),
        (n + 2).to_be_bytes(),
        "GET /api/v1/orders/{id}",
        SpanKind::Server,
        1_700_000_000_000_000_000 + n * 1000,
        1_700_000_000_000_000_000 + n * 1000 + 1_234_567,
    );
    span.attributes = vec![
        KeyValue::new("http.request.method", "GET"),
        KeyValue::new("http.route", "/api/v1/orders/{id}"),
        KeyValue::new("url.path", "/api/v1/orders/42?expand=<items>&x=1"),
        KeyValue::new("http.response.status_code", 200),
        KeyValue::new("server.address", "orders.internal"),
        KeyValue::new("server.port", 8443),
        KeyValue::new("network.protocol.version", "1.1"),
        KeyValue::new("client.address", "10.1.2.3"),
        KeyValue::new("user_agent.original", "curl/8.5.0"),
        KeyValue::new("db.duration_ratio", 0.125),
    ];
    span.events.events = vec![Event::new(
        "cache.miss",
        time(1_700_000_000_000_000_000 + n * 1000 + 10),
        vec![KeyValue::new("cache.key", "order:42")],
        0,
    )];
    span.links.links = vec![Link::new(
        context([0x11; 16], [0x22; 8]),
        vec![KeyValue::new("link.kind", "follows")],
        0,
    )];
    span.status = Status::error("upstream \"timeout\"");
    span
}

/// A typed field value, for parsed comparisons.
#[derive(Debug, Clone, PartialEq)]
pub enum Field {
    I(i64),
    U(u64),
    F(f64),
    S(String),
    B(bool),
}

/// One parsed line: measurement, tags, typed fields, timestamp.
pub type Parsed = (
    String,
    BTreeMap<String, String>,
    BTreeMap<String, Field>,
    Option<i64>,
);

/// Parses lines with the `influxdb-line-protocol` crate (an independent parser).
pub fn parse(text: &str) -> Vec<Parsed> {
    use influxdb_line_protocol::FieldValue;
    influxdb_line_protocol::parse_lines(text)
        .map(|line| {
            let line = line.unwrap_or_else(|e| panic!("unparsable line: {e}\n{text}"));
            let tags = line
                .series
                .tag_set
                .iter()
                .flatten()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            let fields = line
                .field_set
                .iter()
                .map(|(k, v)| {
                    let v = match v {
                        FieldValue::I64(i) => Field::I(*i),
                        FieldValue::U64(u) => Field::U(*u),
                        FieldValue::F64(f) => Field::F(*f),
                        FieldValue::String(s) => Field::S(s.to_string()),
                        FieldValue::Boolean(b) => Field::B(*b),
                    };
                    (k.to_string(), v)
                })
                .collect();
            (
                line.series.measurement.to_string(),
                tags,
                fields,
                line.timestamp,
            )
        })
        .collect()
}

/// Parsed lines, order-insensitive (the reference's own comparison, plus timestamps).
pub fn parse_sorted(text: &str) -> Vec<Parsed> {
    let mut lines = parse(text);
    lines.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
    lines
}
