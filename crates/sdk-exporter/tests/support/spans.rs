//! Realistic spans built directly as `SpanData` (what the SDK hands to exporters): an HTTP server
//! span with a DB-call child and a cache child, the server span carrying an event and a link.

use std::borrow::Cow;
use std::time::{Duration, SystemTime};

use opentelemetry::trace::{
    Event, Link, SpanContext, SpanId, SpanKind, Status, TraceFlags, TraceId, TraceState,
};
use opentelemetry::{InstrumentationScope, KeyValue};
use opentelemetry_sdk::trace::{SpanData, SpanEvents, SpanLinks};

/// `traces` traces of three spans each (server, db, cache), in end order (children first).
pub(crate) fn request_spans(traces: usize) -> Vec<SpanData> {
    let scope = InstrumentationScope::builder("checkout-service")
        .with_version("1.4.2")
        .build();
    let base = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let mut spans = Vec::with_capacity(traces * 3);
    for i in 0..traces as u64 {
        let trace_id =
            TraceId::from(0x5b8a_a5a2_d2c8_72e8_321c_f37f_0000_0000_u128 + u128::from(i));
        let server_id = SpanId::from(0x1000_0000_0000_0000 + i * 3);
        let start = base + Duration::from_millis(i);
        let context = |span_id| {
            SpanContext::new(
                trace_id,
                span_id,
                TraceFlags::SAMPLED,
                false,
                TraceState::default(),
            )
        };
        let span =
            |span_id, parent, kind, name: &'static str, offset_us, duration_us, attributes| {
                SpanData {
                    span_context: context(span_id),
                    parent_span_id: parent,
                    parent_span_is_remote: false,
                    span_kind: kind,
                    name: Cow::Borrowed(name),
                    start_time: start + Duration::from_micros(offset_us),
                    end_time: start + Duration::from_micros(offset_us + duration_us),
                    attributes,
                    dropped_attributes_count: 0,
                    events: SpanEvents::default(),
                    links: SpanLinks::default(),
                    status: Status::Unset,
                    instrumentation_scope: scope.clone(),
                }
            };
        let db = span(
            SpanId::from(0x1000_0000_0000_0001 + i * 3),
            server_id,
            SpanKind::Client,
            "SELECT orders",
            120,
            2_300,
            vec![
                KeyValue::new("db.system", "postgresql"),
                KeyValue::new("db.name", "orders"),
                KeyValue::new(
                    "db.statement",
                    "SELECT id, total FROM orders WHERE customer_id = $1",
                ),
                KeyValue::new("server.address", "db.internal"),
                KeyValue::new("server.port", 5432),
            ],
        );
        let cache = span(
            SpanId::from(0x1000_0000_0000_0002 + i * 3),
            server_id,
            SpanKind::Client,
            "GET cart",
            2_500,
            180,
            vec![
                KeyValue::new("db.system", "redis"),
                KeyValue::new("db.operation", "GET"),
                KeyValue::new("cache.hit", true),
            ],
        );
        let mut server = span(
            server_id,
            SpanId::INVALID,
            SpanKind::Server,
            "GET /api/orders/{id}",
            0,
            3_100,
            vec![
                KeyValue::new("http.request.method", "GET"),
                KeyValue::new("http.route", "/api/orders/{id}"),
                KeyValue::new("url.path", format!("/api/orders/{i}")),
                KeyValue::new("http.response.status_code", 500),
                KeyValue::new("client.address", "10.1.2.3"),
                KeyValue::new("user_agent.original", "Mozilla/5.0 (X11; Linux x86_64)"),
                KeyValue::new("server.duration_ms", 3.1),
            ],
        );
        server.status = Status::error("upstream timeout\nafter 3 ms");
        server.events.events.push(Event::new(
            "exception",
            start + Duration::from_micros(3_000),
            vec![
                KeyValue::new("exception.type", "TimeoutError"),
                KeyValue::new("exception.message", "cart service \"slow\"\nretrying"),
            ],
            0,
        ));
        server.links.links.push(Link::new(
            context(SpanId::from(0x2000_0000_0000_0000 + i)),
            vec![KeyValue::new("link.kind", "follows-from")],
            0,
        ));
        spans.extend([db, cache, server]);
    }
    spans
}
