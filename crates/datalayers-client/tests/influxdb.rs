//! Writes against a real InfluxDB 1.x (`influxd` started by `test-support`): reads back what was
//! written, and drives every failure mode the server has (partial writes, missing database,
//! auth, 413, a crash and restart, a hung process). Each fault test is bounded in time.

mod common;

use std::time::{Duration, Instant};

use common::numbered_lines;
use datalayers_client::config::{ClientConfig, Compression, Protocol, RetryPolicy};
use datalayers_client::{Client, WriteErrorKind, WriteReport};
use lineproto::{Dialect, Encoder, EncoderOptions, Lines};
use serde_json::Value;
use test_support::InfluxServer;

/// Upper bound of any single test here.
const TEST_BUDGET: Duration = Duration::from_secs(60);

fn config(server: &InfluxServer) -> ClientConfig {
    ClientConfig::new(server.base_url())
        .with_protocol(Protocol::InfluxDbV1)
        .with_database(server.database())
        .with_retry(RetryPolicy {
            initial_backoff: Duration::from_millis(50),
            max_backoff: Duration::from_millis(500),
            max_retries: None,
        })
}

/// `SELECT count(<field>) FROM <measurement>` as a number (0 when there is no series).
fn count(server: &InfluxServer, field: &str, measurement: &str) -> i64 {
    let response = server.query(&format!("SELECT count(\"{field}\") FROM \"{measurement}\""));
    response["results"][0]["series"][0]["values"][0][1]
        .as_i64()
        .unwrap_or(0)
}

async fn bounded(future: impl std::future::Future<Output = WriteReport>) -> WriteReport {
    tokio::time::timeout(TEST_BUDGET, future)
        .await
        .expect("the write outlived the test budget")
}

#[tokio::test]
async fn writes_in_batches_and_reads_back_exact_values() {
    let Some(server) = InfluxServer::try_start() else {
        return;
    };
    let client = Client::new(config(&server).with_payload_max_lines(1000)).unwrap();
    let mut encoder = Encoder::new(EncoderOptions::new(client.config().dialect()));
    for i in 0..2500i64 {
        encoder
            .start_line("spans")
            .tag("service.name", "checkout")
            .tag("n", &(i % 3).to_string());
        encoder
            .field_i64("duration_nano", i)
            .field_str("name", "GET /a b,c=\"d\"")
            .field_f64("ratio", i as f64 / 4.0);
        encoder
            .end_line(Some(1_700_000_000_000_000_000 + i))
            .unwrap();
    }
    let report = bounded(client.write_lines(encoder.lines())).await;
    assert!(report.is_success(), "{report}");
    assert_eq!(
        (report.written_lines, report.requests, report.retries),
        (2500, 3, 0)
    );
    assert_eq!(count(&server, "duration_nano", "spans"), 2500);
    let row = server.query("SELECT duration_nano, \"name\", ratio, \"service.name\" FROM spans WHERE time = 1700000000000000007");
    assert_eq!(
        row["results"][0]["series"][0]["values"][0],
        serde_json::json!([
            1_700_000_000_000_000_007i64,
            7,
            "GET /a b,c=\"d\"",
            1.75,
            "checkout"
        ])
    );
}

#[tokio::test]
async fn gzip_bodies_are_stored() {
    let Some(server) = InfluxServer::try_start() else {
        return;
    };
    let client = Client::new(config(&server).with_compression(Compression::Gzip)).unwrap();
    let (body, ends) = numbered_lines("gz", 1000);
    let report = bounded(client.write_lines(Lines::new(&body, &ends))).await;
    assert!(report.is_success(), "{report}");
    assert!(
        report.bytes_sent * 4 < body.len() as u64,
        "gzip sent {} of {} bytes",
        report.bytes_sent,
        body.len()
    );
    assert_eq!(count(&server, "v", "gz"), 1000);
}

