#![doc = include_str!("../README.md")]

mod builder;
mod deadline;
#[cfg(feature = "disk-buffer")]
mod disk_buffer;
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
#[cfg(feature = "disk-buffer")]
pub use disk_buffer::{
    DISK_BUFFER_RETRY_MAX, DISK_BUFFER_RETRY_MIN, DISK_BUFFER_WRITE_TIMEOUT, DiskBuffer,
    DiskBufferStats,
};
/// The durable queue's options (size bound, fsync policy, what to do when full), for
/// [`DiskBuffer::open`].
#[cfg(feature = "disk-buffer")]
pub use durable_queue::{FsyncPolicy, FullPolicy, Options as DiskBufferOptions};
pub use http::HttpSink;
pub use logs::LogExporter;
pub use metrics::MetricExporter;
pub use sink::{Batch, LineSink, MemorySink, SinkError, SinkFuture, SinkOutcome, WriterSink};
pub use stats::{ExportStats, StatsHandle};
pub use trace::SpanExporter;

// Re-exported so applications can configure everything from this crate.
pub use datalayers_client::config::{ClientConfig, ClientSettings, Compression, Protocol};
pub use otlp_influx::{MappingConfig, MetricsSchema};
