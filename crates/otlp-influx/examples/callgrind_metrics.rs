//! Runs one metrics-mapping path a given number of times over the metrics bench's SDK export,
//! for instruction counts under callgrind (wall time on a shared machine is too noisy to compare
//! small changes):
//!
//! ```text
//! cargo build --release -p otlp-influx --example callgrind_metrics
//! valgrind --tool=callgrind target/release/examples/callgrind_metrics sdk bench 200
//! ```
//!
//! Subtract a run with 0 iterations (the setup), divide by the iterations. Paths: `sdk` (SDK
//! metrics to lines), `otlp` (what the OTLP exporter does: `opentelemetry-proto` conversion and
//! protobuf encoding), `wire` (the OTLP protobuf bytes of the export to lines, read in place).
//! Data: `bench` (the bench's 28 points) or `many` (120 metrics of one or two points each).
//!
//! `rounds` instead of a path times `sdk` and `otlp` taking turns, ITERATIONS calls a round, 40
//! rounds, and prints the fastest round of each per call (the minimum is the figure least moved
//! by other work on a shared machine):
//!
//! ```text
//! cargo run --release -p otlp-influx --example callgrind_metrics rounds bench 200
//! ```

#[path = "../benches/support/sdk_metrics.rs"]
#[allow(missing_docs)]
mod sdk_metrics;

use std::hint::black_box;

use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use otlp_influx::{Encoding, MappingConfig, MappingReport, OtlpMapper, Signal};
use prost::Message as _;

const USAGE: &str = "usage: callgrind_metrics sdk|otlp|wire|rounds bench|many ITERATIONS";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(path), Some(data), Some(Ok(iterations))) = (
        args.first().cloned(),
        args.get(1).map(String::as_str),
        args.get(2).map(|n| n.parse::<usize>()),
    ) else {
        eprintln!("{USAGE}");
        std::process::exit(2);
    };
    let (record, points) = match data {
        "bench" => (
            sdk_metrics::record_bench_metrics as fn(&_),
            sdk_metrics::BENCH_POINTS,
        ),
        "many" => (
            sdk_metrics::record_many_metrics as fn(&_),
            sdk_metrics::MANY_POINTS,
        ),
        _ => {
            eprintln!("{USAGE}");
            std::process::exit(2);
        }
    };
    sdk_metrics::with_exported_metrics(record, move |metrics| {
        let mut mapper = OtlpMapper::new(MappingConfig::default()).unwrap();
        let mut out = mapper.new_encoder();
        let mut report = MappingReport::new();
        // One line per point: the export is the one the bench maps.
        mapper.map_sdk_metrics(metrics, &mut out, &mut report);
        assert_eq!(report.lines, points, "{report}");
        let body = ExportMetricsServiceRequest::from(metrics).encode_to_vec();
        let mut encoded = Vec::new();
        if path == "rounds" {
            let mut fastest = [f64::MAX; 2];
            for _ in 0..40 {
                for (which, fastest) in fastest.iter_mut().enumerate() {
                    let start = std::time::Instant::now();
                    for _ in 0..iterations {
                        if which == 0 {
                            out.clear();
                            mapper.map_sdk_metrics(black_box(metrics), &mut out, &mut report);
                        } else {
                            let request = ExportMetricsServiceRequest::from(black_box(metrics));
                            encoded.clear();
                            request.encode(&mut encoded).unwrap();
                        }
                    }
                    let micros = start.elapsed().as_secs_f64() * 1e6 / iterations.max(1) as f64;
                    *fastest = fastest.min(micros);
                }
            }
            let [ours, otlp] = fastest;
            println!(
                "SDK metrics to lines {ours:.2} us, OTLP conversion and encoding {otlp:.2} us \
                 per export: {:.2}x",
                otlp / ours
            );
            return;
        }
        for _ in 0..iterations {
            out.clear();
            match path.as_str() {
                "sdk" => mapper.map_sdk_metrics(black_box(metrics), &mut out, &mut report),
                "otlp" => {
                    let request = ExportMetricsServiceRequest::from(black_box(metrics));
                    encoded.clear();
                    request.encode(&mut encoded).unwrap();
                }
                "wire" => mapper
                    .map_request(
                        Signal::Metrics,
                        Encoding::Protobuf,
                        black_box(&body),
                        &mut out,
                        &mut report,
                    )
                    .unwrap(),
                _ => {
                    eprintln!("{USAGE}");
                    std::process::exit(2);
                }
            }
            black_box((out.len(), encoded.len()));
        }
    });
}
