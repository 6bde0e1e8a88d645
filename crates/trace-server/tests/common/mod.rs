//! What the server tests share: known traces written into a real influxd the way the gateway
//! writes them (OTLP requests through `otlp_influx::OtlpMapper`, InfluxDB 1.x line protocol),
//! the server on a loopback port, and a blocking HTTP client.

#![allow(dead_code, unreachable_pub)]

pub mod schema;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use datalayers_client::{Client, ClientConfig, Protocol};
use lineproto::{Dialect, EncoderOptions, FloatFormat};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value::Value};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::span::{Event, Link};
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span, Status};
use otlp_influx::{MappingConfig, MappingReport, OtlpMapper};
use serde_json::Value as Json;
use test_support::InfluxServer;
use trace_query::{AnyTraceStore, TraceSchema};

pub const MS: i64 = 1_000_000;

pub const TRACE_A: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
pub const TRACE_B: &str = "0af7651916cd43dd8448eb211c80319c";
pub const TRACE_C: &str = "00000000000000020000000000000001";
pub const UNKNOWN: &str = "0000000000000000000000000000beef";

/// A time 10 minutes ago, on a whole millisecond: every trace starts from it.
pub fn t0() -> i64 {
    (trace_query::now_ns() - 600_000 * MS) / MS * MS
}

pub fn hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

pub fn attr(key: &str, value: Value) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue { value: Some(value) }),
        ..Default::default()
    }
}

pub fn text(key: &str, value: &str) -> KeyValue {
    attr(key, Value::StringValue(value.into()))
}

/// A span: `kind` as OTLP numbers it (1 internal, 2 server, 3 client, 4 producer, 5 consumer).
#[allow(clippy::too_many_arguments)]
pub fn span(
    trace: &str,
    id: &str,
    parent: Option<&str>,
    name: &str,
    kind: i32,
    start: i64,
    duration: i64,
    attributes: Vec<KeyValue>,
) -> Span {
    Span {
        trace_id: hex(trace),
        span_id: hex(id),
        parent_span_id: parent.map(hex).unwrap_or_default(),
        name: name.into(),
        kind,
        start_time_unix_nano: start as u64,
        end_time_unix_nano: (start + duration) as u64,
        attributes,
        ..Default::default()
    }
}

pub fn error_status(message: &str) -> Option<Status> {
    Some(Status {
        code: 2,
        message: message.into(),
    })
}

/// One resource (service) with its spans.
pub fn service(name: &str, spans: Vec<Span>) -> ResourceSpans {
    ResourceSpans {
        resource: Some(Resource {
            attributes: vec![text("service.name", name), text("host.name", "web-1")],
            ..Default::default()
        }),
        scope_spans: vec![ScopeSpans {
            spans,
            ..Default::default()
        }],
        ..Default::default()
    }
}

/// The known traces, from `t0`:
///
/// - A (`TRACE_A`, at t0, 120 ms, 5 spans, 2 errors): frontend `GET /cart` (server, root, error,
///   `http.status_code` 500) with children frontend `cart.load` (5..25 ms), backend
///   `SELECT cart` (client, 30..80 ms, an event `cache.miss`, a link to B) whose child backend
///   `pg.query` (35..75 ms) failed, and payments `charge` (server, 85..115 ms, `amount` 12.5,
///   `retried` true);
/// - B (`TRACE_B`, at t0 + 2 s, 5 ms): backend `consume order` (consumer, root) and its child
///   payments `refund` (+1 ms, 2 ms, status OK);
/// - C (`TRACE_C`, at t0 + 4 s, 2 ms): frontend `late callback` whose parent was never stored.
pub fn known_traces(t0: i64) -> ExportTraceServiceRequest {
    let mut root = span(
        TRACE_A,
        "00000000000000a1",
        None,
        "GET /cart",
        2,
        t0,
        120 * MS,
        vec![
            text("http.method", "GET"),
            attr("http.status_code", Value::IntValue(500)),
            text("http.route", "/cart"),
        ],
    );
    root.status = error_status("upstream failed");
    let load = span(
        TRACE_A,
        "00000000000000a2",
        Some("00000000000000a1"),
        "cart.load",
        1,
        t0 + 5 * MS,
        20 * MS,
        vec![],
    );
    let mut select = span(
        TRACE_A,
        "00000000000000a3",
        Some("00000000000000a1"),
        "SELECT cart",
        3,
        t0 + 30 * MS,
        50 * MS,
        vec![
            text("db.system", "postgres"),
            text("db.statement", "SELECT * FROM cart WHERE id = $1"),
        ],
    );
    select.events = vec![Event {
        time_unix_nano: (t0 + 32 * MS) as u64,
        name: "cache.miss".into(),
        attributes: vec![text("key", "cart:1")],
        ..Default::default()
    }];
    select.links = vec![Link {
        trace_id: hex(TRACE_B),
        span_id: hex("00000000000000b1"),
        attributes: vec![text("reason", "batch")],
        ..Default::default()
    }];
    let mut query = span(
        TRACE_A,
        "00000000000000a4",
        Some("00000000000000a3"),
        "pg.query",
        1,
        t0 + 35 * MS,
        40 * MS,
        vec![],
    );
    query.status = error_status("deadlock detected");
    let charge = span(
        TRACE_A,
        "00000000000000a5",
        Some("00000000000000a1"),
        "charge",
        2,
        t0 + 85 * MS,
        30 * MS,
        vec![
            attr("amount", Value::DoubleValue(12.5)),
            attr("retried", Value::BoolValue(true)),
        ],
    );
    let consume = span(
        TRACE_B,
        "00000000000000b1",
        None,
        "consume order",
        5,
        t0 + 2000 * MS,
        5 * MS,
        vec![text("messaging.system", "kafka")],
    );
    let mut refund = span(
        TRACE_B,
        "00000000000000b2",
        Some("00000000000000b1"),
        "refund",
        1,
        t0 + 2001 * MS,
        2 * MS,
        vec![],
    );
    refund.status = Some(Status {
        code: 1,
        message: String::new(),
    });
    let late = span(
        TRACE_C,
        "00000000000000c1",
        Some("ffffffffffffffff"),
        "late callback",
        1,
        t0 + 4000 * MS,
        2 * MS,
        vec![],
    );
    ExportTraceServiceRequest {
        resource_spans: vec![
            service("frontend", vec![root, load, late]),
            service("backend", vec![select, query, consume]),
            service("payments", vec![charge, refund]),
        ],
    }
}

