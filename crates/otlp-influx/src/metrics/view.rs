//! The one shape the schema code reads metrics through. The SDK's `ResourceMetrics` (`sdk.rs`) and
//! OTLP's `ExportMetricsServiceRequest` (`proto.rs`) each implement these small traits for their
//! data points; everything the schemas decide is written once against them (`schema.rs`).

use super::exponential::ExplicitBuckets;
use super::scratch::TagSet;

/// Aggregation temporality, with pdata's names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Temporality {
    /// Not set.
    Unspecified,
    /// Delta.
    Delta,
    /// Cumulative.
    Cumulative,
}

impl Temporality {
    /// Lowercase pdata `String()`, as `otel-v1` field names use it.
    pub(crate) fn lowercase(self) -> &'static str {
        match self {
            Self::Unspecified => "unspecified",
            Self::Delta => "delta",
            Self::Cumulative => "cumulative",
        }
    }
}

/// What kind of metric the points belong to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MetricKind {
    /// Gauge.
    Gauge,
    /// Sum.
    Sum {
        /// Monotonic sum.
        monotonic: bool,
        /// Its temporality.
        temporality: Temporality,
    },
    /// Explicit-bound histogram.
    Histogram(Temporality),
    /// Exponential histogram.
    ExponentialHistogram(Temporality),
    /// Summary (OTLP input only).
    Summary,
}

impl MetricKind {
    /// Lowercase pdata `MetricType.String()`, as `otel-v1` measurement names use it.
    pub(crate) fn lowercase(self) -> &'static str {
        match self {
            Self::Gauge => "gauge",
            Self::Sum { .. } => "sum",
            Self::Histogram(_) => "histogram",
            Self::ExponentialHistogram(_) => "exponentialhistogram",
            Self::Summary => "summary",
        }
    }
}

/// Name, unit and kind of a metric.
#[derive(Debug, Clone, Copy)]
pub(crate) struct MetricDesc<'a> {
    /// Metric name.
    pub(crate) name: &'a str,
    /// Metric unit (used by `otel-v1` only).
    pub(crate) unit: &'a str,
    /// Metric kind.
    pub(crate) kind: MetricKind,
}

/// A number data point value (`None` for a point without value, pdata's `Empty`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Number {
    /// Integer value.
    Int(i64),
    /// An SDK `u64` value above `i64::MAX` (OTLP has no unsigned numbers).
    Unsigned(u64),
    /// Double value.
    Double(f64),
}

impl Number {
    /// The SDK's `u64` values: integers while they fit, `Unsigned` above `i64::MAX`.
    pub(crate) fn from_u64(value: u64) -> Self {
        i64::try_from(value).map_or(Self::Unsigned(value), Self::Int)
    }

    /// Lowercase pdata `NumberDataPointValueType.String()` for `otel-v1` field names.
    pub(crate) fn type_name(self) -> &'static str {
        match self {
            Self::Int(_) | Self::Unsigned(_) => "int",
            Self::Double(_) => "double",
        }
    }
}

/// An exemplar.
pub(crate) trait ExemplarView {
    /// Pushes the filtered attributes.
    fn push_attributes(&self, tags: &mut TagSet);
    /// Exemplar time.
    fn time_unix_nano(&self) -> u64;
    /// Its value.
    fn value(&self) -> Option<Number>;
    /// Trace id bytes (empty or all zero when absent).
    fn trace_id(&self) -> &[u8];
    /// Span id bytes (empty or all zero when absent).
    fn span_id(&self) -> &[u8];
}

/// What every data point has.
pub(crate) trait PointView {
    /// Pushes the point's attributes.
    fn push_attributes(&self, tags: &mut TagSet);
    /// Start time (0 when unset).
    fn start_time_unix_nano(&self) -> u64;
    /// Point time.
    fn time_unix_nano(&self) -> u64;
    /// Calls `f` with each exemplar in order.
    fn for_each_exemplar(&self, f: &mut dyn FnMut(&dyn ExemplarView));
}

/// A gauge or sum point.
pub(crate) trait NumberPointView: PointView {
    /// The value, `None` when the point has none.
    fn value(&self) -> Option<Number>;
}

/// Count, sum, min and max of a histogram point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct HistogramStats {
    /// Total count.
    pub(crate) count: u64,
    /// Sum, if recorded.
    pub(crate) sum: Option<f64>,
    /// Minimum, if recorded.
    pub(crate) min: Option<f64>,
    /// Maximum, if recorded.
    pub(crate) max: Option<f64>,
}

/// A histogram point, explicit or exponential (the latter converted, see `exponential.rs`).
pub(crate) trait HistogramPointView: PointView {
    /// Count, sum, min, max.
    fn stats(&self) -> HistogramStats;
    /// Bounds and bucket counts (not cumulative), borrowed from the point or filled into
    /// `scratch`.
    fn buckets<'s>(&'s self, scratch: &'s mut ExplicitBuckets) -> (&'s [f64], &'s [u64]);
}

/// A summary point.
pub(crate) trait SummaryPointView: PointView {
    /// Total count.
    fn count(&self) -> u64;
    /// Sum.
    fn sum(&self) -> f64;
    /// Calls `f(quantile, value)` for each quantile in order.
    fn for_each_quantile(&self, f: &mut dyn FnMut(f64, f64));
}
