//! `otel-lp serve`, the binary: start-up message, lines written to a real influxd or to stdout
//! (byte-identical to `otel-lp convert`), TLS, and a clean exit on SIGTERM.

mod support;

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value::Value};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
use prost::Message;
use support::{TempFile, otel_lp};
use test_support::InfluxServer;

/// A running `otel-lp serve`, killed on drop.
struct Gateway {
    child: Child,
    http: SocketAddr,
    /// The trace query server, when one runs.
    query: Option<SocketAddr>,
    stderr: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Gateway {
    /// Starts the binary on free ports with `args` and the environment cleared of
    /// `OTEL_EXPORTER_DATALAYERS_*`, and waits for its start-up message.
    fn start(args: &[&str]) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_otel-lp"));
        command
            .args([
                "serve",
                "--otlp-grpc",
                "127.0.0.1:0",
                "--otlp-http",
                "127.0.0.1:0",
                "--query-http",
                "127.0.0.1:0",
            ])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (key, _) in std::env::vars() {
            if key.starts_with("OTEL_EXPORTER_DATALAYERS_") || key.starts_with("OTEL_LP_") {
                command.env_remove(key);
            }
        }
        let mut child = command.spawn().expect("otel-lp runs");
        let (send, stderr) = mpsc::channel();
        let pipe = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        let mut gateway = Self {
            child,
            http: "0.0.0.0:0".parse().unwrap(),
            query: None,
            stderr,
            seen: Vec::new(),
        };
        let line = gateway.wait_for("OTLP/HTTP on ");
        let address_after = |marker: &str| -> Option<SocketAddr> {
            let rest = line.split(marker).nth(1)?;
            let addr = rest.split_whitespace().next()?.trim_end_matches(',');
            Some(addr.parse().expect("a socket address"))
        };
        gateway.http = address_after("OTLP/HTTP on ").expect("an address");
        gateway.query = address_after("trace query server on ");
        gateway.wait_for("otel-lp serve: writing ");
        gateway
    }

    /// Waits (up to 60 s) for a stderr line containing `needle`.
    fn wait_for(&mut self, needle: &str) -> String {
        if let Some(line) = self.seen.iter().find(|l| l.contains(needle)) {
            return line.clone();
        }
        let deadline = Instant::now() + Duration::from_secs(60);
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.stderr.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.contains(needle) {
                        return line;
                    }
                }
                Err(_) => break,
            }
        }
        panic!("no `{needle}` on stderr; so far:\n{}", self.seen.join("\n"));
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.http)
    }

    /// SIGTERM, then the exit code (within 20 s) and the rest of stdout.
    fn terminate(mut self) -> (i32, String) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                let mut stdout = String::new();
                self.child
                    .stdout
                    .take()
                    .unwrap()
                    .read_to_string(&mut stdout)
                    .unwrap();
                return (status.code().unwrap_or(-1), stdout);
            }
            assert!(Instant::now() < deadline, "no exit within 20 s of SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn request(seed: u8) -> ExportTraceServiceRequest {
    let text = |key: &str, value: &str| KeyValue {
        key: key.into(),
        value: Some(AnyValue {
            value: Some(Value::StringValue(value.into())),
        }),
        ..Default::default()
    };
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: vec![text("service.name", "edge")],
                ..Default::default()
            }),
            scope_spans: vec![ScopeSpans {
                spans: (1..=3u64)
                    .map(|i| Span {
                        trace_id: vec![seed; 16],
                        span_id: i.to_be_bytes().to_vec(),
                        name: format!("op {i}"),
                        start_time_unix_nano: 1_700_000_000_000_000_000 + i,
                        end_time_unix_nano: 1_700_000_000_000_100_000 + i,
                        attributes: vec![text("note", "a \"quoted\", odd=value")],
                        ..Default::default()
                    })
                    .collect(),
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

/// GET `url` (with basic credentials when given): the status and the body.
fn get(url: &str, basic: Option<(&str, &str)>) -> (u16, String) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut request = reqwest::Client::new().get(url);
        if let Some((user, password)) = basic {
            request = request.basic_auth(user, Some(password));
        }
        let response = request.send().await.expect("request");
        let status = response.status().as_u16();
        (status, response.text().await.expect("a body"))
    })
}

fn post(url: &str, body: Vec<u8>) -> u16 {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        reqwest::Client::new()
            .post(url)
            .header("content-type", "application/x-protobuf")
            .body(body)
            .send()
            .await
            .expect("request")
            .status()
            .as_u16()
    })
}

#[test]
fn lines_reach_influxd_and_sigterm_exits_cleanly() {
    let Some(influx) = InfluxServer::try_start() else {
        return;
    };
    let base_url = influx.base_url();
    let gateway = Gateway::start(&[
        "--endpoint",
        &base_url,
        "--database",
        influx.database(),
        "--protocol",
        "influxdb-v1",
    ]);
    assert!(
        gateway
            .seen
            .iter()
            .any(|l| l.contains("influxdb-v1 at http://127.0.0.1")),
        "{:?}",
        gateway.seen
    );
    assert_eq!(
        post(&gateway.url("/v1/traces"), request(7).encode_to_vec()),
        200
    );
    let response = influx.query("SELECT count(duration_nano) FROM spans");
    assert_eq!(response["results"][0]["series"][0]["values"][0][1], 3);
    let (code, _) = gateway.terminate();
    assert_eq!(code, 0);
}

