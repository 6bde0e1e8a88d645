//! A decoded OTLP/JSON metrics request (`crate::decode`), read through the view traits. A point
//! that could not be decoded, or whose metric, scope or resource could not be read, is counted
//! as received and rejected.

use super::exponential::{ExplicitBuckets, ExponentialSide};
use super::proto::temporality;
use super::schema::{MetricWriter, Out};
use super::scratch::TagSet;
use super::view::{
    ExemplarView, HistogramPointView, HistogramStats, MetricDesc, MetricKind, Number,
    NumberPointView, PointView, SummaryPointView,
};
use crate::MappingReport;
use crate::decode::json::model::{
    Exemplar, ExponentialHistogramPoint, HistogramPoint, Item, KeyValue, Metric, MetricData,
    Number as JsonNumber, NumberPoint, Request, ScopeMetrics, SummaryPoint,
};
use crate::value::AttributeValue;

impl crate::OtlpMapper {
    /// Maps a decoded OTLP/JSON metrics request (see [`crate::metrics`]).
    pub(crate) fn map_json_metrics(
        &mut self,
        request: &Request<'_, ScopeMetrics<'_>>,
        out: &mut lineproto::Encoder,
        report: &mut MappingReport,
    ) {
        write(&mut self.metric_writer, request, out, report);
    }
}

/// Writes every point of `request`.
fn write(
    writer: &mut MetricWriter,
    request: &Request<'_, ScopeMetrics<'_>>,
    encoder: &mut lineproto::Encoder,
    report: &mut MappingReport,
) {
    let out = &mut Out { encoder, report };
    for resource in &request.resources {
        for scope_metrics in &resource.scopes {
            let scope = &scope_metrics.scope;
            writer.set_base_tags(|tags| {
                push_attributes(tags, &resource.resource.attributes.items);
                MetricWriter::push_library_tags(tags, &scope.name, &scope.version);
                push_attributes(tags, &scope.attributes.items);
            });
            for metric in &scope_metrics.metrics {
                if resource.bad || scope_metrics.bad || metric.bad {
                    for _ in 0..metric.point_count() {
                        out.report.data_points.record(false);
                    }
                    continue;
                }
                write_metric(writer, metric, out);
            }
        }
    }
}

fn write_metric(writer: &mut MetricWriter, metric: &Metric<'_>, out: &mut Out<'_>) {
    let desc = |kind| MetricDesc {
        name: &metric.name,
        unit: &metric.unit,
        kind,
    };
    let rejected = |out: &mut Out<'_>| out.report.data_points.record(false);
    match &metric.data {
        // An empty metric has no point to write (the reference skips it too).
        MetricData::None => {}
        MetricData::Gauge(points) => {
            let desc = desc(MetricKind::Gauge);
            for point in &points.0 {
                match point {
                    Item::Decoded(point) => writer.number_point(&desc, point, out),
                    Item::Undecodable => rejected(out),
                }
            }
        }
        MetricData::Sum {
            points,
            temporality: t,
            monotonic,
        } => {
            let desc = desc(MetricKind::Sum {
                monotonic: *monotonic,
                temporality: temporality(*t),
            });
            for point in &points.0 {
                match point {
                    Item::Decoded(point) => writer.number_point(&desc, point, out),
                    Item::Undecodable => rejected(out),
                }
            }
        }
        MetricData::Histogram {
            points,
            temporality: t,
        } => {
            let desc = desc(MetricKind::Histogram(temporality(*t)));
            for point in &points.0 {
                match point {
                    Item::Decoded(point) => writer.histogram_point(&desc, point, out),
                    Item::Undecodable => rejected(out),
                }
            }
        }
        MetricData::ExponentialHistogram {
            points,
            temporality: t,
        } => {
            let desc = desc(MetricKind::ExponentialHistogram(temporality(*t)));
            for point in &points.0 {
                match point {
                    Item::Decoded(point) => writer.histogram_point(&desc, point, out),
                    Item::Undecodable => rejected(out),
                }
            }
        }
        MetricData::Summary(points) => {
            let desc = desc(MetricKind::Summary);
            for point in &points.0 {
                match point {
                    Item::Decoded(point) => writer.summary_point(&desc, point, out),
                    Item::Undecodable => rejected(out),
                }
            }
        }
    }
}

fn push_attributes(tags: &mut TagSet, attributes: &[KeyValue<'_>]) {
    tags.extend(attributes.iter().map(|kv| (&*kv.key, kv.value.view())));
}

fn number(value: JsonNumber) -> Number {
    match value {
        JsonNumber::Double(v) => Number::Double(v),
        JsonNumber::Int(v) => Number::Int(v),
    }
}

/// The parts every data point type has.
macro_rules! json_point_view {
    ($point:ident, |$p:ident| $exemplars:expr) => {
        impl PointView for $point<'_> {
            fn push_attributes(&self, tags: &mut TagSet) {
                push_attributes(tags, &self.attributes.items);
            }
            fn start_time_unix_nano(&self) -> u64 {
                self.start_time_unix_nano
            }
            fn time_unix_nano(&self) -> u64 {
                self.time_unix_nano
            }
            fn for_each_exemplar(&self, f: &mut dyn FnMut(&dyn ExemplarView)) {
                let $p = self;
                let exemplars: &[Exemplar<'_>] = $exemplars;
                for exemplar in exemplars {
                    f(exemplar);
                }
            }
        }
    };
}
json_point_view!(NumberPoint, |p| &p.exemplars.items);
json_point_view!(HistogramPoint, |p| &p.exemplars.items);
json_point_view!(ExponentialHistogramPoint, |p| &p.exemplars.items);
json_point_view!(SummaryPoint, |_p| &[]);

impl ExemplarView for Exemplar<'_> {
    fn push_attributes(&self, tags: &mut TagSet) {
        push_attributes(tags, &self.filtered_attributes.items);
    }
    fn time_unix_nano(&self) -> u64 {
        self.time_unix_nano
    }
    fn value(&self) -> Option<Number> {
        self.value.map(number)
    }
    fn trace_id(&self) -> &[u8] {
        &self.trace_id
    }
    fn span_id(&self) -> &[u8] {
        &self.span_id
    }
}

impl NumberPointView for NumberPoint<'_> {
    fn value(&self) -> Option<Number> {
        self.value.map(number)
    }
}

impl HistogramPointView for HistogramPoint<'_> {
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

impl HistogramPointView for ExponentialHistogramPoint<'_> {
    fn stats(&self) -> HistogramStats {
        HistogramStats {
            count: self.count,
            sum: self.sum,
            min: self.min,
            max: self.max,
        }
    }
    fn buckets<'s>(&'s self, scratch: &'s mut ExplicitBuckets) -> (&'s [f64], &'s [u64]) {
        let side = |buckets: &'s crate::decode::json::model::ExponentialBuckets| ExponentialSide {
            offset: buckets.offset,
            counts: buckets.bucket_counts.iter().copied(),
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

impl SummaryPointView for SummaryPoint<'_> {
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
