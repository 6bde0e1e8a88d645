//! Clients no one here wrote, against the receiver and a real `influxd` (InfluxDB 1.x dialect):
//! the OpenTelemetry Python SDK's OTLP exporters (gRPC, HTTP/protobuf, HTTP/JSON), the JS SDK's
//! (gRPC, HTTP/JSON, HTTP/protobuf) and the Rust `opentelemetry-otlp` exporter (tonic,
//! HTTP/protobuf), each with gzip on and off.
//!
//! Every client tells the same story, from one plan this file writes ([`plan`]): a parent span
//! with an event, an exception, an error status, hostile names and attributes and array values;
//! its child with a link; two log records (one in the parent's context, one with a map body);
//! and a counter, an up-down counter, a histogram and a gauge (not from JS: see
//! `clients/js_client.js`). Each client records that with its own SDK, hands every batch to its
//! OTLP exporter once and fails when the export does not succeed; it reports the ids its SDK
//! made up ([`Sent`]). `influxd` must then hold exactly the rows that story maps to, column for
//! column, and the receiver must have rejected, refused and dropped nothing.
//!
//! The Python and JS clients come from `scripts/install-test-peers.sh` (pinned); a test whose
//! peer is missing prints SKIPPED, and fails under `CI=true`.

mod common;

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use datalayers_client::{Client as DbClient, ClientConfig, Protocol as DbProtocol};
use lineproto::Dialect;
use otlp_influx::MappingConfig;
use otlp_receiver::{DatabaseStore, ReceiverConfig};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use test_support::InfluxServer;
use tokio::task::JoinHandle;

use common::Running;

// ---------------------------------------------------------------------------------------------
// The story every client tells.

/// Every byte class that line protocol, JSON or a naive parser could trip on: quotes,
/// backslashes (one before `n`, one at the end), commas, equals, two spaces, a newline, a tab,
/// a carriage return, and 2-, 3- and 4-byte UTF-8.
const HOSTILE: &str = "quote \" backslash \\ comma, equals= two  spaces\nnew line\ttab\rcr \
                       é ✓ 🚀 \\n is no newline, trailing \\";
const SCOPE_NAME: &str = "otlp-receiver/clients";
const SCOPE_VERSION: &str = "1.2.3";
const LINKED_TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const LINKED_SPAN_ID: &str = "00f067aa0ba902b7";

/// What one client sends, as JSON (times are decimal strings of Unix nanoseconds: JavaScript
/// numbers cannot hold them).
fn plan(client: Client, server: &Running, base: u64) -> Value {
    let at = |offset: u64| (base + offset).to_string();
    let endpoint = if client.protocol == GRPC {
        server.grpc_url()
    } else {
        server.http_url("")
    };
    json!({
        "protocol": client.protocol,
        "gzip": client.gzip,
        "endpoint": endpoint,
        "resource": {
            "service.name": client.service(),
            "deployment.note": "the \"edge\", rack=3",
        },
        "scope": {"name": SCOPE_NAME, "version": SCOPE_VERSION},
        "parent": {
            "name": format!("GET /items/{{id}} {HOSTILE}"),
            "start": at(0),
            "end": at(5_250_007),
            "status_message": "failed: \"quoted\", a=b\nsecond line é",
            "attributes": {
                "hostile": HOSTILE,
                "key \"q\", a=b \\ c\nd\té": "a hostile key",
                "http.status_code": 503,
                "big": 3_000_000_000i64,
                "ratio": 0.625,
                "retry": true,
                "strings": ["a", HOSTILE, ""],
                "ints": [1, -2, 3_000_000_000i64],
                "floats": [0.5, -1.25],
                "bools": [true, false],
            },
        },
        "event": {
            "name": "cache miss, key=\"a b\"\n",
            "time": at(1_000_001),
            "attributes": {"key": HOSTILE, "n": 7},
        },
        "exception": {"message": "bad input: \"x\", y=z\n\\", "time": at(2_000_003)},
        "child": {
            "name": "SELECT \"items\"",
            "start": at(1_500_000),
            "end": at(4_250_005),
            "attributes": {"db.statement": "SELECT * FROM \"t\" WHERE a = 'b, c'", "peer": "db-1"},
        },
        "link": {
            "trace_id": LINKED_TRACE_ID,
            "span_id": LINKED_SPAN_ID,
            "attributes": {"link.reason": HOSTILE, "n": 1},
        },
        "logs": [
            {
                "in_span": true,
                "time": at(3_000_009),
                "observed": at(3_000_500),
                "severity_number": 13,
                "severity_text": "WARN",
                "body": HOSTILE,
                "attributes": {"hostile": HOSTILE, "count": 3, "tags": ["x", "y z"]},
            },
            {
                "in_span": false,
                "time": at(4_000_011),
                "observed": at(4_100_000),
                "severity_number": 17,
                "severity_text": "ERROR",
                "body": {"event": "shutdown", "code": 7, "nested": {"list": [1, 2], "ok": true}},
                "attributes": {},
            },
        ],
        "metrics": {
            // Every attribute becomes a tag: no control characters (a tag cannot hold them).
            "attributes": {"route": "/api \"items\", id=7 é\\x", "code": 200, "ok": true},
            "counter": {"name": "clients.requests", "unit": "{request}", "adds": [5, 2]},
            "up_down_counter": {"name": "clients.queue.depth", "adds": [10, -4]},
            "histogram": {
                "name": "clients.latency",
                "unit": "ms",
                "bounds": [1.0, 10.0, 100.0],
                "records": [1.5, 7.25, 120.5],
            },
            "gauge": {"name": "clients.temperature", "value": 21.5},
        },
    })
}

