//! What the real OpenTelemetry Python SDK sends, converted (issue 11): SDK 1.45.2 spans, logs and
//! metrics as `opentelemetry-exporter-otlp-json-http` 0.66b1 and `-proto-http` 1.45.1 post them,
//! captured by `tests/python/capture_otlp.py` into `tests/fixtures/python-sdk/`.
//!
//! The spans have a resource value with quotes and a comma, array attributes, an exception
//! event, a link, error statuses, and one span with `float("nan")` and `float("inf")`
//! attributes beside a `db.statement`. Each JSON body and its protobuf twin must convert, with
//! the encoding detected from the content, to the same lines; the statement must be written,
//! and each non-finite value counted alone.
//!
//! The bodies are also captured afresh from the SDK installed by
//! `scripts/install-test-peers.sh` (found through `test_support::peers`) and checked the same
//! way: a new SDK or exporter release that sends something else shows up here. Without the
//! virtualenv the fresh capture is skipped loudly; under `CI=true` it fails.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::{Run, otel_lp};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/python-sdk")
}

fn convert(path: &Path) -> Run {
    let run = otel_lp(&["convert", "--input", path.to_str().unwrap()], None);
    assert_eq!(run.code, 0, "{}: {}", path.display(), run.stderr);
    run
}

/// `dir/<signal>.json` and `dir/<signal>.pb` give the same lines; returns them.
fn same_lines(dir: &Path, signal: &str) -> Run {
    let json = convert(&dir.join(format!("{signal}.json")));
    let protobuf = convert(&dir.join(format!("{signal}.pb")));
    assert_eq!(
        json.stdout, protobuf.stdout,
        "{signal}: JSON and protobuf differ"
    );
    assert_eq!(json.stderr, protobuf.stderr, "{signal}: different reports");
    assert!(!json.stdout.is_empty(), "{signal}: no lines");
    json
}

fn check_capture(dir: &Path) {
    let traces = same_lines(dir, "traces");
    let lines: Vec<&str> = traces.stdout.lines().collect();
    // Three spans, the exception event, the root's event, the link.
    assert_eq!(lines.len(), 6, "{}", traces.stdout);

    // The span with NaN and infinities: its statement and other attributes are written, the
    // three non-finite values are left out and counted.
    let db = lines
        .iter()
        .find(|l| l.contains("span.name=\"SELECT orders\""))
        .expect("the database span");
    assert!(
        db.contains(
            r#"\"db.statement\":\"SELECT * FROM orders WHERE id = $1 AND note = 'a \\\"b\\\", c'\""#
        ),
        "{db}"
    );
    assert!(db.contains(r#"\"db.row_count\":3"#), "{db}");
    assert!(db.contains("dropped_attributes_count=3u"), "{db}");
    assert!(
        !db.contains("db.rows.ratio") && !db.contains("db.cost"),
        "{db}"
    );
    for key in ["db.rows.ratio", "db.cost.estimate", "db.cost.floor"] {
        assert!(
            traces.stderr.contains(&format!(
                "span 1000000000000002: attribute \"{key}\" is NaN or infinite"
            )),
            "{}",
            traces.stderr
        );
    }
    assert!(
        traces
            .stderr
            .contains("6 lines written, 3 dropped (non_finite_attributes: 3)"),
        "{}",
        traces.stderr
    );

    // The resource value with quotes and a comma, arrays, the error statuses, the exception
    // event and the link.
    let root = lines
        .iter()
        .find(|l| l.contains("span.name=\"POST /cart/checkout\""))
        .expect("the root span");
    for part in [
        r#"\"deployment.environment\":\"eu \\\"west\\\", zone=2\""#,
        r#"\"http.request.header.accept\":[\"text/html\",\"application/json\"]"#,
        r#"\"retry.delays_ms\":[10,20,40]"#,
        r#"\"feature.flags\":[true,false]"#,
        r#"\"sampling.weights\":[0.25,1.5]"#,
        "otel.status_code=\"Error\"",
        "span.kind=\"Server\"",
    ] {
        assert!(root.contains(part), "{part} not in {root}");
    }
    assert!(
        traces
            .stdout
            .contains("otel.status_code=\"Error\",otel.status_description=\"payment failed\""),
        "{}",
        traces.stdout
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("logs,span_id=1000000000000003,")
                && l.contains("event.name=\"exception\"")
                && l.contains(r#"\"exception.type\":\"ValueError\""#)),
        "{}",
        traces.stdout
    );
    assert!(
        lines.iter().any(|l| l.starts_with(
            "span-links,linked_span_id=00f067aa0ba902b7,linked_trace_id=0af7651916cd43dd8448eb211c80319c,"
        )),
        "{}",
        traces.stdout
    );

    let logs = same_lines(dir, "logs");
    assert_eq!(logs.stdout.lines().count(), 2, "{}", logs.stdout);
    assert!(
        logs.stdout.contains(r#"\"payment.attempt\":2"#)
            && logs
                .stdout
                .contains(r#"\"payment.methods\":[\"card\",\"voucher\"]"#),
        "{}",
        logs.stdout
    );
    assert!(
        logs.stderr
            .contains("attribute \"payment.score\" is NaN or infinite"),
        "{}",
        logs.stderr
    );

    let metrics = same_lines(dir, "metrics");
    assert_eq!(metrics.stdout.lines().count(), 3, "{}", metrics.stdout);
    assert!(metrics.stderr.is_empty(), "{}", metrics.stderr);
    assert!(
        metrics.stdout.contains(",region=eu\\,\\ west,"),
        "{}",
        metrics.stdout
    );

    // What the JSON exporter sends for an export without spans: `{}`, a valid empty request.
    let empty = dir.join("empty-traces.json");
    assert_eq!(std::fs::read(&empty).unwrap(), b"{}");
    let run = convert(&empty);
    assert_eq!((run.stdout.as_str(), run.stderr.as_str()), ("", ""));
}

#[test]
fn the_python_sdks_json_and_protobuf_requests_convert_to_the_same_lines() {
    check_capture(&fixtures());
}

/// The same, from bodies the SDK sends now (see the module docs).
#[test]
fn a_fresh_capture_from_the_python_sdk_converts_the_same_way() {
    let Some(python) = test_support::peers::python() else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("otel-lp-python-sdk-{}", std::process::id()));
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/capture_otlp.py");
    let output = Command::new(python)
        .arg(&script)
        .arg(&dir)
        .output()
        .expect("python runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    check_capture(&dir);
    // The spans are fixed by the script (ids, times), so they are the committed ones.
    for name in ["traces.json", "traces.pb"] {
        assert_eq!(
            std::fs::read(dir.join(name)).unwrap(),
            std::fs::read(fixtures().join(name)).unwrap(),
            "{name} changed: the SDK or an exporter sends something new"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
