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

use std::{
    hint::black_box,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use criterion::{Criterion, Throughput};
use opentelemetry::{KeyValue, metrics::MeterProvider as _};
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_sdk::{
    Resource,
    error::OTelSdkResult,
    metrics::{
        PeriodicReader, SdkMeterProvider, Temporality, data::ResourceMetrics,
        exporter::PushMetricExporter,
    },
};
use otlp_influx::{MappingConfig, MappingReport, OtlpMapper, Signal};
use prost::Message as _;

/// Counter points (4 routes x 3 status codes), as many histogram points, 4 gauge points.
const POINTS: u64 = 12 + 12 + 4;

#[derive(Clone, Default)]
struct BenchExporter {
    done: Arc<AtomicBool>,
}

impl PushMetricExporter for BenchExporter {
    async fn export(&self, metrics: &ResourceMetrics) -> OTelSdkResult {
        if !self.done.swap(true, Ordering::SeqCst) {
            bench(metrics);
        }
        Ok(())
    }
    fn force_flush(&self) -> OTelSdkResult {
        Ok(())
    }
    fn shutdown_with_timeout(&self, _: Duration) -> OTelSdkResult {
        Ok(())
    }
    fn temporality(&self) -> Temporality {
        Temporality::Cumulative
    }
}

fn bench(metrics: &ResourceMetrics) {
    let mut criterion = Criterion::default().configure_from_args();
    let mut group = criterion.benchmark_group("metrics");
    group.throughput(Throughput::Elements(POINTS));

    let mut mapper = OtlpMapper::new(MappingConfig::default()).unwrap();
    let mut out = mapper.new_encoder();
    let mut report = MappingReport::new();
    mapper.map_sdk_metrics(metrics, &mut out, &mut report);
    assert_eq!(report.lines, POINTS, "{report}");
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

    let request = ExportMetricsServiceRequest::from(metrics);
    group.bench_function("otlp-influx: OTLP request -> line protocol", |b| {
        b.iter(|| {
            out.clear();
            mapper.map_proto_metrics(black_box(&request), &mut out, &mut report);
            black_box(out.len())
        })
    });

    // A receiver's path: the request body's bytes to lines, read in place, against prost's
    // decoding followed by the mapping of the decoded request.
    let body = request.encode_to_vec();
    receiver_paths::bench_receiver_paths::<ExportMetricsServiceRequest>(
        &mut group,
        &mut mapper,
        Signal::Metrics,
        &body,
        OtlpMapper::map_proto_metrics,
    );
    group.finish();
    criterion.final_summary();
}

fn main() {
    let exporter = BenchExporter::default();
    let provider = SdkMeterProvider::builder()
        .with_resource(
            Resource::builder_empty()
                .with_attributes([
                    KeyValue::new("service.name", "orders"),
                    KeyValue::new("service.version", "1.4.2"),
                    KeyValue::new("host.name", "node-1"),
                ])
                .build(),
        )
        .with_reader(PeriodicReader::builder(exporter.clone()).build())
        .build();
    let meter = provider.meter("orders");
    let requests = meter.u64_counter("http.server.requests").build();
    let latency = meter.f64_histogram("http.server.request.duration").build();
    let queue = meter.i64_gauge("queue.depth").build();
    for (r, route) in ["/cart", "/orders", "/orders/{id}", "/pay"]
        .into_iter()
        .enumerate()
    {
        for code in [200, 404, 500] {
            let attributes = [
                KeyValue::new("http.route", route),
                KeyValue::new("http.response.status_code", code),
                KeyValue::new("http.request.method", "GET"),
            ];
            requests.add(3, &attributes);
            latency.record(0.004 * (r as f64 + 1.0), &attributes);
            latency.record(0.7, &attributes);
        }
        queue.record(r as i64, &[KeyValue::new("queue", route)]);
    }
    provider.force_flush().unwrap();
    provider.shutdown().unwrap();
    assert!(exporter.done.load(Ordering::SeqCst), "the SDK exported");
}