/// A time of the plan, in Unix nanoseconds.
fn nanos(value: &Value) -> i64 {
    value
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("a time in the plan: {value}"))
}

fn now_nanos() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as i64
}

// ---------------------------------------------------------------------------------------------
// The clients.

const GRPC: &str = "grpc";
const HTTP_PROTOBUF: &str = "http/protobuf";
const HTTP_JSON: &str = "http/json";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sdk {
    Python,
    Js,
    Rust,
}

/// One SDK's exporter for one protocol, gzip on or off.
#[derive(Debug, Clone, Copy)]
struct Client {
    sdk: Sdk,
    protocol: &'static str,
    gzip: bool,
}

impl Client {
    /// Each protocol with gzip off and on.
    fn all(sdk: Sdk, protocols: &[&'static str]) -> Vec<Self> {
        protocols
            .iter()
            .flat_map(|&protocol| {
                [false, true].map(|gzip| Self {
                    sdk,
                    protocol,
                    gzip,
                })
            })
            .collect()
    }

    /// Its `service.name`, which tells its rows apart in `influxd`.
    fn service(self) -> String {
        let sdk = match self.sdk {
            Sdk::Python => "python",
            Sdk::Js => "js",
            Sdk::Rust => "rust",
        };
        let coding = if self.gzip { "gzip" } else { "plain" };
        format!("{sdk} {} {coding}", self.protocol)
    }

    fn sends_metrics(self) -> bool {
        self.sdk != Sdk::Js
    }
}

/// What a client reports after sending: what its SDK made up.
#[derive(Debug, Clone, Deserialize)]
struct Sent {
    trace_id: String,
    parent_span_id: String,
    child_span_id: String,
    /// The resource as its SDK built it (the plan's attributes and the SDK's own).
    resource: Map<String, Value>,
    /// The exception event's attributes (type, message, stack trace as the SDK wrote them).
    exception: Map<String, Value>,
}

fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/clients")
        .join(name)
}

/// `program` in a clean environment: no proxy or `OTEL_*` variable of the caller leaks in.
fn clean_command(program: impl AsRef<std::ffi::OsStr>) -> Command {
    let mut command = Command::new(program);
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default());
    command
}

/// Runs a client script with the plan on stdin; panics with its stderr unless it succeeded.
fn run_script(client: Client, mut command: Command, plan: &Value) -> Sent {
    command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command
        .spawn()
        .unwrap_or_else(|error| panic!("{client:?}: cannot start {command:?}: {error}"));
    child
        .stdin
        .take()
        .expect("piped stdin")
        .write_all(plan.to_string().as_bytes())
        .expect("write the plan");
    let output = child.wait_with_output().expect("client output");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{client:?} failed ({}):\n{stderr}",
        output.status
    );
    serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "{client:?} printed no report ({error}):\n{}\n{stderr}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}

