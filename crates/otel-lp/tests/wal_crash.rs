//! `otel-lp serve --wal-dir`: nothing acknowledged is ever lost.
//!
//! A sender (this test process) sends numbered spans over OTLP/HTTP to the gateway (a child
//! process) and records every span the gateway acknowledged. The gateway is killed with
//! SIGKILL at random moments and restarted on the same queue directory; influxd is stopped for a
//! while in the middle. At the end every acknowledged span must be in influxd (a replayed batch
//! writes the same points again, which InfluxDB collapses). A second test keeps the database
//! away for 60 s under steady load and bounds the gateway's memory meanwhile.
//!
//! The kill times come from a seed printed by the test; `OTEL_LP_CRASH_SEED` replays one.

use std::collections::BTreeSet;
use std::fs::File;
use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value::Value};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
use prost::Message;
use test_support::InfluxServer;

/// Spans per request.
const SPANS_PER_REQUEST: u64 = 20;

/// The gateway under test, restarted at will on the same port and queue directory.
struct Gateway {
    args: Vec<String>,
    port: u16,
    log: PathBuf,
    child: Option<Child>,
}

impl Gateway {
    fn new(influx: &InfluxServer, wal: &Path, log: PathBuf) -> Self {
        let port = free_port();
        let args = [
            "serve",
            "--otlp-grpc",
            "off",
            "--query-http",
            "off",
            "--otlp-http",
            &format!("127.0.0.1:{port}"),
            "--endpoint",
            &influx.base_url(),
            "--database",
            influx.database(),
            "--protocol",
            "influxdb-v1",
            "--timeout",
            "2s",
            "--wal-dir",
            wal.to_str().unwrap(),
        ]
        .map(String::from)
        .to_vec();
        Self {
            args,
            port,
            log,
            child: None,
        }
    }

    fn start(&mut self) {
        let log = File::options()
            .create(true)
            .append(true)
            .open(&self.log)
            .unwrap();
        let mut command = Command::new(env!("CARGO_BIN_EXE_otel-lp"));
        command
            .args(&self.args)
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log);
        for (key, _) in std::env::vars() {
            if key.starts_with("OTEL_EXPORTER_DATALAYERS_") {
                command.env_remove(key);
            }
        }
        self.child = Some(command.spawn().expect("otel-lp runs"));
        // Ready once /health answers at all (200, or 503 while it catches up).
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect((Ipv4Addr::LOCALHOST, self.port)).is_err() {
            if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                panic!("the gateway exited ({status}); log:\n{}", self.log_text());
            }
            assert!(
                Instant::now() < deadline,
                "no listener; log:\n{}",
                self.log_text()
            );
            thread::sleep(Duration::from_millis(10));
        }
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().unwrap();
            child.wait().unwrap();
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        self.kill();
    }
}

fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Request `n`: spans `n * SPANS_PER_REQUEST ..`, each named after its number.
fn request(n: u64) -> ExportTraceServiceRequest {
    let start = 1_700_000_000_000_000_000;
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: vec![KeyValue {
                    key: "service.name".into(),
                    value: Some(AnyValue {
                        value: Some(Value::StringValue("crash-test".into())),
                    }),
                    ..Default::default()
                }],
                ..Default::default()
            }),
            scope_spans: vec![ScopeSpans {
                spans: (0..SPANS_PER_REQUEST)
                    .map(|i| {
                        let id = n * SPANS_PER_REQUEST + i;
                        Span {
                            trace_id: (u128::from(id) + 1).to_be_bytes().to_vec(),
                            span_id: (id + 1).to_be_bytes().to_vec(),
                            name: format!("n{id}"),
                            start_time_unix_nano: start + id * 1000,
                            end_time_unix_nano: start + id * 1000 + 500,
                            ..Default::default()
                        }
                    })
                    .collect(),
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

/// Sends requests one after the other as an OTLP client does (the same request again until it
/// is acknowledged, pausing after a failure), recording each acknowledged request's number.
fn sender(
    url: String,
    stop: Arc<AtomicBool>,
    acked: Arc<Mutex<Vec<u64>>>,
    pace: Duration,
) -> thread::JoinHandle<()> {
    thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .unwrap();
        let mut n = 0u64;
        while !stop.load(Ordering::SeqCst) {
            let body = request(n).encode_to_vec();
            let status = runtime.block_on(async {
                client
                    .post(&url)
                    .header("content-type", "application/x-protobuf")
                    .body(body)
                    .send()
                    .await
                    .map(|r| r.status().as_u16())
            });
            if matches!(status, Ok(200)) {
                acked.lock().unwrap().push(n);
                n += 1;
                thread::sleep(pace);
            } else {
                thread::sleep(Duration::from_millis(50));
            }
        }
    })
}

