//! OpenTelemetry SDK exporters that write traces, logs and metrics as line protocol straight to
//! Datalayers or InfluxDB: no collector in between.
//!
//! [`SpanExporter`], [`LogExporter`] and [`MetricExporter`] implement the `opentelemetry_sdk`
//! 0.33 exporter traits. Each batch is mapped with the otel2influx schema ([`otlp_influx`]) into a
//! reused line-protocol buffer and handed to a [`LineSink`]: HTTP by default ([`HttpSink`], with
//! batching, gzip and retries from [`datalayers_client`]), or standard output, a file, memory
//! ([`MemorySink`]) or your own sink.
//!
//! # Install it in a tracer provider
//!
//! ```no_run
//! use opentelemetry::trace::{Tracer, TracerProvider};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // Reads OTEL_EXPORTER_DATALAYERS_ENDPOINT, _DATABASE, _PROTOCOL, ... from the environment.
//! let exporter = sdk_exporter::SpanExporter::builder().build()?;
//! let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder().with_batch_exporter(exporter).build();
//! provider.tracer("my-app").in_span("handle request", |_cx| { /* your code */ });
//! provider.shutdown()?; // flushes what is still queued
//! # Ok(()) }
//! ```
//!
//! Each exporter has its own builder (`SpanExporter::builder()`, `LogExporter::builder()`,
//! `MetricExporter::builder()`), whose `build` makes that exporter and no other. The builder
//! configures every setting in code, and builder calls win over the environment. Exporters built
//! from one builder (or from [`ExporterBuilder::for_exporter`] of it) share the HTTP connection
//! pool and the counters:
//!
//! ```
//! use opentelemetry::trace::{Tracer, TracerProvider};
//! use opentelemetry_sdk::trace::SdkTracerProvider;
//! use sdk_exporter::{LogExporter, MemorySink, SpanExporter};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let sink = MemorySink::new();
//! let builder = SpanExporter::builder()
//!     .with_sink(sink.clone()) // or .with_stdout(), .with_writer(file); HTTP when not set
//!     .with_span_dimensions(["service.name", "http.route"]);
//! let exporter = builder.build()?;
//! // For an SdkLoggerProvider: the same sink and the same counters.
//! let _log_exporter = builder.for_exporter::<LogExporter>().build()?;
//! let stats = exporter.stats_handle();
//!
//! let provider = SdkTracerProvider::builder().with_simple_exporter(exporter).build();
//! provider.tracer("docs").in_span("checkout", |_cx| {});
//! provider.shutdown()?;
//!
//! assert!(sink.lines()[0].starts_with("spans,"));
//! assert_eq!(stats.snapshot().spans, 1);
//! # Ok(()) }
//! ```
//!
//! # Configuration
//!
//! | variable | meaning | default |
//! |---|---|---|
//! | `OTEL_EXPORTER_DATALAYERS_ENDPOINT` | server base URL | `http://localhost:8361` |
//! | `OTEL_EXPORTER_DATALAYERS_DATABASE` | database (Datalayers, InfluxDB 1.x) | required for HTTP |
//! | `OTEL_EXPORTER_DATALAYERS_USERNAME`, `_PASSWORD` | HTTP basic auth | none |
//! | `OTEL_EXPORTER_DATALAYERS_TOKEN` | token auth (InfluxDB 2.x) | none |
//! | `OTEL_EXPORTER_DATALAYERS_ORG`, `_BUCKET` | InfluxDB 2.x organisation and bucket | none |
//! | `OTEL_EXPORTER_DATALAYERS_PROTOCOL` | `datalayers`, `influxdb-v1`, `influxdb-v2` (also picks the line-protocol dialect) | `datalayers` |
//! | `OTEL_EXPORTER_DATALAYERS_TIMEOUT` | deadline of one export in ms, retries included | `10000` |
//! | `OTEL_EXPORTER_DATALAYERS_COMPRESSION` | `gzip` or `none` | `none` |
//! | `OTEL_EXPORTER_DATALAYERS_CERTIFICATE` | PEM file of extra CA certificates to trust | none |
//!
//! Each has a builder method ([`ExporterBuilder::with_endpoint`], ...; or a whole
//! [`ClientSettings`] with [`ExporterBuilder::with_client_settings`]), which wins: a variable that
//! a builder call overrides is not even read. Mapping options (span and log dimensions, metrics
//! schema, stable columns) are builder methods too.
//!
//! # Your own sink
//!
//! Implement [`LineSink`] to send lines anywhere: it gets whole lines with their boundaries and
//! returns a [`SinkOutcome`] the counters understand. See the trait for an example.
//!
//! # What the exporters guarantee
//!
//! - **Any executor.** The SDK's batch processors poll `export` with
//!   `futures_executor::block_on` on plain threads; the async-runtime processors poll it on tokio.
//!   Both work, and so does a `main` without tokio: on a thread without a tokio runtime the HTTP
//!   sink makes the request right there (blocking that thread, with no thread hop), inside tokio
//!   it runs the I/O on a private runtime thread and hands back a future that needs nothing from
//!   the caller's runtime. No "there is no reactor running" panic.
//! - **A deadline on every export** (`OTEL_EXPORTER_DATALAYERS_TIMEOUT`, default 10 s, retries included), enforced
//!   by the exporter itself with a timer thread, so a stuck sink cannot stall the SDK's worker.
//! - **Shutdown** flushes within its timeout and is idempotent: the second call, and every export
//!   after it, returns `OTelSdkError::AlreadyShutdown`.
//! - **No feedback loop.** Mapping and the sink run with OpenTelemetry telemetry suppressed, so
//!   spans or logs emitted by the transport (or your sink) are not exported back through us.
//! - **Nothing lost silently.** Mapping drops, rejected and failed lines are counted in
//!   [`ExportStats`] (read them with [`SpanExporter::stats_handle`]) and turn the export result
//!   into an error the SDK logs. Panics in a sink are caught and counted.
//! - **Cheap.** Spans are encoded straight from `SpanData` into a buffer reused across exports,
//!   which the HTTP sink sends without copying it; the resource is converted once, in
//!   `set_resource`.

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
