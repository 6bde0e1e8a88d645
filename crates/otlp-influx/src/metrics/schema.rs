//! The three metrics schemas, written once over the view traits of `view.rs`.

use lineproto::{Dialect, Encoder};

use super::exponential::ExplicitBuckets;
use super::keys::push_go_decimal;
use super::scratch::{BoundKeys, FieldNumber, FieldSet, TagSet};
use super::shapes::{HeldKeys, KeyVersions, LineShapes};
use super::view::{
    ExemplarView, HistogramPointView, MetricDesc, MetricKind, Number, NumberPointView, PointView,
    SummaryPointView, Temporality,
};
use super::{
    EXEMPLAR_SUFFIX, FALLBACK_TAG_KEY, LIBRARY_NAME_TAG, LIBRARY_VERSION_TAG,
    PROMETHEUS_MEASUREMENT, START_TIME_FIELD,
};
use crate::config::MetricsSchema;
use crate::lines::HexId;
use crate::report::{DropReason, MappingReport};

/// Where lines go and where drops are counted.
pub(crate) struct Out<'o> {
    pub(crate) encoder: &'o mut Encoder,
    pub(crate) report: &'o mut MappingReport,
}

/// Writes metric points as lines in one schema. Holds only reusable scratch.
#[derive(Debug)]
pub(crate) struct MetricWriter {
    schema: MetricsSchema,
    /// Resource + scope tags (the base), then the current point's.
    tags: TagSet,
    exemplar_tags: TagSet,
    fields: FieldSet,
    buckets: ExplicitBuckets,
    /// Text of the last histogram's bounds (the points of a metric share them).
    bound_keys: BoundKeys,
    /// Measurement name or schema-derived key being built.
    name: String,
    /// Extra tag value (`le`, `quantile`).
    extra: String,
    /// Templates of the line shapes met so far (a bounded number), the Datalayers measurement.
    shapes: LineShapes,
}

impl MetricWriter {
    pub(crate) fn new(schema: MetricsSchema) -> Self {
        Self {
            schema,
            tags: TagSet::default(),
            exemplar_tags: TagSet::default(),
            fields: FieldSet::default(),
            buckets: ExplicitBuckets::default(),
            bound_keys: BoundKeys::default(),
            name: String::new(),
            extra: String::new(),
            shapes: LineShapes::default(),
        }
    }

    /// Tests: writes every line through the encoder's plain calls, as before line templates.
    #[cfg(test)]
    pub(crate) fn without_templates(mut self) -> Self {
        self.shapes.plain_only = true;
        self
    }

    /// Sets the base tags for the points that follow: `push` adds the resource attributes, then
    /// `otel.library.name`/`otel.library.version` and the scope attributes (later keys win).
    pub(crate) fn set_base_tags(&mut self, push: impl FnOnce(&mut TagSet)) {
        self.tags.clear();
        push(&mut self.tags);
        self.tags.mark_base();
    }

    /// The scope part of the base tags, between the resource and the scope attributes.
    pub(crate) fn push_library_tags(tags: &mut TagSet, name: &str, version: &str) {
        if !name.is_empty() {
            tags.push_str(LIBRARY_NAME_TAG, name);
        }
        if !version.is_empty() {
            tags.push_str(LIBRARY_VERSION_TAG, version);
        }
    }

    /// A gauge or sum point, then its exemplars; counted in `report.data_points`.
    pub(crate) fn number_point(
        &mut self,
        metric: &MetricDesc<'_>,
        point: &impl NumberPointView,
        out: &mut Out<'_>,
    ) {
        let lines_before = out.report.lines;
        let mapped = self.number_lines(metric, point, out);
        out.report
            .data_points
            .record(out.report.lines > lines_before);
        if mapped {
            self.exemplars(metric, point, out);
        }
    }

