//! Protocol tests: Datalayers cannot run here, so a local HTTP server replays the response shapes
//! its documentation (and EMQX's CI against a real Datalayers) shows: `204` on success,
//! `{"error": "..."}` on failure, 401 on bad credentials. The retry, `Retry-After`, 413 and gzip
//! mechanics are checked on the wire the same way.

mod common;

use std::time::{Duration, Instant};

use common::numbered_lines;
use datalayers_client::config::{ClientConfig, Compression, Protocol, RetryPolicy};
use datalayers_client::query::Rfc3339;
use datalayers_client::{Client, WriteErrorKind};
use lineproto::Lines;
use test_support::scripted::{Reply, ScriptedServer};

/// The literal error Datalayers returned for a bad measurement name (EMQX CI suite).
const DATALAYERS_MEASUREMENT_ERROR: &str = "Measurement name rule/test/trace must begin with ('a-z','A-Z','_'), followed by ('a-z','A-Z','_','0-9','-', '.'), and end with ('a-z','A-Z','_'), and length is 1~63";

fn datalayers(server: &ScriptedServer) -> ClientConfig {
    ClientConfig::new(&server.base_url)
        .with_database("otel")
        .with_basic_auth("admin", "public")
}

fn fast_retries() -> RetryPolicy {
    RetryPolicy {
        initial_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(200),
        max_retries: None,
    }
}

async fn write(client: &Client, body: &[u8], ends: &[usize]) -> datalayers_client::WriteReport {
    client.write_lines(Lines::new(body, ends)).await
}

#[tokio::test]
async fn protocol_datalayers_write_is_204_with_basic_auth_in_the_header() {
    let server = ScriptedServer::always(Reply::status(204));
    let client = Client::new(datalayers(&server)).unwrap();
    let (body, ends) = numbered_lines("spans", 3);
    let report = write(&client, &body, &ends).await;
    assert!(report.is_success(), "{report}");
    assert_eq!(
        (report.written_lines, report.requests, report.retries),
        (3, 1, 0)
    );
    let requests = server.requests();
    let request = &requests[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.target, "/write?db=otel&precision=ns");
    assert_eq!(
        request.header("authorization"),
        Some("Basic YWRtaW46cHVibGlj")
    );
    assert!(
        request
            .header("user-agent")
            .unwrap()
            .starts_with("datalayers-client/")
    );
    assert_eq!(request.body, body);
}

#[tokio::test]
async fn protocol_datalayers_credentials_in_the_endpoint_never_reach_the_url() {
    let server = ScriptedServer::always(Reply::status(204));
    let endpoint =
        server.base_url.replace("http://", "http://admin:public@") + "/?u=admin&p=public";
    let client = Client::new(ClientConfig::new(endpoint).with_database("otel")).unwrap();
    let (body, ends) = numbered_lines("spans", 1);
    assert!(write(&client, &body, &ends).await.is_success());
    let request = &server.requests()[0];
    assert_eq!(request.target, "/write?db=otel&precision=ns");
    assert_eq!(
        request.header("authorization"),
        Some("Basic YWRtaW46cHVibGlj")
    );
    assert!(!format!("{client:?}").contains("public"));
}

#[tokio::test]
async fn protocol_datalayers_measurement_error_without_isolation_rejects_the_batch() {
    let server = ScriptedServer::always(Reply::error(400, DATALAYERS_MEASUREMENT_ERROR));
    let config = datalayers(&server)
        .with_retry(fast_retries())
        .with_rejection_isolation_budget(0);
    let client = Client::new(config).unwrap();
    let body = b"rule/test/trace,t=a v=1 1\nspans,t=a v=2 2\n";
    let mut ends = Vec::new();
    let report = client
        .write_lines(Lines::from_newline_terminated(body, &mut ends))
        .await;
    let counts = (
        report.written_lines,
        report.rejected_lines,
        report.failed_lines,
    );
    assert_eq!(counts, (0, 2, 0), "{report}");
    assert_eq!(report.requests, 1, "a 400 is never retried");
    assert_eq!(report.rejections.len(), 2);
    assert_eq!(report.rejections[0].line, "rule/test/trace,t=a v=1 1");
    assert_eq!(report.rejections[0].reason, DATALAYERS_MEASUREMENT_ERROR);
    let error = report.first_error().unwrap();
    assert_eq!(
        (error.kind, error.status, error.lines),
        (WriteErrorKind::Rejected, Some(400), 2)
    );
}

