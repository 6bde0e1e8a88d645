//! Proof of "no heap allocation per span in steady state" on the SDK span path, attributes JSON
//! included: a counting global allocator counts this thread's allocations while realistic spans
//! (10 attributes, an event, a link, an error status) are mapped again and again. The same for
//! SDK metrics (gauge, sum, histogram points), which reuse the mapper's metric scratch.

mod common;

use lineproto::{Dialect, EncoderOptions, FloatFormat};
use otlp_influx::{MappingConfig, MappingReport, OtlpMapper};
use test_support::alloc::{CountingAllocator, count_on_this_thread};

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator::new();

fn assert_no_allocation_per_span(config: MappingConfig) {
    let resource = opentelemetry_sdk::Resource::builder_empty()
        .with_attributes([
            opentelemetry::KeyValue::new("service.name", "orders"),
            opentelemetry::KeyValue::new("service.version", "1.4.2"),
            opentelemetry::KeyValue::new("host.name", "node-1"),
        ])
        .build();
    let spans: Vec<_> = (0..64).map(common::realistic_sdk_span).collect();
    let mut mapper = OtlpMapper::new(config).unwrap();
    let prepared = mapper.prepare_resource(&resource);
    let mut out = mapper.new_encoder();
    let mut report = MappingReport::new();

    // One round maps every span once per call, then all in one call: per-call overhead must
    // not allocate either.
    let mut round = |out: &mut lineproto::Encoder, report: &mut MappingReport| {
        out.clear();
        for span in spans.chunks(1) {
            mapper.map_sdk_spans(&prepared, span, out, report);
        }
        mapper.map_sdk_spans(&prepared, &spans, out, report);
    };
    // Warm-up: the buffers grow to their steady size.
    for _ in 0..3 {
        round(&mut out, &mut report);
    }
    assert_eq!(
        report.lines,
        3 * 2 * 64 * 3,
        "event, link and span per span: {report}"
    );
    assert!(report.is_clean(), "{report}");

    let rounds = 20;
    let allocated = count_on_this_thread(|| {
        for _ in 0..rounds {
            round(&mut out, &mut report);
        }
    });
    assert_eq!(
        allocated,
        0,
        "{allocated} allocations for {} spans",
        rounds * 2 * spans.len()
    );
    // The JSON really was written (a test that cannot fail is worse than none).
    let text = std::str::from_utf8(out.as_bytes()).unwrap();
    assert!(
        text.contains(r#"attributes="{\"client.address\":\"10.1.2.3\""#),
        "{text}"
    );
    assert!(text.contains("service.name=orders,span"), "{text}");
}

#[test]
fn sdk_spans_map_without_allocating_in_steady_state() {
    assert_no_allocation_per_span(MappingConfig::default().with_encoder(
        EncoderOptions::new(Dialect::InfluxDbV1).with_float_format(FloatFormat::GoStrconv),
    ));
}

#[test]
fn stable_columns_mode_does_not_allocate_either() {
    assert_no_allocation_per_span(
        MappingConfig::default()
            .with_stable_columns(true)
            .with_span_dimensions(["service.name", "span.name", "http.route"]),
    );
}

/// A metric exporter that maps what it is given again and again, counting the allocations of
/// the steady-state rounds (on the exporting thread, where the counter is thread-local).
#[derive(Clone, Default)]
struct CountingMetricExporter {
    /// (allocations in the counted rounds, points per round, text of the last round).
    result: std::sync::Arc<std::sync::Mutex<Option<(u64, u64, String)>>>,
}

impl opentelemetry_sdk::metrics::exporter::PushMetricExporter for CountingMetricExporter {
    async fn export(
        &self,
        metrics: &opentelemetry_sdk::metrics::data::ResourceMetrics,
    ) -> opentelemetry_sdk::error::OTelSdkResult {
        if self.result.lock().unwrap().is_some() {
            return Ok(()); // shutdown exports again: the first export is the measurement
        }
        let mut mapper = OtlpMapper::new(MappingConfig::default()).unwrap();
        let mut out = mapper.new_encoder();
        let mut report = MappingReport::new();
        let mut round = |out: &mut lineproto::Encoder, report: &mut MappingReport| {
            out.clear();
            report.clear();
            mapper.map_sdk_metrics(metrics, out, report);
        };
        // Warm-up: the scratch and the buffer grow to their steady size.
        for _ in 0..3 {
            round(&mut out, &mut report);
        }
        let allocated = count_on_this_thread(|| {
            for _ in 0..20 {
                round(&mut out, &mut report);
            }
        });
        assert!(report.is_clean(), "{report}");
        let text = String::from_utf8(out.as_bytes().to_vec()).unwrap();
        *self.result.lock().unwrap() = Some((allocated, report.lines, text));
        Ok(())
    }
    fn force_flush(&self) -> opentelemetry_sdk::error::OTelSdkResult {
        Ok(())
    }
    fn shutdown_with_timeout(
        &self,
        _: std::time::Duration,
    ) -> opentelemetry_sdk::error::OTelSdkResult {
        Ok(())
    }
    fn temporality(&self) -> opentelemetry_sdk::metrics::Temporality {
        opentelemetry_sdk::metrics::Temporality::Cumulative
    }
}

#[test]
fn sdk_metrics_map_without_allocating_in_steady_state() {
    use opentelemetry::{KeyValue, metrics::MeterProvider as _};
    let exporter = CountingMetricExporter::default();
    let provider = opentelemetry_sdk::metrics::SdkMeterProvider::builder()
        .with_resource(
            opentelemetry_sdk::Resource::builder_empty()
                .with_attributes([
                    KeyValue::new("service.name", "orders"),
                    KeyValue::new("host.name", "node-1"),
                ])
                .build(),
        )
        .with_reader(opentelemetry_sdk::metrics::PeriodicReader::builder(exporter.clone()).build())
        .build();
    let meter = provider.meter("shop");
    let requests = meter.u64_counter("http_requests_total").build();
    let temperature = meter.f64_gauge("temperature").build();
    let latency = meter.f64_histogram("latency").build();
    for code in [200, 404, 500] {
        requests.add(3, &[KeyValue::new("code", code)]);
        temperature.record(21.5, &[KeyValue::new("room", code.to_string())]);
        latency.record(0.7, &[KeyValue::new("route", format!("/r{code}"))]);
    }
    provider.force_flush().unwrap();
    provider.shutdown().unwrap();

    let (allocated, lines, text) = exporter.result.lock().unwrap().take().expect("exported");
    // 3 counter, 3 gauge and 3 histogram points, one line each (telegraf-prometheus-v1).
    assert_eq!(lines, 9, "{text}");
    assert_eq!(
        allocated, 0,
        "{allocated} allocations for 20 rounds of {lines} points"
    );
    // Every kind really was written (a test that cannot fail is worse than none).
    assert!(text.contains("http_requests_total,code=200,"), "{text}");
    assert!(text.contains(" counter=3"), "{text}");
    assert!(text.contains("temperature,host.name=node-1,"), "{text}");
    assert!(text.contains("latency,host.name=node-1,"), "{text}");
    assert!(text.contains(",count=1,"), "{text}");
}

/// OTLP protobuf bytes to lines (`map_request`, read in place): no allocation per span, per log
/// record or per data point once the mapper's scratch and the encoder's buffer have grown.
#[test]
fn protobuf_requests_map_without_allocating_in_steady_state() {
    use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
    use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value::Value};
    use opentelemetry_proto::tonic::metrics::v1::{
        Gauge, Histogram, HistogramDataPoint, Metric, NumberDataPoint, ResourceMetrics,
        ScopeMetrics, metric::Data, number_data_point,
    };
    use opentelemetry_proto::transform::{
        common::tonic::ResourceAttributesWithSchema,
        trace::tonic::group_spans_by_resource_and_scope,
    };
    use otlp_influx::{Encoding, Signal};
    use prost::Message as _;

    let resource = opentelemetry_sdk::Resource::builder_empty()
        .with_attributes([opentelemetry::KeyValue::new("service.name", "orders")])
        .build();
    let spans: Vec<_> = (0..64).map(common::realistic_sdk_span).collect();
    let traces = opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest {
        resource_spans: group_spans_by_resource_and_scope(
            spans,
            &ResourceAttributesWithSchema::from(&resource),
        ),
    }
    .encode_to_vec();
    let logs = common::fodder_proto_logs().encode_to_vec();
    let attribute = |key: &str, value: &str| KeyValue {
        key: key.into(),
        value: Some(AnyValue {
            value: Some(Value::StringValue(value.into())),
        }),
        ..Default::default()
    };
    let metrics = ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics {
            resource: Some(opentelemetry_proto::tonic::resource::v1::Resource {
                attributes: vec![attribute("service.name", "orders")],
                ..Default::default()
            }),
            scope_metrics: vec![ScopeMetrics {
                metrics: vec![
                    Metric {
                        name: "temperature".into(),
                        data: Some(Data::Gauge(Gauge {
                            data_points: vec![NumberDataPoint {
                                attributes: vec![attribute("room", "a")],
                                time_unix_nano: 5,
                                value: Some(number_data_point::Value::AsDouble(21.5)),
                                ..Default::default()
                            }],
                        })),
                        ..Default::default()
                    },
                    Metric {
                        name: "latency".into(),
                        data: Some(Data::Histogram(Histogram {
                            data_points: vec![HistogramDataPoint {
                                attributes: vec![attribute("route", "/r")],
                                time_unix_nano: 5,
                                count: 3,
                                sum: Some(2.5),
                                bucket_counts: vec![1, 2, 0],
                                explicit_bounds: vec![0.5, 1.0],
                                ..Default::default()
                            }],
                            aggregation_temporality: 2,
                        })),
                        ..Default::default()
                    },
                ],
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
    .encode_to_vec();

    let mut mapper = OtlpMapper::new(MappingConfig::default()).unwrap();
    let mut out = mapper.new_encoder();
    let mut report = MappingReport::new();
    let mut round = |out: &mut lineproto::Encoder, report: &mut MappingReport| {
        out.clear();
        report.clear();
        for (signal, body) in [
            (Signal::Traces, &traces),
            (Signal::Logs, &logs),
            (Signal::Metrics, &metrics),
        ] {
            mapper
                .map_request(signal, Encoding::Protobuf, body, out, report)
                .unwrap();
        }
    };
    for _ in 0..3 {
        round(&mut out, &mut report);
    }
    let allocated = count_on_this_thread(|| {
        for _ in 0..20 {
            round(&mut out, &mut report);
        }
    });
    assert_eq!(report.spans.received, 64);
    assert_eq!(report.spans.rejected, 0, "{report}");
    assert_eq!(report.data_points.received, 2, "{report}");
    assert_eq!(
        allocated, 0,
        "{allocated} allocations for 20 rounds of 64 spans, the log fodder and 2 points"
    );
    // The lines really were written (a test that cannot fail is worse than none).
    let text = std::str::from_utf8(out.as_bytes()).unwrap();
    assert!(
        text.contains(r#"attributes="{\"client.address\":\"10.1.2.3\""#),
        "{text}"
    );
    assert!(
        text.contains("latency,route=/r,service.name=orders "),
        "{text}"
    );
    assert!(text.contains("temperature,room=a"), "{text}");
}
