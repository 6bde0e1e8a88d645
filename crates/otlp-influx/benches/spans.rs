//! SDK `SpanData` to line protocol with this crate, side by side with what the OTLP exporter
//! does with the same batch (`opentelemetry-proto` conversion plus protobuf encoding), and the
//! OTLP receiver path: a decoded request to lines, and the request's protobuf bytes to lines,
//! read in place (`map_request`) beside prost's decoding followed by the mapping.
//!
//! `cargo bench -p otlp-influx --bench spans`

#[path = "../tests/common/mod.rs"]
mod common;
#[path = "support/receiver_paths.rs"]
mod receiver_paths;

use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use opentelemetry::KeyValue;
use opentelemetry_proto::{
    tonic::collector::trace::v1::ExportTraceServiceRequest,
    transform::{
        common::tonic::ResourceAttributesWithSchema,
        trace::tonic::group_spans_by_resource_and_scope,
    },
};
use otlp_influx::{MappingConfig, MappingReport, OtlpMapper, Signal};
use prost::Message as _;

/// The SDK's default export batch size.
const BATCH: usize = 512;

fn spans(c: &mut Criterion) {
    let resource = opentelemetry_sdk::Resource::builder_empty()
        .with_attributes([
            KeyValue::new("service.name", "orders"),
            KeyValue::new("service.version", "1.4.2"),
        ])
        .build();
    // 10 attributes and one event per span (no link), as the issue asks.
    let batch: Vec<_> = (0..BATCH as u64)
        .map(|n| {
            let mut span = common::realistic_sdk_span(n);
            span.links.links.clear();
            span
        })
        .collect();

    let mut group = c.benchmark_group("spans");
    group.throughput(Throughput::Elements(BATCH as u64));

    let mut mapper = OtlpMapper::new(MappingConfig::default()).unwrap();
    let prepared = mapper.prepare_resource(&resource);
    let mut out = mapper.new_encoder();
    let mut report = MappingReport::new();
    group.bench_function("otlp-influx: SpanData -> line protocol", |b| {
        b.iter(|| {
            out.clear();
            mapper.map_sdk_spans(&prepared, black_box(&batch), &mut out, &mut report);
            black_box(out.len())
        })
    });

    let otlp_resource = ResourceAttributesWithSchema::from(&resource);
    let mut body = Vec::new();
    group.bench_function("opentelemetry-proto: SpanData -> OTLP protobuf", |b| {
        // The exporter owns its batch, so the clone is setup, not measured.
        b.iter_batched(
            || batch.clone(),
            |spans| {
                let request = ExportTraceServiceRequest {
                    resource_spans: group_spans_by_resource_and_scope(spans, &otlp_resource),
                };
                body.clear();
                request.encode(&mut body).unwrap();
                black_box(body.len())
            },
            BatchSize::LargeInput,
        )
    });

    let request = ExportTraceServiceRequest {
        resource_spans: group_spans_by_resource_and_scope(batch.clone(), &otlp_resource),
    };
    receiver_paths::bench_request_paths(
        &mut group,
        &mut mapper,
        Signal::Traces,
        &request,
        OtlpMapper::map_proto_traces,
    );
    group.finish();
}

criterion_group!(benches, spans);
criterion_main!(benches);
