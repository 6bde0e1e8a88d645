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

#[path = "../benches/support/sdk_metrics.rs"]
#[allow(missing_docs)]
mod sdk_metrics;

use std::hint::black_box;

use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use otlp_influx::{Encoding, MappingConfig, MappingReport, OtlpMapper, Signal};
use prost::Message as _;

const USAGE: &str = "usage: callgrind_metrics sdk|otlp|wire bench|many ITERATIONS";

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
