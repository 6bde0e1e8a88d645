//! OpenTelemetry traces, logs and metrics as InfluxDB line protocol, in the schema of the
//! collector's InfluxDB exporter (`otel2influx`).
//!
//! (Crate documentation is being written.)

pub mod config;
pub mod metrics;
pub mod report;
pub mod schema;
pub mod value;

pub use config::{ConfigError, MappingConfig, MetricsSchema};
pub use report::{DropReason, MappingReport};

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
}

impl OtlpMapper {
    /// Validates `config` and builds a mapper.
    pub fn new(config: MappingConfig) -> Result<Self, ConfigError> {
        config.validate()?;
        Ok(Self { config })
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

    /// Maps SDK spans (`spans`, events to `logs`, links to `span-links`).
    pub fn map_sdk_spans(
        &mut self,
        resource: &PreparedResource,
        spans: &[opentelemetry_sdk::trace::SpanData],
        out: &mut lineproto::Encoder,
        report: &mut MappingReport,
    ) {
        let _ = (resource, spans, out, report);
    }

    /// Maps an SDK log batch to `logs`.
    pub fn map_sdk_logs(
        &mut self,
        resource: &PreparedResource,
        batch: &opentelemetry_sdk::logs::LogBatch<'_>,
        out: &mut lineproto::Encoder,
        report: &mut MappingReport,
    ) {
        let _ = (resource, batch, out, report);
    }

    /// Maps an OTLP trace export request.
    pub fn map_proto_traces(
        &mut self,
        request: &opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest,
        out: &mut lineproto::Encoder,
        report: &mut MappingReport,
    ) {
        let _ = (request, out, report);
    }

    /// Maps an OTLP logs export request.
    pub fn map_proto_logs(
        &mut self,
        request: &opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest,
        out: &mut lineproto::Encoder,
        report: &mut MappingReport,
    ) {
        let _ = (request, out, report);
    }
}

/// Ends the line being built: counts it when written, or counts the drop with the encoder's
/// reason (the encoder has rolled the line back; nothing else is lost). Returns whether the
/// line was written. `what` names the item for the report message (only called on error).
#[allow(dead_code)] // the trace and log mappers are being written
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
