#![doc = include_str!("../README.md")]

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

/// Counts an ended line: counted when written, or the drop counted with the encoder's reason
/// (the encoder has rolled the line back; nothing else is lost). Returns whether the line was
/// written. `what` names the item for the report message (only called on error).
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
