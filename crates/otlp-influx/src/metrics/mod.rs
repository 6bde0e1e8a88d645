//! Metrics to line protocol: the `telegraf-prometheus-v1`, `telegraf-prometheus-v2` and `otel-v1`
//! schemas of the collector's InfluxDB exporter, from the SDK's `ResourceMetrics`
//! ([`OtlpMapper::map_sdk_metrics`]) or OTLP's `ExportMetricsServiceRequest`
//! ([`OtlpMapper::map_proto_metrics`]). Both inputs go through the same code and give the same
//! lines.
//!
//! # Shared rules
//!
//! - Tags of a point: every resource attribute, `otel.library.name` and `otel.library.version`
//!   (scope name and version, if not empty), every scope attribute, then the point's attributes; a
//!   later key replaces an earlier one. Values are pdata `AsString` text; empty ones are not written.
//!   All attributes become tags: metrics have no JSON field.
//! - `start_time_unix_nano` (integer field) when the start time is not 0; the line's timestamp is
//!   the point time (0 stays 0).
//! - Fields are written sorted by key (the reference's order is random).
//! - Exemplars (v1 and v2, not summaries, not `otel-v1`): one line each after their point, measurement
//!   `<name>_exemplar`, tags = the exemplar's filtered attributes + `trace_id` + `span_id` (hex), field
//!   `gauge`, the exemplar's timestamp.
//!
//! # `telegraf-prometheus-v1` (default): measurement = metric name
//!
//! | Metric | Fields |
//! |---|---|
//! | Gauge, or a Sum that is not monotonic *and* cumulative | `gauge` (int `5i` or float) |
//! | Sum, monotonic and cumulative | `counter` |
//! | Histogram | `count` (float), `sum`, `min`, `max` (when present), one field per bucket: key = bound as Go `FormatFloat(b, 'f', -1, 64)` (`0.05`, `1`, `+Inf` for the overflow bucket), value = **cumulative** count (float) |
//! | Summary | `count` (float), `sum`, one field per quantile (key as for bounds) |
//!
//! ```
//! use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
//! use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value::Value};
//! use opentelemetry_proto::tonic::metrics::v1::{
//!     Gauge, Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics, metric::Data, number_data_point,
//! };
//! use otlp_influx::{MappingConfig, MappingReport, OtlpMapper};
//!
//! let point = NumberDataPoint {
//!     attributes: vec![KeyValue {
//!         key: "foo".into(),
//!         value: Some(AnyValue { value: Some(Value::StringValue("bar".into())) }),
//!         ..Default::default()
//!     }],
//!     time_unix_nano: 1_622_848_686_000_000_000,
//!     value: Some(number_data_point::Value::AsDouble(87.332)),
//!     ..Default::default()
//! };
//! let metric = Metric {
//!     name: "cpu_temp".into(),
//!     data: Some(Data::Gauge(Gauge { data_points: vec![point] })),
//!     ..Default::default()
//! };
//! let request = ExportMetricsServiceRequest {
//!     resource_metrics: vec![ResourceMetrics {
//!         scope_metrics: vec![ScopeMetrics { metrics: vec![metric], ..Default::default() }],
//!         ..Default::default()
//!     }],
//! };
//!
//! let mut mapper = OtlpMapper::new(MappingConfig::default()).unwrap();
//! let mut encoder = mapper.new_encoder();
//! let mut report = MappingReport::new();
//! mapper.map_proto_metrics(&request, &mut encoder, &mut report);
//! assert_eq!(encoder.as_bytes(), b"cpu_temp,foo=bar gauge=87.332 1622848686000000000\n");
//! assert!(report.is_clean());
//! ```
//!
//! # `telegraf-prometheus-v2`: measurement `prometheus`
//!
//! Gauges and sums: one line, field `<name>`. Histograms: one line with `<name>_count`,
//! `<name>_sum`, `<name>_min`, `<name>_max` and the start time, then one line per bucket with tag
//! `le` = bound (or `+Inf`) and field `<name>_bucket` = cumulative count. Summaries: one line with
//! `<name>_count`, `<name>_sum` and the start time, then one line per quantile with tag `quantile`
//! and field `<name>`. Bucket and quantile lines have no start time.
//!
//! # `otel-v1`: measurement `<name>_<unit>_<type>`
//!
//! Sums: field `value_<temporality>_<monotonic|nonmonotonic>_<int|double>`, e.g.
//! `value_cumulative_monotonic_int`. Histograms: `count` (unsigned), `sum`, `min` and `max` (only
//! when both are present), and per explicit bound `<temporality>_<bound>` = that bucket's own count
//! (unsigned, not cumulative; the `+Inf` bucket is not written; a point without bucket counts gets
//! no bucket field, where the reference panics). Gauges and summaries have no `otel-v1` layout.
//!
//! # Deliberate departures from the reference
//!
//! Each is tested in `tests/metrics_*.rs`. Drops are counted in the [`MappingReport`] by
//! [`DropReason`](crate::DropReason).
//!
//! - **A bad point costs only its own lines.** The reference fails the whole request on any
//!   error; here a point is dropped (and counted) alone: a histogram whose bucket count is neither
//!   `bounds` nor `bounds + 1` (`invalid_histogram`, before any of its lines is written, also in v2),
//!   a point without value (`empty_point`), a gauge or summary under `otel-v1`
//!   (`unsupported_metric`), a line the encoder refuses (`line_rejected`, e.g. a metric name with a
//!   control byte).
//! - **NaN and infinite values** are skipped field by field (`non_finite_value`, one per field;
//!   before the encoder sees them, so whatever its `NonFinite` option); a line left without a field
//!   is dropped (`empty_point`). The reference fails the batch.
//! - **Exponential histograms** are written, as explicit-bound histograms with the same counts
//!   (bounds `base^i`, `base = 2^(2^-scale)`; see below) through the schema's histogram layout, so
//!   dashboards that read classic Prometheus buckets read them too. `otel-v1` names the measurement
//!   `<name>_<unit>_exponentialhistogram`. The reference fails the batch.
//! - **Datalayers measurement names** (`[A-Za-z_][A-Za-z0-9_.-]{0,62}`): with the Datalayers dialect
//!   a name outside the rule is rewritten deterministically (each other byte becomes `_`, a `_`
//!   prefix when it does not start with a letter or `_`, names over 63 bytes cut to 54 and suffixed
//!   with `_` + 8 hex digits of a hash of the full name). `http/server:requests` becomes
//!   `http_server_requests`. An empty name is not invented: its line is refused
//!   (`line_rejected`). Other dialects keep the name as it is.
//! - **Datalayers needs a tag on every line**: with the Datalayers dialect a line that would have
//!   no tag gets [`FALLBACK_TAG_KEY`] (`metric`) = the metric name. Other dialects write no extra
//!   tag.
//! - **Empty exemplars** (no value, or no trace or span id) are skipped as by the reference, but
//!   counted (`empty_point`).
//! - SDK `u64` values above `i64::MAX` (OTLP has no unsigned numbers) are written as unsigned
//!   (`u`), which InfluxDB 1.x refuses (`line_rejected`); smaller ones are integers, like OTLP.
//! - Stable-columns mode does not change metric lines: their tag sets come from the data.
//!
//! # Exponential histograms
//!
//! Each exponential point becomes an explicit-bound histogram with exactly the same counts:
//!
//! - `base = 2^(2^-scale)`; positive bucket `i` holds `(base^i, base^(i+1)]` and gets the upper bound
//!   `base^(i+1)`; negative bucket `i` holds `[-base^(i+1), -base^i)` and gets the bound `-base^i`.
//! - Bounds ascend: negative buckets (highest index first), the zero bucket with bound
//!   `zero_threshold` (always written, so the set of keys does not depend on whether a zero was
//!   seen), then positive buckets. The `+Inf` bucket is empty unless a bound overflows `f64`
//!   (its count then moves to the next bound up, or to `+Inf`).
//! - A bound is the same number for the same (scale, index), so a bucket keeps its key from point
//!   to point; exact for powers of two (scale <= 0), correctly rounded `exp2` otherwise (scale 3
//!   gives keys such as `1.0905077326652577`).
//!
//! `count`, `sum`, `min`, `max` and exemplars are written as for explicit histograms.
//!
//! The bounds follow the range of the data (and the SDK's rescaling), so under
//! `telegraf-prometheus-v1` and `otel-v1` a new bound is a new field column (under
//! `telegraf-prometheus-v2` only a new `le` value). Datalayers with its default
//! `auto_alter_table = false` refuses lines with new columns once the table exists: enable it, or
//! pre-create such tables with the bounds expected.
//!
//! # Performance
//!
//! The mapper keeps the tag, field and bucket scratch between calls: SDK metrics map without
//! allocating per data point once it has grown (`tests/zero_alloc.rs`). Per metric, the bucket
//! keys are formatted once and the field order is sorted once; per scope, the resource and scope
//! tags are sorted once. Each shape of line (measurement, tag keys, field keys) gets a
//! [`LineTemplate`](lineproto::LineTemplate) the first time it is met, so its keys are checked
//! and escaped once; a line with the keys of the line before it finds it without comparing them.
//! Up to 512 shapes and about 512 KiB of names and keys are kept per mapper (a bound on memory
//! when metrics keep changing or input is hostile); lines of further shapes are written with
//! the encoder's plain calls. `benches/metrics.rs` compares
//! SDK metrics to lines with what the OTLP exporter does with the same export.

