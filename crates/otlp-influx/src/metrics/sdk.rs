//! The SDK's `ResourceMetrics`, read through the view traits (no conversion to protobuf).

use std::time::SystemTime;

use opentelemetry::KeyValue;
use opentelemetry_sdk::metrics::Temporality as SdkTemporality;
use opentelemetry_sdk::metrics::data::{
    AggregatedMetrics, Exemplar, ExponentialHistogramDataPoint, GaugeDataPoint, HistogramDataPoint,
    Metric, MetricData, ResourceMetrics, SumDataPoint,
};

use super::exponential::{ExplicitBuckets, ExponentialSide};
use super::schema::{MetricWriter, Out};
use super::scratch::TagSet;
use super::view::{
    ExemplarView, HistogramPointView, HistogramStats, MetricDesc, MetricKind, Number,
    NumberPointView, PointView, Temporality,
};
use crate::value::AttributeValue;
use crate::view::system_time_ns;

/// Writes every point of `metrics`.
pub(crate) fn write(writer: &mut MetricWriter, metrics: &ResourceMetrics, out: &mut Out<'_>) {
    for scope_metrics in metrics.scope_metrics() {
        let scope = scope_metrics.scope();
        writer.set_base_tags(|tags| {
            for (key, value) in metrics.resource() {
                tags.push(key.as_str(), value);
            }
            MetricWriter::push_library_tags(tags, scope.name(), scope.version().unwrap_or(""));
            push_attributes(tags, scope.attributes());
        });
        for metric in scope_metrics.metrics() {
            match metric.data() {
                AggregatedMetrics::F64(data) => write_data(writer, metric, data, out),
                AggregatedMetrics::U64(data) => write_data(writer, metric, data, out),
                AggregatedMetrics::I64(data) => write_data(writer, metric, data, out),
            }
        }
    }
}

fn write_data<T: SdkNumber>(
    writer: &mut MetricWriter,
    metric: &Metric,
    data: &MetricData<T>,
    out: &mut Out<'_>,
) {
    let desc = |kind| MetricDesc {
        name: metric.name(),
        unit: metric.unit(),
        kind,
    };
    match data {
        MetricData::Gauge(gauge) => {
            let desc = desc(MetricKind::Gauge);
            let (start, time) = (gauge.start_time().map_or(0, nanos), nanos(gauge.time()));
            for point in gauge.data_points() {
                writer.number_point(&desc, &SdkPoint { point, start, time }, out);
            }
        }
        MetricData::Sum(sum) => {
            let kind = MetricKind::Sum {
                monotonic: sum.is_monotonic(),
                temporality: temporality(sum.temporality()),
            };
            let desc = desc(kind);
            let (start, time) = (nanos(sum.start_time()), nanos(sum.time()));
            for point in sum.data_points() {
                writer.number_point(&desc, &SdkPoint { point, start, time }, out);
            }
        }
        MetricData::Histogram(histogram) => {
            let desc = desc(MetricKind::Histogram(temporality(histogram.temporality())));
            let (start, time) = (nanos(histogram.start_time()), nanos(histogram.time()));
            for point in histogram.data_points() {
                writer.histogram_point(&desc, &SdkPoint { point, start, time }, out);
            }
        }
        MetricData::ExponentialHistogram(histogram) => {
            let desc = desc(MetricKind::ExponentialHistogram(temporality(
                histogram.temporality(),
            )));
            let (start, time) = (nanos(histogram.start_time()), nanos(histogram.time()));
            for point in histogram.data_points() {
                writer.histogram_point(&desc, &SdkPoint { point, start, time }, out);
            }
        }
    }
}

/// Unix nanoseconds in OTLP's `u64` (a time before 1970 wraps, and is written negative again).
fn nanos(time: SystemTime) -> u64 {
    system_time_ns(time) as u64
}

/// `LowMemory` is a reader preference, not a data temporality; the SDK resolves it before
/// aggregating. If it ever shows up here it is read as cumulative, as `opentelemetry-proto` does.
fn temporality(temporality: SdkTemporality) -> Temporality {
    match temporality {
        SdkTemporality::Delta => Temporality::Delta,
        _ => Temporality::Cumulative,
    }
}

fn push_attributes<'a>(tags: &mut TagSet, attributes: impl Iterator<Item = &'a KeyValue>) {
    tags.extend(attributes.map(|kv| (kv.key.as_str(), kv.value.view())));
}

/// The SDK's value types.
trait SdkNumber: Copy {
    fn number(self) -> Number;
    fn to_f64(self) -> f64;
}

impl SdkNumber for f64 {
    fn number(self) -> Number {
        Number::Double(self)
    }
    fn to_f64(self) -> f64 {
        self
    }
}

