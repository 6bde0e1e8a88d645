//! The runtime bridge under every executor the OpenTelemetry SDK uses: `futures_executor::block_on`
//! on a plain thread (batch processors, periodic reader), tokio multi-thread and current-thread
//! runtimes (async-runtime processors), blocking inside a runtime (simple processor), and a
//! plain `main`. Never "no reactor running", never a deadlock, always within the deadline.

mod common;

use std::time::{Duration, Instant};

use bytes::Bytes;
use common::numbered_lines;
use datalayers_client::config::ClientConfig;
use datalayers_client::{BackgroundClient, ShutdownError, WriteErrorKind};
use test_support::scripted::{Reply, background_server};

fn client(base_url: &str, timeout: Duration) -> BackgroundClient {
    BackgroundClient::new(
        ClientConfig::new(base_url)
            .with_database("otel")
            .with_timeout(timeout),
    )
    .unwrap()
}

fn job(n: usize) -> (Bytes, Vec<usize>) {
    let (body, ends) = numbered_lines("spans", n);
    (Bytes::from(body), ends)
}

#[test]
fn bridge_block_on_from_a_plain_thread() {
    let (server, runtime) = background_server(Reply::status(204));
    let client = client(&server.base_url, Duration::from_secs(10));
    let worker = std::thread::spawn(move || {
        let (body, ends) = job(5);
        let report = futures_executor::block_on(client.write(body, ends));
        // A write whose future is dropped still happens and is still counted.
        let (body, ends) = job(2);
        drop(client.write(body, ends));
        client.shutdown(Duration::from_secs(2)).unwrap();
        assert_eq!(client.totals().written_lines, 7);
        report
    });
    let report = worker.join().unwrap();
    assert!(report.is_success(), "{report}");
    assert_eq!(report.written_lines, 5);
    assert_eq!(server.requests().len(), 2);
    runtime.shutdown_background();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bridge_awaited_in_a_multi_thread_runtime() {
    let (server, runtime) = background_server(Reply::status(204));
    let client = client(&server.base_url, Duration::from_secs(10));
    let (body, ends) = job(3);
    let report = client.write(body, ends).await;
    assert!(report.is_success(), "{report}");
    client.shutdown(Duration::from_secs(2)).unwrap();
    runtime.shutdown_background();
}

#[tokio::test(flavor = "current_thread")]
async fn bridge_awaited_in_a_current_thread_runtime_and_dropped_there() {
    let (server, runtime) = background_server(Reply::status(204));
    let client = client(&server.base_url, Duration::from_secs(10));
    let (body, ends) = job(3);
    let report = client.write(body, ends).await;
    assert!(report.is_success(), "{report}");
    // Dropping (not shutting down) inside async code must not panic or block.
    drop(client);
    runtime.shutdown_background();
}

#[tokio::test(flavor = "current_thread")]
async fn bridge_block_on_inside_a_current_thread_runtime_does_not_deadlock() {
    // What the SDK's simple processor does: block the (only) runtime thread on the export.
    let (server, runtime) = background_server(Reply::status(204));
    let client = client(&server.base_url, Duration::from_secs(10));
    let (body, ends) = job(2);
    let report = futures_executor::block_on(client.write(body, ends));
    assert!(report.is_success(), "{report}");
    // Shutdown also blocks this thread; it must not need it.
    client.shutdown(Duration::from_secs(2)).unwrap();
    runtime.shutdown_background();
}

#[test]
fn bridge_every_call_has_a_deadline() {
    let (server, runtime) = background_server(Reply::hang());
    let client = client(&server.base_url, Duration::from_secs(30));
    let (body, ends) = job(4);
    let started = Instant::now();
    let report = futures_executor::block_on(client.write_until(
        body,
        ends,
        Instant::now() + Duration::from_millis(500),
    ));
    assert!(
        started.elapsed() < Duration::from_millis(2500),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(report.failed_lines, 4, "{report}");
    assert_eq!(
        report.first_error().unwrap().kind,
        WriteErrorKind::Exhausted
    );
    runtime.shutdown_background();
}

#[test]
fn bridge_shutdown_is_bounded_idempotent_and_final() {
    let (server, runtime) = background_server(Reply::hang());
    let client = client(&server.base_url, Duration::from_secs(60));
    let (body, ends) = job(3);
    let pending = client.write(body.clone(), ends.clone());
    // Let the request reach the hung server.
    while server.requests().is_empty() {
        std::thread::sleep(Duration::from_millis(5));
    }
    let started = Instant::now();
    let first = client.shutdown(Duration::from_millis(300));
    assert!(
        started.elapsed() < Duration::from_millis(2500),
        "shutdown took {:?}",
        started.elapsed()
    );
    assert!(
        matches!(first, Ok(()) | Err(ShutdownError::Timeout(_))),
        "{first:?}"
    );
    // The abandoned write resolves, counted as failed.
    let report = futures_executor::block_on(pending);
    assert_eq!(report.failed_lines, 3, "{report}");
    assert_eq!(
        client.shutdown(Duration::from_millis(300)),
        Err(ShutdownError::AlreadyShutdown)
    );
    assert!(client.is_shutdown());
    // Writes after shutdown fail at once, counted.
    let report = futures_executor::block_on(client.write(body, ends));
    assert_eq!(report.failed_lines, 3);
    assert!(
        report.first_error().unwrap().message.contains("shut down"),
        "{report}"
    );
    // The handle's totals saw both, even though nobody else kept the reports.
    let totals = client.totals();
    assert_eq!(
        (totals.written_lines, totals.failed_lines),
        (0, 6),
        "{totals}"
    );
    runtime.shutdown_background();
}

#[test]
fn bridge_shutdown_waits_for_writes_in_flight() {
    // A slow server (300 ms): shutdown with room to spare lets the write finish.
    let (server, runtime) =
        background_server(Reply::status(204).delayed(Duration::from_millis(300)));
    let client = client(&server.base_url, Duration::from_secs(10));
    let (body, ends) = job(2);
    let pending = client.write(body, ends);
    let started = Instant::now();
    client.shutdown(Duration::from_secs(5)).unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(250),
        "shutdown did not wait: {:?}",
        started.elapsed()
    );
    let report = futures_executor::block_on(pending);
    assert!(report.is_success(), "{report}");
    runtime.shutdown_background();
}

#[test]
fn bridge_empty_writes_and_bad_offsets_are_reported_not_panicked() {
    let (server, runtime) = background_server(Reply::status(204));
    let client = client(&server.base_url, Duration::from_secs(10));
    let report = futures_executor::block_on(client.write(Bytes::new(), Vec::new()));
    assert_eq!(report.lines(), 0);
    let report =
        futures_executor::block_on(client.write(Bytes::from_static(b"m,t=a v=1 1\n"), vec![99]));
    assert_eq!(report.failed_lines, 1, "{report}");
    assert!(server.requests().is_empty());
    runtime.shutdown_background();
}

#[test]
fn bridge_write_here_writes_on_a_plain_thread_and_counts() {
    let (server, runtime) = background_server(Reply::status(204));
    let client = client(&server.base_url, Duration::from_secs(10));
    let deadline = Instant::now() + Duration::from_secs(10);
    for lines in [5, 3] {
        let (body, ends) = job(lines);
        let report = client
            .write_here(&body, &ends, deadline)
            .expect("a plain thread");
        assert!(report.is_success(), "{report}");
        assert_eq!(report.written_lines, lines as u64);
    }
    assert_eq!(server.requests().len(), 2);
    // The worker path still works next to it, and both count in the totals.
    let (body, ends) = job(2);
    assert!(futures_executor::block_on(client.write(body, ends)).is_success());
    assert_eq!(client.totals().written_lines, 10);
    client.shutdown(Duration::from_secs(2)).unwrap();
    let (body, ends) = job(1);
    assert!(
        client.write_here(&body, &ends, deadline).is_none(),
        "shut down"
    );
    runtime.shutdown_background();
}

#[test]
fn bridge_write_here_has_a_deadline() {
    let (server, runtime) = background_server(Reply::hang());
    let client = client(&server.base_url, Duration::from_secs(30));
    let (body, ends) = job(4);
    let started = Instant::now();
    let report = client
        .write_here(&body, &ends, Instant::now() + Duration::from_millis(500))
        .expect("a plain thread");
    assert!(
        started.elapsed() < Duration::from_millis(2500),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(report.failed_lines, 4, "{report}");
    runtime.shutdown_background();
}

#[tokio::test(flavor = "current_thread")]
async fn bridge_write_here_declines_inside_a_runtime() {
    let (server, runtime) = background_server(Reply::status(204));
    let client = client(&server.base_url, Duration::from_secs(10));
    let (body, ends) = job(2);
    let deadline = Instant::now() + Duration::from_secs(10);
    assert!(client.write_here(&body, &ends, deadline).is_none());
    assert!(server.requests().is_empty());
    runtime.shutdown_background();
}

#[test]
fn bridge_dropped_in_async_code_after_writes_on_a_plain_thread() {
    // The caller-driven runtime must not be dropped the plain way inside async code (that
    // panics): dropping the client there closes it without blocking.
    let (server, runtime) = background_server(Reply::status(204));
    let client = client(&server.base_url, Duration::from_secs(10));
    let (body, ends) = job(2);
    let deadline = Instant::now() + Duration::from_secs(10);
    assert!(
        client
            .write_here(&body, &ends, deadline)
            .unwrap()
            .is_success()
    );
    let app = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    app.block_on(async move { drop(client) });
    drop(app);
    runtime.shutdown_background();
}

/// Answers one request per connection with 204, then closes it (no `Connection: close`: the
/// client believes it may reuse it), like a server whose keep-alive timeout passed between
/// exports. Returns its URL.
fn closes_after_each_answer() -> String {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream);
            let mut length = 0;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 {
                    break;
                }
                if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = value.trim().parse().unwrap();
                }
                if line == "\r\n" {
                    let mut body = vec![0; length];
                    reader.read_exact(&mut body).unwrap();
                    let _ = reader.get_mut().write_all(b"HTTP/1.1 204 X\r\n\r\n");
                    break;
                }
            }
        }
    });
    url
}

