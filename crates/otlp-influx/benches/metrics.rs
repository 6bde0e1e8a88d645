//! SDK `ResourceMetrics` to line protocol with this crate, side by side with what the OTLP
//! exporter does with the same export (`opentelemetry-proto` conversion plus protobuf
//! encoding), and the OTLP receiver path: a decoded request to lines, and the request's
//! protobuf bytes to lines, read in place (`map_request`) beside prost's decoding followed by the
//! mapping.
//!
//! `cargo bench -p otlp-influx --bench metrics`
//!
//! The SDK hands `ResourceMetrics` to an exporter only by reference (it is not `Clone`), so the
//! benchmarks run inside the export call of a `PushMetricExporter`, on real SDK data.

#[path = "support/receiver_paths.rs"]
mod receiver_paths;
#[path = "support/sdk_metrics.rs"]
mod sdk_metrics;

use std::hint::black_box;

use criterion::{BenchmarkGroup, Criterion, Throughput, measurement::WallTime};
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_sdk::metrics::data::ResourceMetrics;
use otlp_influx::{MappingConfig, MappingReport, OtlpMapper, Signal};
use prost::Message as _;

/// SDK metrics to lines, and what the OTLP exporter does with the same export, in `group`.
fn bench_sdk_paths(
    group: &mut BenchmarkGroup<'_, WallTime>,
    mapper: &mut OtlpMapper,
    metrics: &ResourceMetrics,
    points: u64,
) {
    group.throughput(Throughput::Elements(points));
    let mut out = mapper.new_encoder();
    let mut report = MappingReport::new();
    mapper.map_sdk_metrics(metrics, &mut out, &mut report);
    assert_eq!(report.lines, points, "one line per point: {report}");
    group.bench_function("otlp-influx: ResourceMetrics -> line protocol", |b| {
        b.iter(|| {
            out.clear();
            mapper.map_sdk_metrics(black_box(metrics), &mut out, &mut report);
            black_box(out.len())
        })
    });

    let mut body = Vec::new();
    group.bench_function(
        "opentelemetry-proto: ResourceMetrics -> OTLP protobuf",
        |b| {
            b.iter(|| {
                let request = ExportMetricsServiceRequest::from(black_box(metrics));
                body.clear();
                request.encode(&mut body).unwrap();
                black_box(body.len())
            })
        },
    );
}

fn bench(metrics: &ResourceMetrics) {
    let mut criterion = Criterion::default().configure_from_args();
    let mut group = criterion.benchmark_group("metrics");
    let mut mapper = OtlpMapper::new(MappingConfig::default()).unwrap();
    bench_sdk_paths(&mut group, &mut mapper, metrics, sdk_metrics::BENCH_POINTS);

    let request = ExportMetricsServiceRequest::from(metrics);
    receiver_paths::bench_request_paths(
        &mut group,
        &mut mapper,
        Signal::Metrics,
        &request,
        OtlpMapper::map_proto_metrics,
    );
    group.finish();
    criterion.final_summary();
}

/// The same for 120 metrics of one or two points each: most lines are the first of their metric.
fn bench_many(metrics: &ResourceMetrics) {
    let mut criterion = Criterion::default().configure_from_args();
    let mut group = criterion.benchmark_group("metrics-many");
    let mut mapper = OtlpMapper::new(MappingConfig::default()).unwrap();
    bench_sdk_paths(&mut group, &mut mapper, metrics, sdk_metrics::MANY_POINTS);
    group.finish();
    criterion.final_summary();
}

fn main() {
    sdk_metrics::with_exported_metrics(sdk_metrics::record_bench_metrics, bench);
    sdk_metrics::with_exported_metrics(sdk_metrics::record_many_metrics, bench_many);
}