mod exponential;
#[cfg(feature = "json")]
pub(crate) mod json;
mod keys;
mod proto;
mod schema;
mod scratch;
mod sdk;
mod shapes;
mod view;
mod wire;

use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_sdk::metrics::data::ResourceMetrics;

use crate::{MappingReport, OtlpMapper};
pub(crate) use schema::MetricWriter;
use schema::Out;

/// Measurement of every `telegraf-prometheus-v2` line.
pub const PROMETHEUS_MEASUREMENT: &str = "prometheus";
/// Suffix of the exemplar measurement: `<metric name>_exemplar`.
pub const EXEMPLAR_SUFFIX: &str = "_exemplar";
/// Integer field with the point's start time, written when it is not 0.
pub const START_TIME_FIELD: &str = "start_time_unix_nano";
/// Tag with the instrumentation scope name.
pub const LIBRARY_NAME_TAG: &str = "otel.library.name";
/// Tag with the instrumentation scope version.
pub const LIBRARY_VERSION_TAG: &str = "otel.library.version";
/// Tag added, with the metric name as value, to a line that would have no tag under the
/// Datalayers dialect (which refuses lines without tags).
pub const FALLBACK_TAG_KEY: &str = "metric";

impl OtlpMapper {
    /// Writes the SDK's metrics in the configured schema (see the [`metrics`](self) module).
    /// The tag, field and bucket scratch is the mapper's, reused from call to call: no
    /// allocation per data point once it has grown (`tests/metrics_zero_alloc.rs`).
    pub fn map_sdk_metrics(
        &mut self,
        metrics: &ResourceMetrics,
        out: &mut lineproto::Encoder,
        report: &mut MappingReport,
    ) {
        sdk::write(
            &mut self.metric_writer,
            metrics,
            &mut Out {
                encoder: out,
                report,
            },
        );
    }

