//! OpenTelemetry traces, logs and metrics as InfluxDB line protocol, in the schema of the
//! collector's InfluxDB exporter (`otel2influx` from `influxdata/influxdb-observability`), so
//! that queries and dashboards built for it keep working, minus its failure modes.
//!
//! An [`OtlpMapper`] reads either input kind, and writes through a [`lineproto::Encoder`]:
//!
//! - **SDK data**, mapped directly (never converted to protobuf first): `SpanData` with a
//!   [`PreparedResource`] converted once ([`OtlpMapper::map_sdk_spans`]), a `LogBatch`
//!   ([`OtlpMapper::map_sdk_logs`]), `ResourceMetrics` (see [`metrics`]).
//! - **OTLP protobuf** requests (`opentelemetry-proto`), as an OTLP receiver decodes them
//!   ([`OtlpMapper::map_proto_traces`], [`OtlpMapper::map_proto_logs`]).
//! - **OTLP request bodies** as an OTLP receiver gets them, protobuf or OTLP/JSON (feature
//!   `json`), decoded and mapped in one call that also counts the items received and rejected
//!   for `partial_success` ([`OtlpMapper::map_request`], see [`decode`]).
//!
//! The schema is written once, against small view traits that both input kinds implement; the
//! tests map the reference's fodder from both and require the same bytes.
//!
//! ```
//! use lineproto::{Dialect, EncoderOptions, FloatFormat};
//! use opentelemetry_proto::tonic::{
//!     collector::trace::v1::ExportTraceServiceRequest,
//!     common::v1::{AnyValue, KeyValue, any_value::Value},
//!     resource::v1::Resource,
//!     trace::v1::{ResourceSpans, ScopeSpans, Span},
//! };
//! use otlp_influx::{MappingConfig, MappingReport, OtlpMapper};
//!
//! let attribute = |key: &str, value: Value| KeyValue {
//!     key: key.into(),
//!     value: Some(AnyValue { value: Some(value) }),
//!     ..Default::default()
//! };
//! let request = ExportTraceServiceRequest {
//!     resource_spans: vec![ResourceSpans {
//!         resource: Some(Resource {
//!             attributes: vec![attribute("service.name", Value::StringValue("checkout".into()))],
//!             ..Default::default()
//!         }),
//!         scope_spans: vec![ScopeSpans {
//!             spans: vec![Span {
//!                 trace_id: vec![0x4b; 16],
//!                 span_id: vec![0x01; 8],
//!                 name: "GET /cart".into(),
//!                 kind: 2, // server
//!                 start_time_unix_nano: 1_700_000_000_000_000_000,
//!                 end_time_unix_nano: 1_700_000_000_001_500_000,
//!                 attributes: vec![attribute("http.status_code", Value::IntValue(200))],
//!                 ..Default::default()
//!             }],
//!             ..Default::default()
//!         }],
//!         ..Default::default()
//!     }],
//! };
//!
//! // Reference-compatible output for InfluxDB 1.x: Go float text, no unsigned values.
//! let mut mapper = OtlpMapper::new(MappingConfig::default().with_encoder(
//!     EncoderOptions::new(Dialect::InfluxDbV1).with_float_format(FloatFormat::GoStrconv),
//! ))?;
//! let mut out = mapper.new_encoder();
//! let mut report = MappingReport::new();
//! mapper.map_proto_traces(&request, &mut out, &mut report);
//!
//! assert_eq!(
//!     std::str::from_utf8(out.as_bytes()).unwrap(),
//!     "spans,service.name=checkout,span_id=0101010101010101,trace_id=4b4b4b4b4b4b4b4b4b4b4b4b4b4b4b4b \
//!      attributes=\"{\\\"http.status_code\\\":200}\",duration_nano=1500000i,\
//!      end_time_unix_nano=1700000000001500000i,span.kind=\"Server\",span.name=\"GET /cart\" \
//!      1700000000000000000\n"
//! );
//! assert!(report.is_clean());
//! # Ok::<(), otlp_influx::ConfigError>(())
//! ```
//!
//! # The schema
//!
//! Every line's fields are written in byte order of their keys (the reference's order is random;
//! sorted is deterministic and what the tests compare byte for byte). Names are in [`schema`].
//!
//! | measurement | tags | fields | timestamp |
//! |---|---|---|---|
//! | `spans` | `trace_id`, `span_id` (hex); each `span_dimensions` key found in the resource, scope or span attributes (default `service.name`, `span.name`) | `attributes` (JSON), `dropped_attributes_count`, `dropped_events_count`, `dropped_links_count` (uint, when > 0), `duration_nano`, `end_time_unix_nano` (int), `otel.status_code` (`Ok`/`Error`), `otel.status_description`, `parent_span_id` (hex, not on roots), `span.kind` (`Internal`, `Server`, ...), `span.name`, `trace_state` | span start |
//! | `logs` (span events) | `trace_id`, `span_id` of the span | `attributes` (the event's own), `dropped_attributes_count`, `event.name` | event time |
//! | `span-links` | `trace_id`, `span_id`, `linked_trace_id`, `linked_span_id` | `attributes` (the link's own), `dropped_attributes_count`, `trace_state` | span start |
//! | `logs` (records) | `trace_id`, `span_id` (when both are set); each `log_record_dimensions` key (default `service.name`) | `attributes`, `body` (always, as `AsString` text), `dropped_attributes_count`, `observed_time_unix_nano`, `severity_number` (int), `severity_text` | record time |
//!
//! - Per span the lines come in the reference's order: its events, its links, then the span.
//! - **`attributes`** is one JSON object of every attribute that is not a tag, written exactly
//!   as Go's `json.Marshal` writes it ([`value`]): keys sorted at every level, `<` `>` `&`
//!   escaped, `\b` `\f` `\u00XX` for control characters, U+2028/U+2029 escaped, ES6 number text
//!   (`1e+21`, `1e-7`), bytes as base64. For spans and records it merges the resource, scope
//!   and item attributes, the later level winning. The JSON goes straight into the line; no
//!   intermediate string: Go's escaping and line protocol's are one table pass
//!   ([`lineproto::NestedEscapes`]), and object keys come escaped ahead of time.
//! - **Tags** take a value's pdata `AsString` text; an empty value writes no tag. The last level
//!   wins. The reference's quirks are kept where they are observable and harmless: a dimension
//!   seen at two levels also puts its last value into the span's JSON, and a field whose key is
//!   also a tag of the line (an attribute `span.name` under the default dimensions) is replaced
//!   by the tag and counted in `dropped_attributes_count`.
//! - Unsigned counts are `u`, or `i` for [`lineproto::Dialect::InfluxDbV1`] (which has no unsigned
//!   type). With [`lineproto::FloatFormat::GoStrconv`] floats match the reference's text.
//! - Not stored, as in the reference: scope name and version, schema URLs, flags, resource and
//!   scope dropped counts.
//!
//! # Deliberate departures from the reference
//!
//! Each is tested in `tests/departures.rs`; every drop is counted in the [`MappingReport`] by
//! [`DropReason`], with the first few messages.
//!
//! 1. **A bad item costs only its own line(s).** The reference fails the whole batch
//!    permanently (and wipes lines already buffered) on any encode error or span without ids.
//!    Here a span without trace or span id is skipped with its events and links; a line the
//!    encoder refuses is rolled back by the encoder; everything else is written.
//! 2. **No failure when a dimension shows up at two levels.** The collector's exporter turns
//!    this into a panic and a failed batch (its debug logger rejects the odd key-value count);
//!    here the last level wins, as the reference does with a no-op logger.
//! 3. **Events and links with nothing to write are dropped and counted** (and added to the
//!    span's `dropped_events_count` / `dropped_links_count`) instead of wiping the batch.
//!    An event or link keeps its `dropped_attributes_count` even when it has no attributes (the
//!    reference leaves it out then).
//! 4. **A log record without a timestamp is written at its observed time** (the reference writes
//!    epoch 0; with neither, 0 it is).
//! 5. **NaN/infinity in an attribute costs that attribute only.** Go's `encoding/json` refuses
//!    NaN and infinities; the reference then leaves out the item's whole `attributes` field
//!    (every attribute: a `db.statement` beside a NaN is lost too) and adds the item's own
//!    attribute count to `dropped_attributes_count`. Here the other attributes are written; the
//!    attribute holding the NaN or infinity (also nested in a list or map) is left out of the
//!    JSON, added to the item's `dropped_attributes_count` and reported with its key
//!    ([`DropReason::NonFiniteAttributes`], one per attribute). It is left out rather than
//!    written as a JSON string (`"NaN"`): a string would change the attribute's type for
//!    whoever reads the JSON (a number column with text in it) and no longer be the double that
//!    was sent. As a tag value a NaN double reads `NaN` (pdata >= 1.57). A log body holding NaN
//!    inside a map or list is written as `""` and reported.
//! 6. **A dimension value that cannot be a tag value** (a control character such as LF, a
//!    trailing backslash, a backslash the dialect would misread) drops **only that tag**, not
//!    the line: the value stays in the `attributes` JSON, so nothing is lost, and the drop is
//!    reported ([`DropReason::InvalidTagValue`]). The reference fails the batch.
//! 7. SDK spans carry no resource; the SDK log record has no dropped-attributes count (0).
//!
//! # Datalayers: stable columns
//!
//! Datalayers needs at least one non-empty tag per line and, with its default
//! `auto_alter_table = false`, refuses new columns on an existing table; its tag keys (the
//! partition key) can never change. With [`MappingConfig::stable_columns`] every line of `spans`,
//! `logs` and `span-links` writes the same tag keys:
//!
//! - a missing value is written as [`PLACEHOLDER`] (`unknown`), never empty, never left out;
//! - a dimension named like one of the line's own fields (`span.name`, `span.kind`, ...) takes
//!   that field's value when no attribute provides it, and the field is not written (its column
//!   is the tag);
//! - span events, which share `logs` with log records, get the log-record dimensions from the
//!   span's resource and scope attributes.
//!
//! Fields are always from the fixed lists in [`schema`], so [`stable_columns_ddl`] can emit the
//! matching `CREATE TABLE IF NOT EXISTS` statements to run once before writing.
//!
//! # Performance
//!
//! The SDK span path allocates nothing per span once the mapper's scratch and the encoder's
//! buffer have grown (ids go to the encoder as bytes, attributes are collected in a reused list,
//! the JSON is written into the line): `tests/zero_alloc.rs` proves it with a counting global
//! allocator. Everything that depends only on an item's attribute *keys* (which duplicate wins,
//! the JSON's key order, which keys are dimension tags, the escaped JSON text of each key) is
//! worked out once per list of keys and remembered, as an attribute layout (the `layout`
//! module): one kind of span repeats the same keys, so most spans only have their keys compared
//! and their values written. Each kind of line is written through a [`lineproto::LineTemplate`]
//! made from the configuration, so keys are not checked or escaped per line, and a dimension
//! value is checked once, as it is written ([`lineproto::TemplatedLine::tag_if_valid`]). A
//! non-empty W3C `tracestate` costs one allocation, because the SDK's `TraceState` only hands
//! out its text as a new `String`. `benches/spans.rs` compares SDK spans to lines with what the
//! OTLP exporter does with the same spans.
//!
//! An OTLP protobuf request body ([`OtlpMapper::map_request`]) is read in place: validated once
//! with prost's acceptance rules, then its spans, records and points are read straight from the
//! bytes through the same views (strings borrowed, attribute strings checked as UTF-8 a stretch
//! at a time), with no decoded message tree and no allocation per span (`tests/zero_alloc.rs`).
//! `benches/spans.rs` compares it with prost's decoding followed by the mapping of the decoded
//! request; a proptest and the `otlp_proto` fuzz target hold both to the same lines and the same
//! acceptance.