fn python_command(python: &Path) -> Command {
    let mut command = clean_command(python);
    command.arg(script("python_client.py"));
    command
}

fn node_command(node_modules: &Path) -> Command {
    let mut command = clean_command("node");
    command
        .arg(script("js_client.js"))
        .env("NODE_PATH", node_modules);
    command
}

#[path = "clients/rust_client.rs"]
mod rust_client;

// ---------------------------------------------------------------------------------------------
// What `influxd` must hold.

type Row = BTreeMap<String, Value>;

/// Integral floats as integers (InfluxDB's JSON writes the float `3` as `3`, Go's JSON writes
/// `3.0` as `3`), recursively, so that equal numbers compare equal.
fn normalize(value: Value) -> Value {
    match value {
        Value::Number(n) if !n.is_i64() && !n.is_u64() => {
            let f = n.as_f64().unwrap();
            if f.fract() == 0.0 && f.abs() < 9.0e15 {
                json!(f as i64)
            } else {
                Value::Number(n)
            }
        }
        Value::Array(items) => Value::Array(items.into_iter().map(normalize).collect()),
        Value::Object(map) => {
            Value::Object(map.into_iter().map(|(k, v)| (k, normalize(v))).collect())
        }
        other => other,
    }
}

fn row(value: Value) -> Row {
    match normalize(value) {
        Value::Object(map) => map.into_iter().collect(),
        other => panic!("a row is an object: {other}"),
    }
}

/// The rows an InfluxQL query returns, each as column -> value without the nulls (columns of
/// other series of the measurement).
fn rows(influx: &InfluxServer, query: &str) -> Vec<Row> {
    let response = influx.query(query);
    let result = &response["results"][0];
    assert!(result.get("error").is_none(), "{query}: {response}");
    let mut rows = Vec::new();
    for series in result["series"].as_array().into_iter().flatten() {
        let columns: Vec<&str> = series["columns"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap())
            .collect();
        for values in series["values"].as_array().unwrap() {
            let row = columns
                .iter()
                .zip(values.as_array().unwrap())
                .filter(|(_, value)| !value.is_null())
                .map(|(&column, value)| (column.to_owned(), normalize(value.clone())))
                .collect();
            rows.push(row);
        }
    }
    rows
}

/// `actual` must equal `expected`, in any order. JSON text (`attributes`, a map `body`) is
/// decoded first: the plan's other strings never start with `{` or `[`.
fn assert_rows(client: Client, what: &str, mut actual: Vec<Row>, mut expected: Vec<Row>) {
    for row in &mut actual {
        for (column, value) in row.iter_mut() {
            let Value::String(text) = &*value else {
                continue;
            };
            if text.starts_with('{') || text.starts_with('[') {
                let decoded: Value = serde_json::from_str(text).unwrap_or_else(|error| {
                    panic!("{client:?} {what}: {column} is not JSON ({error}): {text:?}")
                });
                *value = normalize(decoded);
            }
        }
    }
    let key = |row: &Row| serde_json::to_string(row).unwrap();
    actual.sort_by_key(key);
    expected.sort_by_key(key);
    if actual != expected {
        panic!(
            "{client:?}: {what} in influxd differ from what was sent\n--- influxd:\n{}\n--- sent:\n{}",
            serde_json::to_string_pretty(&actual).unwrap(),
            serde_json::to_string_pretty(&expected).unwrap()
        );
    }
}

/// `base` with `extra`'s entries added (later wins, as the mapping merges levels).
fn merged(base: &Map<String, Value>, extra: &Value) -> Value {
    let mut map = base.clone();
    map.extend(extra.as_object().expect("attributes").clone());
    Value::Object(map)
}

/// A tag as the mapping writes an attribute value into one.
fn tag_text(value: &Value) -> Value {
    match value {
        Value::String(s) => Value::String(s.clone()),
        Value::Number(_) | Value::Bool(_) => Value::String(value.to_string()),
        other => panic!("no tag for {other}"),
    }
}