#[test]
fn the_query_server_reads_what_the_gateway_wrote() {
    let Some(influx) = InfluxServer::try_start() else {
        return;
    };
    let base_url = influx.base_url();
    let gateway = Gateway::start(&[
        "--endpoint",
        &base_url,
        "--database",
        influx.database(),
        "--protocol",
        "influxdb-v1",
        "--query-auth-basic",
        "grafana:s3cret:with-colon",
    ]);
    let query = gateway.query.expect("a query server beside a database");
    assert_eq!(
        post(&gateway.url("/v1/traces"), request(7).encode_to_vec()),
        200
    );
    let credentials = Some(("grafana", "s3cret:with-colon"));
    let url = |path: &str| format!("http://{query}{path}");

    let (status, _) = get(&url("/api/services"), None);
    assert_eq!(status, 401, "the query server asks for its own credentials");
    let (status, body) = get(&url("/api/services"), credentials);
    assert_eq!(status, 200, "{body}");
    let services: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(services["data"], serde_json::json!(["edge"]));

    let trace_id = "07".repeat(16);
    let (status, body) = get(&url(&format!("/api/traces/{trace_id}")), credentials);
    assert_eq!(status, 200, "{body}");
    let trace: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(trace["data"][0]["traceID"], trace_id.as_str());
    let mut names: Vec<&str> = trace["data"][0]["spans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|span| span["operationName"].as_str().unwrap())
        .collect();
    names.sort_unstable();
    assert_eq!(names, ["op 1", "op 2", "op 3"]);

    let (status, page) = get(&url("/"), credentials);
    assert_eq!(status, 200);
    assert!(page.contains("<html"), "the viewer's page: {page:.200}");
    let (code, _) = gateway.terminate();
    assert_eq!(code, 0);
}

#[test]
fn without_an_endpoint_lines_go_to_stdout_as_convert_writes_them() {
    let gateway = Gateway::start(&["--dialect", "influxdb-v1"]);
    assert!(
        gateway
            .seen
            .iter()
            .any(|l| l.contains("no endpoint configured")),
        "{:?}",
        gateway.seen
    );
    assert_eq!(gateway.query, None, "no database to read: no query server");
    assert!(
        gateway
            .seen
            .iter()
            .any(|l| l.contains("no trace query server: there is no database to read")),
        "{:?}",
        gateway.seen
    );
    let body = request(9).encode_to_vec();
    assert_eq!(post(&gateway.url("/v1/traces"), body.clone()), 200);
    let (code, stdout) = gateway.terminate();
    assert_eq!(code, 0);

    let input = TempFile::new("serve-request.pb", &body);
    let converted = otel_lp(
        &[
            "convert",
            "--input",
            input.0.to_str().unwrap(),
            "--format",
            "proto",
            "--dialect",
            "influxdb-v1",
        ],
        None,
    );
    assert_eq!(converted.code, 0, "{}", converted.stderr);
    assert_eq!(stdout, converted.stdout, "byte-identical to convert");
    assert_eq!(stdout.lines().count(), 3);
}

#[test]
fn tls_listeners_serve_https() {
    let dir = std::env::temp_dir().join(format!("otel-lp-serve-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    self_signed(&cert, &key);
    let gateway = Gateway::start(&[
        "--tls-cert",
        cert.to_str().unwrap(),
        "--tls-key",
        key.to_str().unwrap(),
        "--output",
        dir.join("lines.lp").to_str().unwrap(),
    ]);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let pem = std::fs::read(&cert).unwrap();
    let status = runtime.block_on(async {
        let client = reqwest::Client::builder()
            .tls_certs_only([reqwest::Certificate::from_pem(&pem).unwrap()])
            .build()
            .unwrap();
        client
            .post(format!("https://{}/v1/traces", gateway.http))
            .header("content-type", "application/x-protobuf")
            .body(request(3).encode_to_vec())
            .send()
            .await
            .expect("https request")
            .status()
    });
    assert_eq!(status, 200);
    // Plain HTTP on the TLS port is refused.
    assert!(
        runtime
            .block_on(reqwest::get(format!("http://{}/health", gateway.http)))
            .is_err()
    );
    let (code, _) = gateway.terminate();
    assert_eq!(code, 0);
    let written = std::fs::read_to_string(dir.join("lines.lp")).unwrap();
    assert_eq!(written.lines().count(), 3);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A throwaway certificate for 127.0.0.1, made with the openssl command.
fn self_signed(cert: &Path, key: &Path) {
    let output = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
        ])
        .args(["-nodes", "-days", "1", "-subj", "/CN=otel-lp test"])
        .args(["-addext", "subjectAltName=IP:127.0.0.1"])
        // A leaf, not a CA: rustls refuses a CA certificate as a server's own.
        .args(["-addext", "basicConstraints=critical,CA:FALSE"])
        .args(["-addext", "extendedKeyUsage=serverAuth"])
        .arg("-keyout")
        .arg(key)
        .arg("-out")
        .arg(cert)
        .output()
        .expect("openssl runs (Debian: apt-get install openssl)");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn bad_arguments_are_usage_errors() {
    let run = otel_lp(&["serve", "--otlp-grpc", "off", "--otlp-http", "off"], None);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("nothing to serve"), "{}", run.stderr);
    let run = otel_lp(&["serve", "--auth-basic", "nocolon"], None);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("USER:PASSWORD"), "{}", run.stderr);
    let run = otel_lp(&["serve", "--tls-cert", "x.pem"], None);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let run = otel_lp(&["serve", "--max-request-size", "5 parsecs"], None);
    assert_eq!(run.code, 2);
}
