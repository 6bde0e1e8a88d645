//! [`SpanExporter`]: spans, their events and links as `spans`, `logs` and `span-links` lines.

use std::time::Duration;

use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::SpanData;

use crate::pipeline::Pipeline;
use crate::stats::Signal;
use crate::{SpanExporterBuilder, StatsHandle};

/// An OpenTelemetry SDK span exporter that writes line protocol (otel2influx schema) to
/// Datalayers, InfluxDB or any [`LineSink`](crate::LineSink).
///
/// Install it with `SdkTracerProvider::builder().with_batch_exporter(exporter)`; see the
/// [crate docs](crate) for a complete example.
#[derive(Debug)]
pub struct SpanExporter {
    pipeline: Pipeline,
}

impl SpanExporter {
    /// A builder of this exporter; the `OTEL_EXPORTER_DATALAYERS_*` environment fills what its
    /// `with_` calls leave unset.
    pub fn builder() -> SpanExporterBuilder {
        SpanExporterBuilder::default()
    }

    pub(crate) fn new(pipeline: Pipeline) -> Self {
        Self { pipeline }
    }

    /// The counters of this exporter (shared with the other exporters of its builder).
    pub fn stats_handle(&self) -> StatsHandle {
        self.pipeline.stats().clone()
    }
}

impl opentelemetry_sdk::trace::SpanExporter for SpanExporter {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        let items = batch.len() as u64;
        self.pipeline
            .export(
                Signal::Spans,
                items,
                move |mapper, resource, encoder, report| {
                    mapper.map_sdk_spans(resource, &batch, encoder, report);
                    // Not needed while the sink writes: freed now.
                    drop(batch);
                },
            )
            .await
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.pipeline.shutdown(timeout)
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.pipeline.force_flush()
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.pipeline.set_resource(resource);
    }
}
