#![doc = include_str!("../README.md")]

mod builder;
mod deadline;
mod http;
mod logs;
mod metrics;
mod pipeline;
mod sink;
mod stats;
mod trace;

pub use builder::{
    BuildError, ExporterBuilder, ExporterKind, LogExporterBuilder, MetricExporterBuilder,
    SpanExporterBuilder,
};
pub use http::HttpSink;
pub use logs::LogExporter;
pub use metrics::MetricExporter;
pub use sink::{Batch, LineSink, MemorySink, SinkError, SinkFuture, SinkOutcome, WriterSink};
pub use stats::{ExportStats, StatsHandle};
pub use trace::SpanExporter;

// Re-exported so applications can configure everything from this crate.
pub use datalayers_client::config::{ClientConfig, ClientSettings, Compression, Protocol};
pub use otlp_influx::{MappingConfig, MetricsSchema};
