//! [`LogExporter`]: log records as `logs` lines.

use std::time::Duration;

use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::logs::LogBatch;

use crate::pipeline::Pipeline;
use crate::stats::Signal;
use crate::{LogExporterBuilder, StatsHandle};

/// An OpenTelemetry SDK log exporter that writes line protocol (otel2influx schema) to
/// Datalayers, InfluxDB or any [`LineSink`](crate::LineSink).
///
/// Install it with `SdkLoggerProvider::builder().with_batch_exporter(exporter)`.
#[derive(Debug)]
pub struct LogExporter {
    pipeline: Pipeline,
}

impl LogExporter {
    /// A builder of this exporter; the `OTEL_EXPORTER_DATALAYERS_*` environment fills what its
    /// `with_` calls leave unset.
    pub fn builder() -> LogExporterBuilder {
        LogExporterBuilder::default()
    }

    pub(crate) fn new(pipeline: Pipeline) -> Self {
        Self { pipeline }
    }

    /// The counters of this exporter (shared with the other exporters of its builder).
    pub fn stats_handle(&self) -> StatsHandle {
        self.pipeline.stats().clone()
    }

    /// Pushes out anything the sink buffers (the SDK's `LogExporter` trait has no flush).
    pub fn force_flush(&self) -> OTelSdkResult {
        self.pipeline.force_flush()
    }
}

impl opentelemetry_sdk::logs::LogExporter for LogExporter {
    async fn export(&self, batch: LogBatch<'_>) -> OTelSdkResult {
        let items = batch.iter().count() as u64;
        self.pipeline
            .export(Signal::Logs, items, |mapper, resource, encoder, report| {
                mapper.map_sdk_logs(resource, &batch, encoder, report);
            })
            .await
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.pipeline.shutdown(timeout)
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.pipeline.set_resource(resource);
    }
}
