//! Exporting the same realistic spans over loopback HTTP with our line-protocol exporter and with
//! opentelemetry-otlp's HTTP/protobuf exporter (blocking reqwest client, the SDK default), in
//! batches of 512 (the batch span processor's default).
//!
//! The HTTP server (accept, read, discard, answer 204) runs in a child process, so after the
//! criterion timings the benchmark can also report the CPU time and allocations per span of this
//! process alone: every thread of it (the exporter, our client's runtime thread, reqwest's
//! blocking-client thread), nothing of the server, in total and by thread name.
//!
//! `cargo bench -p sdk-exporter --bench exporter`

#![allow(missing_docs)]

#[path = "../tests/support/mod.rs"]
mod support;

use std::collections::BTreeMap;
use std::io::BufRead;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion, Throughput};
use opentelemetry::KeyValue;
use opentelemetry_otlp::WithExportConfig as _;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::{SpanData, SpanExporter};
use sdk_exporter::{Protocol, SpanExporterBuilder};
use support::discard::Discard;
use support::loopback::{Loopback, Reply};
use test_support::alloc::{CountingAllocator, process_allocations as allocations_so_far};

// The bench reports allocations per export (every thread's) next to the CPU time.
#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator::new();

const BATCH: usize = 512;

/// One exporter, type-erased: exports a batch and checks it succeeded.
type ExportFn = dyn Fn(Vec<SpanData>);
const SERVER_ENV: &str = "SDK_EXPORTER_BENCH_SERVER";
/// Restricts the CPU/allocation report to one exporter (e.g. to run it under a profiler).
const ONLY_ENV: &str = "SDK_EXPORTER_BENCH_ONLY";
/// Exports exactly this many batches in the CPU/allocation report instead of ~2 s worth.
const BATCHES_ENV: &str = "SDK_EXPORTER_BENCH_BATCHES";

fn main() {
    if std::env::var_os(SERVER_ENV).is_some() {
        let server = Loopback::discard(Reply::Status(204));
        println!("{}", server.url());
        std::thread::park(); // killed by the parent
        return;
    }
    let (mut child, url) = start_server();
    let resource = Resource::builder_empty()
        .with_attribute(KeyValue::new("service.name", "checkout"))
        .build();
    let spans = support::spans::request_spans(BATCH / 3 + 1)[..BATCH].to_vec();
    let mut exporters: Vec<(&str, Box<ExportFn>)> = Vec::new();

    let mut ours = support::http_builder(&url, Duration::from_secs(10))
        .build()
        .expect("our exporter");
    ours.set_resource(&resource);
    exporters.push((
        "line_protocol_http",
        Box::new(move |batch| export(&ours, batch)),
    ));

    // The same exporter with a sink that drops the lines: mapping and encoding alone.
    let mut encode_only = SpanExporterBuilder::new()
        .with_env(|_| None)
        .with_protocol(Protocol::InfluxDbV1)
        .with_sink(Discard)
        .build()
        .expect("encode-only exporter");
    encode_only.set_resource(&resource);
    exporters.push((
        "line_protocol_encode_only",
        Box::new(move |batch| export(&encode_only, batch)),
    ));

    let mut otlp = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_endpoint(format!("{url}/v1/traces"))
        .build()
        .expect("otlp exporter");
    otlp.set_resource(&resource);
    exporters.push((
        "otlp_http_protobuf",
        Box::new(move |batch| export(&otlp, batch)),
    ));

    let mut criterion = Criterion::default().configure_from_args();
    let mut group = criterion.benchmark_group(format!("export_{BATCH}_spans"));
    group.throughput(Throughput::Elements(BATCH as u64));
    for (name, export) in &exporters {
        group.bench_function(*name, |b| {
            b.iter_batched(|| spans.clone(), export, BatchSize::LargeInput)
        });
    }
    group.finish();

    // `cargo bench` passes `--bench`; without it (`cargo test --benches`) criterion only checks
    // that each benchmark runs, and so do we.
    if !std::env::args().any(|arg| arg == "--bench") {
        let _ = child.kill();
        let _ = child.wait();
        return;
    }
    println!(
        "\nCPU time and allocations per span (whole process, server excluded, {BATCH}-span batches, \
         exporters taking turns):"
    );
    let only = std::env::var(ONLY_ENV).ok();
    let chosen: Vec<&(&str, Box<ExportFn>)> = exporters
        .iter()
        .filter(|(name, _)| only.as_deref().is_none_or(|only| only == *name))
        .collect();
    let results = measure(&chosen, &spans);
    for (
        (name, _),
        Measured {
            threads,
            allocations,
            spans: spans_done,
        },
    ) in chosen.iter().zip(results)
    {
        let per_span = |ns: u64| ns as f64 / spans_done as f64;
        println!(
            "  {name:<26} {:>6.0} ns CPU/span  {:>6.2} allocations/span  ({spans_done} spans)",
            per_span(threads.iter().map(|(_, ns)| ns).sum()),
            allocations as f64 / spans_done as f64,
        );
        for (thread, ns) in threads.iter().filter(|(_, ns)| per_span(*ns) >= 0.5) {
            println!("    {thread:<24} {:>6.0} ns CPU/span", per_span(*ns));
        }
    }
    let _ = child.kill();
    let _ = child.wait();
}