/// Everything `client` sent is in `influxd`, exactly: spans, span events, links, logs, metrics.
fn check_stored(influx: &InfluxServer, client: Client, plan: &Value, sent: &Sent, started: i64) {
    let service = client.service();
    let trace_id = &sent.trace_id;
    // Span and log `attributes` hold the resource's attributes too, but not the dimensions
    // (`service.name` is a tag).
    let mut resource = sent.resource.clone();
    resource.remove("service.name");

    let parent = &plan["parent"];
    let child = &plan["child"];
    let spans = vec![
        row(json!({
            "time": nanos(&parent["start"]),
            "trace_id": trace_id,
            "span_id": sent.parent_span_id,
            "service.name": service,
            "span.name": parent["name"],
            "span.kind": "Server",
            "end_time_unix_nano": nanos(&parent["end"]),
            "duration_nano": nanos(&parent["end"]) - nanos(&parent["start"]),
            "otel.status_code": "Error",
            "otel.status_description": parent["status_message"],
            "attributes": merged(&resource, &parent["attributes"]),
        })),
        row(json!({
            "time": nanos(&child["start"]),
            "trace_id": trace_id,
            "span_id": sent.child_span_id,
            "parent_span_id": sent.parent_span_id,
            "service.name": service,
            "span.name": child["name"],
            "span.kind": "Client",
            "end_time_unix_nano": nanos(&child["end"]),
            "duration_nano": nanos(&child["end"]) - nanos(&child["start"]),
            "otel.status_code": "Ok",
            "attributes": merged(&resource, &child["attributes"]),
        })),
    ];
    let query = format!("SELECT * FROM spans WHERE trace_id = '{trace_id}'");
    assert_rows(client, "spans", rows(influx, &query), spans);

    let link = &plan["link"];
    let links = vec![row(json!({
        "time": nanos(&child["start"]),
        "trace_id": trace_id,
        "span_id": sent.child_span_id,
        "linked_trace_id": link["trace_id"],
        "linked_span_id": link["span_id"],
        "attributes": link["attributes"],
    }))];
    let query = format!("SELECT * FROM \"span-links\" WHERE trace_id = '{trace_id}'");
    assert_rows(client, "span links", rows(influx, &query), links);

    let log_row = |log: &Value| {
        let mut row = row(json!({
            "time": nanos(&log["time"]),
            "observed_time_unix_nano": nanos(&log["observed"]),
            "service.name": service,
            "severity_number": log["severity_number"],
            "severity_text": log["severity_text"],
            "body": log["body"],
            "attributes": merged(&resource, &log["attributes"]),
        }));
        if log["in_span"] == true {
            row.insert("trace_id".into(), json!(trace_id));
            row.insert("span_id".into(), json!(sent.parent_span_id));
        }
        row
    };
    let logs: Vec<Row> = plan["logs"]
        .as_array()
        .unwrap()
        .iter()
        .map(log_row)
        .collect();
    let query = format!("SELECT * FROM logs WHERE \"service.name\" = '{service}'");
    assert_rows(client, "log records", rows(influx, &query), logs.clone());

    // Span events share `logs` with the records: by trace, the events and the record in the span.
    let event = &plan["event"];
    let mut in_trace = vec![
        row(json!({
            "time": nanos(&event["time"]),
            "trace_id": trace_id,
            "span_id": sent.parent_span_id,
            "event.name": event["name"],
            "attributes": event["attributes"],
        })),
        row(json!({
            "time": nanos(&plan["exception"]["time"]),
            "trace_id": trace_id,
            "span_id": sent.parent_span_id,
            "event.name": "exception",
            "attributes": sent.exception,
        })),
    ];
    in_trace.extend(logs.into_iter().filter(|log| log.contains_key("trace_id")));
    let query = format!("SELECT * FROM logs WHERE trace_id = '{trace_id}'");
    assert_rows(
        client,
        "span events and logs",
        rows(influx, &query),
        in_trace,
    );
    let exception = &sent.exception;
    assert_eq!(exception["exception.message"], plan["exception"]["message"]);
    assert!(exception.contains_key("exception.type"), "{exception:?}");

    if client.sends_metrics() {
        check_metrics(influx, client, plan, sent, started);
    }
}

