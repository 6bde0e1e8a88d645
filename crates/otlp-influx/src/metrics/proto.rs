//! OTLP's `ExportMetricsServiceRequest`, read through the view traits.

use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::metrics::v1::{
    AggregationTemporality, Exemplar, ExponentialHistogramDataPoint, HistogramDataPoint,
    NumberDataPoint, SummaryDataPoint, exemplar, exponential_histogram_data_point::Buckets,
    metric::Data, number_data_point,
};

use super::exponential::{ExplicitBuckets, ExponentialSide};
use super::schema::{MetricWriter, Out};
use super::scratch::TagSet;
use super::view::{
    ExemplarView, HistogramPointView, HistogramStats, MetricDesc, MetricKind, Number,
    NumberPointView, PointView, SummaryPointView, Temporality,
};
use crate::view::{proto_attrs, proto_resource_attrs};

/// Writes every point of `request`.
pub(crate) fn write(
    writer: &mut MetricWriter,
    request: &ExportMetricsServiceRequest,
    out: &mut Out<'_>,
) {
    for resource_metrics in &request.resource_metrics {
        let resource_attributes = proto_resource_attrs(resource_metrics.resource.as_ref());
        for scope_metrics in &resource_metrics.scope_metrics {
            writer.set_base_tags(|tags| {
                push_attributes(tags, resource_attributes);
                if let Some(scope) = &scope_metrics.scope {
                    MetricWriter::push_library_tags(tags, &scope.name, &scope.version);
                    push_attributes(tags, &scope.attributes);
                }
            });
            for metric in &scope_metrics.metrics {
                let desc = |kind| MetricDesc {
                    name: &metric.name,
                    unit: &metric.unit,
                    kind,
                };
                match &metric.data {
                    // An empty metric has no point to write (the reference skips it too).
                    None => {}
                    Some(Data::Gauge(gauge)) => {
                        let desc = desc(MetricKind::Gauge);
                        for point in &gauge.data_points {
                            writer.number_point(&desc, point, out);
                        }
                    }
                    Some(Data::Sum(sum)) => {
                        let temporality = temporality(sum.aggregation_temporality);
                        let desc = desc(MetricKind::Sum {
                            monotonic: sum.is_monotonic,
                            temporality,
                        });
                        for point in &sum.data_points {
                            writer.number_point(&desc, point, out);
                        }
                    }
                    Some(Data::Histogram(histogram)) => {
                        let desc = desc(MetricKind::Histogram(temporality(
                            histogram.aggregation_temporality,
                        )));
                        for point in &histogram.data_points {
                            writer.histogram_point(&desc, point, out);
                        }
                    }
                    Some(Data::ExponentialHistogram(histogram)) => {
                        let temporality = temporality(histogram.aggregation_temporality);
                        let desc = desc(MetricKind::ExponentialHistogram(temporality));
                        for point in &histogram.data_points {
                            writer.histogram_point(&desc, point, out);
                        }
                    }
                    Some(Data::Summary(summary)) => {
                        let desc = desc(MetricKind::Summary);
                        for point in &summary.data_points {
                            writer.summary_point(&desc, point, out);
                        }
                    }
                }
            }
        }
    }
}

pub(super) fn temporality(value: i32) -> Temporality {
    match AggregationTemporality::try_from(value) {
        Ok(AggregationTemporality::Delta) => Temporality::Delta,
        Ok(AggregationTemporality::Cumulative) => Temporality::Cumulative,
        _ => Temporality::Unspecified,
    }
}

fn push_attributes(tags: &mut TagSet, attributes: &[KeyValue]) {
    tags.extend(proto_attrs(attributes));
}

/// The parts every OTLP data point type has.
macro_rules! proto_point_view {
    ($point:ty, $exemplars:expr) => {
        impl PointView for $point {
            fn push_attributes(&self, tags: &mut TagSet) {
                push_attributes(tags, &self.attributes);
            }
            fn start_time_unix_nano(&self) -> u64 {
                self.start_time_unix_nano
            }
            fn time_unix_nano(&self) -> u64 {
                self.time_unix_nano
            }
            fn for_each_exemplar(&self, f: &mut dyn FnMut(&dyn ExemplarView)) {
                let exemplars: fn(&Self) -> &[Exemplar] = $exemplars;
                for exemplar in exemplars(self) {
                    f(exemplar);
                }
            }
        }
    };
}
proto_point_view!(NumberDataPoint, |p| &p.exemplars);
proto_point_view!(HistogramDataPoint, |p| &p.exemplars);
proto_point_view!(ExponentialHistogramDataPoint, |p| &p.exemplars);
proto_point_view!(SummaryDataPoint, |_| &[]);

impl ExemplarView for Exemplar {
    fn push_attributes(&self, tags: &mut TagSet) {
        push_attributes(tags, &self.filtered_attributes);
    }
    fn time_unix_nano(&self) -> u64 {
        self.time_unix_nano
    }
    fn value(&self) -> Option<Number> {
        self.value.map(|value| match value {
            exemplar::Value::AsDouble(v) => Number::Double(v),
            exemplar::Value::AsInt(v) => Number::Int(v),
        })
    }
    fn trace_id(&self) -> &[u8] {
        &self.trace_id
    }
    fn span_id(&self) -> &[u8] {
        &self.span_id
    }
}

impl NumberPointView for NumberDataPoint {
    fn value(&self) -> Option<Number> {
        self.value.map(|value| match value {
            number_data_point::Value::AsDouble(v) => Number::Double(v),
            number_data_point::Value::AsInt(v) => Number::Int(v),
        })
    }
}

impl HistogramPointView for HistogramDataPoint {
    fn stats(&self) -> HistogramStats {
        HistogramStats {
            count: self.count,
            sum: self.sum,
            min: self.min,
            max: self.max,
        }
    }
    fn buckets<'s>(&'s self, _: &'s mut ExplicitBuckets) -> (&'s [f64], &'s [u64]) {
        (&self.explicit_bounds, &self.bucket_counts)
    }
}

impl HistogramPointView for ExponentialHistogramDataPoint {
    fn stats(&self) -> HistogramStats {
        HistogramStats {
            count: self.count,
            sum: self.sum,
            min: self.min,
            max: self.max,
        }
    }
    fn buckets<'s>(&'s self, scratch: &'s mut ExplicitBuckets) -> (&'s [f64], &'s [u64]) {
        let side = |buckets: &'s Option<Buckets>| match buckets {
            Some(b) => ExponentialSide {
                offset: b.offset,
                counts: b.bucket_counts.iter().copied(),
            },
            None => ExponentialSide {
                offset: 0,
                counts: [].iter().copied(),
            },
        };
        scratch.set_from_exponential(
            self.scale,
            self.zero_count,
            self.zero_threshold,
            side(&self.positive),
            side(&self.negative),
        );
        (&scratch.bounds, &scratch.counts)
    }
}

impl SummaryPointView for SummaryDataPoint {
    fn count(&self) -> u64 {
        self.count
    }
    fn sum(&self) -> f64 {
        self.sum
    }
    fn for_each_quantile(&self, f: &mut dyn FnMut(f64, f64)) {
        for q in &self.quantile_values {
            f(q.quantile, q.value);
        }
    }
}
