//! OpenTelemetry traces, logs and metrics as InfluxDB line protocol, in the schema of the
//! collector's InfluxDB exporter (`otel2influx`).
//!
//! (Crate documentation is being written.)

pub mod config;
mod lines;
mod logs;
pub mod metrics;
pub mod report;
pub mod schema;
mod stable;
mod traces;
pub mod value;
mod view;

pub use config::{ConfigError, MappingConfig, MetricsSchema};
pub use report::{DropReason, MappingReport};
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
    /// Attribute entries of the item being mapped. Stored empty with a `'static` lifetime and
    /// re-typed for each call's borrow (see [`recycle`]).
    entries: Vec<value::Entry<'static>>,
    /// Which span dimensions were seen on the span being mapped.
    seen_dimensions: Vec<bool>,
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
    fn new(config: &MappingConfig) -> Self {
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
        Self {
            spans: LinePlan::new(
                schema::MEASUREMENT_SPANS,
                &schema::SPAN_FIELDS,
                &ids,
                &config.span_dimensions,
            ),
            events: LinePlan::new(
                schema::MEASUREMENT_LOGS,
                &schema::LOG_FIELDS,
                &ids,
                event_dimensions,
            ),
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
            ),
            log_records: LinePlan::new(
                schema::MEASUREMENT_LOGS,
                &schema::LOG_FIELDS,
                &ids,
                &config.log_record_dimensions,
            ),
        }
    }
}

/// Re-types an empty vector's allocation for another lifetime. `Vec`'s in-place `collect`
/// reuses the buffer when the element layouts match (they do: only the lifetime differs), so
/// the scratch survives across calls without `unsafe`; `tests/zero_alloc.rs` holds it to that.
fn recycle<'a, 'b>(mut v: Vec<value::Entry<'a>>) -> Vec<value::Entry<'b>> {
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
            plans: Plans::new(&config),
            config,
            line_scratch: lines::LineScratch::default(),
            entries: Vec::new(),
            seen_dimensions: Vec::new(),
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

    fn take_entries<'a>(&mut self) -> Vec<value::Entry<'a>> {
        recycle(std::mem::take(&mut self.entries))
    }

    fn return_entries(&mut self, entries: Vec<value::Entry<'_>>) {
        self.entries = recycle(entries);
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
    match out.end_line(Some(timestamp_ns)) {
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