// Public modules carry documentation or names of their own (the decode stage, the metric
// schemas, the schema's names, attribute values as text); everything else a user needs is
// re-exported here, once.
mod config;
pub mod decode;
mod layout;
mod lines;
mod logs;
pub mod metrics;
mod report;
pub mod schema;
mod stable;
mod traces;
pub mod value;
mod view;

pub use config::{
    ConfigError, DEFAULT_LOG_RECORD_DIMENSIONS, DEFAULT_SPAN_DIMENSIONS, DimensionList,
    MappingConfig, MetricsSchema,
};
pub use decode::{DecodeError, Encoding, Signal};
pub use report::{DropReason, ItemCounts, MappingReport};
pub use stable::{DEFAULT_PARTITIONS, DdlOptions, stable_columns_ddl};

use opentelemetry::{Key, Value};

/// The tag value written in stable-columns mode when a line has no value for one of its
/// measurement's tag keys (Datalayers refuses empty tag values).
pub const PLACEHOLDER: &str = "unknown";

/// Resource attributes converted once (SDK exporters call
/// [`OtlpMapper::prepare_resource`] from `set_resource`), then shared by every batch.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PreparedResource {
    attributes: Vec<(Key, Value)>,
}

impl PreparedResource {
    /// A resource with no attributes.
    pub fn empty() -> Self {
        Self::default()
    }