/// Datalayers refuses a whole request for one bad line; the client halves the batch until the
/// bad lines stand alone, delivers every good line exactly once, in order, and names the bad ones.
#[tokio::test]
async fn protocol_datalayers_bad_lines_are_isolated_and_the_rest_delivered() {
    let server = ScriptedServer::start(Vec::new(), |seen| {
        if seen.body.windows(15).any(|w| w == b"rule/test/trace") {
            Reply::error(400, DATALAYERS_MEASUREMENT_ERROR)
        } else {
            Reply::status(204)
        }
    });
    let client = Client::new(datalayers(&server)).unwrap();
    let mut text = String::new();
    for i in 0..40 {
        if i == 7 || i == 30 {
            text.push_str(&format!("rule/test/trace,t=a v={i} {i}\n"));
        } else {
            text.push_str(&format!("spans,t=a v={i} {i}\n"));
        }
    }
    let mut ends = Vec::new();
    let report = client
        .write_lines(Lines::from_newline_terminated(text.as_bytes(), &mut ends))
        .await;
    let counts = (
        report.written_lines,
        report.rejected_lines,
        report.failed_lines,
    );
    assert_eq!(counts, (38, 2, 0), "{report}");
    let indexes: Vec<usize> = report.rejections.iter().map(|r| r.index).collect();
    assert_eq!(indexes, [7, 30]);
    assert!(
        report
            .rejections
            .iter()
            .all(|r| r.reason == DATALAYERS_MEASUREMENT_ERROR)
    );
    assert!(report.requests <= 2 * 2 * 6 + 1, "{report}");
    let delivered: Vec<u8> = server
        .requests()
        .iter()
        .filter(|r| !r.body.windows(15).any(|w| w == b"rule/test/trace"))
        .flat_map(|r| r.body.clone())
        .collect();
    let good: String = text
        .lines()
        .filter(|l| l.starts_with("spans"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(String::from_utf8(delivered).unwrap(), good);
}

/// When every line is bad, the isolation budget caps the extra requests; every line is still
/// counted as rejected.
#[tokio::test]
async fn protocol_isolation_budget_bounds_requests() {
    let server = ScriptedServer::always(Reply::error(400, "type conflict"));
    let client = Client::new(datalayers(&server).with_rejection_isolation_budget(5)).unwrap();
    let (body, ends) = numbered_lines("spans", 1000);
    let report = write(&client, &body, &ends).await;
    assert_eq!(
        (report.written_lines, report.rejected_lines),
        (0, 1000),
        "{report}"
    );
    assert_eq!(report.requests, 1 + 2 * 5, "{report}");
}

/// Answers no retry can change fail the whole call after one request, with their kind and a
/// message that says what to do, never the password.
#[tokio::test]
async fn protocol_permanent_answers_fail_the_call_at_once() {
    struct Case {
        reply: Reply,
        lines: usize,
        kind: WriteErrorKind,
        message_has: &'static [&'static str],
    }
    let cases = [
        // Bad credentials: names the settings, not the password.
        Case {
            reply: Reply::error(401, "authorization failed")
                .header("www-authenticate", "Basic realm=\"x\""),
            lines: 4,
            kind: WriteErrorKind::Unauthorized,
            message_has: &["OTEL_EXPORTER_DATALAYERS_PASSWORD"],
        },
        // No database: says how to create it.
        Case {
            reply: Reply::error(404, "database not found: otel"),
            lines: 2,
            kind: WriteErrorKind::NotFound,
            message_has: &["create database otel", "/api/v1/sql"],
        },
        // Unexpected statuses, and redirects are not followed.
        Case {
            reply: Reply::status(307).header("location", "http://elsewhere/write"),
            lines: 2,
            kind: WriteErrorKind::UnexpectedStatus,
            message_has: &[],
        },
    ];
    for case in cases {
        let status = case.reply.status;
        let server = ScriptedServer::always(case.reply);
        let client =
            Client::new(datalayers(&server).with_basic_auth("admin", "wrong-pass-xyz")).unwrap();
        let (body, ends) = numbered_lines("spans", case.lines);
        let report = write(&client, &body, &ends).await;
        assert_eq!(
            (report.failed_lines, report.requests),
            (case.lines as u64, 1),
            "{status}: {report}"
        );
        let error = report.first_error().unwrap();
        assert_eq!(error.kind, case.kind, "{status}: {error}");
        for text in case.message_has {
            assert!(error.message.contains(text), "{status}: {error}");
        }
        assert!(
            !format!("{report:?}").contains("wrong-pass-xyz"),
            "{status}"
        );
    }
}

#[tokio::test]
async fn protocol_a_huge_dropped_count_in_a_partial_write_cannot_overflow_the_accounting() {
    // The count is the server's text: a broken or hostile answer must not panic (debug) or wrap
    // (release) the line accounting. Found by the `write_responses` fuzz target.
    let message = format!(
        "partial write: unable to parse 'spans,n=0 x=\\': bad field dropped={}",
        u64::MAX
    );
    let server = ScriptedServer::always(Reply::error(400, &message));
    let client = Client::new(
        ClientConfig::new(&server.base_url)
            .with_protocol(Protocol::InfluxDbV1)
            .with_database("otel"),
    )
    .unwrap();
    let (body, ends) = numbered_lines("spans", 3);
    let report = write(&client, &body, &ends).await;
    assert_eq!(
        (
            report.written_lines,
            report.rejected_lines,
            report.failed_lines
        ),
        (0, 3, 0),
        "every line counted once: {report:?}"
    );
}

/// `Retry-After` is waited out before the one retry, in seconds (on a 503) and as an HTTP date
/// (on a 429); the same body goes out again.
#[tokio::test]
async fn protocol_retry_after_is_honoured() {
    struct Case {
        status: u16,
        message: &'static str,
        /// The `Retry-After` value, made when the case runs.
        retry_after: fn() -> String,
        lines: usize,
        shortest_wait: Duration,
    }
    let cases = [
        Case {
            status: 503,
            message: "busy",
            retry_after: || "1".to_owned(),
            lines: 5,
            shortest_wait: Duration::from_millis(950),
        },
        // An HTTP date has whole seconds: the wait is between 1 and 2 s.
        Case {
            status: 429,
            message: "slow down",
            retry_after: || httpdate_in(Duration::from_secs(2)),
            lines: 1,
            shortest_wait: Duration::from_millis(900),
        },
    ];
    for case in cases {
        let status = case.status;
        let server = ScriptedServer::start(
            vec![Reply::error(status, case.message).header("retry-after", &(case.retry_after)())],
            |_| Reply::status(204),
        );
        let client = Client::new(datalayers(&server).with_retry(fast_retries())).unwrap();
        let (body, ends) = numbered_lines("spans", case.lines);
        let started = Instant::now();
        let report = write(&client, &body, &ends).await;
        assert!(report.is_success(), "{status}: {report}");
        assert_eq!((report.requests, report.retries), (2, 1), "{status}");
        assert!(
            started.elapsed() >= case.shortest_wait,
            "{status}: waited only {:?}",
            started.elapsed()
        );
        // The same body went out twice.
        let requests = server.requests();
        assert_eq!(requests[0].body, requests[1].body, "{status}");
    }
}

fn httpdate_in(wait: Duration) -> String {
    // IMF-fixdate built from the crate's own RFC 3339 formatter, not from the `httpdate` crate
    // whose parser reads `Retry-After` (the test must not trust the parser it tests).
    let secs = (std::time::SystemTime::now() + wait)
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let rfc3339 = Rfc3339::seconds(i64::try_from(secs).unwrap() * 1_000_000_000).to_string();
    let (date, time) = rfc3339.strip_suffix('Z').unwrap().split_once('T').unwrap();
    let mut date = date.split('-');
    let (year, month, day) = (
        date.next().unwrap(),
        date.next().unwrap(),
        date.next().unwrap(),
    );
    // 1970-01-01 was a Thursday.
    let weekday = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][(secs / 86_400 % 7) as usize];
    let month = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ][month.parse::<usize>().unwrap() - 1];
    format!("{weekday}, {day} {month} {year} {time} GMT")
}

