//! Shared helpers of the `metrics_*` tests: OTLP metric builders and mapping; lines are parsed back
//! with the shared `common::parse` (the `influxdb-line-protocol` crate as the oracle).

#![allow(dead_code, unreachable_pub, unused_imports)]

use lineproto::{Dialect, EncoderOptions, FloatFormat};
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::common::v1::{InstrumentationScope, KeyValue, any_value};
use opentelemetry_proto::tonic::metrics::v1::{
    Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics, metric::Data, number_data_point,
};
use opentelemetry_proto::tonic::resource::v1::Resource;
use otlp_influx::{MappingConfig, MappingReport, MetricsSchema, OtlpMapper};

/// Point time of the reference unit tests.
pub const TS: u64 = 1_395_066_363_000_000_123;
/// Start time of the reference unit tests.
pub const START: u64 = 1_395_066_363_000_000_001;

pub use super::common::{Field as F, Parsed as Point, parse, pkv as kv};

/// Builds an expected parsed line.
pub fn point(measurement: &str, tags: &[(&str, &str)], fields: &[(&str, F)], ts: u64) -> Point {
    (
        measurement.to_owned(),
        tags.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        fields
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect(),
        Some(ts as i64),
    )
}

/// Encoder options of the conformance tests: Go float text, InfluxDB 2 rules (no extra tag, names
/// as they are, unsigned allowed).
pub fn reference_options() -> EncoderOptions {
    EncoderOptions::new(Dialect::InfluxDbV2).with_float_format(FloatFormat::GoStrconv)
}

/// A mapper for `schema` with `options`.
pub fn mapper(schema: MetricsSchema, options: EncoderOptions) -> OtlpMapper {
    let config = MappingConfig::default()
        .with_encoder(options)
        .with_metrics_schema(schema);
    OtlpMapper::new(config).expect("valid config")
}

/// Maps a request; returns the text and the report.
pub fn map_with(
    schema: MetricsSchema,
    options: EncoderOptions,
    request: &ExportMetricsServiceRequest,
) -> (String, MappingReport) {
    let mut mapper = mapper(schema, options);
    let mut encoder = mapper.new_encoder();
    let mut report = MappingReport::new();
    mapper.map_proto_metrics(request, &mut encoder, &mut report);
    let text = String::from_utf8(encoder.as_bytes().to_vec()).expect("utf-8");
    assert_eq!(
        report.lines as usize,
        encoder.line_count(),
        "every written line is counted"
    );
    (text, report)
}

/// Maps with the reference options and parses the result.
pub fn map_points(
    schema: MetricsSchema,
    request: &ExportMetricsServiceRequest,
) -> (Vec<Point>, MappingReport) {
    let (text, report) = map_with(schema, reference_options(), request);
    (parse(&text), report)
}

pub fn s(v: &str) -> any_value::Value {
    any_value::Value::StringValue(v.to_owned())
}

pub fn i(v: i64) -> any_value::Value {
    any_value::Value::IntValue(v)
}

/// One resource, one scope (name, version), the given metrics.
pub fn request(
    resource: Vec<KeyValue>,
    scope: (&str, &str),
    metrics: Vec<Metric>,
) -> ExportMetricsServiceRequest {
    ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics {
            resource: Some(Resource {
                attributes: resource,
                ..Default::default()
            }),
            scope_metrics: vec![ScopeMetrics {
                scope: Some(InstrumentationScope {
                    name: scope.0.to_owned(),
                    version: scope.1.to_owned(),
                    ..Default::default()
                }),
                metrics,
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

pub fn metric(name: &str, data: Data) -> Metric {
    Metric {
        name: name.to_owned(),
        data: Some(data),
        ..Default::default()
    }
}

pub fn double_point(
    attributes: Vec<KeyValue>,
    start: u64,
    time: u64,
    value: f64,
) -> NumberDataPoint {
    NumberDataPoint {
        attributes,
        start_time_unix_nano: start,
        time_unix_nano: time,
        value: Some(number_data_point::Value::AsDouble(value)),
        ..Default::default()
    }
}

pub fn int_point(attributes: Vec<KeyValue>, start: u64, time: u64, value: i64) -> NumberDataPoint {
    NumberDataPoint {
        attributes,
        start_time_unix_nano: start,
        time_unix_nano: time,
        value: Some(number_data_point::Value::AsInt(value)),
        ..Default::default()
    }
}
