//! OTLP protobuf metrics read in place from a validated request body (`crate::decode`), seen
//! through the metric views: points are read from the body, histogram buckets decoded into the
//! writer's reused bucket scratch.

use super::exponential::{ExplicitBuckets, ExponentialSide};
use super::proto::temporality;
use super::schema::{MetricWriter, Out};
use super::scratch::TagSet;
use super::view::{
    ExemplarView, HistogramPointView, HistogramStats, MetricDesc, MetricKind, Number,
    NumberPointView, PointView, SummaryPointView,
};
use crate::decode::protobuf::wire::{Fields, attributes, messages, packed_fixed64, packed_varint};
use crate::{MappingReport, OtlpMapper};

impl OtlpMapper {
    /// Maps a validated `ExportMetricsServiceRequest` body, read in place.
    pub(crate) fn map_wire_metrics(
        &mut self,
        body: &[u8],
        out: &mut lineproto::Encoder,
        report: &mut MappingReport,
    ) {
        write(
            &mut self.metric_writer,
            body,
            &mut Out {
                encoder: out,
                report,
            },
        );
    }
}

fn write(writer: &mut MetricWriter, body: &[u8], out: &mut Out<'_>) {
    for resource_metrics in messages(body, 1) {
        for scope_metrics in messages(resource_metrics, 2) {
            writer.set_base_tags(|tags| {
                for resource in messages(resource_metrics, 1) {
                    tags.extend(attributes(resource, 1));
                }
                // Scope name and version: the last given wins (prost merges the scopes).
                let (mut name, mut version) = ("", "");
                for scope in messages(scope_metrics, 1) {
                    for (number, value) in Fields::new(scope) {
                        match number {
                            1 => name = value.str(),
                            2 => version = value.str(),
                            _ => {}
                        }
                    }
                }
                MetricWriter::push_library_tags(tags, name, version);
                for scope in messages(scope_metrics, 1) {
                    tags.extend(attributes(scope, 3));
                }
            });
            for metric in messages(scope_metrics, 2) {
                write_metric(writer, metric, out);
            }
        }
    }
}

/// The data of a metric: its kind (field number of the oneof member prost keeps: the last one
/// given) and the occurrences of that member prost merges (those after the last other member).
fn data(metric: &[u8]) -> Option<(u32, usize)> {
    let mut kind = None;
    let mut from = 0;
    for (index, (number, _)) in Fields::new(metric).enumerate() {
        if matches!(number, 5 | 7 | 9 | 10 | 11) {
            if kind != Some(number) {
                from = index;
            }
            kind = Some(number);
        }
    }
    kind.map(|kind| (kind, from))
}

fn write_metric(writer: &mut MetricWriter, metric: &[u8], out: &mut Out<'_>) {
    let (mut name, mut unit) = ("", "");
    for (number, value) in Fields::new(metric) {
        match number {
            1 => name = value.str(),
            3 => unit = value.str(),
            _ => {}
        }
    }
    // An empty metric has no point to write (the reference skips it too).
    let Some((kind, from)) = data(metric) else {
        return;
    };
    let parts = || {
        Fields::new(metric)
            .enumerate()
            .filter(move |(index, (number, _))| *index >= from && *number == kind)
            .map(|(_, (_, value))| value.bytes())
    };
    // Aggregation temporality and monotonicity: the last given wins.
    let last = |field: u32| {
        parts()
            .flat_map(Fields::new)
            .filter(|(number, _)| *number == field)
            .last()
            .map(|(_, value)| value.u64())
            .unwrap_or(0)
    };
    let points = || parts().flat_map(|part| messages(part, 1));
    let desc = |kind| MetricDesc { name, unit, kind };
    match kind {
        5 => {
            let desc = desc(MetricKind::Gauge);
            for point in points() {
                writer.number_point(&desc, &WireNumberPoint::read(point), out);
            }
        }
        7 => {
            let desc = desc(MetricKind::Sum {
                monotonic: last(3) != 0,
                temporality: temporality(last(2) as i32),
            });
            for point in points() {
                writer.number_point(&desc, &WireNumberPoint::read(point), out);
            }
        }
        9 => {
            let desc = desc(MetricKind::Histogram(temporality(last(2) as i32)));
            for point in points() {
                writer.histogram_point(&desc, &WireHistogramPoint::read(point), out);
            }
        }
        10 => {
            let desc = desc(MetricKind::ExponentialHistogram(
                temporality(last(2) as i32),
            ));
            for point in points() {
                writer.histogram_point(&desc, &WireExponentialPoint::read(point), out);
            }
        }
        _ => {
            let desc = desc(MetricKind::Summary);
            for point in points() {
                writer.summary_point(&desc, &WireSummaryPoint::read(point), out);
            }
        }
    }
}