/// The four metrics, each one point: every resource, scope and point attribute a tag, the
/// value in the v1 schema's fields.
fn check_metrics(influx: &InfluxServer, client: Client, plan: &Value, sent: &Sent, started: i64) {
    let metrics = &plan["metrics"];
    let mut tags: Map<String, Value> = sent
        .resource
        .iter()
        .map(|(key, value)| (key.clone(), tag_text(value)))
        .collect();
    tags.insert("otel.library.name".into(), json!(SCOPE_NAME));
    tags.insert("otel.library.version".into(), json!(SCOPE_VERSION));
    for (key, value) in metrics["attributes"].as_object().unwrap() {
        tags.insert(key.clone(), tag_text(value));
    }
    let sum = |adds: &Value| -> i64 {
        adds.as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_i64)
            .sum()
    };
    let histogram = &metrics["histogram"];
    let records: Vec<f64> = histogram["records"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_f64)
        .collect();
    let mut histogram_fields = json!({
        "count": records.len(),
        "sum": records.iter().sum::<f64>(),
        "min": records.iter().copied().fold(f64::INFINITY, f64::min),
        "max": records.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        "+Inf": records.len(),
    });
    for bound in histogram["bounds"].as_array().unwrap() {
        let bound = bound.as_f64().unwrap();
        // Field keys as Go's FormatFloat(bound, 'f', -1): 1, 10, 100 here.
        histogram_fields[format!("{bound}")] =
            json!(records.iter().filter(|&&r| r <= bound).count());
    }
    let expected = [
        (
            &metrics["counter"]["name"],
            json!({"counter": sum(&metrics["counter"]["adds"])}),
        ),
        (
            &metrics["up_down_counter"]["name"],
            json!({"gauge": sum(&metrics["up_down_counter"]["adds"])}),
        ),
        (&histogram["name"], histogram_fields),
        (
            &metrics["gauge"]["name"],
            json!({"gauge": metrics["gauge"]["value"]}),
        ),
    ];
    let now = now_nanos();
    for (name, fields) in expected {
        let name = name.as_str().unwrap();
        let query = format!(
            "SELECT * FROM \"{name}\" WHERE \"service.name\" = '{}'",
            client.service()
        );
        let mut actual = rows(influx, &query);
        // The SDK stamps points with the time of collection: check it is in this run, then
        // compare the rest exactly.
        for row in &mut actual {
            let time = row.remove("time").and_then(|t| t.as_i64()).unwrap_or(0);
            assert!(
                (started..=now).contains(&time),
                "{client:?} {name}: time {time} not in this run"
            );
            if let Some(start) = row.remove("start_time_unix_nano") {
                let start = start.as_i64().unwrap_or(0);
                assert!(
                    (started..=time).contains(&start),
                    "{client:?} {name}: start {start}, time {time}"
                );
            }
        }
        let mut expected = tags.clone();
        expected.extend(fields.as_object().unwrap().clone());
        assert_rows(client, name, actual, vec![row(Value::Object(expected))]);
    }
}

/// The receiver's counters: every request `ok`, every item received stored, nothing rejected,
/// refused or dropped, and some bodies arrived gzip-compressed.
fn check_receiver(server: &Running, clients: &[Client]) {
    let text = server.receiver.render_metrics();
    let samples: BTreeMap<&str, u64> = text
        .lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| {
            let (name, value) = line.rsplit_once(' ')?;
            Some((name, value.parse().ok()?))
        })
        .collect();
    let sample = |name: &str| samples.get(name).copied().unwrap_or(0);
    let per_client = [
        ("traces", 2, false),
        ("logs", 2, false),
        ("metrics", 4, true),
    ];
    for (signal, items, metrics_only) in per_client {
        let senders: Vec<&Client> = clients
            .iter()
            .filter(|c| !metrics_only || c.sends_metrics())
            .collect();
        let expected = (senders.len() * items) as u64;
        for counter in ["received", "stored"] {
            let name = format!("otlp_receiver_items_{counter}_total{{signal=\"{signal}\"}}");
            assert_eq!(sample(&name), expected, "{name}\n{text}");
        }
        for counter in ["rejected", "refused"] {
            let name = format!("otlp_receiver_items_{counter}_total{{signal=\"{signal}\"}}");
            assert_eq!(sample(&name), 0, "{name}\n{text}");
        }
        for transport in ["grpc", "http"] {
            let requests = senders
                .iter()
                .filter(|c| (c.protocol == GRPC) == (transport == "grpc"))
                .count() as u64;
            let name = format!(
                "otlp_receiver_requests_total{{transport=\"{transport}\",signal=\"{signal}\",outcome=\"ok\"}}"
            );
            assert_eq!(sample(&name), requests, "{name}\n{text}");
        }
    }
    let not_ok: Vec<&&str> = samples
        .keys()
        .filter(|name| {
            name.starts_with("otlp_receiver_dropped_total")
                || (name.starts_with("otlp_receiver_requests_total")
                    && !name.contains("outcome=\"ok\""))
        })
        .collect();
    assert!(not_ok.is_empty(), "{not_ok:?}\n{text}");
    let wire = sample("otlp_receiver_received_bytes_total{encoding=\"wire\"}");
    let identity = sample("otlp_receiver_received_bytes_total{encoding=\"identity\"}");
    assert!(
        wire < identity,
        "gzip bodies: {wire} bytes on the wire, {identity} decoded"
    );
}

