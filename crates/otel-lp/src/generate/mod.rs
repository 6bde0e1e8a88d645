//! `otel-lp generate`: a load generator for OTLP receivers (this gateway, the collector,
//! rotel, ...): realistic synthetic traces, logs or metrics over gRPC or HTTP (protobuf or
//! JSON), at a fixed rate or flat out, with the achieved rate, errors and latency percentiles at
//! the end and progress while it runs.
//!
//! Requests are encoded (and compressed) once, up front, into a pool that the workers cycle
//! through, so sending costs little more than the network: cheap enough to saturate a gateway
//! on the same machine.

mod payload;

use std::collections::BTreeMap;
use std::io::Write as _;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

use bytes::Bytes;
use clap::{Args, ValueEnum};
use otlp_receiver::{PassThrough, Signal, export_path};
use tokio::sync::Mutex;

use crate::args::{EXIT_FAILURE, usage_error};

const EXAMPLES: &str = "\
Examples:
  # 10,000 spans/s in requests of 100 over gRPC, for 30 s
  otel-lp generate traces --endpoint http://127.0.0.1:4317 --rate 10000 --duration 30s

  # Flat out over HTTP/protobuf with gzip, 8 requests in flight, one million log records
  otel-lp generate logs --endpoint http://127.0.0.1:4318 --protocol http/protobuf --gzip \\
      --workers 8 --count 1000000

  # Metrics as OTLP/JSON, with a machine-readable summary
  otel-lp generate metrics --endpoint http://127.0.0.1:4318 --protocol http/json --summary json";

/// Send synthetic OTLP traces, logs or metrics to a receiver (a load generator)
///
/// Prints progress every second on stderr and a summary at the end (rate achieved, errors by
/// kind, latency percentiles). Exits 1 when any request failed.
#[derive(Debug, Args)]
#[command(after_help = EXAMPLES)]
pub(crate) struct GenerateArgs {
    /// What to send
    #[arg(value_enum)]
    signal: SignalArg,

    /// The receiver: for gRPC its address (http://HOST:4317), for HTTP its base URL
    /// (http://HOST:4318; `/v1/SIGNAL` is added) or the full export URL
    #[arg(long, value_name = "URL")]
    endpoint: String,

    /// Transport and encoding
    #[arg(long, value_enum, default_value_t = Protocol::Grpc)]
    protocol: Protocol,

    /// Items (spans, log records or data points) per second in all; 0 sends flat out
    #[arg(long, value_name = "N", default_value_t = 0)]
    rate: u64,

    /// How long to send (ignored with --count)
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = duration)]
    duration: Duration,

    /// Stop after this many items instead
    #[arg(long, value_name = "N")]
    count: Option<u64>,

    /// Requests in flight at once
    #[arg(long, value_name = "N", default_value_t = 4)]
    workers: usize,

    /// Items per request
    #[arg(long, value_name = "N", default_value_t = 100)]
    batch_size: usize,

    /// Compress requests with gzip
    #[arg(long)]
    gzip: bool,

    /// Distinct requests encoded up front and sent in turn (items repeat after that many requests)
    #[arg(long, value_name = "N", default_value_t = 256)]
    pool: usize,

    /// Extra header on every request, NAME=VALUE (repeatable; e.g. authorization=Bearer x)
    #[arg(long = "header", value_name = "NAME=VALUE", action = clap::ArgAction::Append)]
    headers: Vec<String>,

    /// Summary format on stdout
    #[arg(long, value_enum, default_value_t = Summary::Text)]
    summary: Summary,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum SignalArg {
    Traces,
    Logs,
    Metrics,
}

impl SignalArg {
    fn signal(self) -> Signal {
        match self {
            Self::Traces => Signal::Traces,
            Self::Logs => Signal::Logs,
            Self::Metrics => Signal::Metrics,
        }
    }

    fn items(self) -> &'static str {
        match self {
            Self::Traces => "spans",
            Self::Logs => "log records",
            Self::Metrics => "data points",
        }
    }
}

/// `--protocol`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Protocol {
    /// OTLP/gRPC
    Grpc,
    /// OTLP/HTTP with protobuf bodies
    #[value(name = "http/protobuf")]
    HttpProtobuf,
    /// OTLP/HTTP with JSON bodies
    #[value(name = "http/json")]
    HttpJson,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Summary {
    /// Lines for people
    Text,
    /// One JSON object
    Json,
}