/// What every point type has: attributes (field `attributes`), times (fields 2 and 3), and
/// exemplars (field `exemplars`, 0 for none).
#[derive(Debug, Clone, Copy, Default)]
struct Common<'b> {
    message: &'b [u8],
    attributes: u32,
    exemplars: u32,
    start: u64,
    time: u64,
}

impl PointView for Common<'_> {
    fn push_attributes(&self, tags: &mut TagSet) {
        tags.extend(attributes(self.message, self.attributes));
    }
    fn start_time_unix_nano(&self) -> u64 {
        self.start
    }
    fn time_unix_nano(&self) -> u64 {
        self.time
    }
    fn for_each_exemplar(&self, f: &mut dyn FnMut(&dyn ExemplarView)) {
        if self.exemplars == 0 {
            return;
        }
        for exemplar in messages(self.message, self.exemplars) {
            f(&WireExemplar::read(exemplar));
        }
    }
}

/// Delegates the common parts of a point view to its `common` field.
macro_rules! point_view {
    ($point:ident) => {
        impl PointView for $point<'_> {
            fn push_attributes(&self, tags: &mut TagSet) {
                self.common.push_attributes(tags);
            }
            fn start_time_unix_nano(&self) -> u64 {
                self.common.start
            }
            fn time_unix_nano(&self) -> u64 {
                self.common.time
            }
            fn for_each_exemplar(&self, f: &mut dyn FnMut(&dyn ExemplarView)) {
                self.common.for_each_exemplar(f);
            }
        }
    };
}

/// A gauge or sum point.
#[derive(Debug, Clone, Copy, Default)]
struct WireNumberPoint<'b> {
    common: Common<'b>,
    value: Option<Number>,
}

impl<'b> WireNumberPoint<'b> {
    fn read(message: &'b [u8]) -> Self {
        let mut point = Self {
            common: Common {
                message,
                attributes: 7,
                exemplars: 5,
                ..Common::default()
            },
            value: None,
        };
        for (number, value) in Fields::new(message) {
            match number {
                2 => point.common.start = value.fixed64(),
                3 => point.common.time = value.fixed64(),
                4 => point.value = Some(Number::Double(value.f64())),
                6 => point.value = Some(Number::Int(value.fixed64() as i64)),
                _ => {}
            }
        }
        point
    }
}

point_view!(WireNumberPoint);

impl NumberPointView for WireNumberPoint<'_> {
    fn value(&self) -> Option<Number> {
        self.value
    }
}

/// An explicit-bound histogram point.
#[derive(Debug, Clone, Copy, Default)]
struct WireHistogramPoint<'b> {
    common: Common<'b>,
    stats: Stats,
}

/// Count, sum, min and max as the point gives them.
#[derive(Debug, Clone, Copy, Default)]
struct Stats {
    count: u64,
    sum: Option<f64>,
    min: Option<f64>,
    max: Option<f64>,
}

impl From<Stats> for HistogramStats {
    fn from(s: Stats) -> Self {
        Self {
            count: s.count,
            sum: s.sum,
            min: s.min,
            max: s.max,
        }
    }
}

impl<'b> WireHistogramPoint<'b> {
    fn read(message: &'b [u8]) -> Self {
        let mut point = Self {
            common: Common {
                message,
                attributes: 9,
                exemplars: 8,
                ..Common::default()
            },
            stats: Stats::default(),
        };
        for (number, value) in Fields::new(message) {
            match number {
                2 => point.common.start = value.fixed64(),
                3 => point.common.time = value.fixed64(),
                4 => point.stats.count = value.fixed64(),
                5 => point.stats.sum = Some(value.f64()),
                11 => point.stats.min = Some(value.f64()),
                12 => point.stats.max = Some(value.f64()),
                _ => {}
            }
        }
        point
    }
}

point_view!(WireHistogramPoint);

impl HistogramPointView for WireHistogramPoint<'_> {
    fn stats(&self) -> HistogramStats {
        self.stats.into()
    }
    fn buckets<'s>(&'s self, scratch: &'s mut ExplicitBuckets) -> (&'s [f64], &'s [u64]) {
        let message = self.common.message;
        scratch.bounds.clear();
        scratch
            .bounds
            .extend(packed_fixed64(message, 7).map(f64::from_bits));
        scratch.counts.clear();
        scratch.counts.extend(packed_fixed64(message, 6));
        (&scratch.bounds, &scratch.counts)
    }
}

/// An exponential histogram point.
#[derive(Debug, Clone, Copy, Default)]
struct WireExponentialPoint<'b> {
    common: Common<'b>,
    stats: Stats,
    scale: i32,
    zero_count: u64,
    zero_threshold: f64,
}

