//! Realistic synthetic OTLP requests: what `generate` sends.
//!
//! Spans carry ten attributes of every type and an event, and come in traces of ten (a root
//! and its children); log records have a body, a severity, six attributes and, for half of
//! them, a trace context; metrics are gauges, counters and histograms with resource
//! attributes. Every request gets its own ids and times, so a database stores every item.

use std::time::{SystemTime, UNIX_EPOCH};

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{
    AnyValue, ArrayValue, InstrumentationScope, KeyValue, any_value::Value,
};
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use opentelemetry_proto::tonic::metrics::v1::{
    AggregationTemporality, Gauge, Histogram, HistogramDataPoint, Metric, NumberDataPoint,
    ResourceMetrics, ScopeMetrics, Sum, metric::Data, number_data_point,
};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span, span::Event};

/// Spans per trace.
const TRACE_LEN: usize = 10;
const SERVICES: [&str; 4] = ["checkout", "cart", "payments", "inventory"];
const ROUTES: [&str; 5] = ["/cart", "/cart/items", "/checkout", "/pay", "/stock/{sku}"];

fn kv(key: &str, value: Value) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue { value: Some(value) }),
        ..Default::default()
    }
}

fn text(key: &str, value: impl Into<String>) -> KeyValue {
    kv(key, Value::StringValue(value.into()))
}

fn resource(n: u64) -> Resource {
    Resource {
        attributes: vec![
            text("service.name", SERVICES[n as usize % SERVICES.len()]),
            text("service.version", "1.4.2"),
            text("host.name", format!("edge-{:02}", n % 16)),
            text("deployment.environment", "load-test"),
        ],
        ..Default::default()
    }
}

fn scope() -> InstrumentationScope {
    InstrumentationScope {
        name: "otel-lp-generate".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        ..Default::default()
    }
}

/// Nanoseconds since the epoch, now.
pub(crate) fn now_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

