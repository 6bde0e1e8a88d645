//! Sustained line-protocol writes into a real `influxd`: lines/s and the client's CPU per line.
//!
//! `cargo bench -p datalayers-client --bench write_throughput` (each scenario runs
//! `WRITE_BENCH_SECONDS`, default 5 s). Under `cargo test` it runs each scenario once, briefly,
//! as a smoke test.
//!
//! Scenarios, on the same pre-encoded span-like lines (about 250 bytes each):
//! - `client`: [`Client::write_lines`] (batching, retries, report) at 1 000 / 5 000 / 10 000
//!   lines per request, plain and gzip;
//! - `background`: the same through [`BackgroundClient`] polled by `futures_executor::block_on`
//!   (the exporter's path);
//! - `bare reqwest`: a loop of plain `reqwest` POSTs of the same bodies with none of the
//!   client's bookkeeping: the floor a hand-written writer would get.
//!
//! The client's CPU is this process's on-CPU time over the writes (every thread's
//! `/proc/self/task/*/schedstat`, nanoseconds), so it includes the tokio/hyper threads but not
//! `influxd`, which is another process.
//! `influxd` shares the machine, so lines/s is mostly the server's speed; the CPU per line is
//! the client's cost.

use std::time::{Duration, Instant};

use bytes::Bytes;
use datalayers_client::config::{ClientConfig, Compression, Protocol};
use datalayers_client::{BackgroundClient, Client};
use lineproto::{Dialect, Encoder, EncoderOptions, Lines};
use test_support::InfluxServer;