impl<'b> WireExponentialPoint<'b> {
    fn read(message: &'b [u8]) -> Self {
        let mut point = Self {
            common: Common {
                message,
                attributes: 1,
                exemplars: 11,
                ..Common::default()
            },
            ..Self::default()
        };
        for (number, value) in Fields::new(message) {
            match number {
                2 => point.common.start = value.fixed64(),
                3 => point.common.time = value.fixed64(),
                4 => point.stats.count = value.fixed64(),
                5 => point.stats.sum = Some(value.f64()),
                6 => point.scale = value.sint32(),
                7 => point.zero_count = value.fixed64(),
                12 => point.stats.min = Some(value.f64()),
                13 => point.stats.max = Some(value.f64()),
                14 => point.zero_threshold = value.f64(),
                _ => {}
            }
        }
        point
    }

    /// One side (field 8 positive, 9 negative), its occurrences merged as prost merges them:
    /// the last offset, the bucket counts in order.
    fn side(&self, field: u32) -> ExponentialSide<impl Iterator<Item = u64> + '_> {
        let message = self.common.message;
        let offset = messages(message, field)
            .flat_map(Fields::new)
            .filter(|(number, _)| *number == 1)
            .last()
            .map_or(0, |(_, value)| value.sint32());
        ExponentialSide {
            offset,
            counts: messages(message, field).flat_map(|side| packed_varint(side, 2)),
        }
    }
}

point_view!(WireExponentialPoint);

impl HistogramPointView for WireExponentialPoint<'_> {
    fn stats(&self) -> HistogramStats {
        self.stats.into()
    }
    fn buckets<'s>(&'s self, scratch: &'s mut ExplicitBuckets) -> (&'s [f64], &'s [u64]) {
        scratch.set_from_exponential(
            self.scale,
            self.zero_count,
            self.zero_threshold,
            self.side(8),
            self.side(9),
        );
        (&scratch.bounds, &scratch.counts)
    }
}

/// A summary point.
#[derive(Debug, Clone, Copy, Default)]
struct WireSummaryPoint<'b> {
    common: Common<'b>,
    count: u64,
    sum: f64,
}

impl<'b> WireSummaryPoint<'b> {
    fn read(message: &'b [u8]) -> Self {
        let mut point = Self {
            common: Common {
                message,
                attributes: 7,
                exemplars: 0,
                ..Common::default()
            },
            ..Self::default()
        };
        for (number, value) in Fields::new(message) {
            match number {
                2 => point.common.start = value.fixed64(),
                3 => point.common.time = value.fixed64(),
                4 => point.count = value.fixed64(),
                5 => point.sum = value.f64(),
                _ => {}
            }
        }
        point
    }
}

point_view!(WireSummaryPoint);

impl SummaryPointView for WireSummaryPoint<'_> {
    fn count(&self) -> u64 {
        self.count
    }
    fn sum(&self) -> f64 {
        self.sum
    }
    fn for_each_quantile(&self, f: &mut dyn FnMut(f64, f64)) {
        for quantile in messages(self.common.message, 6) {
            let (mut q, mut v) = (0.0, 0.0);
            for (number, value) in Fields::new(quantile) {
                match number {
                    1 => q = value.f64(),
                    2 => v = value.f64(),
                    _ => {}
                }
            }
            f(q, v);
        }
    }
}

/// An exemplar.
#[derive(Debug, Clone, Copy, Default)]
struct WireExemplar<'b> {
    message: &'b [u8],
    time: u64,
    value: Option<Number>,
    span_id: &'b [u8],
    trace_id: &'b [u8],
}

impl<'b> WireExemplar<'b> {
    fn read(message: &'b [u8]) -> Self {
        let mut exemplar = Self {
            message,
            ..Self::default()
        };
        for (number, value) in Fields::new(message) {
            match number {
                2 => exemplar.time = value.fixed64(),
                3 => exemplar.value = Some(Number::Double(value.f64())),
                4 => exemplar.span_id = value.bytes(),
                5 => exemplar.trace_id = value.bytes(),
                6 => exemplar.value = Some(Number::Int(value.fixed64() as i64)),
                _ => {}
            }
        }
        exemplar
    }
}

impl ExemplarView for WireExemplar<'_> {
    fn push_attributes(&self, tags: &mut TagSet) {
        tags.extend(attributes(self.message, 7));
    }
    fn time_unix_nano(&self) -> u64 {
        self.time
    }
    fn value(&self) -> Option<Number> {
        self.value
    }
    fn trace_id(&self) -> &[u8] {
        self.trace_id
    }
    fn span_id(&self) -> &[u8] {
        self.span_id
    }
}