    /// The lines of a gauge or sum point; false when the point has none to write (counted).
    fn number_lines(
        &mut self,
        metric: &MetricDesc<'_>,
        point: &impl NumberPointView,
        out: &mut Out<'_>,
    ) -> bool {
        let Some(value) = point.value() else {
            out.report.record_drop(DropReason::EmptyPoint, || {
                format!("{}: data point without value", metric.name)
            });
            return false;
        };
        let value_field = number_field(value);
        self.begin_point(point);
        self.name.clear();
        match (self.schema, metric.kind) {
            (MetricsSchema::TelegrafPrometheusV1, kind) => {
                let key = if is_counter(kind) { "counter" } else { "gauge" };
                self.fields.push(key, value_field);
                self.name.push_str(metric.name);
            }
            (MetricsSchema::TelegrafPrometheusV2, _) => {
                self.fields.push(metric.name, value_field);
                self.name.push_str(PROMETHEUS_MEASUREMENT);
            }
            (
                MetricsSchema::OtelV1,
                MetricKind::Sum {
                    monotonic,
                    temporality,
                },
            ) => {
                let mono = if monotonic {
                    "monotonic"
                } else {
                    "nonmonotonic"
                };
                let key_parts = [temporality.lowercase(), mono, value.type_name()];
                self.fields.push_with(
                    |key| {
                        key.push_str("value");
                        for part in key_parts {
                            key.push('_');
                            key.push_str(part);
                        }
                    },
                    value_field,
                );
                push_otel_v1_measurement(&mut self.name, metric);
            }
            (MetricsSchema::OtelV1, kind) => {
                out.report.record_drop(DropReason::UnsupportedMetric, || {
                    format!(
                        "{}: otel-v1 has no layout for {}",
                        metric.name,
                        kind.lowercase()
                    )
                });
                return false;
            }
        }
        self.push_start_time(point);
        self.emit(metric, None, point.time_unix_nano(), out);
        true
    }

    /// A histogram point (explicit, or exponential converted to explicit bounds), then its
    /// exemplars; counted in `report.data_points`.
    pub(crate) fn histogram_point(
        &mut self,
        metric: &MetricDesc<'_>,
        point: &impl HistogramPointView,
        out: &mut Out<'_>,
    ) {
        let lines_before = out.report.lines;
        let mapped = self.histogram_checked(metric, point, out);
        out.report
            .data_points
            .record(out.report.lines > lines_before);
        if mapped {
            self.exemplars(metric, point, out);
        }
    }

    /// The lines of a histogram point whose buckets match its bounds; false when they do not
    /// (counted).
    fn histogram_checked(
        &mut self,
        metric: &MetricDesc<'_>,
        point: &impl HistogramPointView,
        out: &mut Out<'_>,
    ) -> bool {
        let mut buckets = std::mem::take(&mut self.buckets);
        let (bounds, counts) = point.buckets(&mut buckets);
        let valid =
            counts.is_empty() || counts.len() == bounds.len() || counts.len() == bounds.len() + 1;
        if !valid {
            let (n_counts, n_bounds) = (counts.len(), bounds.len());
            out.report.record_drop(DropReason::InvalidHistogram, || {
                format!(
                    "{}: {n_counts} bucket counts for {n_bounds} explicit bounds",
                    metric.name
                )
            });
        } else {
            self.histogram_lines(metric, point, bounds, counts, out);
        }
        self.buckets = buckets;
        valid
    }

    fn histogram_lines(
        &mut self,
        metric: &MetricDesc<'_>,
        point: &impl HistogramPointView,
        bounds: &[f64],
        counts: &[u64],
        out: &mut Out<'_>,
    ) {
        let time = point.time_unix_nano();
        self.begin_point(point);
        self.name.clear();
        self.bound_keys.set(bounds);
        match self.schema {
            MetricsSchema::TelegrafPrometheusV1 => {
                self.name.push_str(metric.name);
                self.push_histogram_stats(point, None);
                let mut cumulative = 0u64;
                for (i, count) in counts.iter().enumerate() {
                    cumulative = cumulative.saturating_add(*count);
                    self.fields.push_with(
                        |key| key.push_str(self.bound_keys.key(i)),
                        FieldNumber::F64(cumulative as f64),
                    );
                }
                self.push_start_time(point);
                self.emit(metric, None, time, out);
            }
            MetricsSchema::TelegrafPrometheusV2 => {
                self.name.push_str(PROMETHEUS_MEASUREMENT);
                self.push_histogram_stats(point, Some(metric.name));
                self.push_start_time(point);
                self.emit(metric, None, time, out);
                let mut cumulative = 0u64;
                for (i, count) in counts.iter().enumerate() {
                    cumulative = cumulative.saturating_add(*count);
                    self.extra.clear();
                    self.extra.push_str(self.bound_keys.key(i));
                    self.fields.push_with(
                        |key| {
                            key.push_str(metric.name);
                            key.push_str("_bucket");
                        },
                        FieldNumber::F64(cumulative as f64),
                    );
                    self.emit(metric, Some("le"), time, out);
                }
            }
            MetricsSchema::OtelV1 => {
                push_otel_v1_measurement(&mut self.name, metric);
                let temporality = match metric.kind {
                    MetricKind::Histogram(t) | MetricKind::ExponentialHistogram(t) => t,
                    _ => Temporality::Unspecified,
                };
                for (i, count) in counts.iter().take(bounds.len()).enumerate() {
                    self.fields.push_with(
                        |key| {
                            key.push_str(temporality.lowercase());
                            key.push('_');
                            key.push_str(self.bound_keys.key(i));
                        },
                        FieldNumber::U64(*count),
                    );
                }
                let stats = point.stats();
                self.fields.push("count", FieldNumber::U64(stats.count));
                if let Some(sum) = stats.sum {
                    self.fields.push("sum", FieldNumber::F64(sum));
                }
                if let (Some(min), Some(max)) = (stats.min, stats.max) {
                    self.fields.push("min", FieldNumber::F64(min));
                    self.fields.push("max", FieldNumber::F64(max));
                }
                self.push_start_time(point);
                self.emit(metric, None, time, out);
            }
        }
    }

