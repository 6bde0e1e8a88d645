//! SDK log records to line protocol with this crate, side by side with what the OTLP exporter
//! does with the same batch (`opentelemetry-proto` conversion plus protobuf encoding), and the
//! OTLP receiver path: a decoded request to lines, and the request's protobuf bytes to lines,
//! read in place (`map_request`) beside prost's decoding followed by the mapping.
//!
//! `cargo bench -p otlp-influx --bench logs`

#[path = "../tests/common/mod.rs"]
mod common;
#[path = "support/receiver_paths.rs"]
mod receiver_paths;

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use opentelemetry::{
    InstrumentationScope, KeyValue,
    logs::{AnyValue, LogRecord as _, Severity},
    trace::{SpanId, TraceId},
};
use opentelemetry_proto::{
    tonic::collector::logs::v1::ExportLogsServiceRequest,
    transform::{
        common::tonic::ResourceAttributesWithSchema, logs::tonic::group_logs_by_resource_and_scope,
    },
};
use opentelemetry_sdk::logs::{LogBatch, SdkLogRecord};
use otlp_influx::{MappingConfig, MappingReport, OtlpMapper, Signal};
use prost::Message as _;

/// The SDK's default export batch size.
const BATCH: usize = 512;

/// A realistic application log record: a message, six attributes of mixed types, the trace
/// context it was logged in, both timestamps.
fn realistic_sdk_log(n: u64) -> SdkLogRecord {
    let mut record = common::sdk_log_record();
    record.set_timestamp(common::time(1_700_000_000_000_000_000 + n * 1000));
    record.set_observed_timestamp(common::time(1_700_000_000_000_000_000 + n * 1000 + 250));
    let warn = n.is_multiple_of(10);
    record.set_severity_number(if warn { Severity::Warn } else { Severity::Info });
    record.set_severity_text(if warn { "WARN" } else { "INFO" });
    record.set_body(AnyValue::from(format!(
        "order {n} checked out: 3 items, total 42.50 EUR, payment \"card\" accepted"
    )));
    record.add_attributes([
        ("code.function", AnyValue::from("checkout")),
        ("code.filepath", AnyValue::from("src/orders/checkout.rs")),
        ("code.lineno", AnyValue::from(212)),
        ("order.id", AnyValue::from(n as i64)),
        ("order.total", AnyValue::from(42.5)),
        ("enduser.id", AnyValue::from("user-7")),
    ]);
    let mut trace_id = [0x4b; 16];
    trace_id[..8].copy_from_slice(&n.to_be_bytes());
    record.set_trace_context(
        TraceId::from_bytes(trace_id),
        SpanId::from_bytes((n + 1).to_be_bytes()),
        None,
    );
    record
}

fn logs(c: &mut Criterion) {
    let resource = opentelemetry_sdk::Resource::builder_empty()
        .with_attributes([
            KeyValue::new("service.name", "orders"),
            KeyValue::new("service.version", "1.4.2"),
        ])
        .build();
    let scope = InstrumentationScope::builder("orders").build();
    let records: Vec<_> = (0..BATCH as u64).map(realistic_sdk_log).collect();
    let data: Vec<_> = records.iter().map(|record| (record, &scope)).collect();
    let batch = LogBatch::new(&data);

    let mut group = c.benchmark_group("logs");
    group.throughput(Throughput::Elements(BATCH as u64));

    let mut mapper = OtlpMapper::new(MappingConfig::default()).unwrap();
    let prepared = mapper.prepare_resource(&resource);
    let mut out = mapper.new_encoder();
    let mut report = MappingReport::new();
    mapper.map_sdk_logs(&prepared, &batch, &mut out, &mut report);
    assert!(report.is_clean(), "{report}");
    assert_eq!(out.line_count(), BATCH);
    group.bench_function("otlp-influx: SdkLogRecord -> line protocol", |b| {
        b.iter(|| {
            out.clear();
            mapper.map_sdk_logs(&prepared, black_box(&batch), &mut out, &mut report);
            black_box(out.len())
        })
    });

    // The OTLP exporter borrows the batch too: no clone to set aside.
    let otlp_resource = ResourceAttributesWithSchema::from(&resource);
    let mut body = Vec::new();
    group.bench_function("opentelemetry-proto: SdkLogRecord -> OTLP protobuf", |b| {
        b.iter(|| {
            let request = ExportLogsServiceRequest {
                resource_logs: group_logs_by_resource_and_scope(black_box(&batch), &otlp_resource),
            };
            body.clear();
            request.encode(&mut body).unwrap();
            black_box(body.len())
        })
    });

    let request = ExportLogsServiceRequest {
        resource_logs: group_logs_by_resource_and_scope(&batch, &otlp_resource),
    };
    receiver_paths::bench_request_paths(
        &mut group,
        &mut mapper,
        Signal::Logs,
        &request,
        OtlpMapper::map_proto_logs,
    );
    group.finish();
}

criterion_group!(benches, logs);
criterion_main!(benches);