#[tokio::test]
async fn protocol_retry_after_past_the_deadline_fails_at_once() {
    let server =
        ScriptedServer::always(Reply::error(503, "maintenance").header("retry-after", "3600"));
    let client = Client::new(datalayers(&server).with_timeout(Duration::from_secs(5))).unwrap();
    let (body, ends) = numbered_lines("spans", 3);
    let started = Instant::now();
    let report = write(&client, &body, &ends).await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!((report.failed_lines, report.requests), (3, 1), "{report}");
    let error = report.first_error().unwrap();
    assert_eq!(error.kind, WriteErrorKind::Exhausted);
    assert!(error.message.contains("retry after"), "{error}");
}

#[tokio::test]
async fn protocol_5xx_retries_end_at_the_deadline() {
    let server = ScriptedServer::always(Reply::error(500, "internal"));
    let client = Client::new(
        datalayers(&server)
            .with_retry(fast_retries())
            .with_timeout(Duration::from_millis(800)),
    )
    .unwrap();
    let (body, ends) = numbered_lines("spans", 2);
    let started = Instant::now();
    let report = write(&client, &body, &ends).await;
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_millis(2000), "{elapsed:?}");
    assert_eq!(report.failed_lines, 2, "{report}");
    assert!(report.retries >= 2, "{report}");
    assert_eq!(report.requests, report.retries + 1);
    // The server's reason is named, unless (on a loaded machine) every attempt was cut by the
    // deadline before the answer came: then the deadline is.
    let error = report.first_error().unwrap();
    assert!(
        error.message.contains("internal") || error.message.contains("deadline"),
        "{error:?}"
    );
}