    /// `count` (as a float), and `sum`, `min`, `max` when present, each key prefixed with
    /// `<prefix>_` when there is one.
    fn push_histogram_stats(&mut self, point: &impl HistogramPointView, prefix: Option<&str>) {
        let stats = point.stats();
        let fields = [
            ("count", Some(stats.count as f64)),
            ("sum", stats.sum),
            ("min", stats.min),
            ("max", stats.max),
        ];
        for (key, value) in fields {
            if let Some(value) = value {
                self.fields
                    .push_with(|k| push_prefixed(k, prefix, key), FieldNumber::F64(value));
            }
        }
    }

    /// A summary point; counted in `report.data_points`.
    pub(crate) fn summary_point(
        &mut self,
        metric: &MetricDesc<'_>,
        point: &impl SummaryPointView,
        out: &mut Out<'_>,
    ) {
        let lines_before = out.report.lines;
        self.summary_lines(metric, point, out);
        out.report
            .data_points
            .record(out.report.lines > lines_before);
    }

    fn summary_lines(
        &mut self,
        metric: &MetricDesc<'_>,
        point: &impl SummaryPointView,
        out: &mut Out<'_>,
    ) {
        let time = point.time_unix_nano();
        self.begin_point(point);
        self.name.clear();
        match self.schema {
            MetricsSchema::TelegrafPrometheusV1 => {
                self.name.push_str(metric.name);
                self.fields
                    .push("count", FieldNumber::F64(point.count() as f64));
                self.fields.push("sum", FieldNumber::F64(point.sum()));
                let fields = &mut self.fields;
                point.for_each_quantile(&mut |quantile, value| {
                    fields.push_with(
                        |key| push_go_decimal(key, quantile),
                        FieldNumber::F64(value),
                    );
                });
                self.push_start_time(point);
                self.emit(metric, None, time, out);
            }
            MetricsSchema::TelegrafPrometheusV2 => {
                self.name.push_str(PROMETHEUS_MEASUREMENT);
                self.fields.push_with(
                    |k| push_prefixed(k, Some(metric.name), "count"),
                    FieldNumber::F64(point.count() as f64),
                );
                self.fields.push_with(
                    |k| push_prefixed(k, Some(metric.name), "sum"),
                    FieldNumber::F64(point.sum()),
                );
                self.push_start_time(point);
                self.emit(metric, None, time, out);
                point.for_each_quantile(&mut |quantile, value| {
                    self.extra.clear();
                    push_go_decimal(&mut self.extra, quantile);
                    self.fields.push(metric.name, FieldNumber::F64(value));
                    self.emit(metric, Some("quantile"), time, out);
                });
            }
            MetricsSchema::OtelV1 => {
                out.report.record_drop(DropReason::UnsupportedMetric, || {
                    format!("{}: otel-v1 has no layout for summary", metric.name)
                });
            }
        }
    }

    /// Resets the point's tags to the base, adds the point's attributes, clears the fields.
    fn begin_point(&mut self, point: &impl PointView) {
        self.tags.truncate_to_base();
        point.push_attributes(&mut self.tags);
        self.tags.resolve();
        self.fields.clear();
    }