// ---------------------------------------------------------------------------------------------
// The tests: one influxd and one receiver each, the clients in parallel.

async fn start_receiver(influx: &InfluxServer) -> Running {
    let config = ClientConfig::new(influx.base_url())
        .with_protocol(DbProtocol::InfluxDbV1)
        .with_database(influx.database())
        .with_timeout(Duration::from_secs(10));
    let store = Arc::new(DatabaseStore::spawn(DbClient::new(config).unwrap(), 2));
    let config = ReceiverConfig {
        mapping: MappingConfig::new(Dialect::InfluxDbV1),
        ..ReceiverConfig::default()
    };
    common::start(config, store).await
}

/// A whole second a minute ago: the plan's times are offsets from it.
fn base_time() -> u64 {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    (now.as_secs() - 60) * 1_000_000_000
}

/// Every client sends its plan at once (`send` starts one); then everything is checked.
async fn send_and_check(
    influx: &InfluxServer,
    server: &Running,
    clients: &[Client],
    send: impl Fn(Client, Value) -> JoinHandle<Sent>,
) {
    let started = now_nanos();
    let base = base_time();
    let runs: Vec<_> = clients
        .iter()
        .map(|&client| {
            let plan = plan(client, server, base);
            (client, send(client, plan.clone()), plan)
        })
        .collect();
    let mut sent = Vec::new();
    for (client, run, plan) in runs {
        sent.push((client, run.await.expect("client task"), plan));
    }
    for (client, sent, plan) in &sent {
        check_stored(influx, *client, plan, sent, started);
    }
    check_receiver(server, clients);
}

/// Starts a client script in a blocking task.
fn spawn_script(command: impl Fn() -> Command) -> impl Fn(Client, Value) -> JoinHandle<Sent> {
    move |client, plan| {
        let command = command();
        tokio::task::spawn_blocking(move || run_script(client, command, &plan))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_sdk_exporters_store_exactly_what_they_sent() {
    let Some(python) = test_support::peers::python() else {
        return;
    };
    let Some(influx) = InfluxServer::try_start() else {
        return;
    };
    let server = start_receiver(&influx).await;
    let clients = Client::all(Sdk::Python, &[GRPC, HTTP_PROTOBUF, HTTP_JSON]);
    let send = spawn_script(|| python_command(&python));
    send_and_check(&influx, &server, &clients, send).await;
    assert!(server.shutdown().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn js_sdk_exporters_store_exactly_what_they_sent() {
    let Some(node_modules) = test_support::peers::node_modules() else {
        return;
    };
    let Some(influx) = InfluxServer::try_start() else {
        return;
    };
    let server = start_receiver(&influx).await;
    let clients = Client::all(Sdk::Js, &[GRPC, HTTP_JSON, HTTP_PROTOBUF]);
    let send = spawn_script(|| node_command(&node_modules));
    send_and_check(&influx, &server, &clients, send).await;
    assert!(server.shutdown().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_opentelemetry_otlp_exporters_store_exactly_what_they_sent() {
    let Some(influx) = InfluxServer::try_start() else {
        return;
    };
    let server = start_receiver(&influx).await;
    let clients = Client::all(Sdk::Rust, &[GRPC, HTTP_PROTOBUF]);
    let send = |client, plan| tokio::spawn(rust_client::run(client, plan));
    send_and_check(&influx, &server, &clients, send).await;
    assert!(server.shutdown().await);
}