impl SdkNumber for i64 {
    fn number(self) -> Number {
        Number::Int(self)
    }
    fn to_f64(self) -> f64 {
        self as f64
    }
}

impl SdkNumber for u64 {
    fn number(self) -> Number {
        Number::from_u64(self)
    }
    fn to_f64(self) -> f64 {
        self as f64
    }
}

/// Histogram stats from the SDK's value type (the SDK always records the sum).
fn stats<T: SdkNumber>(count: u64, sum: T, min: Option<T>, max: Option<T>) -> HistogramStats {
    HistogramStats {
        count,
        sum: Some(sum.to_f64()),
        min: min.map(SdkNumber::to_f64),
        max: max.map(SdkNumber::to_f64),
    }
}

/// An SDK data point with the times that the SDK keeps on its parent aggregation.
struct SdkPoint<'a, P> {
    point: &'a P,
    start: u64,
    time: u64,
}

/// What all SDK data point types share.
trait SdkDataPoint {
    type Value: SdkNumber;
    fn attributes(&self) -> impl Iterator<Item = &KeyValue>;
    fn exemplars(&self) -> impl Iterator<Item = &Exemplar<Self::Value>>;
}

macro_rules! sdk_data_point {
    ($($point:ident),*) => {$(
        impl<T: SdkNumber> SdkDataPoint for $point<T> {
            type Value = T;
            fn attributes(&self) -> impl Iterator<Item = &KeyValue> {
                $point::attributes(self)
            }
            fn exemplars(&self) -> impl Iterator<Item = &Exemplar<T>> {
                $point::exemplars(self)
            }
        }
    )*};
}
sdk_data_point!(
    GaugeDataPoint,
    SumDataPoint,
    HistogramDataPoint,
    ExponentialHistogramDataPoint
);

impl<P: SdkDataPoint> PointView for SdkPoint<'_, P> {
    fn push_attributes(&self, tags: &mut TagSet) {
        push_attributes(tags, self.point.attributes());
    }
    fn start_time_unix_nano(&self) -> u64 {
        self.start
    }
    fn time_unix_nano(&self) -> u64 {
        self.time
    }
    fn for_each_exemplar(&self, f: &mut dyn FnMut(&dyn ExemplarView)) {
        for exemplar in self.point.exemplars() {
            f(exemplar);
        }
    }
}

impl<T: SdkNumber> ExemplarView for Exemplar<T> {
    fn push_attributes(&self, tags: &mut TagSet) {
        push_attributes(tags, self.filtered_attributes());
    }
    fn time_unix_nano(&self) -> u64 {
        nanos(self.time())
    }
    fn value(&self) -> Option<Number> {
        Some(self.value.number())
    }
    fn trace_id(&self) -> &[u8] {
        Self::trace_id(self)
    }
    fn span_id(&self) -> &[u8] {
        Self::span_id(self)
    }
}

impl<T: SdkNumber> NumberPointView for SdkPoint<'_, GaugeDataPoint<T>> {
    fn value(&self) -> Option<Number> {
        Some(self.point.value().number())
    }
}

impl<T: SdkNumber> NumberPointView for SdkPoint<'_, SumDataPoint<T>> {
    fn value(&self) -> Option<Number> {
        Some(self.point.value().number())
    }
}

impl<T: SdkNumber> HistogramPointView for SdkPoint<'_, HistogramDataPoint<T>> {
    fn stats(&self) -> HistogramStats {
        let p = self.point;
        stats(p.count(), p.sum(), p.min(), p.max())
    }
    fn buckets<'s>(&'s self, scratch: &'s mut ExplicitBuckets) -> (&'s [f64], &'s [u64]) {
        // The SDK hands out iterators only: copy into the reused scratch.
        scratch.bounds.clear();
        scratch.bounds.extend(self.point.bounds());
        scratch.counts.clear();
        scratch.counts.extend(self.point.bucket_counts());
        (&scratch.bounds, &scratch.counts)
    }
}

impl<T: SdkNumber> HistogramPointView for SdkPoint<'_, ExponentialHistogramDataPoint<T>> {
    fn stats(&self) -> HistogramStats {
        let p = self.point;
        stats(p.count() as u64, p.sum(), p.min(), p.max())
    }
    fn buckets<'s>(&'s self, scratch: &'s mut ExplicitBuckets) -> (&'s [f64], &'s [u64]) {
        let (positive, negative) = (self.point.positive_bucket(), self.point.negative_bucket());
        scratch.set_from_exponential(
            i32::from(self.point.scale()),
            self.point.zero_count(),
            self.point.zero_threshold(),
            ExponentialSide {
                offset: positive.offset(),
                counts: positive.counts(),
            },
            ExponentialSide {
                offset: negative.offset(),
                counts: negative.counts(),
            },
        );
        (&scratch.bounds, &scratch.counts)
    }
}