    fn push_start_time(&mut self, point: &impl PointView) {
        let start = point.start_time_unix_nano();
        if start != 0 {
            // pdata timestamps are uint64 cast to int64 by the reference (wrapping above 2^63).
            self.fields
                .push(START_TIME_FIELD, FieldNumber::I64(start as i64));
        }
    }

    /// One exemplar line per exemplar (v1 and v2): measurement `<name>_exemplar`, tags = the
    /// exemplar's filtered attributes + `trace_id` + `span_id`, field `gauge`.
    fn exemplars(&mut self, metric: &MetricDesc<'_>, point: &impl PointView, out: &mut Out<'_>) {
        if self.schema == MetricsSchema::OtelV1 {
            return; // otel-v1 writes no exemplars
        }
        point.for_each_exemplar(&mut |exemplar| self.exemplar(metric, exemplar, out));
    }

    fn exemplar(
        &mut self,
        metric: &MetricDesc<'_>,
        exemplar: &dyn ExemplarView,
        out: &mut Out<'_>,
    ) {
        let Some(value) = exemplar.value() else {
            out.report.record_drop(DropReason::EmptyPoint, || {
                format!("{}: exemplar without value", metric.name)
            });
            return;
        };
        let (trace_id, span_id) = (exemplar.trace_id(), exemplar.span_id());
        if !is_id(trace_id, 16) || !is_id(span_id, 8) {
            out.report.record_drop(DropReason::EmptyPoint, || {
                format!(
                    "{}: exemplar without trace or span id (the schema keys exemplars by them)",
                    metric.name
                )
            });
            return;
        }
        let tags = &mut self.exemplar_tags;
        tags.clear();
        exemplar.push_attributes(tags);
        tags.push_str("trace_id", HexId::<32>::new(trace_id).as_str());
        tags.push_str("span_id", HexId::<16>::new(span_id).as_str());
        tags.resolve();
        self.fields.clear();
        self.fields.push("gauge", number_field(value));
        self.name.clear();
        self.name.push_str(metric.name);
        self.name.push_str(EXEMPLAR_SUFFIX);
        let line = Line {
            tags: &self.exemplar_tags,
            extra: None,
        };
        write_line(
            line,
            &self.name,
            metric,
            &mut self.fields,
            &mut self.shapes,
            exemplar.time_unix_nano(),
            out,
        );
    }

    /// Writes the line in `self.name` with the point tags, `extra_key`=`self.extra` if given, and
    /// the collected fields; then clears the fields.
    fn emit(
        &mut self,
        metric: &MetricDesc<'_>,
        extra_key: Option<&'static str>,
        time: u64,
        out: &mut Out<'_>,
    ) {
        let line = Line {
            tags: &self.tags,
            extra: extra_key.map(|key| (key, self.extra.as_str())),
        };
        write_line(
            line,
            &self.name,
            metric,
            &mut self.fields,
            &mut self.shapes,
            time,
            out,
        );
    }
}

struct Line<'a> {
    tags: &'a TagSet,
    extra: Option<(&'static str, &'a str)>,
}