#[tokio::test]
async fn protocol_max_retries_bounds_attempts() {
    let server = ScriptedServer::always(Reply::status(502));
    let policy = RetryPolicy {
        max_retries: Some(2),
        ..fast_retries()
    };
    let client = Client::new(datalayers(&server).with_retry(policy)).unwrap();
    let (body, ends) = numbered_lines("spans", 1);
    let report = write(&client, &body, &ends).await;
    assert_eq!(
        (report.requests, report.retries, report.failed_lines),
        (3, 2, 1),
        "{report}"
    );
}

#[tokio::test]
async fn protocol_408_and_transport_errors_are_retried() {
    let server = ScriptedServer::start(vec![Reply::status(408), Reply::status(504)], |_| {
        Reply::status(204)
    });
    let client = Client::new(datalayers(&server).with_retry(fast_retries())).unwrap();
    let (body, ends) = numbered_lines("spans", 1);
    let report = write(&client, &body, &ends).await;
    assert!(report.is_success(), "{report}");
    assert_eq!(report.retries, 2);

    // Nothing listens on this port: connection refused until the deadline.
    let client = Client::new(
        ClientConfig::new(test_support::closed_url())
            .with_database("d")
            .with_retry(fast_retries())
            .with_timeout(Duration::from_millis(500)),
    )
    .unwrap();
    let report = write(&client, &body, &ends).await;
    assert_eq!(report.failed_lines, 1, "{report}");
    assert!(report.retries >= 1);
    assert!(
        report.first_error().unwrap().message.contains("connect"),
        "{report}"
    );
}

#[tokio::test]
async fn protocol_413_splits_until_every_line_fits() {
    const LIMIT: usize = 300;
    let server = ScriptedServer::start(Vec::new(), |seen| {
        if seen.body.len() > LIMIT {
            Reply::error(413, "Request Entity Too Large")
        } else {
            Reply::status(204)
        }
    });
    let client = Client::new(datalayers(&server)).unwrap();
    let (mut body, mut ends) = numbered_lines("spans", 40);
    // One line that no split can make small enough.
    body.extend_from_slice(format!("spans,t=big s=\"{}\" 1\n", "x".repeat(LIMIT)).as_bytes());
    ends.push(body.len());
    let report = write(&client, &body, &ends).await;
    assert_eq!(
        (
            report.written_lines,
            report.rejected_lines,
            report.failed_lines
        ),
        (40, 1, 0),
        "{report}"
    );
    assert_eq!(report.rejections[0].index, 40);
    assert!(report.rejections[0].reason.contains("413"));
    // Every accepted body put together is the input minus the big line, in order, once.
    let delivered: Vec<u8> = server
        .requests()
        .iter()
        .filter(|r| r.body.len() <= LIMIT)
        .flat_map(|r| r.body.clone())
        .collect();
    assert_eq!(delivered, body[..ends[39]]);
}