    /// Converts an SDK resource.
    pub fn new(resource: &opentelemetry_sdk::Resource) -> Self {
        Self {
            attributes: resource
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        }
    }

    /// The attributes (in the resource's iteration order).
    pub fn attributes(&self) -> &[(Key, Value)] {
        &self.attributes
    }
}

/// The mapper: configuration plus reusable scratch, so that mapping SDK spans allocates
/// nothing per span in steady state. One per exporter (it is `Send`, not shared).
#[derive(Debug)]
pub struct OtlpMapper {
    config: MappingConfig,
    plans: Plans,
    line_scratch: lines::LineScratch,
    /// The attributes of the item being mapped, all levels, in input order. Stored empty with a
    /// `'static` lifetime and re-typed for each call's borrow (see [`recycle`]).
    attrs: Vec<view::Attr<'static>>,
    /// What recent lists of attribute keys decided (see [`layout`]).
    layouts: layout::LayoutCache,
    /// Tag, field and bucket scratch of the metric mappers.
    metric_writer: metrics::MetricWriter,
    /// Scratch of the in-place protobuf mapping.
    wire: decode::protobuf::WireScratch<'static>,
}

/// The line plans of the trace and log measurements, fixed by the configuration.
#[derive(Debug)]
struct Plans {
    spans: lines::LinePlan,
    events: lines::LinePlan,
    links: lines::LinePlan,
    log_records: lines::LinePlan,
}