/// Request `n` of `items` spans.
pub(crate) fn traces(n: u64, items: usize, start_ns: u64) -> ExportTraceServiceRequest {
    let spans = (0..items)
        .map(|i| {
            let id = n * items as u64 + i as u64;
            let trace = id / TRACE_LEN as u64;
            let root = trace * TRACE_LEN as u64;
            let start = start_ns + (id % 1000) * 1_000;
            let route = ROUTES[(id % ROUTES.len() as u64) as usize];
            let status = if id.is_multiple_of(50) { 500 } else { 200 };
            Span {
                trace_id: (u128::from(trace) | (0x5eed_u128 << 112))
                    .to_be_bytes()
                    .to_vec(),
                span_id: (id + 1).to_be_bytes().to_vec(),
                parent_span_id: if id == root {
                    Vec::new()
                } else {
                    (root + 1).to_be_bytes().to_vec()
                },
                name: format!("GET {route}"),
                kind: if id == root { 2 } else { 3 },
                start_time_unix_nano: start,
                end_time_unix_nano: start + 250_000 + (id % 97) * 10_000,
                attributes: vec![
                    text("http.method", "GET"),
                    text("http.route", route),
                    kv("http.status_code", Value::IntValue(status)),
                    text("net.peer.name", "10.0.3.17"),
                    text("user.id", format!("u-{}", id % 1000)),
                    text("db.system", "postgresql"),
                    kv("retry.count", Value::IntValue((id % 3) as i64)),
                    kv("sample.ratio", Value::DoubleValue(0.25)),
                    kv("cache.hit", Value::BoolValue(id.is_multiple_of(2))),
                    kv(
                        "feature.flags",
                        Value::ArrayValue(ArrayValue {
                            values: vec![
                                AnyValue {
                                    value: Some(Value::StringValue("new-cart".into())),
                                },
                                AnyValue {
                                    value: Some(Value::StringValue("fast-pay".into())),
                                },
                            ],
                        }),
                    ),
                ],
                events: vec![Event {
                    time_unix_nano: start + 100_000,
                    name: "cache lookup".into(),
                    attributes: vec![text("cache.key", format!("sku:{}", id % 5000))],
                    ..Default::default()
                }],
                status: (status == 500).then(|| opentelemetry_proto::tonic::trace::v1::Status {
                    message: "upstream timeout".into(),
                    code: 2,
                }),
                ..Default::default()
            }
        })
        .collect();
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(resource(n)),
            scope_spans: vec![ScopeSpans {
                scope: Some(scope()),
                spans,
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

/// Request `n` of `items` log records.
pub(crate) fn logs(n: u64, items: usize, start_ns: u64) -> ExportLogsServiceRequest {
    let records = (0..items)
        .map(|i| {
            let id = n * items as u64 + i as u64;
            let time = start_ns + (id % 1000) * 1_000;
            let traced = id.is_multiple_of(2);
            LogRecord {
                time_unix_nano: time,
                observed_time_unix_nano: time + 5_000,
                severity_number: if id.is_multiple_of(20) { 17 } else { 9 },
                severity_text: if id.is_multiple_of(20) {
                    "ERROR"
                } else {
                    "INFO"
                }
                .into(),
                body: Some(AnyValue {
                    value: Some(Value::StringValue(format!(
                        "order {} moved to state {}",
                        id % 10_000,
                        ["paid", "packed", "shipped"][(id % 3) as usize]
                    ))),
                }),
                attributes: vec![
                    text("order.id", format!("o-{}", id % 10_000)),
                    text(
                        "customer.tier",
                        ["gold", "silver", "bronze"][(id % 3) as usize],
                    ),
                    kv("items", Value::IntValue((id % 7) as i64 + 1)),
                    kv("amount", Value::DoubleValue((id % 500) as f64 + 0.99)),
                    kv("express", Value::BoolValue(id.is_multiple_of(4))),
                    text("code.function", "OrderService.advance"),
                ],
                trace_id: if traced {
                    (u128::from(id) | (0x106_u128 << 112))
                        .to_be_bytes()
                        .to_vec()
                } else {
                    Vec::new()
                },
                span_id: if traced {
                    (id + 1).to_be_bytes().to_vec()
                } else {
                    Vec::new()
                },
                ..Default::default()
            }
        })
        .collect();
    ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            resource: Some(resource(n)),
            scope_logs: vec![ScopeLogs {
                scope: Some(scope()),
                log_records: records,
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

/// Request `n` of `items` metric data points: a third each of gauges, counters and histograms
/// (ten buckets), one series per point.
pub(crate) fn metrics(n: u64, items: usize, start_ns: u64) -> ExportMetricsServiceRequest {
    let point_attrs = |id: u64| {
        vec![
            text("cpu", format!("cpu{}", id % 8)),
            text("mode", ["user", "system", "idle"][(id % 3) as usize]),
        ]
    };
    let time = start_ns;
    let mut gauges = Vec::new();
    let mut counters = Vec::new();
    let mut histograms = Vec::new();
    for i in 0..items {
        let id = n * items as u64 + i as u64;
        match i % 3 {
            0 => gauges.push(NumberDataPoint {
                attributes: point_attrs(id),
                time_unix_nano: time + i as u64,
                value: Some(number_data_point::Value::AsDouble(
                    (id % 100) as f64 / 100.0,
                )),
                ..Default::default()
            }),
            1 => counters.push(NumberDataPoint {
                attributes: point_attrs(id),
                start_time_unix_nano: time - 60_000_000_000,
                time_unix_nano: time + i as u64,
                value: Some(number_data_point::Value::AsInt(id as i64 * 3)),
                ..Default::default()
            }),
            _ => {
                let bucket_counts: Vec<u64> = (0..11).map(|b| (id + b) % 7).collect();
                histograms.push(HistogramDataPoint {
                    attributes: point_attrs(id),
                    start_time_unix_nano: time - 60_000_000_000,
                    time_unix_nano: time + i as u64,
                    count: bucket_counts.iter().sum(),
                    sum: Some((id % 1000) as f64 * 1.5),
                    bucket_counts,
                    explicit_bounds: vec![0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0],
                    ..Default::default()
                });
            }
        }
    }
    let mut metrics = Vec::new();
    if !gauges.is_empty() {
        metrics.push(Metric {
            name: "system.cpu.utilization".into(),
            unit: "1".into(),
            data: Some(Data::Gauge(Gauge {
                data_points: gauges,
            })),
            ..Default::default()
        });
    }
    if !counters.is_empty() {
        metrics.push(Metric {
            name: "http.server.requests".into(),
            unit: "{request}".into(),
            data: Some(Data::Sum(Sum {
                data_points: counters,
                aggregation_temporality: AggregationTemporality::Cumulative as i32,
                is_monotonic: true,
            })),
            ..Default::default()
        });
    }
    if !histograms.is_empty() {
        metrics.push(Metric {
            name: "http.server.duration".into(),
            unit: "s".into(),
            data: Some(Data::Histogram(Histogram {
                data_points: histograms,
                aggregation_temporality: AggregationTemporality::Cumulative as i32,
            })),
            ..Default::default()
        });
    }
    ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics {
            resource: Some(resource(n)),
            scope_metrics: vec![ScopeMetrics {
                scope: Some(scope()),
                metrics,
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}