    /// Writes an OTLP metrics request in the configured schema (see the [`metrics`](self)
    /// module).
    pub fn map_proto_metrics(
        &mut self,
        request: &ExportMetricsServiceRequest,
        out: &mut lineproto::Encoder,
        report: &mut MappingReport,
    ) {
        proto::write(
            &mut self.metric_writer,
            request,
            &mut Out {
                encoder: out,
                report,
            },
        );
    }
}

/// Lines through line templates are the lines of the encoder's plain calls: random requests
/// (names that need rewriting or are refused, attribute keys that collide with `le`, `time` or
/// the fallback tag, empty values, repeated keys, points whose keys change from one to the next)
/// in every schema and dialect, mapped twice so that later lines find the shapes of earlier ones.
#[cfg(test)]
mod template_oracle {
    use lineproto::{Dialect, EncoderOptions};
    use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
    use opentelemetry_proto::tonic::common::v1::{
        AnyValue, InstrumentationScope, KeyValue, any_value::Value,
    };
    use opentelemetry_proto::tonic::metrics::v1::{
        Exemplar, Gauge, Histogram, HistogramDataPoint, Metric, NumberDataPoint, ResourceMetrics,
        ScopeMetrics, Sum, Summary, SummaryDataPoint, exemplar, metric::Data, number_data_point,
        summary_data_point::ValueAtQuantile,
    };
    use opentelemetry_proto::tonic::resource::v1::Resource;
    use proptest::prelude::*;

    use crate::{MappingConfig, MappingReport, MetricsSchema, OtlpMapper};

    fn attributes() -> impl Strategy<Value = Vec<KeyValue>> {
        // Keys past 8 bytes with a common start, keys the schema writes too, a refused key.
        let key = prop::sample::select(vec![
            "a",
            "b",
            "le",
            "quantile",
            "metric",
            "time",
            "z\n",
            "service.nameA",
            "service.nameB",
        ]);
        let value = prop::sample::select(vec!["", "x", "y z", "1", "a\\"]);
        prop::collection::vec((key, value), 0..4).prop_map(|pairs| {
            pairs
                .into_iter()
                .map(|(key, value)| KeyValue {
                    key: key.into(),
                    value: Some(AnyValue {
                        value: Some(Value::StringValue(value.into())),
                    }),
                    ..Default::default()
                })
                .collect()
        })
    }

    fn exemplar() -> impl Strategy<Value = Exemplar> {
        (attributes(), 0u8..3).prop_map(|(filtered_attributes, id)| Exemplar {
            filtered_attributes,
            time_unix_nano: 5,
            trace_id: vec![id; 16],
            span_id: vec![1; 8],
            value: Some(exemplar::Value::AsDouble(0.5)),
        })
    }