impl Plans {
    fn new(config: &MappingConfig) -> Result<Self, ConfigError> {
        use lines::{LinePlan, TagSource};
        let ids = [
            (schema::TRACE_ID, TagSource::TraceId),
            (schema::SPAN_ID, TagSource::SpanId),
        ];
        let event_dimensions: &[String] = if config.stable_columns {
            &config.log_record_dimensions
        } else {
            &[]
        };
        Ok(Self {
            spans: LinePlan::new(
                schema::MEASUREMENT_SPANS,
                &schema::SPAN_FIELDS,
                &ids,
                &config.span_dimensions,
            )?,
            events: LinePlan::new(
                schema::MEASUREMENT_LOGS,
                &schema::LOG_FIELDS,
                &ids,
                event_dimensions,
            )?,
            links: LinePlan::new(
                schema::MEASUREMENT_SPAN_LINKS,
                &schema::SPAN_LINK_FIELDS,
                &[
                    (schema::LINKED_SPAN_ID, TagSource::LinkedSpanId),
                    (schema::LINKED_TRACE_ID, TagSource::LinkedTraceId),
                    (schema::SPAN_ID, TagSource::SpanId),
                    (schema::TRACE_ID, TagSource::TraceId),
                ],
                &[],
            )?,
            log_records: LinePlan::new(
                schema::MEASUREMENT_LOGS,
                &schema::LOG_FIELDS,
                &ids,
                &config.log_record_dimensions,
            )?,
        })
    }
}

