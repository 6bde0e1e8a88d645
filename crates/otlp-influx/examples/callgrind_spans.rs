//! Runs one span-mapping path a given number of times over the benchmark's 512 realistic spans,
//! for instruction counts under callgrind (wall time on a shared machine is too noisy to compare
//! small changes):
//!
//! ```text
//! cargo build --release -p otlp-influx --example callgrind_spans
//! valgrind --tool=callgrind target/release/examples/callgrind_spans sdk 20
//! ```
//!
//! Subtract a run with 0 iterations (the setup), divide by `iterations * 512`. Paths: `sdk`
//! (SDK spans to lines), `proto` (a decoded OTLP request to lines), `prost` (OTLP protobuf bytes
//! decoded by prost, then to lines), `prost-decode` (prost's decoding alone), `wire` (OTLP
//! protobuf bytes to lines, read in place: `map_request`), `otlp` (what the OTLP exporter does:
//! a clone of the batch, `opentelemetry-proto` conversion, protobuf encoding), `clone` (the
//! clone and drop of the batch alone, to subtract from `otlp`), `sizes` (prints the bytes of
//! both encodings once).

#[path = "../tests/common/mod.rs"]
#[allow(missing_docs)]
mod common;

use std::hint::black_box;

use opentelemetry::KeyValue;
use opentelemetry_proto::{
    tonic::collector::trace::v1::ExportTraceServiceRequest,
    transform::{
        common::tonic::ResourceAttributesWithSchema,
        trace::tonic::group_spans_by_resource_and_scope,
    },
};
use otlp_influx::{Encoding, MappingConfig, MappingReport, OtlpMapper, Signal};
use prost::Message as _;

const USAGE: &str =
    "usage: callgrind_spans sdk|proto|prost|prost-decode|wire|otlp|clone|sizes ITERATIONS";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(path), Some(Ok(iterations))) = (
        args.first().map(String::as_str),
        args.get(1).map(|n| n.parse::<usize>()),
    ) else {
        eprintln!("{USAGE}");
        std::process::exit(2);
    };
    let resource = opentelemetry_sdk::Resource::builder_empty()
        .with_attributes([
            KeyValue::new("service.name", "orders"),
            KeyValue::new("service.version", "1.4.2"),
        ])
        .build();
    // As in `benches/spans.rs`: 10 attributes and one event per span, no link.
    let batch: Vec<_> = (0..512u64)
        .map(|n| {
            let mut span = common::realistic_sdk_span(n);
            span.links.links.clear();
            span
        })
        .collect();
    let mut mapper = OtlpMapper::new(MappingConfig::default()).expect("the default config");
    let prepared = mapper.prepare_resource(&resource);
    let mut out = mapper.new_encoder();
    let mut report = MappingReport::new();
    let otlp_resource = ResourceAttributesWithSchema::from(&resource);
    let request = ExportTraceServiceRequest {
        resource_spans: group_spans_by_resource_and_scope(batch.clone(), &otlp_resource),
    };
    let mut body = Vec::new();
    let encoded = request.encode_to_vec();
    for _ in 0..iterations {
        match path {
            "sdk" => {
                out.clear();
                mapper.map_sdk_spans(&prepared, black_box(&batch), &mut out, &mut report);
                black_box(out.len());
            }
            "proto" => {
                out.clear();
                mapper.map_proto_traces(black_box(&request), &mut out, &mut report);
                black_box(out.len());
            }
            "otlp" => {
                let spans = batch.clone();
                let request = ExportTraceServiceRequest {
                    resource_spans: group_spans_by_resource_and_scope(spans, &otlp_resource),
                };
                body.clear();
                request.encode(&mut body).expect("a Vec grows");
                black_box(body.len());
            }
            "prost" => {
                out.clear();
                let decoded = ExportTraceServiceRequest::decode(black_box(&encoded[..]))
                    .expect("a valid request");
                mapper.map_proto_traces(&decoded, &mut out, &mut report);
                black_box(out.len());
            }
            "wire" => {
                out.clear();
                mapper
                    .map_request(
                        Signal::Traces,
                        Encoding::Protobuf,
                        black_box(&encoded),
                        &mut out,
                        &mut report,
                    )
                    .expect("a valid request");
                black_box(out.len());
            }
            "prost-decode" => {
                let decoded = ExportTraceServiceRequest::decode(black_box(&encoded[..]))
                    .expect("a valid request");
                black_box(&decoded);
            }
            "clone" => {
                black_box(batch.clone());
            }
            "sizes" => {
                out.clear();
                mapper.map_sdk_spans(&prepared, &batch, &mut out, &mut report);
                body.clear();
                request.encode(&mut body).expect("a Vec grows");
                println!(
                    "512 spans: line protocol {} bytes, OTLP protobuf {} bytes",
                    out.len(),
                    body.len()
                );
            }
            _ => {
                eprintln!("{USAGE}");
                std::process::exit(2);
            }
        }
    }
}