fn duration(text: &str) -> Result<Duration, String> {
    humantime::parse_duration(text).map_err(|err| format!("`{text}`: {err} (e.g. 10s, 1m)"))
}

/// One pre-encoded request.
struct Prepared {
    body: Bytes,
    items: u64,
}

/// What every worker adds to.
#[derive(Default)]
struct Totals {
    requests: AtomicU64,
    items: AtomicU64,
    failed_requests: AtomicU64,
    bytes: AtomicU64,
}

/// Runs `otel-lp generate`.
pub(crate) fn run(args: GenerateArgs) -> ExitCode {
    let usage = |message: String| usage_error(&["generate"], message);
    if args.batch_size == 0 || args.workers == 0 || args.pool == 0 {
        return usage("--batch-size, --workers and --pool must be at least 1".into());
    }
    let mut headers = Vec::new();
    for header in &args.headers {
        let Some((name, value)) = header.split_once('=') else {
            return usage(format!("--header `{header}`: expected NAME=VALUE"));
        };
        let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(name.trim().as_bytes()),
            http::HeaderValue::from_str(value.trim()),
        ) else {
            return usage(format!("--header `{header}`: not a valid HTTP header"));
        };
        headers.push((name, value));
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("otel-lp generate: cannot start the async runtime: {err}");
            return ExitCode::from(EXIT_FAILURE);
        }
    };
    runtime.block_on(generate(args, headers))
}

