//! Reading 10 000 and 100 000 span rows into typed rows: Datalayers' REST SQL JSON against Arrow
//! Flight SQL.
//!
//! `cargo bench -p datalayers-client --features flight-sql --bench query_decode` (needs the test
//! peers: `bash scripts/install-test-peers.sh python`). It measures 10 000 and then 100 000 rows;
//! `QUERY_BENCH_ROWS` changes the row counts (comma-separated), `QUERY_BENCH_RUNS` the measured
//! runs per transport (default 5; the median is reported). Under `cargo test` it runs once on
//! 2 000 rows, as a smoke test.
//!
//! The same rows, span-shaped as the otel2influx schema writes them (time, four tags, six
//! fields with a ~150-byte attributes JSON), are encoded as line protocol once and then served
//! - over **REST**: the body Datalayers' `POST /api/v1/sql` answers for `SELECT * FROM spans`
//!   (`{"result":{"columns","types","values"}}`, RFC3339 times in the server's zone, +08:00),
//!   replayed by a local HTTP server (test-support's scripted server) on its own thread;
//! - over **Flight SQL**: roapi (a real Flight SQL server, DataFusion) serving the same lines as
//!   a Parquet table, with basic auth.
//!
//! Each run is one `sql("SELECT * FROM spans")` to [`QueryResult`] rows (both transports give
//! equal rows, checked first), on a current-thread runtime on this thread. Wall time is the whole
//! query; client CPU is this thread's on-CPU time (`/proc/thread-self/schedstat`), which holds
//! all the client's work (request, receive, decode, conversion: tonic's connection task runs on
//! the same runtime) and none of the servers' (the REST server's thread, roapi's process).

use std::time::{Duration, Instant};

use datalayers_client::flight::FlightSqlClient;
use datalayers_client::query::{QueryResult, Rfc3339};
use datalayers_client::{Client, ClientConfig};
use lineproto::{Dialect, Encoder, EncoderOptions};
use test_support::flight_sql::Roapi;
use test_support::scripted::{Reply, ScriptedServer};

const SERVICES: [&str; 4] = ["frontend", "checkout", "inventory", "payments"];
const NAMES: [&str; 5] = [
    "GET /cart",
    "POST /order",
    "SELECT cart",
    "cache.get",
    "publish",
];
const KINDS: [&str; 3] = ["Server", "Client", "Internal"];
/// Datalayers' default server zone (Asia/Shanghai), in which REST prints times.
const ZONE_SECONDS: i64 = 8 * 3600;

/// One span row.
struct Row {
    time: i64,
    service: &'static str,
    name: &'static str,
    span_id: String,
    trace_id: String,
    attributes: String,
    duration: i64,
    status: &'static str,
    parent: String,
    kind: &'static str,
}

fn rows(count: usize) -> Vec<Row> {
    let t0 = 1_764_028_800_000_000_000_i64; // 2025-11-25T00:00:00Z
    (0..count)
        .map(|i| {
            let n = i as u64;
            let duration = 1_000 + (n * 7_919 % 50_000_000) as i64;
            Row {
                time: t0 + n as i64 * 1_000_117,
                service: SERVICES[i % SERVICES.len()],
                name: NAMES[i % NAMES.len()],
                span_id: format!("{:016x}", n.wrapping_mul(0x9e37_79b9_7f4a_7c15)),
                trace_id: format!("{:016x}{:016x}", n / 8, n.wrapping_mul(31) / 8),
                attributes: format!(
                    r#"{{"http.method":"GET","http.route":"/api/v1/items/{}","http.status_code":200,"net.peer.name":"10.0.{}.{}"}}"#,
                    n % 997,
                    n % 7,
                    n % 251
                ),
                duration,
                status: if i % 50 == 0 { "Error" } else { "Unset" },
                parent: if i % 8 == 7 {
                    String::new()
                } else {
                    format!("{:016x}", (n + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15))
                },
                kind: KINDS[i % KINDS.len()],
            }
        })
        .collect()
}

/// The rows as line protocol (Datalayers dialect): tags, then fields, as the mapping writes them.
fn line_protocol(rows: &[Row]) -> String {
    let mut encoder = Encoder::new(EncoderOptions::new(Dialect::Datalayers));
    for row in rows {
        encoder
            .start_line("spans")
            .tag("service.name", row.service)
            .tag("span.name", row.name)
            .tag("span_id", &row.span_id)
            .tag("trace_id", &row.trace_id)
            .field_str("attributes", &row.attributes)
            .field_i64("duration_nano", row.duration)
            .field_i64("end_time_unix_nano", row.time + row.duration)
            .field_str("otel.status_code", row.status);
        if !row.parent.is_empty() {
            encoder.field_str("parent_span_id", &row.parent);
        }
        encoder.field_str("span.kind", row.kind);
        encoder.end_line(Some(row.time)).expect("a valid line");
    }
    String::from_utf8(encoder.as_bytes().to_vec()).expect("UTF-8 lines")
}

/// `2025-11-25T08:00:00.001000117+08:00`: RFC3339 in the server's zone, fraction zeros trimmed,
/// as Datalayers prints `TIMESTAMP` cells.
fn datalayers_time(ns: i64) -> String {
    let utc = Rfc3339::new(ns + ZONE_SECONDS * 1_000_000_000).to_string();
    let local = utc
        .trim_end_matches('Z')
        .trim_end_matches('0')
        .trim_end_matches('.');
    format!("{local}+08:00")
}