/// Re-types an empty vector's allocation for another lifetime (`A` and `B` are one type with
/// different lifetimes). `Vec`'s in-place `collect` reuses the buffer when the element layouts
/// match, so the scratch survives across calls without `unsafe`; `tests/zero_alloc.rs` holds it
/// to that.
pub(crate) fn recycle<A, B>(mut v: Vec<A>) -> Vec<B> {
    debug_assert!(
        std::mem::size_of::<A>() == std::mem::size_of::<B>()
            && std::mem::align_of::<A>() == std::mem::align_of::<B>()
    );
    v.clear();
    v.into_iter()
        .map(|_| unreachable!("the vector is empty"))
        .collect()
}

impl OtlpMapper {
    /// Validates `config` and builds a mapper.
    pub fn new(config: MappingConfig) -> Result<Self, ConfigError> {
        config.validate()?;
        Ok(Self {
            plans: Plans::new(&config)?,
            line_scratch: lines::LineScratch::default(),
            attrs: Vec::new(),
            layouts: layout::LayoutCache::default(),
            metric_writer: metrics::MetricWriter::new(config.metrics_schema),
            wire: decode::protobuf::WireScratch::default(),
            config,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &MappingConfig {
        &self.config
    }

    /// A new encoder with the configuration's options.
    pub fn new_encoder(&self) -> lineproto::Encoder {
        lineproto::Encoder::new(self.config.encoder)
    }

    /// Converts a resource once (see [`PreparedResource`]).
    pub fn prepare_resource(&self, resource: &opentelemetry_sdk::Resource) -> PreparedResource {
        PreparedResource::new(resource)
    }

    fn take_attrs<'a>(&mut self) -> Vec<view::Attr<'a>> {
        recycle(std::mem::take(&mut self.attrs))
    }

    fn return_attrs(&mut self, attrs: Vec<view::Attr<'_>>) {
        self.attrs = recycle(attrs);
    }
}

/// Ends the line being built: counts it when written, or counts the drop with the encoder's
/// reason (the encoder has rolled the line back; nothing else is lost). Returns whether the
/// line was written. `what` names the item for the report message (only called on error).
pub(crate) fn finish_line(
    out: &mut lineproto::Encoder,
    timestamp_ns: i64,
    report: &mut MappingReport,
    what: impl FnOnce() -> String,
) -> bool {
    line_result(out.end_line(Some(timestamp_ns)), report, what)
}

/// Counts an ended line (see [`finish_line`]).
pub(crate) fn line_result(
    result: Result<(), lineproto::LineError>,
    report: &mut MappingReport,
    what: impl FnOnce() -> String,
) -> bool {
    match result {
        Ok(()) => {
            report.record_line();
            true
        }
        Err(e) => {
            report.record_drop(DropReason::LineRejected, || format!("{}: {e}", what()));
            false
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_mapper_can_move_to_an_exporter_thread() {
        fn send_sync<T: Send + Sync>() {}
        send_sync::<super::OtlpMapper>();
        send_sync::<super::PreparedResource>();
        send_sync::<super::MappingReport>();
    }
}