/// Writes one line: measurement (rewritten into the Datalayers rule for that dialect), tags in
/// key order with the extra tag merged in (it replaces an attribute of the same key), a fallback
/// tag when Datalayers would get none, fields sorted by key with NaN/infinity skipped and counted.
/// A line left without fields, or refused by the encoder, is counted and not written.
fn write_line(
    line: Line<'_>,
    measurement: &str,
    metric: &MetricDesc<'_>,
    fields: &mut FieldSet,
    shapes: &mut LineShapes,
    time: u64,
    out: &mut Out<'_>,
) {
    let non_finite = fields.remove_non_finite();
    for _ in 0..non_finite {
        out.report.record_drop(DropReason::NonFiniteValue, || {
            format!("{}: NaN or infinite value skipped", metric.name)
        });
    }
    if fields.is_empty() {
        out.report.record_drop(DropReason::EmptyPoint, || {
            format!("{}: no finite value left to write", metric.name)
        });
        return;
    }
    let datalayers = out.encoder.options().dialect == Dialect::Datalayers;
    fields.sort();
    let tags = LineTags {
        tags: line.tags.resolved().peekable(),
        extra: line.extra,
    };
    let fallback = (datalayers && line.extra.is_none() && line.tags.resolved_is_empty())
        .then_some((FALLBACK_TAG_KEY, metric.name));
    let values_only = line.extra.is_none() && fallback.is_none();
    let tags = tags.chain(fallback);
    let versions = KeyVersions {
        tags: line.tags.keys_version(),
        fields: fields.keys_version(),
        extra: line.extra.map(|(key, _)| key),
        fallback: fallback.is_some(),
    };
    let held = HeldKeys {
        tags: line.tags.resolved_keys(),
        fields: fields.pushed_keys(),
    };
    let named = shapes.find(
        versions,
        measurement,
        datalayers,
        held,
        tags.clone().map(|(key, _)| key),
        fields.in_order().map(|(key, _)| key),
    );
    let (measurement, renamed) = (named.measurement, named.renamed);
    let result = match named.template {
        Some(template) => {
            let mut templated = out.encoder.start_templated(template);
            if values_only {
                // The common case: the values alone, without the merge.
                for (index, value) in line.tags.resolved_values().enumerate() {
                    templated.tag(index, value);
                }
            } else {
                for (index, (_, value)) in tags.enumerate() {
                    templated.tag(index, value);
                }
            }
            for (index, value) in fields.values_in_order().enumerate() {
                templated.field(index, value.value());
            }
            // The reference writes uint64 timestamps cast to int64.
            templated.end(Some(time as i64))
        }
        None => {
            // Names no template takes: the plain calls say what is wrong.
            let encoder = &mut *out.encoder;
            encoder.start_line(measurement);
            for (key, value) in tags {
                encoder.tag(key, value);
            }
            for (key, value) in fields.in_order() {
                encoder.field(key, value.value());
            }
            encoder.end_line(Some(time as i64))
        }
    };
    fields.clear();
    if crate::line_result(result, out.report, || measurement.to_owned()) && renamed {
        out.report.record_renamed_measurement();
    }
}

/// The tags of a line in key order: the point's (or exemplar's) resolved tags with the extra
/// tag (`le`, `quantile`) merged in at its place, replacing an attribute of the same key.
#[derive(Clone)]
struct LineTags<'a, I: Iterator<Item = (&'a str, &'a str)>> {
    tags: std::iter::Peekable<I>,
    extra: Option<(&'a str, &'a str)>,
}

impl<'a, I: Iterator<Item = (&'a str, &'a str)>> Iterator for LineTags<'a, I> {
    type Item = (&'a str, &'a str);

    fn next(&mut self) -> Option<Self::Item> {
        match (self.extra, self.tags.peek()) {
            (Some(extra), Some(&(key, _))) if extra.0 <= key => {
                self.extra = None;
                if extra.0 == key {
                    self.tags.next();
                }
                Some(extra)
            }
            (Some(extra), None) => {
                self.extra = None;
                Some(extra)
            }
            _ => self.tags.next(),
        }
    }
}

/// `<prefix>_<name>` (v2: `<metric>_count`, also for an empty metric name, as the reference), or
/// `name` alone.
fn push_prefixed(key: &mut String, prefix: Option<&str>, name: &str) {
    if let Some(prefix) = prefix {
        key.push_str(prefix);
        key.push('_');
    }
    key.push_str(name);
}

/// `<name>_<unit>_<type>`, e.g. `duration_ms_histogram` or `calls__sum`.
fn push_otel_v1_measurement(out: &mut String, metric: &MetricDesc<'_>) {
    out.push_str(metric.name);
    out.push('_');
    out.push_str(metric.unit);
    out.push('_');
    out.push_str(metric.kind.lowercase());
}

/// A sum is a counter only when monotonic and cumulative; any other sum is written as a gauge.
fn is_counter(kind: MetricKind) -> bool {
    matches!(
        kind,
        MetricKind::Sum {
            monotonic: true,
            temporality: Temporality::Cumulative
        }
    )
}

fn number_field(value: Number) -> FieldNumber {
    match value {
        Number::Int(v) => FieldNumber::I64(v),
        Number::Unsigned(v) => FieldNumber::U64(v),
        Number::Double(v) => FieldNumber::F64(v),
    }
}

/// An id of `len` bytes that is not all zero (pdata's `IsEmpty()`); OTLP also allows no bytes at
/// all, and an id of another length is read as none, as the span mapper does.
fn is_id(id: &[u8], len: usize) -> bool {
    id.len() == len && id.iter().any(|b| *b != 0)
}
