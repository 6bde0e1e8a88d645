//! Conformance with the reference (`otel2influx` + the collector's InfluxDB exporter): its
//! integration fodder for traces and logs, mapped from SDK data and from OTLP protobuf, compared
//! parsed (measurement, tags, typed fields, timestamp) and byte for byte (sorted fields).

mod common;

use common::*;
use lineproto::{Dialect, EncoderOptions, FloatFormat};
use opentelemetry::InstrumentationScope;
use opentelemetry_sdk::logs::LogBatch;
use otlp_influx::{MappingConfig, MappingReport, OtlpMapper, PreparedResource};

/// The reference exporter's setup: default dimensions, Go float text, unsigned `u` values.
fn reference_mapper() -> OtlpMapper {
    OtlpMapper::new(MappingConfig::default().with_encoder(
        EncoderOptions::new(Dialect::InfluxDbV2).with_float_format(FloatFormat::GoStrconv),
    ))
    .unwrap()
}

fn text(out: &lineproto::Encoder) -> String {
    String::from_utf8(out.as_bytes().to_vec()).unwrap()
}

fn map_sdk_spans(
    mapper: &mut OtlpMapper,
    spans: &[opentelemetry_sdk::trace::SpanData],
) -> (String, MappingReport) {
    let mut out = mapper.new_encoder();
    let mut report = MappingReport::new();
    mapper.map_sdk_spans(&PreparedResource::empty(), spans, &mut out, &mut report);
    (text(&out), report)
}

fn map_proto_traces(
    mapper: &mut OtlpMapper,
    request: &opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest,
) -> (String, MappingReport) {
    let mut out = mapper.new_encoder();
    let mut report = MappingReport::new();
    mapper.map_proto_traces(request, &mut out, &mut report);
    (text(&out), report)
}

#[test]
fn trace_fodder_from_sdk_is_byte_exact() {
    let (lines, report) = map_sdk_spans(&mut reference_mapper(), &fodder_sdk_spans());
    assert_eq!(lines, FODDER_TRACE_LINES);
    assert!(report.is_clean(), "{report}");
    assert_eq!(report.lines, 5);
}

#[test]
fn trace_fodder_from_proto_is_byte_exact() {
    let (lines, report) = map_proto_traces(&mut reference_mapper(), &fodder_proto_traces());
    assert_eq!(lines, FODDER_TRACE_LINES);
    assert!(report.is_clean(), "{report}");
}

#[test]
fn trace_fodder_matches_the_reference_expectation_parsed() {
    let (lines, _) = map_proto_traces(&mut reference_mapper(), &fodder_proto_traces());
    assert_eq!(parse_sorted(&lines), parse_sorted(REFERENCE_TRACE_LINES));
    let (lines, _) = map_sdk_spans(&mut reference_mapper(), &fodder_sdk_spans());
    assert_eq!(parse_sorted(&lines), parse_sorted(REFERENCE_TRACE_LINES));
}

#[test]
fn log_fodder_from_proto_matches_the_reference() {
    let mut mapper = reference_mapper();
    let mut out = mapper.new_encoder();
    let mut report = MappingReport::new();
    mapper.map_proto_logs(&fodder_proto_logs(), &mut out, &mut report);
    assert!(report.is_clean(), "{report}");
    assert_eq!(
        text(&out),
        "logs,span_id=0000000000000003,trace_id=00000000000000020000000000000001 \
         attributes=\"{\\\"k\\\":true}\",body=\"something-happened\",dropped_attributes_count=5u,\
         severity_number=9i,severity_text=\"info\" 1622848686000000000\n"
    );
    assert_eq!(parse_sorted(&text(&out)), parse_sorted(REFERENCE_LOG_LINE));
}

#[test]
fn log_fodder_from_sdk_matches_except_the_dropped_count_the_sdk_does_not_keep() {
    let mut mapper = reference_mapper();
    let mut out = mapper.new_encoder();
    let mut report = MappingReport::new();
    let record = fodder_sdk_log();
    let scope = InstrumentationScope::builder("fodder").build();
    let data = [(&record, &scope)];
    mapper.map_sdk_logs(
        &PreparedResource::empty(),
        &LogBatch::new(&data),
        &mut out,
        &mut report,
    );
    assert!(report.is_clean(), "{report}");
    let mut expected = parse(REFERENCE_LOG_LINE);
    expected[0].2.remove("dropped_attributes_count");
    assert_eq!(parse(&text(&out)), expected);
}

#[test]
fn sdk_and_proto_inputs_give_the_same_lines_for_realistic_spans() {
    use opentelemetry_proto::transform::{
        common::tonic::ResourceAttributesWithSchema,
        trace::tonic::group_spans_by_resource_and_scope,
    };
    let resource = opentelemetry_sdk::Resource::builder_empty()
        .with_attributes([
            opentelemetry::KeyValue::new("service.name", "orders"),
            opentelemetry::KeyValue::new("host.name", "node-1"),
        ])
        .build();
    let spans: Vec<_> = (0..5).map(realistic_sdk_span).collect();
    let mut mapper = reference_mapper();
    let prepared = mapper.prepare_resource(&resource);
    let mut out = mapper.new_encoder();
    let mut report = MappingReport::new();
    mapper.map_sdk_spans(&prepared, &spans, &mut out, &mut report);
    let sdk_lines = text(&out);

    let request = opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest {
        resource_spans: group_spans_by_resource_and_scope(
            spans.clone(),
            &ResourceAttributesWithSchema::from(&resource),
        ),
    };
    let (proto_lines, _) = map_proto_traces(&mut mapper, &request);
    assert_eq!(sdk_lines, proto_lines);
    assert_eq!(report.lines, 15);
    assert!(report.is_clean(), "{report}");
    assert!(
        sdk_lines.contains("spans,service.name=orders,span_id="),
        "{sdk_lines}"
    );
}