/// Lines in the pre-encoded pool (written over and over with fresh timestamps per round).
const POOL_LINES: usize = 20_000;

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let seconds: f64 = std::env::var("WRITE_BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5.0);
    let budget = if full {
        Duration::from_secs_f64(seconds)
    } else {
        Duration::from_millis(200)
    };
    let Some(server) = InfluxServer::try_start() else {
        return;
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    println!(
        "scenario                              lines/s  MB/s(raw)  client CPU us/line  requests"
    );
    for (batch, compression) in [
        (1_000, Compression::None),
        (5_000, Compression::None),
        (10_000, Compression::None),
        (10_000, Compression::Gzip),
    ] {
        let client = Client::new(
            config(&server)
                .with_payload_max_lines(batch)
                .with_compression(compression),
        )
        .unwrap();
        let name = format!(
            "client {batch}/req {}",
            if compression == Compression::Gzip {
                "gzip"
            } else {
                "plain"
            }
        );
        run(&name, budget, |body, ends| {
            let report = runtime.block_on(client.write_lines(Lines::new(body, ends)));
            assert!(report.is_success(), "{report}");
            (report.written_lines, report.requests)
        });
    }
    let background = BackgroundClient::new(config(&server).with_payload_max_lines(10_000)).unwrap();
    run("background 10000/req plain", budget, |body, ends| {
        let report = futures_executor::block_on(background.write(body.clone(), ends.to_vec()));
        assert!(report.is_success(), "{report}");
        (report.written_lines, report.requests)
    });
    background.shutdown(Duration::from_secs(5)).unwrap();
    let url = format!(
        "{}/write?db={}&precision=ns",
        server.base_url(),
        server.database()
    );
    let http = reqwest::Client::new();
    run("bare reqwest 10000/req plain", budget, |body, ends| {
        let mut requests = 0;
        let mut start = 0;
        for chunk in ends.chunks(10_000) {
            let end = *chunk.last().unwrap();
            let response = runtime
                .block_on(http.post(&url).body(body.slice(start..end)).send())
                .unwrap();
            assert_eq!(response.status().as_u16(), 204);
            requests += 1;
            start = end;
        }
        (ends.len() as u64, requests)
    });
    runtime.shutdown_background();
}

fn config(server: &InfluxServer) -> ClientConfig {
    ClientConfig::new(server.base_url())
        .with_protocol(Protocol::InfluxDbV1)
        .with_database(server.database())
}

/// `POOL_LINES` span-like lines; `round` shifts the timestamps so every round writes new points.
fn encode(round: u64) -> (Vec<u8>, Vec<usize>) {
    let mut encoder = Encoder::new(EncoderOptions::new(Dialect::InfluxDbV1));
    let base = 1_700_000_000_000_000_000i64 + (round as i64) * 1_000_000_000;
    for i in 0..POOL_LINES {
        encoder
            .start_line("spans")
            .tag("service.name", ["checkout", "cart", "payment"][i % 3])
            .tag(
                "span.name",
                ["GET /cart", "SELECT items", "redis GET"][i % 3],
            )
            .field_str("trace_id", "4bf92f3577b34da6a3ce929d0e0e4736")
            .field_str("span_id", "00f067aa0ba902b7")
            .field_str("span.kind", "SPAN_KIND_SERVER")
            .field_i64("duration_nano", 1_000 + i as i64)
            .field_i64("end_time_unix_nano", base + i as i64 + 1_000)
            .field_str(
                "attributes",
                r#"{"http.method":"GET","http.route":"/cart","net.peer.ip":"10.0.0.7"}"#,
            );
        encoder.end_line(Some(base + i as i64)).unwrap();
    }
    let ends = encoder.line_ends().to_vec();
    (encoder.take_buffer(), ends)
}

/// Repeats `write_round` on freshly encoded lines until `budget` has passed; prints throughput
/// and the client's CPU per line (encoding happens outside the measured part).
fn run(name: &str, budget: Duration, mut write_round: impl FnMut(&Bytes, &[usize]) -> (u64, u64)) {
    let (mut lines, mut requests, mut bytes) = (0u64, 0u64, 0usize);
    let mut round = hash(name);
    let mut elapsed = Duration::ZERO;
    let mut cpu = Duration::ZERO;
    while elapsed < budget {
        round += 1;
        let (body, ends) = encode(round);
        let body = Bytes::from(body);
        let cpu_before = process_cpu();
        let started = Instant::now();
        let (written, sent) = write_round(&body, &ends);
        elapsed += started.elapsed();
        cpu += process_cpu().saturating_sub(cpu_before);
        lines += written;
        requests += sent;
        bytes += body.len();
    }
    let seconds = elapsed.as_secs_f64();
    println!(
        "{name:<36} {:>8.0} {:>10.1} {:>19.2} {:>9}",
        lines as f64 / seconds,
        bytes as f64 / seconds / 1e6,
        cpu.as_secs_f64() * 1e6 / lines as f64,
        requests
    );
}

/// A per-scenario offset for the timestamps, so scenarios never overwrite each other's points.
fn hash(name: &str) -> u64 {
    name.bytes()
        .fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)))
        % 1_000_000
        * 1_000
}

/// CPU time of this process so far: the sum of every thread's on-CPU nanoseconds from
/// `/proc/self/task/*/schedstat` (the tokio workers and the background client's thread live for
/// the whole run, so none of their time is lost); falls back to `/proc/self/stat` ticks
/// (USER_HZ = 100, 10 ms resolution), and to zero off Linux.
fn process_cpu() -> Duration {
    let from_schedstat = std::fs::read_dir("/proc/self/task").ok().map(|tasks| {
        tasks
            .flatten()
            .filter_map(|task| std::fs::read_to_string(task.path().join("schedstat")).ok())
            .filter_map(|stat| stat.split_whitespace().next()?.parse::<u64>().ok())
            .sum::<u64>()
    });
    if let Some(nanos) = from_schedstat.filter(|&n| n > 0) {
        return Duration::from_nanos(nanos);
    }
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return Duration::ZERO;
    };
    let after_name = stat.rsplit_once(") ").map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // Fields 14 (utime) and 15 (stime) of proc(5); index 0 here is field 3.
    Duration::from_millis((ticks(11) + ticks(12)) * 10)
}