#[tokio::test]
async fn protocol_payload_limits_cut_requests_and_refuse_an_oversized_line_alone() {
    let server = ScriptedServer::always(Reply::status(204));
    let client = Client::new(
        datalayers(&server)
            .with_payload_max_lines(4)
            .with_payload_max_bytes(200),
    )
    .unwrap();
    let (mut body, mut ends) = numbered_lines("spans", 10);
    let first_ten = body.len();
    body.extend_from_slice(format!("spans,t=big s=\"{}\" 1\n", "y".repeat(250)).as_bytes());
    ends.push(body.len());
    let (tail, tail_ends) = numbered_lines("spans", 2);
    body.extend_from_slice(&tail);
    let offset = ends[10];
    ends.extend(tail_ends.iter().map(|e| e + offset));
    let report = write(&client, &body, &ends).await;
    assert_eq!(
        (report.written_lines, report.rejected_lines),
        (12, 1),
        "{report}"
    );
    assert_eq!(report.rejections[0].index, 10);
    let requests = server.requests();
    let sizes: Vec<usize> = requests
        .iter()
        .map(|r| {
            r.body
                .split(|&b| b == b'\n')
                .filter(|l| !l.is_empty())
                .count()
        })
        .collect();
    assert_eq!(sizes, [4, 4, 2, 2]);
    assert!(requests.iter().all(|r| r.body.len() <= 200));
    assert_eq!(
        requests[..3]
            .iter()
            .flat_map(|r| r.body.clone())
            .collect::<Vec<_>>(),
        body[..first_ten]
    );
}

#[tokio::test]
async fn protocol_gzip_is_sent_once_per_request_and_decodes() {
    let server = ScriptedServer::start(vec![Reply::status(500)], |_| Reply::status(204));
    let client = Client::new(
        datalayers(&server)
            .with_compression(Compression::Gzip)
            .with_retry(fast_retries()),
    )
    .unwrap();
    let (body, ends) = numbered_lines("spans", 200);
    let report = write(&client, &body, &ends).await;
    assert!(report.is_success(), "{report}");
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    for request in &requests {
        assert_eq!(request.header("content-encoding"), Some("gzip"));
        assert_eq!(request.decoded_body(), body);
    }
    assert_eq!(
        requests[0].body, requests[1].body,
        "the retry resends the same compressed bytes"
    );
    assert!(report.bytes_sent < 2 * body.len() as u64 / 3, "{report}");
}

#[tokio::test]
async fn protocol_influxdb_v2_uses_token_org_and_bucket() {
    let server = ScriptedServer::always(Reply::status(204));
    let config = ClientConfig::new(&server.base_url)
        .with_protocol(Protocol::InfluxDbV2)
        .with_org("my org")
        .with_bucket("b")
        .with_token("tok")
        .with_header("x-extra", "1");
    let client = Client::new(config).unwrap();
    let (body, ends) = numbered_lines("m", 1);
    assert!(write(&client, &body, &ends).await.is_success());
    let request = &server.requests()[0];
    assert_eq!(
        request.target,
        "/api/v2/write?org=my+org&bucket=b&precision=ns"
    );
    assert_eq!(request.header("authorization"), Some("Token tok"));
    assert_eq!(request.header("x-extra"), Some("1"));
}

#[tokio::test]
async fn protocol_response_bodies_are_read_with_a_cap() {
    let huge = "e".repeat(1 << 20);
    let server = ScriptedServer::always(Reply::error(400, &huge));
    let client = Client::new(datalayers(&server).with_max_response_bytes(1000)).unwrap();
    let (body, ends) = numbered_lines("spans", 1);
    let report = write(&client, &body, &ends).await;
    assert_eq!(report.rejected_lines, 1);
    assert!(
        report.first_error().unwrap().message.len() < 1200,
        "the message holds the cut body only"
    );
}