/// The names of the spans influxd holds.
fn stored(influx: &InfluxServer) -> BTreeSet<String> {
    let response = influx.query("SELECT \"span.name\" FROM spans");
    response["results"][0]["series"][0]["values"]
        .as_array()
        .map(|rows| {
            rows.iter()
                .filter_map(|row| row[1].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Waits until the gateway's queue holds nothing.
fn wait_drained(gateway: &Gateway) {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let metrics = reqwest_blocking_get(&gateway.url("/metrics"));
        if metrics
            .as_deref()
            .is_some_and(|m| m.lines().any(|l| l == "otlp_receiver_queue_records 0"))
        {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the queue did not drain: {metrics:?}\nlog:\n{}",
            gateway.log_text()
        );
        thread::sleep(Duration::from_millis(100));
    }
}

fn reqwest_blocking_get(url: &str) -> Option<String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async { reqwest::get(url).await.ok()?.text().await.ok() })
}

fn missing(acked: &[u64], stored: &BTreeSet<String>) -> Vec<u64> {
    acked
        .iter()
        .flat_map(|&n| (0..SPANS_PER_REQUEST).map(move |i| n * SPANS_PER_REQUEST + i))
        .filter(|id| !stored.contains(&format!("n{id}")))
        .collect()
}

/// xorshift64*: reproducible kill times without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn millis(&mut self, low: u64, high: u64) -> Duration {
        Duration::from_millis(low + self.next() % (high - low))
    }
}

#[test]
fn sigkill_at_random_moments_loses_no_acknowledged_span() {
    let Some(mut influx) = InfluxServer::try_start() else {
        return;
    };
    let seed = std::env::var("OTEL_LP_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        });
    eprintln!("crash test seed: {seed} (OTEL_LP_CRASH_SEED={seed} replays it)");
    let mut rng = Rng(seed);
    let dir = tempfile::tempdir().unwrap();
    let mut gateway = Gateway::new(
        &influx,
        &dir.path().join("wal"),
        dir.path().join("gateway.log"),
    );
    gateway.start();

    let stop = Arc::new(AtomicBool::new(false));
    let acked = Arc::new(Mutex::new(Vec::new()));
    let sending = sender(
        gateway.url("/v1/traces"),
        Arc::clone(&stop),
        Arc::clone(&acked),
        Duration::from_millis(5),
    );
    const KILLS: usize = 24;
    for kill in 0..KILLS {
        thread::sleep(rng.millis(100, 700));
        gateway.kill();
        match kill {
            8 => influx.stop(),
            14 => influx.restart(),
            _ => {}
        }
        gateway.start();
    }
    thread::sleep(Duration::from_millis(500));
    stop.store(true, Ordering::SeqCst);
    sending.join().unwrap();
    wait_drained(&gateway);

    let acked = acked.lock().unwrap().clone();
    let stored = stored(&influx);
    let acked_spans = acked.len() as u64 * SPANS_PER_REQUEST;
    eprintln!(
        "{KILLS} kills; {acked_spans} spans acknowledged; {} distinct spans stored",
        stored.len()
    );
    assert!(
        acked.len() >= 50,
        "too little got through to prove anything: {acked:?}"
    );
    let missing = missing(&acked, &stored);
    assert!(
        missing.is_empty(),
        "{} acknowledged spans missing (seed {seed}), first {:?}\nlog:\n{}",
        missing.len(),
        &missing[..missing.len().min(10)],
        gateway.log_text()
    );
}

/// Resident set size of a process, in bytes.
fn rss(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// The memory bound the outage test holds the gateway to: the queue is on disk, so an outage
/// must not grow the process.
const OUTAGE_RSS_BOUND: u64 = 64 << 20;

#[test]
fn a_minute_without_the_database_under_steady_load() {
    let Some(mut influx) = InfluxServer::try_start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut gateway = Gateway::new(
        &influx,
        &dir.path().join("wal"),
        dir.path().join("gateway.log"),
    );
    gateway.start();
    let pid = gateway.pid();
    let stop = Arc::new(AtomicBool::new(false));
    let acked = Arc::new(Mutex::new(Vec::new()));
    // About 400 spans a second.
    let sending = sender(
        gateway.url("/v1/traces"),
        Arc::clone(&stop),
        Arc::clone(&acked),
        Duration::from_millis(50),
    );
    thread::sleep(Duration::from_secs(2));
    influx.stop();
    let outage = Instant::now();
    let mut peak = 0;
    while outage.elapsed() < Duration::from_secs(60) {
        peak = peak.max(rss(pid));
        thread::sleep(Duration::from_millis(250));
    }
    let during = acked.lock().unwrap().len();
    influx.restart();
    thread::sleep(Duration::from_secs(2));
    stop.store(true, Ordering::SeqCst);
    sending.join().unwrap();
    wait_drained(&gateway);
    peak = peak.max(rss(pid));

    let acked = acked.lock().unwrap().clone();
    let stored = stored(&influx);
    eprintln!(
        "outage of 60 s: {} spans acknowledged in all ({} by its end), {} stored; peak RSS {} KiB",
        acked.len() as u64 * SPANS_PER_REQUEST,
        during as u64 * SPANS_PER_REQUEST,
        stored.len(),
        peak / 1024
    );
    assert!(
        during > 500,
        "the gateway kept acknowledging during the outage: {during}"
    );
    assert!(
        missing(&acked, &stored).is_empty(),
        "log:\n{}",
        gateway.log_text()
    );
    assert!(
        peak < OUTAGE_RSS_BOUND,
        "peak RSS {} KiB over the bound of {} KiB",
        peak / 1024,
        OUTAGE_RSS_BOUND / 1024
    );
}
