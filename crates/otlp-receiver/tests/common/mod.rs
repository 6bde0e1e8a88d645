//! Shared pieces of the receiver tests: a receiver on free loopback ports, an in-memory store
//! that can be told to hold or refuse, and realistic OTLP requests.

#![allow(dead_code, unreachable_pub)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value::Value};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span, span::Event};
use otlp_influx::{MappingConfig, MappingReport, OtlpMapper};
use otlp_receiver::{
    LineBatch, LineStore, Receiver, ReceiverConfig, ServeConfig, StoreFuture, StoreOutcome,
};
use tokio::sync::{Semaphore, oneshot};

/// A receiver serving both listeners on free loopback ports.
pub struct Running {
    pub receiver: Receiver,
    pub grpc: SocketAddr,
    pub http: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<bool>>,
}

impl Running {
    pub fn http_url(&self, path: &str) -> String {
        format!("http://{}{path}", self.http)
    }

    pub fn grpc_url(&self) -> String {
        format!("http://{}", self.grpc)
    }

    /// Starts the graceful shutdown and waits for it; whether it finished in time.
    pub async fn shutdown(mut self) -> bool {
        let _ = self.stop.take().expect("running").send(());
        self.task
            .take()
            .expect("running")
            .await
            .expect("server task")
    }

    /// Starts the graceful shutdown without waiting.
    pub fn begin_shutdown(&mut self) -> tokio::task::JoinHandle<bool> {
        let _ = self.stop.take().expect("running").send(());
        self.task.take().expect("running")
    }
}

pub async fn start(config: ReceiverConfig, store: Arc<dyn LineStore>) -> Running {
    let receiver = Receiver::new(config, store).expect("valid config");
    let serve = ServeConfig {
        grpc: Some("127.0.0.1:0".parse().unwrap()),
        http: Some("127.0.0.1:0".parse().unwrap()),
        tls: None,
        shutdown_timeout: Duration::from_secs(10),
    };
    let server = otlp_receiver::bind(receiver.clone(), &serve)
        .await
        .expect("bind");
    let (grpc, http) = (server.grpc_addr().unwrap(), server.http_addr().unwrap());
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(server.run(async move {
        let _ = stopped.await;
    }));
    Running {
        receiver,
        grpc,
        http,
        stop: Some(stop),
        task: Some(task),
    }
}

/// What [`MemoryStore`] does with the next batches.
#[derive(Debug, Clone)]
pub enum Mode {
    Store,
    Unavailable(String),
    /// Waits until the gate has permits (`gate.add_permits(..)` opens it) before storing.
    Hold(Arc<Semaphore>),
}

/// Keeps every stored batch's lines in memory.
#[derive(Debug)]
pub struct MemoryStore {
    lines: Mutex<Vec<u8>>,
    mode: Mutex<Mode>,
    batches: Mutex<usize>,
}

impl MemoryStore {
    pub fn new() -> Arc<Self> {
        Arc::new(Self {
            lines: Mutex::new(Vec::new()),
            mode: Mutex::new(Mode::Store),
            batches: Mutex::new(0),
        })
    }

    pub fn set_mode(&self, mode: Mode) {
        *self.mode.lock().unwrap() = mode;
    }

    pub fn text(&self) -> String {
        String::from_utf8(self.lines.lock().unwrap().clone()).unwrap()
    }

    pub fn take(&self) -> String {
        String::from_utf8(std::mem::take(&mut *self.lines.lock().unwrap())).unwrap()
    }

    pub fn batches(&self) -> usize {
        *self.batches.lock().unwrap()
    }
}

impl LineStore for MemoryStore {
    fn store(&self, batch: LineBatch) -> StoreFuture<'_, StoreOutcome> {
        Box::pin(async move {
            let mode = self.mode.lock().unwrap().clone();
            match mode {
                Mode::Store => {}
                Mode::Unavailable(reason) => {
                    return StoreOutcome::Unavailable {
                        reason,
                        retry_after: Duration::from_secs(7),
                    };
                }
                Mode::Hold(gate) => drop(gate.acquire().await),
            }
            self.lines.lock().unwrap().extend_from_slice(&batch.lines);
            *self.batches.lock().unwrap() += 1;
            StoreOutcome::STORED
        })
    }

    fn unavailable_reason(&self) -> Option<String> {
        match &*self.mode.lock().unwrap() {
            Mode::Unavailable(reason) => Some(reason.clone()),
            _ => None,
        }
    }

    fn describe(&self) -> String {
        "memory".into()
    }
}

fn attr(key: &str, value: Value) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue { value: Some(value) }),
        ..Default::default()
    }
}

fn string(key: &str, value: &str) -> KeyValue {
    attr(key, Value::StringValue(value.into()))
}

/// `n` realistic spans (attributes of every type, an event) under one resource; span `i` has
/// trace id byte `seed`, span id `i + 1`.
pub fn spans_request(n: usize, seed: u8) -> ExportTraceServiceRequest {
    let start = 1_700_000_000_000_000_000u64;
    let spans = (0..n)
        .map(|i| Span {
            trace_id: vec![seed; 16],
            span_id: (i as u64 + 1).to_be_bytes().to_vec(),
            parent_span_id: if i == 0 {
                vec![]
            } else {
                1u64.to_be_bytes().to_vec()
            },
            name: format!("GET /item/{i}"),
            kind: 2,
            start_time_unix_nano: start + i as u64 * 1000,
            end_time_unix_nano: start + i as u64 * 1000 + 1_500_000,
            attributes: vec![
                string("http.method", "GET"),
                attr("http.status_code", Value::IntValue(200)),
                attr("http.ok", Value::BoolValue(true)),
                attr("ratio", Value::DoubleValue(0.25)),
                string("note", "quote \" comma, equals= space backslash\\ é"),
            ],
            events: vec![Event {
                time_unix_nano: start + i as u64 * 1000 + 10,
                name: "cache miss".into(),
                attributes: vec![string("key", "k1")],
                dropped_attributes_count: 0,
            }],
            ..Default::default()
        })
        .collect();
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: vec![string("service.name", "checkout")],
                ..Default::default()
            }),
            scope_spans: vec![ScopeSpans {
                spans,
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

/// The lines `otel-lp convert` (the mapper itself) writes for `request`.
pub fn expected_lines(config: &MappingConfig, request: &ExportTraceServiceRequest) -> String {
    let mut mapper = OtlpMapper::new(config.clone()).unwrap();
    let mut out = mapper.new_encoder();
    let mut report = MappingReport::new();
    mapper.map_proto_traces(request, &mut out, &mut report);
    String::from_utf8(out.as_bytes().to_vec()).unwrap()
}

/// A closed gate for [`Mode::Hold`].
pub fn gate() -> Arc<Semaphore> {
    Arc::new(Semaphore::new(0))
}

pub fn gzip(data: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}