#[tokio::test]
async fn protocol_hung_server_is_cut_at_the_deadline() {
    let server = ScriptedServer::always(Reply::hang());
    let client = Client::new(datalayers(&server).with_timeout(Duration::from_millis(700))).unwrap();
    let (body, ends) = numbered_lines("spans", 1);
    let started = Instant::now();
    let report = write(&client, &body, &ends).await;
    assert!(
        started.elapsed() < Duration::from_millis(2500),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(report.failed_lines, 1, "{report}");
    assert_eq!(
        report.first_error().unwrap().kind,
        WriteErrorKind::Exhausted
    );
}

#[tokio::test]
async fn protocol_datalayers_default_batch_is_8000_lines() {
    let server = ScriptedServer::always(Reply::status(204));
    let client = Client::new(datalayers(&server)).unwrap();
    let (body, ends) = numbered_lines("spans", 8001);
    let report = write(&client, &body, &ends).await;
    assert!(report.is_success(), "{report}");
    let counts: Vec<usize> = server
        .requests()
        .iter()
        .map(|r| r.body.iter().filter(|&&b| b == b'\n').count())
        .collect();
    assert_eq!(counts, [8000, 1]);
}

/// Whatever the server answers (success, 400 whole or partial, 413, 5xx, 429), every line is
/// counted exactly once, and "written" is exactly what the server accepted. Seeded, so a failure
/// names a reproducible scenario.
#[tokio::test]
async fn protocol_every_line_is_counted_exactly_once_whatever_the_server_says() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};

    fn mix(mut z: u64) -> u64 {
        z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    for seed in 0..40u64 {
        let accepted = Arc::new(AtomicU64::new(0));
        let calls = Arc::new(AtomicU64::new(0));
        let (accepted_in, calls_in) = (Arc::clone(&accepted), Arc::clone(&calls));
        let server = ScriptedServer::start(Vec::new(), move |seen| {
            let lines: Vec<&[u8]> = seen
                .body
                .split(|&b| b == b'\n')
                .filter(|l| !l.is_empty())
                .collect();
            match mix(seed * 1000 + calls_in.fetch_add(1, Ordering::SeqCst)) % 7 {
                0 | 1 => {
                    accepted_in.fetch_add(lines.len() as u64, Ordering::SeqCst);
                    Reply::status(204)
                }
                2 => Reply::error(413, "too large"),
                3 => Reply::error(500, "internal"),
                4 => Reply::error(400, "conflict"),
                5 => Reply::error(429, "slow down").header("retry-after", "0"),
                _ => {
                    // InfluxDB 1.x partial write: the first line refused, the others stored.
                    accepted_in.fetch_add(lines.len() as u64 - 1, Ordering::SeqCst);
                    let first = String::from_utf8_lossy(lines[0]);
                    Reply::error(
                        400,
                        &format!("partial write: unable to parse '{first}': bad dropped=0"),
                    )
                }
            }
        });
        let r = mix(seed);
        let n = (r % 120) as usize;
        let config = datalayers(&server)
            .with_payload_max_lines(1 + (r >> 8) as usize % 40)
            .with_payload_max_bytes(60 + (r >> 16) as usize % 1500)
            .with_rejection_isolation_budget((r >> 24) as usize % 6)
            .with_retry(RetryPolicy {
                initial_backoff: Duration::from_millis(1),
                max_backoff: Duration::from_millis(2),
                max_retries: Some(2),
            });
        let client = Client::new(config).unwrap();
        let (body, ends) = numbered_lines("spans", n);
        let report = write(&client, &body, &ends).await;
        assert_eq!(report.lines(), n as u64, "seed {seed}: {report}");
        assert_eq!(
            report.written_lines,
            accepted.load(Ordering::SeqCst),
            "seed {seed}: {report}"
        );
        assert_eq!(
            report.requests,
            calls.load(Ordering::SeqCst),
            "seed {seed}: {report}"
        );
    }
}

/// A server that stays down costs one deadline per write call, not one per batch: once a batch
/// has exhausted its retries, the rest of the call is counted as failed without waiting.
#[tokio::test]
async fn protocol_unavailable_server_costs_one_deadline_per_call() {
    let server = ScriptedServer::always(Reply::error(503, "unavailable"));
    let config = datalayers(&server)
        .with_payload_max_lines(10)
        .with_timeout(Duration::from_millis(300))
        .with_retry(fast_retries());
    let client = Client::new(config).unwrap();
    let (body, ends) = numbered_lines("spans", 100);
    let started = Instant::now();
    let report = write(&client, &body, &ends).await;
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        (report.written_lines, report.failed_lines),
        (0, 100),
        "{report}"
    );
    assert!(
        server.requests().iter().all(|r| r.body == body[..ends[9]]),
        "only the first batch was tried"
    );
    assert!(
        report
            .errors
            .iter()
            .any(|e| e.message.contains("not sent") && e.lines == 90),
        "{report:?}"
    );
}