/// The REST answer to `SELECT * FROM spans`, columns in the table's order (time, tags, fields).
fn rest_body(rows: &[Row]) -> String {
    let values: Vec<serde_json::Value> = rows
        .iter()
        .map(|r| {
            serde_json::json!([
                datalayers_time(r.time),
                r.service,
                r.name,
                r.span_id,
                r.trace_id,
                r.attributes,
                r.duration,
                r.time + r.duration,
                r.status,
                if r.parent.is_empty() {
                    None
                } else {
                    Some(&r.parent)
                },
                r.kind,
            ])
        })
        .collect();
    serde_json::json!({"result": {
        "columns": ["time", "service.name", "span.name", "span_id", "trace_id", "attributes",
                    "duration_nano", "end_time_unix_nano", "otel.status_code", "parent_span_id",
                    "span.kind"],
        "types": ["TIMESTAMP(9)", "STRING", "STRING", "STRING", "STRING", "STRING", "INT64",
                  "INT64", "STRING", "STRING", "STRING"],
        "values": values,
    }})
    .to_string()
}

/// This thread's on-CPU time so far (`/proc/thread-self/schedstat`, nanoseconds).
fn thread_cpu() -> Duration {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|stat| stat.split_whitespace().next()?.parse().ok())
        .map_or(Duration::ZERO, Duration::from_nanos)
}

/// Median wall time and median client CPU of `runs` runs of `query`.
fn measure<F: Future<Output = QueryResult>>(
    runtime: &tokio::runtime::Runtime,
    runs: usize,
    mut query: impl FnMut() -> F,
) -> (Duration, Duration) {
    runtime.block_on(query()); // warm-up: connections, allocator
    let mut walls = Vec::new();
    let mut cpus = Vec::new();
    for _ in 0..runs {
        let (cpu, wall) = (thread_cpu(), Instant::now());
        let result = runtime.block_on(query());
        walls.push(wall.elapsed());
        cpus.push(thread_cpu() - cpu);
        drop(result);
    }
    walls.sort();
    cpus.sort();
    (walls[runs / 2], cpus[runs / 2])
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let counts: Vec<usize> = if full {
        std::env::var("QUERY_BENCH_ROWS")
            .unwrap_or_else(|_| "10000,100000".into())
            .split(',')
            .map(|n| {
                n.trim()
                    .parse()
                    .expect("QUERY_BENCH_ROWS: row counts, comma-separated")
            })
            .collect()
    } else {
        vec![2_000]
    };
    let runs = if full {
        std::env::var("QUERY_BENCH_RUNS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(5_usize)
            .max(1)
    } else {
        1
    };
    for count in counts {
        if !compare(count, runs) {
            return;
        }
    }
}

/// Measures `count` rows over both transports and prints the table; `false` when roapi is not
/// installed (a SKIPPED line was printed).
fn compare(count: usize, runs: usize) -> bool {
    let rows = rows(count);
    let lines = line_protocol(&rows);
    let Some(roapi) = Roapi::builder()
        .line_protocol(&lines)
        .basic_auth("admin", "public")
        .try_start()
    else {
        return false;
    };
    let body = rest_body(&rows);
    let rest_server = ScriptedServer::always(
        Reply::status(200)
            .header("content-type", "application/json")
            .body(&body),
    );

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let config = ClientConfig::new(&rest_server.base_url)
        .with_database("otel")
        .with_basic_auth("admin", "public")
        .with_flight_sql_endpoint(roapi.flight_sql_url())
        .with_max_response_bytes(1 << 30)
        .with_timeout(Duration::from_secs(120));
    let rest = Client::new(config.clone()).unwrap();
    let flight = runtime.block_on(FlightSqlClient::connect(&config)).unwrap();
    const SQL: &str = "SELECT * FROM spans";

    // Both transports give the same rows (REST's types carry no zone; the values are equal).
    let over_rest = runtime.block_on(rest.sql(SQL)).unwrap();
    let over_flight = runtime.block_on(flight.sql(SQL)).unwrap();
    assert_eq!(over_rest.columns, over_flight.columns);
    assert_eq!(over_rest.rows.len(), count);
    assert!(
        over_rest.rows == over_flight.rows,
        "REST and Flight SQL rows differ"
    );

    let (rest_wall, rest_cpu) = measure(&runtime, runs, || async { rest.sql(SQL).await.unwrap() });
    let (flight_wall, flight_cpu) =
        measure(&runtime, runs, || async { flight.sql(SQL).await.unwrap() });
    let (arrow_wall, arrow_cpu) = measure(&runtime, runs, || async {
        let arrow = flight.query_arrow(SQL).await.unwrap();
        assert_eq!(arrow.num_rows(), count);
        QueryResult::default()
    });

    let per_row = |d: Duration| d.as_nanos() as f64 / count as f64;
    println!(
        "\n{count} span rows, {:.1} MB of REST JSON, median of {runs} runs, client thread CPU",
        body.len() as f64 / 1e6
    );
    println!("path                              wall ms   wall ns/row   CPU ms   CPU ns/row");
    for (name, wall, cpu) in [
        ("REST JSON -> typed rows", rest_wall, rest_cpu),
        ("Flight SQL -> typed rows", flight_wall, flight_cpu),
        ("Flight SQL -> RecordBatches", arrow_wall, arrow_cpu),
    ] {
        println!(
            "{name:<32} {:>8.1} {:>13.0} {:>8.1} {:>12.0}",
            wall.as_secs_f64() * 1e3,
            per_row(wall),
            cpu.as_secs_f64() * 1e3,
            per_row(cpu)
        );
    }
    println!(
        "Flight SQL vs REST, typed rows: {:.1}x less client CPU per row, {:.1}x less wall time; \
         RecordBatches: {:.1}x less client CPU",
        rest_cpu.as_secs_f64() / flight_cpu.as_secs_f64(),
        rest_wall.as_secs_f64() / flight_wall.as_secs_f64(),
        rest_cpu.as_secs_f64() / arrow_cpu.as_secs_f64(),
    );
    true
}