/// Maps `request` as the gateway does for InfluxDB 1.x and writes it.
pub fn write(influx: &InfluxServer, request: &ExportTraceServiceRequest) {
    let mut mapper = OtlpMapper::new(MappingConfig::default().with_encoder(
        EncoderOptions::new(Dialect::InfluxDbV1).with_float_format(FloatFormat::GoStrconv),
    ))
    .unwrap();
    let mut lines = mapper.new_encoder();
    let mut report = MappingReport::new();
    mapper.map_proto_traces(request, &mut lines, &mut report);
    assert!(report.is_clean(), "{report:?}");
    let (status, body) = influx.write(lines.as_bytes());
    assert_eq!(status, 204, "{body}");
}

/// The trace store the binary would build for this influxd.
pub fn store(influx: &InfluxServer) -> AnyTraceStore<Arc<Client>> {
    let client = Client::new(
        ClientConfig::new(influx.base_url())
            .with_protocol(Protocol::InfluxDbV1)
            .with_database(influx.database()),
    )
    .unwrap();
    AnyTraceStore::for_client(Arc::new(client), TraceSchema::default()).unwrap()
}

/// The router on a loopback port, on a runtime of its own (the tests call it blocking).
pub struct TestServer {
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TestServer {
    pub fn start(router: axum::Router) -> Self {
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                addr_tx.send(listener.local_addr().unwrap()).unwrap();
                axum::serve(listener, router)
                    .with_graceful_shutdown(async {
                        let _ = stopped.await;
                    })
                    .await
                    .unwrap();
            });
        });
        let addr = addr_rx.recv_timeout(Duration::from_secs(30)).unwrap();
        Self {
            addr,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// `GET target` with `headers`.
    pub fn request(&self, target: &str, headers: &[(&str, &str)]) -> test_support::http::Response {
        test_support::http::send(
            self.addr,
            "GET",
            target,
            headers,
            b"",
            Duration::from_secs(60),
        )
        .unwrap_or_else(|e| panic!("GET {target}: {e}"))
    }

    /// `GET target`: the status and the body as JSON.
    pub fn get(&self, target: &str) -> (u16, Json) {
        let response = self.request(target, &[]);
        let body = serde_json::from_slice(&response.body).unwrap_or_else(|e| {
            panic!(
                "GET {target}: {} is not JSON ({e}): {}",
                response.status,
                String::from_utf8_lossy(&response.body)
            )
        });
        (response.status, body)
    }

    /// `GET target`, which must answer 200: the body as JSON.
    pub fn ok(&self, target: &str) -> Json {
        let (status, body) = self.get(target);
        assert_eq!(status, 200, "GET {target}: {body}");
        body
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// RFC 3339 (UTC, nanoseconds) of a Unix-nanosecond time, as API v3 takes it.
pub fn rfc3339(ns: i64) -> String {
    datalayers_client::query::Rfc3339::new(ns).to_string()
}

/// Percent-encodes a query-string value.
pub fn enc(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