#[test]
fn bridge_write_here_survives_a_connection_the_server_closed_between_writes() {
    // The caller-driven runtime is not driven between writes, so it learns of the close only at
    // the next write: that write must still go through, without a failure.
    let url = closes_after_each_answer();
    let client = client(&url, Duration::from_secs(10));
    for round in 0..3 {
        let (body, ends) = job(2);
        let deadline = Instant::now() + Duration::from_secs(10);
        let report = client.write_here(&body, &ends, deadline).unwrap();
        assert!(report.is_success(), "round {round}: {report}");
        assert_eq!(report.retries, 0, "round {round}: {report}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn bridge_types_can_live_in_exporters() {
    // The SDK's exporters must be Send + Sync and their futures Send.
    fn send_sync<T: Send + Sync + 'static>() {}
    fn send<T: Send + 'static>() {}
    send_sync::<BackgroundClient>();
    send::<datalayers_client::WriteFuture>();
    send_sync::<datalayers_client::Client>();
}

/// Compiles only if `Client::write_lines` can be `tokio::spawn`ed (its future is Send).
#[allow(dead_code)]
fn write_lines_future_is_send(client: &datalayers_client::Client, lines: lineproto::Lines<'_>) {
    fn send<T: Send>(_: T) {}
    send(client.write_lines(lines));
}
