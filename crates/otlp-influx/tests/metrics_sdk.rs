//! The SDK path: real instruments through a `MeterProvider`, exported to a `PushMetricExporter` that
//! maps the `ResourceMetrics` directly and also through `opentelemetry-proto`'s conversion; both must
//! give the same bytes, in every schema and dialect.

mod common;
mod metrics_support;

use std::sync::{Arc, Mutex};

use lineproto::{Dialect, EncoderOptions, FloatFormat};
use metrics_support::{F, mapper, parse};
use opentelemetry::metrics::MeterProvider as _;
use opentelemetry::{InstrumentationScope, KeyValue};
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::metrics::data::ResourceMetrics;
use opentelemetry_sdk::metrics::exporter::PushMetricExporter;
use opentelemetry_sdk::metrics::{
    Aggregation, Instrument, PeriodicReader, SdkMeterProvider, Stream, Temporality,
};
use otlp_influx::{DropReason, MappingReport, MetricsSchema};

/// For each (schema, dialect): lines from the SDK data, lines from its protobuf form, both reports.
type Captured = Vec<(
    MetricsSchema,
    Dialect,
    String,
    String,
    MappingReport,
    MappingReport,
)>;

#[derive(Clone)]
struct MappingExporter {
    captured: Arc<Mutex<Captured>>,
}

fn options(dialect: Dialect) -> EncoderOptions {
    EncoderOptions::new(dialect).with_float_format(FloatFormat::GoStrconv)
}

impl PushMetricExporter for MappingExporter {
    async fn export(&self, metrics: &ResourceMetrics) -> OTelSdkResult {
        let request = ExportMetricsServiceRequest::from(metrics);
        for &schema in MetricsSchema::ALL {
            for dialect in [
                Dialect::Datalayers,
                Dialect::InfluxDbV1,
                Dialect::InfluxDbV2,
            ] {
                let mut mapper = mapper(schema, options(dialect));
                let (mut sdk_out, mut proto_out) = (mapper.new_encoder(), mapper.new_encoder());
                let (mut sdk_report, mut proto_report) =
                    (MappingReport::new(), MappingReport::new());
                mapper.map_sdk_metrics(metrics, &mut sdk_out, &mut sdk_report);
                mapper.map_proto_metrics(&request, &mut proto_out, &mut proto_report);
                let text =
                    |e: &lineproto::Encoder| String::from_utf8(e.as_bytes().to_vec()).unwrap();
                let entry = (
                    schema,
                    dialect,
                    text(&sdk_out),
                    text(&proto_out),
                    sdk_report,
                    proto_report,
                );
                self.captured.lock().unwrap().push(entry);
            }
        }
        Ok(())
    }
    fn force_flush(&self) -> OTelSdkResult {
        Ok(())
    }
    fn shutdown_with_timeout(&self, _: std::time::Duration) -> OTelSdkResult {
        Ok(())
    }
    fn temporality(&self) -> Temporality {
        Temporality::Cumulative
    }
}

/// Records a fixed set of measurements (`big` is a u64 gauge) and exports them once.
fn record_and_export(big_value: u64) -> Captured {
    let exporter = MappingExporter {
        captured: Arc::default(),
    };
    let provider = SdkMeterProvider::builder()
        .with_resource(
            Resource::builder_empty()
                .with_attribute(KeyValue::new("service.name", "checkout"))
                .build(),
        )
        .with_reader(PeriodicReader::builder(exporter.clone()).build())
        .with_view(|instrument: &Instrument| {
            (instrument.name() == "payload_size").then(|| {
                Stream::builder()
                    .with_aggregation(Aggregation::Base2ExponentialHistogram {
                        max_size: 20,
                        max_scale: 2,
                        record_min_max: true,
                    })
                    .build()
                    .unwrap()
            })
        })
        .build();
    let scope = InstrumentationScope::builder("shop")
        .with_version("1.2")
        .with_attributes([KeyValue::new("team", "payments")])
        .build();
    let meter = provider.meter_with_scope(scope);

    let requests = meter.u64_counter("http_requests_total").build();
    requests.add(3, &[KeyValue::new("code", 200)]);
    requests.add(4, &[KeyValue::new("code", 200)]);
    requests.add(1, &[KeyValue::new("code", 500)]);
    let queue = meter.i64_up_down_counter("queue_depth").build();
    queue.add(-2, &[]);
    let temperature = meter.f64_gauge("temperature").build();
    temperature.record(21.5, &[KeyValue::new("room", "a b")]);
    let big = meter.u64_gauge("big").build();
    big.record(big_value, &[]);
    let latency = meter
        .f64_histogram("latency")
        .with_boundaries(vec![0.1, 1.0])
        .build();
    for v in [0.05, 0.5, 0.7, 3.0] {
        latency.record(v, &[KeyValue::new("route", "/cart")]);
    }
    let payload = meter.f64_histogram("payload_size").build();
    for v in [1.0, 2.0, 3.0, 100.0] {
        payload.record(v, &[]);
    }

    provider.force_flush().unwrap();
    provider.shutdown().unwrap();
    let captured = exporter.captured.lock().unwrap();
    captured.clone()
}

