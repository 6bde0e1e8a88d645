//! [`MetricExporter`]: metric data points as lines in the configured metrics schema.

use std::time::Duration;

use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::metrics::Temporality;
use opentelemetry_sdk::metrics::data::ResourceMetrics;
use opentelemetry_sdk::metrics::exporter::PushMetricExporter;

use crate::pipeline::Pipeline;
use crate::stats::Signal;
use crate::{MetricExporterBuilder, StatsHandle};

/// An OpenTelemetry SDK push metric exporter that writes line protocol (otel2influx metrics
/// schemas) to Datalayers, InfluxDB or any [`LineSink`](crate::LineSink).
///
/// Install it with `SdkMeterProvider::builder().with_periodic_exporter(exporter)`. The resource
/// comes with every collection, so there is nothing to set up front.
#[derive(Debug)]
pub struct MetricExporter {
    pipeline: Pipeline,
    temporality: Temporality,
}

impl MetricExporter {
    /// A builder of this exporter; the `OTEL_EXPORTER_DATALAYERS_*` environment fills what its
    /// `with_` calls leave unset.
    pub fn builder() -> MetricExporterBuilder {
        MetricExporterBuilder::default()
    }

    pub(crate) fn new(pipeline: Pipeline, temporality: Temporality) -> Self {
        Self {
            pipeline,
            temporality,
        }
    }

    /// The counters of this exporter (shared with the other exporters of its builder).
    pub fn stats_handle(&self) -> StatsHandle {
        self.pipeline.stats().clone()
    }
}

impl PushMetricExporter for MetricExporter {
    async fn export(&self, metrics: &ResourceMetrics) -> OTelSdkResult {
        let items = metrics
            .scope_metrics()
            .map(|scope| scope.metrics().count() as u64)
            .sum();
        self.pipeline
            .export(
                Signal::Metrics,
                items,
                |mapper, _resource, encoder, report| {
                    mapper.map_sdk_metrics(metrics, encoder, report);
                },
            )
            .await
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.pipeline.force_flush()
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.pipeline.shutdown(timeout)
    }

    fn temporality(&self) -> Temporality {
        self.temporality
    }
}
