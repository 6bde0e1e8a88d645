//! `otel-lp generate` against `otel-lp serve`: every protocol delivers exactly the items it
//! says it sent, and the summary says so.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn every_protocol_delivers_what_it_counts() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("lines.lp");
    let (grpc, http) = (free_port(), free_port());
    let mut gateway = Command::new(env!("CARGO_BIN_EXE_otel-lp"))
        .args(["serve", "--output", out.to_str().unwrap()])
        .args(["--otlp-grpc", &format!("127.0.0.1:{grpc}")])
        .args(["--otlp-http", &format!("127.0.0.1:{http}")])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", http)).is_err() {
        assert!(Instant::now() < deadline, "the gateway did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    let cases = [
        ("traces", "grpc", grpc, false),
        ("traces", "http/protobuf", http, true),
        ("logs", "http/json", http, false),
        ("metrics", "grpc", grpc, true),
    ];
    for (signal, protocol, port, gzip) in cases {
        let mut command = Command::new(env!("CARGO_BIN_EXE_otel-lp"));
        command
            .args(["generate", signal, "--protocol", protocol])
            .args(["--endpoint", &format!("http://127.0.0.1:{port}")])
            .args(["--count", "600", "--batch-size", "50", "--workers", "3"])
            .args(["--summary", "json"]);
        if gzip {
            command.arg("--gzip");
        }
        let run = command.output().unwrap();
        assert!(
            run.status.success(),
            "{signal} over {protocol}: {}",
            String::from_utf8_lossy(&run.stderr)
        );
        let summary: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
        assert_eq!(
            summary["items_sent"], 600,
            "{signal} over {protocol}: {summary}"
        );
        assert_eq!(summary["failed_requests"], 0);
        assert_eq!(summary["requests"], 12);
        assert!(summary["latency_ms"]["p99"].as_f64().unwrap() > 0.0);
    }
    let _ = Command::new("kill")
        .args(["-TERM", &gateway.id().to_string()])
        .status();
    assert!(gateway.wait().unwrap().success());
    let lines = std::fs::read_to_string(&out).unwrap();
    let count = |prefix: &str| lines.lines().filter(|l| l.starts_with(prefix)).count();
    assert_eq!(count("spans,"), 1200, "every span of both trace runs");
    // Span events and log records both go to `logs`: 1200 events, 600 records.
    assert_eq!(count("logs,"), 1800);
    // 600 data points taking turns as gauges, counters and histograms: of 50 per request,
    // 17, 17 and 16.
    assert_eq!(count("system.cpu.utilization,"), 204);
    assert_eq!(count("http.server.requests,"), 204);
    assert_eq!(count("http.server.duration,"), 192);
}

#[test]
fn an_unreachable_receiver_fails_with_a_reason() {
    let port = free_port();
    let run = Command::new(env!("CARGO_BIN_EXE_otel-lp"))
        .args(["generate", "traces", "--protocol", "http/protobuf"])
        .args(["--endpoint", &format!("http://127.0.0.1:{port}")])
        .args(["--count", "100"])
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(stdout.contains("connect"), "{stdout}");
}