#[tokio::test]
async fn partial_write_keeps_good_lines_and_names_the_bad_one() {
    let Some(server) = InfluxServer::try_start() else {
        return;
    };
    let client = Client::new(config(&server)).unwrap();
    // Line 1 uses the unsigned suffix InfluxDB 1.x cannot parse; lines 0 and 2 are fine.
    let text = b"pw,t=a v=1 1000\npw,t=a u=7u 2000\npw,t=a v=3 3000\n";
    let mut ends = Vec::new();
    let report = bounded(client.write_lines(Lines::from_newline_terminated(text, &mut ends))).await;
    assert_eq!(
        (
            report.written_lines,
            report.rejected_lines,
            report.failed_lines
        ),
        (2, 1, 0),
        "{report}"
    );
    assert_eq!(report.requests, 1, "a 400 is never retried");
    let rejection = &report.rejections[0];
    assert_eq!(
        (rejection.index, rejection.line.as_str()),
        (1, "pw,t=a u=7u 2000")
    );
    assert!(
        rejection.reason.contains("invalid number"),
        "{}",
        rejection.reason
    );
    assert_eq!(
        count(&server, "v", "pw"),
        2,
        "the good lines were stored once"
    );

    // A field type conflict: the storage drops the point without naming it (`dropped=1`).
    let text = b"pw,t=b v=\"text\" 4000\npw,t=b v=5 5000\n";
    let mut ends = Vec::new();
    let report = bounded(client.write_lines(Lines::from_newline_terminated(text, &mut ends))).await;
    assert_eq!(
        (report.written_lines, report.rejected_lines),
        (1, 1),
        "{report}"
    );
    let error = report.first_error().unwrap();
    assert_eq!(error.kind, WriteErrorKind::Rejected);
    assert!(error.message.contains("field type conflict"), "{error}");
    assert_eq!(count(&server, "v", "pw"), 3);
}

#[tokio::test]
async fn every_line_unparsable_rejects_each_with_its_reason() {
    let Some(server) = InfluxServer::try_start() else {
        return;
    };
    let client = Client::new(config(&server)).unwrap();
    let text = b"bad,t=a v=1 notatime\nbad,t=a v= 2\n";
    let mut ends = Vec::new();
    let report = bounded(client.write_lines(Lines::from_newline_terminated(text, &mut ends))).await;
    assert_eq!(
        (report.written_lines, report.rejected_lines),
        (0, 2),
        "{report}"
    );
    let indexes: Vec<usize> = report.rejections.iter().map(|r| r.index).collect();
    assert_eq!(indexes, [0, 1]);
    assert!(
        report.rejections[0].reason.contains("bad timestamp"),
        "{:?}",
        report.rejections
    );
}

#[tokio::test]
async fn missing_database_is_404_with_advice() {
    let Some(server) = InfluxServer::try_start() else {
        return;
    };
    let client = Client::new(config(&server).with_database("no_such_db")).unwrap();
    let (body, ends) = numbered_lines("m", 3);
    let report = bounded(client.write_lines(Lines::new(&body, &ends))).await;
    assert_eq!((report.failed_lines, report.requests), (3, 1), "{report}");
    let error = report.first_error().unwrap();
    assert_eq!(
        (error.kind, error.status),
        (WriteErrorKind::NotFound, Some(404))
    );
    assert!(error.message.contains("database not found"), "{error}");
    assert!(
        error.message.contains("CREATE DATABASE \"no_such_db\""),
        "{error}"
    );
}

#[tokio::test]
async fn wrong_password_is_401_and_right_one_writes() {
    let Some(server) = InfluxServer::builder().auth("admin", "s3cret").try_start() else {
        return;
    };
    let (body, ends) = numbered_lines("auth", 2);
    let client = Client::new(config(&server).with_basic_auth("admin", "wrong-password")).unwrap();
    let report = bounded(client.write_lines(Lines::new(&body, &ends))).await;
    assert_eq!((report.failed_lines, report.requests), (2, 1), "{report}");
    let error = report.first_error().unwrap();
    assert_eq!(
        (error.kind, error.status),
        (WriteErrorKind::Unauthorized, Some(401))
    );
    assert!(!format!("{report:?}{client:?}").contains("wrong-password"));

    let client = Client::new(config(&server).with_basic_auth("admin", "s3cret")).unwrap();
    let report = bounded(client.write_lines(Lines::new(&body, &ends))).await;
    assert!(report.is_success(), "{report}");
}