#[test]
fn sdk_and_proto_inputs_give_identical_lines() {
    // OTLP has no unsigned numbers (`opentelemetry-proto` turns a u64 above i64::MAX into 0), so
    // the comparison uses one that fits.
    let captured = record_and_export(u64::MAX / 4);
    // force_flush and shutdown each export once.
    assert!(
        captured.len() >= 9 && captured.len().is_multiple_of(9),
        "every schema and dialect"
    );
    for (schema, dialect, sdk, proto, sdk_report, proto_report) in &captured {
        assert_eq!(sdk, proto, "{schema} {dialect:?}");
        assert_eq!(sdk_report, proto_report, "{schema} {dialect:?}");
        if *schema == MetricsSchema::OtelV1 {
            // Gauges (temperature, big) have no otel-v1 layout.
            assert_eq!(
                sdk_report.count(DropReason::UnsupportedMetric),
                2,
                "{sdk_report}"
            );
        } else {
            assert!(sdk_report.is_clean(), "{schema} {dialect:?}: {sdk_report}");
        }
        assert!(sdk.lines().count() >= 4, "{sdk}");
    }
}

#[test]
fn sdk_values_are_mapped_as_the_schema_says() {
    let captured = record_and_export(u64::MAX);
    let (_, _, text, _, report, _) = captured
        .iter()
        .find(|(schema, dialect, ..)| {
            *schema == MetricsSchema::TelegrafPrometheusV1 && *dialect == Dialect::InfluxDbV2
        })
        .unwrap();
    let points = parse(text);
    let find = |measurement: &str, tag: (&str, &str)| {
        points
            .iter()
            .find(|p| p.0 == measurement && p.1.get(tag.0).map(String::as_str) == Some(tag.1))
            .unwrap_or_else(|| panic!("{measurement} {tag:?} missing in\n{text}"))
    };
    let ok = find("http_requests_total", ("code", "200"));
    assert_eq!(ok.2["counter"], F::I(7));
    assert_eq!(ok.1["service.name"], "checkout");
    assert_eq!(ok.1["otel.library.name"], "shop");
    assert_eq!(ok.1["otel.library.version"], "1.2");
    assert_eq!(ok.1["team"], "payments");
    assert!(matches!(ok.2["start_time_unix_nano"], F::I(t) if t > 0));
    // A non-monotonic sum is a gauge.
    assert_eq!(
        find("queue_depth", ("service.name", "checkout")).2["gauge"],
        F::I(-2)
    );
    assert_eq!(find("temperature", ("room", "a b")).2["gauge"], F::F(21.5));
    // u64 above i64::MAX stays unsigned where the dialect has unsigned numbers.
    assert_eq!(
        find("big", ("service.name", "checkout")).2["gauge"],
        F::U(u64::MAX)
    );
    let latency = find("latency", ("route", "/cart"));
    for (key, value) in [
        ("0.1", 1.0),
        ("1", 3.0),
        ("+Inf", 4.0),
        ("count", 4.0),
        ("min", 0.05),
        ("max", 3.0),
    ] {
        assert_eq!(latency.2[key], F::F(value), "{key}");
    }
    let payload = find("payload_size", ("service.name", "checkout"));
    assert_eq!(payload.2["count"], F::F(4.0));
    assert_eq!(payload.2["+Inf"], F::F(4.0));
    assert_eq!(payload.2["0"], F::F(0.0), "zero bucket always present");
    assert!(report.is_clean(), "{report}");

    // InfluxDB 1.x has no unsigned type: that one line is refused and counted, the rest written.
    let (_, _, text_v1, _, report_v1, _) = captured
        .iter()
        .find(|(schema, dialect, ..)| {
            *schema == MetricsSchema::TelegrafPrometheusV1 && *dialect == Dialect::InfluxDbV1
        })
        .unwrap();
    assert_eq!(report_v1.count(DropReason::LineRejected), 1);
    assert_eq!(parse(text_v1).len(), points.len() - 1);
}