async fn generate(
    args: GenerateArgs,
    headers: Vec<(http::HeaderName, http::HeaderValue)>,
) -> ExitCode {
    let pool = prepare(&args);
    let sender = match Sender::new(&args, headers).await {
        Ok(sender) => Arc::new(sender),
        Err(err) => {
            eprintln!("otel-lp generate: {err}");
            return ExitCode::from(EXIT_FAILURE);
        }
    };
    let totals = Arc::new(Totals::default());
    let errors = Arc::new(Mutex::new(BTreeMap::<String, u64>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let next = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = args.count.is_none().then(|| started + args.duration);
    // Each worker paces itself to its share of the rate.
    let interval = (args.rate > 0).then(|| {
        Duration::from_secs_f64(args.workers as f64 * args.batch_size as f64 / args.rate as f64)
    });
    let mut workers = tokio::task::JoinSet::new();
    for worker in 0..args.workers {
        let (pool, sender, totals, errors, stop, next) = (
            Arc::clone(&pool),
            Arc::clone(&sender),
            Arc::clone(&totals),
            Arc::clone(&errors),
            Arc::clone(&stop),
            Arc::clone(&next),
        );
        let count = args.count;
        let share = worker as f64 / args.workers as f64;
        workers.spawn(async move {
            let mut latencies = Vec::new();
            // Workers start spread over one interval, not all at once.
            let mut due = Instant::now() + interval.map_or(Duration::ZERO, |i| i.mul_f64(share));
            loop {
                if stop.load(Relaxed) || deadline.is_some_and(|d| Instant::now() >= d) {
                    break;
                }
                let n = next.fetch_add(1, Relaxed);
                let request = &pool[(n % pool.len() as u64) as usize];
                if let Some(count) = count {
                    let items = n * request.items;
                    if items >= count {
                        break;
                    }
                }
                if let Some(interval) = interval {
                    tokio::time::sleep_until(due.into()).await;
                    due += interval;
                }
                let sent = Instant::now();
                let result = sender.send(request.body.clone()).await;
                latencies.push(sent.elapsed());
                totals.requests.fetch_add(1, Relaxed);
                totals.bytes.fetch_add(request.body.len() as u64, Relaxed);
                match result {
                    Ok(()) => {
                        totals.items.fetch_add(request.items, Relaxed);
                    }
                    Err(kind) => {
                        totals.failed_requests.fetch_add(1, Relaxed);
                        *errors.lock().await.entry(kind).or_default() += 1;
                    }
                }
            }
            latencies
        });
    }
    let progress = tokio::spawn(progress(
        Arc::clone(&totals),
        Arc::clone(&stop),
        started,
        args.signal.items(),
    ));
    let mut latencies = Vec::new();
    while let Some(done) = workers.join_next().await {
        latencies.extend(done.unwrap_or_default());
    }
    let elapsed = started.elapsed();
    stop.store(true, Relaxed);
    let _ = progress.await;
    latencies.sort_unstable();
    let errors = errors.lock().await.clone();
    report(&args, &totals, &errors, &latencies, elapsed);
    if totals.failed_requests.load(Relaxed) > 0 {
        ExitCode::from(EXIT_FAILURE)
    } else {
        ExitCode::SUCCESS
    }
}

/// Encodes (and compresses) the pool of requests.
fn prepare(args: &GenerateArgs) -> Arc<Vec<Prepared>> {
    let start = payload::now_ns();
    let json = args.protocol == Protocol::HttpJson;
    let pool = (0..args.pool as u64)
        .map(|n| {
            let items = args.batch_size;
            let body = match args.signal {
                SignalArg::Traces => encode(&payload::traces(n, items, start), json),
                SignalArg::Logs => encode(&payload::logs(n, items, start), json),
                SignalArg::Metrics => encode(&payload::metrics(n, items, start), json),
            };
            // gRPC compresses per call (tonic); HTTP bodies are compressed once here.
            let body = if args.gzip && args.protocol != Protocol::Grpc {
                gzip(&body)
            } else {
                body
            };
            Prepared {
                body: Bytes::from(body),
                items: items as u64,
            }
        })
        .collect();
    Arc::new(pool)
}

fn encode<M: prost::Message + serde::Serialize>(message: &M, json: bool) -> Vec<u8> {
    if json {
        serde_json::to_vec(message).expect("OTLP messages serialise")
    } else {
        message.encode_to_vec()
    }
}

fn gzip(body: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(body).expect("in memory");
    encoder.finish().expect("in memory")
}

/// Sends one pre-encoded request; the error is a short kind (`HTTP 503`, `UNAVAILABLE`,
/// `connect`).
enum Sender {
    Http {
        client: reqwest::Client,
        url: String,
        content_type: &'static str,
        gzip: bool,
        headers: Vec<(http::HeaderName, http::HeaderValue)>,
    },
    Grpc {
        channel: tonic::transport::Channel,
        path: http::uri::PathAndQuery,
        gzip: bool,
        headers: Vec<(http::HeaderName, http::HeaderValue)>,
    },
}

impl Sender {
    async fn new(
        args: &GenerateArgs,
        headers: Vec<(http::HeaderName, http::HeaderValue)>,
    ) -> Result<Self, String> {
        let signal = args.signal.signal();
        match args.protocol {
            Protocol::Grpc => {
                let channel = tonic::transport::Endpoint::from_shared(args.endpoint.clone())
                    .map_err(|err| format!("--endpoint `{}`: {err}", args.endpoint))?
                    .connect()
                    .await
                    .map_err(|err| format!("cannot connect to {}: {err}", args.endpoint))?;
                Ok(Self::Grpc {
                    channel,
                    path: http::uri::PathAndQuery::from_static(
                        export_path(signal)
                            .ok_or_else(|| format!("no OTLP/gRPC path for {signal}"))?,
                    ),
                    gzip: args.gzip,
                    headers,
                })
            }
            Protocol::HttpProtobuf | Protocol::HttpJson => {
                let base = args.endpoint.trim_end_matches('/');
                let url = if base.ends_with(&format!("/v1/{}", signal.name())) {
                    base.to_owned()
                } else {
                    format!("{base}/v1/{}", signal.name())
                };
                let client = reqwest::Client::builder()
                    .pool_max_idle_per_host(args.workers)
                    .build()
                    .map_err(|err| format!("cannot build the HTTP client: {err}"))?;
                Ok(Self::Http {
                    client,
                    url,
                    content_type: if args.protocol == Protocol::HttpJson {
                        "application/json"
                    } else {
                        "application/x-protobuf"
                    },
                    gzip: args.gzip,
                    headers,
                })
            }
        }
    }

    async fn send(&self, body: Bytes) -> Result<(), String> {
        match self {
            Self::Http {
                client,
                url,
                content_type,
                gzip,
                headers,
            } => {
                let mut request = client
                    .post(url)
                    .header(http::header::CONTENT_TYPE, *content_type)
                    .body(body);
                if *gzip {
                    request = request.header(http::header::CONTENT_ENCODING, "gzip");
                }
                for (name, value) in headers {
                    request = request.header(name, value);
                }
                match request.send().await {
                    Ok(response) if response.status().is_success() => {
                        // Read the (small) answer so the connection is reused.
                        let _ = response.bytes().await;
                        Ok(())
                    }
                    Ok(response) => Err(format!("HTTP {}", response.status().as_u16())),
                    Err(err) if err.is_connect() => Err("connect".into()),
                    Err(err) if err.is_timeout() => Err("timeout".into()),
                    Err(_) => Err("transport".into()),
                }
            }
            Self::Grpc {
                channel,
                path,
                gzip,
                headers,
            } => {
                let mut grpc = tonic::client::Grpc::new(channel.clone());
                if *gzip {
                    grpc = grpc.send_compressed(tonic::codec::CompressionEncoding::Gzip);
                }
                grpc.ready().await.map_err(|_| "connect".to_owned())?;
                let mut request = tonic::Request::new(body);
                for (name, value) in headers {
                    if let (Ok(name), Ok(value)) = (
                        tonic::metadata::MetadataKey::from_bytes(name.as_str().as_bytes()),
                        value.to_str().map(tonic::metadata::MetadataValue::try_from),
                    ) && let Ok(value) = value
                    {
                        request.metadata_mut().insert(name, value);
                    }
                }
                grpc.unary::<Bytes, Bytes, _>(request, path.clone(), PassThrough)
                    .await
                    .map(drop)
                    .map_err(|status| format!("{:?}", status.code()).to_uppercase())
            }
        }
    }
}

/// Prints a progress line every second until `stop`.
async fn progress(totals: Arc<Totals>, stop: Arc<AtomicBool>, started: Instant, items: &str) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.tick().await;
    let mut last = (0u64, started);
    loop {
        tick.tick().await;
        if stop.load(Relaxed) {
            break;
        }
        let now = Instant::now();
        let sent = totals.items.load(Relaxed);
        let rate = (sent - last.0) as f64 / now.duration_since(last.1).as_secs_f64();
        last = (sent, now);
        eprintln!(
            "{:>7.1} s  {sent:>10} {items}  {rate:>10.0}/s  {} failed requests",
            started.elapsed().as_secs_f64(),
            totals.failed_requests.load(Relaxed)
        );
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn report(
    args: &GenerateArgs,
    totals: &Totals,
    errors: &BTreeMap<String, u64>,
    latencies: &[Duration],
    elapsed: Duration,
) {
    let items = totals.items.load(Relaxed);
    let requests = totals.requests.load(Relaxed);
    let failed = totals.failed_requests.load(Relaxed);
    let seconds = elapsed.as_secs_f64().max(1e-9);
    let [p50, p90, p99] = [50.0, 90.0, 99.0].map(|p| percentile(latencies, p));
    let max = latencies.last().copied().unwrap_or_default();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let mut out = std::io::stdout().lock();
    let _ = match args.summary {
        Summary::Json => writeln!(
            out,
            "{}",
            serde_json::json!({
                "signal": args.signal.signal().name(),
                "items_sent": items,
                "requests": requests,
                "failed_requests": failed,
                "errors": errors,
                "seconds": seconds,
                "items_per_second": items as f64 / seconds,
                "target_items_per_second": args.rate,
                "bytes_sent": totals.bytes.load(Relaxed),
                "latency_ms": {"p50": ms(p50), "p90": ms(p90), "p99": ms(p99), "max": ms(max)},
            })
        ),
        Summary::Text => {
            let target = if args.rate > 0 {
                format!(" (target {}/s)", args.rate)
            } else {
                " (flat out)".into()
            };
            let errors = if errors.is_empty() {
                "none".to_owned()
            } else {
                errors
                    .iter()
                    .map(|(kind, n)| format!("{n} {kind}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            writeln!(
                out,
                "sent {items} {} in {requests} requests over {seconds:.2} s: {:.0}/s{target}\n\
                 failed requests: {failed} ({errors})\n\
                 latency: p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
                args.signal.items(),
                items as f64 / seconds,
                ms(p50),
                ms(p90),
                ms(p99),
                ms(max)
            )
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_ranks() {
        let sorted: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile(&sorted, 50.0), Duration::from_millis(50));
        assert_eq!(percentile(&sorted, 99.0), Duration::from_millis(99));
        assert_eq!(percentile(&sorted, 100.0), Duration::from_millis(100));
        assert_eq!(percentile(&[], 50.0), Duration::ZERO);
    }
}