#[tokio::test]
async fn small_max_body_size_gets_413_then_split_delivers_every_line() {
    let Some(server) = InfluxServer::builder().max_body_size(1024).try_start() else {
        return;
    };
    let client = Client::new(config(&server)).unwrap();
    let (mut body, mut ends) = numbered_lines("split", 300);
    body.extend_from_slice(format!("split,t=big s=\"{}\" 1\n", "x".repeat(2000)).as_bytes());
    ends.push(body.len());
    let report = bounded(client.write_lines(Lines::new(&body, &ends))).await;
    assert_eq!(
        (
            report.written_lines,
            report.rejected_lines,
            report.failed_lines
        ),
        (300, 1, 0),
        "{report}"
    );
    assert!(report.requests > 10, "{report}");
    assert_eq!(report.rejections[0].index, 300);
    assert!(
        report.rejections[0].reason.contains("413"),
        "{:?}",
        report.rejections
    );
    assert_eq!(count(&server, "v", "split"), 300);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_crash_and_restart_mid_run_retries_bring_every_line_in() {
    let Some(mut server) = InfluxServer::try_start() else {
        return;
    };
    let client = Client::new(
        config(&server)
            .with_payload_max_lines(500)
            .with_timeout(Duration::from_secs(30)),
    )
    .unwrap();
    let (body, ends) = numbered_lines("crash", 5000);
    let lines = Lines::new(&body, &ends);
    let (first, rest) = lines.split_at(1000);
    let started = Instant::now();
    let mut report = bounded(client.write_lines(first)).await;
    assert!(report.is_success(), "{report}");

    // Kill the server, bring it back 1.5 s later while the client is retrying.
    server.stop();
    let restarter = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(1500));
        server.restart();
        server
    });
    let second = bounded(client.write_lines(rest)).await;
    let server = restarter.join().unwrap();
    report.merge(&second);
    assert!(report.is_success(), "{report}");
    assert_eq!(report.written_lines, 5000);
    assert!(second.retries >= 1, "the client saw the outage: {second}");
    assert!(started.elapsed() < Duration::from_secs(30));
    assert_eq!(
        count(&server, "v", "crash"),
        5000,
        "every line arrived (re-sent lines overwrite, never duplicate)"
    );
}

#[tokio::test]
async fn hung_server_fails_the_batch_at_the_deadline() {
    let Some(server) = InfluxServer::try_start() else {
        return;
    };
    let client = Client::new(config(&server).with_timeout(Duration::from_secs(1))).unwrap();
    let (body, ends) = numbered_lines("hang", 10);
    server.pause();
    let started = Instant::now();
    let report = bounded(client.write_lines(Lines::new(&body, &ends))).await;
    let elapsed = started.elapsed();
    server.resume();
    assert!(elapsed < Duration::from_millis(3000), "{elapsed:?}");
    assert_eq!(report.failed_lines, 10, "{report}");
    assert_eq!(
        report.first_error().unwrap().kind,
        WriteErrorKind::Exhausted
    );
    // Nothing else is broken: the next write goes through.
    let report = bounded(client.write_lines(Lines::new(&body, &ends))).await;
    assert!(report.is_success(), "{report}");
}

#[tokio::test]
async fn unsigned_values_encoded_for_v1_are_accepted() {
    // The dialect from the config writes u64 as `i` for InfluxDB 1.x.
    let Some(server) = InfluxServer::try_start() else {
        return;
    };
    let client = Client::new(config(&server)).unwrap();
    assert_eq!(client.config().dialect(), Dialect::InfluxDbV1);
    let mut encoder = Encoder::new(EncoderOptions::new(client.config().dialect()));
    encoder
        .start_line("u")
        .tag("t", "a")
        .field_u64("dropped_attributes_count", 7);
    encoder.end_line(Some(1)).unwrap();
    let report = bounded(client.write_lines(encoder.lines())).await;
    assert!(report.is_success(), "{report}");
    let value: Value = server.query("SELECT dropped_attributes_count FROM u");
    assert_eq!(value["results"][0]["series"][0]["values"][0][1], 7);
}

/// The exporter's path end to end: `BackgroundClient` polled by `futures_executor::block_on` on a
/// plain thread (no runtime anywhere in this test), into the real server, read back.
#[test]
fn background_client_without_any_runtime_writes_and_survives_a_restart() {
    let Some(mut server) = InfluxServer::try_start() else {
        return;
    };
    let client = datalayers_client::BackgroundClient::new(
        config(&server).with_timeout(Duration::from_secs(20)),
    )
    .unwrap();
    let (body, ends) = numbered_lines("bridge", 300);
    let body = bytes::Bytes::from(body);
    let report = futures_executor::block_on(client.write(body.clone(), ends.clone()));
    assert!(report.is_success(), "{report}");

    server.stop();
    let pending = client.write(body, ends);
    std::thread::sleep(Duration::from_millis(700));
    server.restart();
    let report = futures_executor::block_on(pending);
    assert!(report.is_success(), "{report}");
    assert!(report.retries >= 1, "{report}");
    client.shutdown(Duration::from_secs(5)).unwrap();
    assert_eq!(client.totals().written_lines, 600);
    // Same points twice: InfluxDB keeps one copy.
    assert_eq!(count(&server, "v", "bridge"), 300);
}
