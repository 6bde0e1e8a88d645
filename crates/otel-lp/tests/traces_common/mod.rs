//! What the `otel-lp traces` tests share: known traces, built as an OTLP export request and
//! mapped to line protocol by `otlp-influx` (the same mapper the exporter and `otel-lp convert`
//! use). The binary is run by `support`'s runner, as in every otel-lp test.

#![allow(dead_code, unreachable_pub)]

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use otlp_influx::{MappingConfig, MappingReport, OtlpMapper};
use serde_json::{Value as Json, json};

pub const TRACE_A: &str = "aaaaaaaaaaaaaaaa0000000000000001";
pub const TRACE_B: &str = "bbbbbbbbbbbbbbbb0000000000000002";
pub const TRACE_C: &str = "cccccccccccccccc0000000000000003";
pub const MS: i64 = 1_000_000;

/// The traces (all within the last hour, so the default list window finds them):
/// - A: frontend `GET /cart` (Server, 100 ms, Error) > backend `SELECT cart` (Client, 50 ms, one
///   event) > backend `cache.get` (3 ms); frontend `render` (25 ms, a link to B's root);
/// - B: backend `consume order` (Consumer, 5 ms), on host db-2;
/// - C: frontend `late callback` (2 ms) whose parent was never written.
pub fn request(t0: i64) -> ExportTraceServiceRequest {
    let ns = |offset_ms: i64| (t0 + offset_ms * MS).to_string();
    let attr = |key: &str, value: Json| json!({"key": key, "value": value});
    let text = |s: &str| json!({ "stringValue": s });
    let frontend = json!({
        "resource": {"attributes": [attr("service.name", text("frontend")), attr("host.name", text("web-1"))]},
        "scopeSpans": [{"scope": {"name": "shop"}, "spans": [
            {"traceId": TRACE_A, "spanId": "00000000000000a1", "name": "GET /cart", "kind": 2,
             "startTimeUnixNano": ns(0), "endTimeUnixNano": ns(100),
             "attributes": [attr("http.method", text("GET")), attr("http.status_code", json!({"intValue": "500"}))],
             "status": {"code": 2, "message": "upstream failed"}},
            {"traceId": TRACE_A, "spanId": "00000000000000a4", "parentSpanId": "00000000000000a1", "name": "render", "kind": 1,
             "startTimeUnixNano": ns(70), "endTimeUnixNano": ns(95),
             "links": [{"traceId": TRACE_B, "spanId": "00000000000000b1",
                        "attributes": [attr("link.reason", text("follows"))]}]},
            {"traceId": TRACE_C, "spanId": "00000000000000c1", "parentSpanId": "00000000000000ff", "name": "late callback",
             "startTimeUnixNano": ns(2000), "endTimeUnixNano": ns(2002)}
        ]}]
    });
    let backend = |host: &str, spans: Json| {
        json!({
            "resource": {"attributes": [attr("service.name", text("backend")), attr("host.name", text(host))]},
            "scopeSpans": [{"scope": {"name": "db"}, "spans": spans}]
        })
    };
    let db1 = backend(
        "db-1",
        json!([
            {"traceId": TRACE_A, "spanId": "00000000000000a2", "parentSpanId": "00000000000000a1", "name": "SELECT cart", "kind": 3,
             "startTimeUnixNano": ns(10), "endTimeUnixNano": ns(60),
             "attributes": [attr("db.system", text("postgresql"))],
             "events": [{"timeUnixNano": ns(20), "name": "cache miss", "attributes": [attr("key", text("cart:1"))]}]},
            {"traceId": TRACE_A, "spanId": "00000000000000a3", "parentSpanId": "00000000000000a2", "name": "cache.get", "kind": 3,
             "startTimeUnixNano": ns(15), "endTimeUnixNano": ns(18)}
        ]),
    );
    let db2 = backend(
        "db-2",
        json!([
            {"traceId": TRACE_B, "spanId": "00000000000000b1", "name": "consume order", "kind": 5,
             "startTimeUnixNano": ns(1000), "endTimeUnixNano": ns(1005)}
        ]),
    );
    let body = json!({"resourceSpans": [frontend, db1, db2]});
    serde_json::from_value(body).expect("valid OTLP/JSON")
}

/// Ten minutes ago, on a whole millisecond: inside the default list window (the last hour).
pub fn recent_t0() -> i64 {
    (trace_query::now_ns() - 600_000 * MS) / MS * MS
}

/// [`request`] as line protocol in `dialect`, with `host.name` as a third dimension tag (to
/// filter on a tag other than `service.name`). Nothing is dropped.
pub fn lines(t0: i64, dialect: lineproto::Dialect) -> Vec<u8> {
    let config = MappingConfig::new(dialect).with_span_dimensions([
        "service.name",
        "span.name",
        "host.name",
    ]);
    let mut mapper = OtlpMapper::new(config).unwrap();
    let mut lines = mapper.new_encoder();
    let mut report = MappingReport::default();
    mapper.map_proto_traces(&request(t0), &mut lines, &mut report);
    assert_eq!(report.dropped(), 0, "{report}");
    lines.as_bytes().to_vec()
}