fn export<E: SpanExporter>(exporter: &E, batch: Vec<SpanData>) {
    futures_executor::block_on(exporter.export(batch)).expect("export");
}

/// What one exporter cost over the measurement.
#[derive(Default)]
struct Measured {
    /// CPU ns by thread name, busiest first.
    threads: Vec<(String, u64)>,
    allocations: u64,
    spans: u64,
}

/// Exports with each exporter in turn, a few batches at a time, for about two seconds of
/// exporting each after a warm-up (or exactly `SDK_EXPORTER_BENCH_BATCHES` batches each, for
/// instruction counting under callgrind). Taking turns spreads the machine's slow and fast
/// moments over all exporters alike. The batches are cloned before the clock starts, so
/// neither figure includes building the input.
fn measure(exporters: &[&(&str, Box<ExportFn>)], spans: &[SpanData]) -> Vec<Measured> {
    const TURN: usize = 10;
    let fixed: Option<usize> = std::env::var(BATCHES_ENV).ok().and_then(|n| n.parse().ok());
    for (_, export) in exporters {
        for _ in 0..20 {
            export(spans.to_vec());
        }
    }
    let mut cpu: Vec<BTreeMap<String, u64>> = vec![BTreeMap::new(); exporters.len()];
    let mut measured: Vec<Measured> = exporters.iter().map(|_| Measured::default()).collect();
    let mut batches_done = 0;
    let started = Instant::now();
    loop {
        let turn = fixed.map_or(TURN, |n| n.min(TURN).min(n - batches_done));
        for (i, (_, export)) in exporters.iter().enumerate() {
            let batches: Vec<Vec<SpanData>> = (0..turn).map(|_| spans.to_vec()).collect();
            let (cpu_before, allocs_before) = (thread_cpu_ns(), allocations_so_far());
            for batch in batches {
                export(batch);
            }
            let cpu_after = thread_cpu_ns();
            measured[i].allocations += allocations_so_far() - allocs_before;
            for (thread, (name, ns)) in cpu_after {
                let before = cpu_before.get(&thread).map_or(0, |(_, ns)| *ns);
                *cpu[i].entry(name).or_insert(0) += ns - before;
            }
            measured[i].spans += (turn * spans.len()) as u64;
        }
        batches_done += turn;
        let enough = match fixed {
            Some(n) => batches_done >= n,
            None => started.elapsed() >= Duration::from_secs(2) * exporters.len() as u32,
        };
        if enough {
            for (result, cpu) in measured.iter_mut().zip(cpu) {
                result.threads = cpu.into_iter().collect();
                result.threads.sort_by_key(|(_, ns)| std::cmp::Reverse(*ns));
            }
            return measured;
        }
    }
}

/// CPU time in ns of every live thread of this process by thread id, with the thread's name
/// (`/proc/self/task/*/schedstat` and `comm`).
fn thread_cpu_ns() -> BTreeMap<u64, (String, u64)> {
    std::fs::read_dir("/proc/self/task")
        .expect("procfs")
        .flatten()
        .filter_map(|task| {
            let id = task.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(task.path().join("schedstat")).ok()?;
            let ns = stat.split_whitespace().next()?.parse().ok()?;
            let name = if id == u64::from(std::process::id()) {
                "main (the exporter)".to_owned()
            } else {
                let comm = std::fs::read_to_string(task.path().join("comm")).ok()?;
                comm.trim().to_owned()
            };
            Some((id, (name, ns)))
        })
        .collect()
}

/// Starts this binary again as the loopback server; returns the child and its URL.
fn start_server() -> (Child, String) {
    let mut child = Command::new(std::env::current_exe().expect("own path"))
        .env(SERVER_ENV, "1")
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the server process");
    let mut url = String::new();
    std::io::BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut url)
        .expect("server URL");
    (child, url.trim().to_owned())
}