    fn number_point() -> impl Strategy<Value = NumberDataPoint> {
        let value = prop_oneof![
            4 => (-2.0f64..2.0).prop_map(Some),
            1 => Just(Some(f64::NAN)),
            1 => Just(None),
        ];
        let exemplars = prop::collection::vec(exemplar(), 0..2);
        (attributes(), 0u64..3, value, exemplars).prop_map(
            |(attributes, start, value, exemplars)| NumberDataPoint {
                attributes,
                start_time_unix_nano: start,
                time_unix_nano: 7,
                value: value.map(number_data_point::Value::AsDouble),
                exemplars,
                ..Default::default()
            },
        )
    }

    fn histogram_point() -> impl Strategy<Value = HistogramDataPoint> {
        let bounds = prop::sample::select(vec![vec![], vec![1.0], vec![0.5, 1.0], vec![1.0, 1.0]]);
        (
            attributes(),
            bounds,
            any::<bool>(),
            prop_oneof![
                Just(None),
                (0.0f64..9.0).prop_map(Some),
                Just(Some(f64::INFINITY))
            ],
        )
            .prop_map(
                |(attributes, explicit_bounds, overflow, sum)| HistogramDataPoint {
                    attributes,
                    time_unix_nano: 7,
                    count: 3,
                    bucket_counts: (0..explicit_bounds.len() + usize::from(overflow))
                        .map(|i| i as u64)
                        .collect(),
                    explicit_bounds,
                    sum,
                    ..Default::default()
                },
            )
    }

    fn metric() -> impl Strategy<Value = Metric> {
        let name = prop::sample::select(vec!["m", "m", "n", "m/x", "m_x", "", "prometheus"]);
        let data = prop_oneof![
            prop::collection::vec(number_point(), 1..4)
                .prop_map(|data_points| Data::Gauge(Gauge { data_points })),
            prop::collection::vec(number_point(), 1..4).prop_map(|data_points| Data::Sum(Sum {
                data_points,
                aggregation_temporality: 2,
                is_monotonic: true,
            })),
            prop::collection::vec(histogram_point(), 1..4).prop_map(|data_points| {
                Data::Histogram(Histogram {
                    data_points,
                    aggregation_temporality: 2,
                })
            }),
            attributes().prop_map(|attributes| Data::Summary(Summary {
                data_points: vec![SummaryDataPoint {
                    attributes,
                    time_unix_nano: 7,
                    count: 2,
                    sum: 1.5,
                    quantile_values: vec![ValueAtQuantile {
                        quantile: 0.5,
                        value: 1.0,
                    }],
                    ..Default::default()
                }],
            })),
        ];
        (name, data).prop_map(|(name, data)| Metric {
            name: name.into(),
            unit: "s".into(),
            data: Some(data),
            ..Default::default()
        })
    }

    fn request() -> impl Strategy<Value = ExportMetricsServiceRequest> {
        // Without a scope name, lines may have no tag: Datalayers' fallback tag then.
        let name = prop::sample::select(vec!["", "lib"]);
        let scope = (name, attributes(), prop::collection::vec(metric(), 1..5)).prop_map(
            |(name, attributes, metrics)| ScopeMetrics {
                scope: Some(InstrumentationScope {
                    name: name.into(),
                    attributes,
                    ..Default::default()
                }),
                metrics,
                ..Default::default()
            },
        );
        prop::collection::vec((attributes(), prop::collection::vec(scope, 1..3)), 1..3).prop_map(
            |resources| ExportMetricsServiceRequest {
                resource_metrics: resources
                    .into_iter()
                    .map(|(attributes, scope_metrics)| ResourceMetrics {
                        resource: Some(Resource {
                            attributes,
                            ..Default::default()
                        }),
                        scope_metrics,
                        ..Default::default()
                    })
                    .collect(),
            },
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]
        #[test]
        fn templated_lines_are_plain_lines(request in request()) {
            for &schema in MetricsSchema::ALL {
                for &dialect in Dialect::ALL {
                    let config = MappingConfig::default()
                        .with_metrics_schema(schema)
                        .with_encoder(EncoderOptions::new(dialect));
                    let mut templated = OtlpMapper::new(config.clone()).unwrap();
                    let mut plain = OtlpMapper::new(config).unwrap();
                    plain.metric_writer = super::MetricWriter::new(schema).without_templates();
                    let mut written = Vec::new();
                    for mapper in [&mut templated, &mut plain] {
                        let mut out = mapper.new_encoder();
                        let mut report = MappingReport::new();
                        for _ in 0..2 {
                            mapper.map_proto_metrics(&request, &mut out, &mut report);
                        }
                        written.push((String::from_utf8(out.as_bytes().to_vec()).unwrap(), report));
                    }
                    prop_assert_eq!(&written[0], &written[1], "{} {}", schema, dialect);
                }
            }
        }
    }
}
