//! [`ExporterBuilder`]: one place to configure the destination, the mapping and the sink, with
//! the `OTEL_EXPORTER_DATALAYERS_*` environment underneath (builder calls win). The destination
//! is a [`ClientSettings`], the same layered settings the `otel-lp` CLI fills from its flags.

use std::fmt;
use std::io::Write;
use std::marker::PhantomData;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use datalayers_client::config::{ClientConfig, ClientSettings, Compression, Protocol};
use opentelemetry_sdk::metrics::Temporality;
use otlp_influx::{MappingConfig, MetricsSchema};

use crate::pipeline::Pipeline;
use crate::{
    HttpSink, LineSink, LogExporter, MetricExporter, SpanExporter, StatsHandle, WriterSink,
};

/// Why an exporter could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// The HTTP destination is not configured or the environment holds an invalid value.
    #[error("datalayers client configuration: {0}")]
    Client(#[from] datalayers_client::ConfigError),
    /// The HTTP client could not start.
    #[error("datalayers client: {0}")]
    Transport(#[from] datalayers_client::ClientError),
    /// The mapping options are inconsistent (e.g. a duplicate dimension).
    #[error("mapping configuration: {0}")]
    Mapping(#[from] otlp_influx::ConfigError),
    /// The disk buffer's directory could not be opened (feature `disk-buffer`).
    #[cfg(feature = "disk-buffer")]
    #[error("disk buffer: {0}")]
    DiskBuffer(#[from] durable_queue::Error),
}

/// Builds one kind of exporter: [`SpanExporterBuilder`] (from [`SpanExporter::builder`]),
/// [`LogExporterBuilder`] or [`MetricExporterBuilder`]; each has a `build` for its own kind only.
///
/// Without a sink choice the exporter writes over HTTP with [`datalayers_client`]. The destination
/// is a [`ClientSettings`]: what the `with_` calls set wins, and the
/// `OTEL_EXPORTER_DATALAYERS_*` environment fills the rest when `build` runs (a variable that a
/// `with_` call overrides is never read, so a bad value there cannot fail the build).
///
/// Exporters built from one builder, its clones and [`for_exporter`](Self::for_exporter) share one
/// sink (one connection pool and runtime thread) and one [`StatsHandle`]:
///
/// ```no_run
/// use sdk_exporter::{LogExporter, SpanExporter};
/// # fn main() -> Result<(), sdk_exporter::BuildError> {
/// let spans = SpanExporter::builder()
///     .with_endpoint("http://127.0.0.1:8361")
///     .with_database("otel");
/// let span_exporter = spans.build()?;
/// let log_exporter = spans.for_exporter::<LogExporter>().build()?;
/// # Ok(()) }
/// ```
///
/// A builder builds its own kind of exporter only:
///
/// ```compile_fail
/// let exporter: sdk_exporter::SpanExporter = sdk_exporter::LogExporter::builder().build()?;
/// # Ok::<(), sdk_exporter::BuildError>(())
/// ```
pub struct ExporterBuilder<E: ExporterKind> {
    env: Option<Arc<EnvLookup>>,
    /// Destination settings given in code; the environment fills the rest at build time.
    settings: ClientSettings,
    /// A complete configuration that replaces the environment and the defaults.
    base_config: Option<ClientConfig>,
    mapping: MappingConfig,
    sink: SinkChoice,
    temporality: Temporality,
    stats: StatsHandle,
    /// The HTTP sink already built, shared with clones and `for_exporter` builders.
    built_sink: Arc<Mutex<Option<BuiltSink>>>,
    /// `with_disk_buffer`: the queue's directory and options, and the buffer once opened (one
    /// per directory, shared like the HTTP sink).
    #[cfg(feature = "disk-buffer")]
    disk_buffer: Option<(std::path::PathBuf, durable_queue::Options)>,
    #[cfg(feature = "disk-buffer")]
    built_buffer: Arc<Mutex<Option<Arc<dyn LineSink>>>>,
    exporter: PhantomData<fn() -> E>,
}

/// Builds [`SpanExporter`]s: `SpanExporter::builder().build()`.
pub type SpanExporterBuilder = ExporterBuilder<SpanExporter>;
/// Builds [`LogExporter`]s: `LogExporter::builder().build()`.
pub type LogExporterBuilder = ExporterBuilder<LogExporter>;
/// Builds [`MetricExporter`]s: `MetricExporter::builder().build()`.
pub type MetricExporterBuilder = ExporterBuilder<MetricExporter>;

/// What an [`ExporterBuilder`] builds: [`SpanExporter`], [`LogExporter`] or [`MetricExporter`].
/// Sealed.
pub trait ExporterKind: sealed::Sealed {}

mod sealed {
    pub trait Sealed {}
}

impl sealed::Sealed for SpanExporter {}
impl sealed::Sealed for LogExporter {}
impl sealed::Sealed for MetricExporter {}
impl ExporterKind for SpanExporter {}
impl ExporterKind for LogExporter {}
impl ExporterKind for MetricExporter {}

/// An HTTP sink with the configuration it was built for.
type BuiltSink = (ClientConfig, Arc<dyn LineSink>);

/// Where `OTEL_EXPORTER_DATALAYERS_*` values come from instead of the process environment.
type EnvLookup = dyn Fn(&str) -> Option<String> + Send + Sync;

#[derive(Clone)]
enum SinkChoice {
    Http,
    Custom(Arc<dyn LineSink>),
}

impl<E: ExporterKind> Default for ExporterBuilder<E> {
    fn default() -> Self {
        Self {
            env: None,
            settings: ClientSettings::new(),
            base_config: None,
            mapping: MappingConfig::default(),
            sink: SinkChoice::Http,
            temporality: Temporality::Cumulative,
            stats: StatsHandle::default(),
            built_sink: Arc::default(),
            #[cfg(feature = "disk-buffer")]
            disk_buffer: None,
            #[cfg(feature = "disk-buffer")]
            built_buffer: Arc::default(),
            exporter: PhantomData,
        }
    }
}

/// A clone shares the sink and the counters (see [`ExporterBuilder::for_exporter`]).
impl<E: ExporterKind> Clone for ExporterBuilder<E> {
    fn clone(&self) -> Self {
        self.for_exporter()
    }
}

impl<E: ExporterKind> fmt::Debug for ExporterBuilder<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sink: &dyn fmt::Debug = match &self.sink {
            SinkChoice::Http => &"http",
            SinkChoice::Custom(sink) => sink,
        };
        f.debug_struct("ExporterBuilder")
            .field("exporter", &std::any::type_name::<E>())
            .field("settings", &self.settings)
            .field("base_config", &self.base_config)
            .field("mapping", &self.mapping)
            .field("sink", sink)
            .field("temporality", &self.temporality)
            .finish_non_exhaustive()
    }
}

impl ExporterBuilder<SpanExporter> {
    /// A span exporter for `SdkTracerProvider::builder().with_batch_exporter(..)`.
    pub fn build(&self) -> Result<SpanExporter, BuildError> {
        Ok(SpanExporter::new(self.pipeline()?))
    }
}

impl ExporterBuilder<LogExporter> {
    /// A log exporter for `SdkLoggerProvider::builder().with_batch_exporter(..)`.
    pub fn build(&self) -> Result<LogExporter, BuildError> {
        Ok(LogExporter::new(self.pipeline()?))
    }
}

impl ExporterBuilder<MetricExporter> {
    /// A metric exporter for `SdkMeterProvider::builder().with_periodic_exporter(..)`.
    pub fn build(&self) -> Result<MetricExporter, BuildError> {
        Ok(MetricExporter::new(self.pipeline()?, self.temporality))
    }

    /// Aggregation temporality the metric exporter asks for (default cumulative, which the
    /// Prometheus-style schemas need to write counters).
    pub fn with_temporality(mut self, temporality: Temporality) -> Self {
        self.temporality = temporality;
        self
    }
}

impl<E: ExporterKind> ExporterBuilder<E> {
    /// A builder that reads the environment when it builds.
    pub fn new() -> Self {
        Self::default()
    }

    /// The same settings, mapping and sink for another kind of exporter, sharing this builder's
    /// HTTP sink and counters: `spans.for_exporter::<LogExporter>().build()`.
    pub fn for_exporter<F: ExporterKind>(&self) -> ExporterBuilder<F> {
        ExporterBuilder {
            env: self.env.clone(),
            settings: self.settings.clone(),
            base_config: self.base_config.clone(),
            mapping: self.mapping.clone(),
            sink: self.sink.clone(),
            temporality: self.temporality,
            stats: self.stats.clone(),
            built_sink: Arc::clone(&self.built_sink),
            #[cfg(feature = "disk-buffer")]
            disk_buffer: self.disk_buffer.clone(),
            #[cfg(feature = "disk-buffer")]
            built_buffer: Arc::clone(&self.built_buffer),
            exporter: PhantomData,
        }
    }

    /// Reads the `OTEL_EXPORTER_DATALAYERS_*` settings through `lookup` instead of the process
    /// environment (tests, or a configuration file mapped to the same names).
    pub fn with_env(
        mut self,
        lookup: impl Fn(&str) -> Option<String> + Send + Sync + 'static,
    ) -> Self {
        self.env = Some(Arc::new(lookup));
        self
    }

    /// Uses this complete client configuration instead of the environment and the defaults; the
    /// destination `with_` calls still override its fields.
    pub fn with_client_config(mut self, config: ClientConfig) -> Self {
        self.base_config = Some(config);
        self
    }

    /// Replaces the destination settings given in code so far (the environment still fills
    /// what `settings` leaves unset), e.g. settings a program read from its own flags.
    pub fn with_client_settings(mut self, settings: ClientSettings) -> Self {
        self.settings = settings;
        self
    }

    /// Server base URL, e.g. `http://127.0.0.1:8361` (`OTEL_EXPORTER_DATALAYERS_ENDPOINT`).
    pub fn with_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.settings = self.settings.with_endpoint(endpoint);
        self
    }

    /// Database to write to (`OTEL_EXPORTER_DATALAYERS_DATABASE`).
    pub fn with_database(mut self, database: impl Into<String>) -> Self {
        self.settings = self.settings.with_database(database);
        self
    }

    /// HTTP basic authentication (`_USERNAME`, `_PASSWORD`; the environment's token is then not
    /// read).
    pub fn with_basic_auth(
        mut self,
        username: impl Into<String>,
        password: impl Into<String>,
    ) -> Self {
        self.settings = self.settings.with_basic_auth(username, password);
        self
    }

    /// Token authentication (`_TOKEN`; the environment's user name and password are then not
    /// read).
    pub fn with_token(mut self, token: impl Into<String>) -> Self {
        self.settings = self.settings.with_token(token);
        self
    }

    /// InfluxDB 2 organisation (`_ORG`).
    pub fn with_org(mut self, org: impl Into<String>) -> Self {
        self.settings = self.settings.with_org(org);
        self
    }

    /// InfluxDB 2 bucket (`_BUCKET`).
    pub fn with_bucket(mut self, bucket: impl Into<String>) -> Self {
        self.settings = self.settings.with_bucket(bucket);
        self
    }

    /// Server family (`_PROTOCOL`: `datalayers`, `influxdb-v1`, `influxdb-v2`). It also picks the
    /// line-protocol dialect, for every sink.
    pub fn with_protocol(mut self, protocol: Protocol) -> Self {
        self.settings = self.settings.with_protocol(protocol);
        self
    }

    /// Deadline of one export, retries included (`_TIMEOUT` in milliseconds; default 10 s).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.settings = self.settings.with_timeout(timeout);
        self
    }

    /// Request body compression (`_COMPRESSION`: `gzip` or `none`).
    pub fn with_compression(mut self, compression: Compression) -> Self {
        self.settings = self.settings.with_compression(compression);
        self
    }

    /// Replaces every mapping option at once. Its dialect and precision are overridden by the
    /// client configuration (the protocol decides them), so the lines always match the server.
    pub fn with_mapping_config(mut self, mapping: MappingConfig) -> Self {
        self.mapping = mapping;
        self
    }

    /// Span attributes written as tags (default `service.name`, `span.name`).
    pub fn with_span_dimensions<I, S>(mut self, keys: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.mapping.span_dimensions = keys.into_iter().map(Into::into).collect();
        self
    }

    /// Log record attributes written as tags (default `service.name`).
    pub fn with_log_record_dimensions<I, S>(mut self, keys: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.mapping.log_record_dimensions = keys.into_iter().map(Into::into).collect();
        self
    }

    /// Metrics schema (default `telegraf-prometheus-v1`).
    pub fn with_metrics_schema(mut self, schema: MetricsSchema) -> Self {
        self.mapping.metrics_schema = schema;
        self
    }

    /// Datalayers-friendly fixed tag and field sets (see `otlp_influx::stable_columns_ddl`).
    pub fn with_stable_columns(mut self, stable: bool) -> Self {
        self.mapping.stable_columns = stable;
        self
    }

    /// Sends the lines to `sink` instead of over HTTP.
    pub fn with_sink(mut self, sink: impl LineSink) -> Self {
        self.sink = SinkChoice::Custom(Arc::new(sink));
        self
    }

    /// Puts every export in a write-ahead queue in `dir` before it goes to the sink (HTTP or
    /// the one given with [`with_sink`](Self::with_sink)), so telemetry survives an outage of
    /// the destination and a restart of the app: see [`DiskBuffer`](crate::DiskBuffer).
    /// Feature `disk-buffer`.
    #[cfg(feature = "disk-buffer")]
    pub fn with_disk_buffer(
        mut self,
        dir: impl Into<std::path::PathBuf>,
        options: durable_queue::Options,
    ) -> Self {
        self.disk_buffer = Some((dir.into(), options));
        self
    }

    /// Writes the lines to standard output.
    pub fn with_stdout(self) -> Self {
        self.with_sink(WriterSink::stdout())
    }

    /// Writes the lines to `writer` (e.g. a file).
    pub fn with_writer(self, writer: impl Write + Send + 'static) -> Self {
        self.with_sink(WriterSink::new(writer))
    }

    /// The counters every exporter of this builder adds to.
    pub fn stats_handle(&self) -> StatsHandle {
        self.stats.clone()
    }

    fn pipeline(&self) -> Result<Pipeline, BuildError> {
        // The client configuration decides the dialect, precision and deadline for every sink, so
        // what a writer sink prints is exactly what would be sent.
        let config = self.client_config()?;
        let mut mapping = self.mapping.clone();
        mapping.encoder.dialect = config.dialect();
        mapping.encoder.precision = config.precision;
        mapping.validate()?;
        let timeout = config.timeout;
        let sink = match &self.sink {
            SinkChoice::Http => self.http_sink(config)?,
            SinkChoice::Custom(sink) => Arc::clone(sink),
        };
        #[cfg(feature = "disk-buffer")]
        let sink = self.buffered(sink)?;
        Ok(Pipeline::new(mapping, sink, self.stats.clone(), timeout))
    }

    /// `sink` behind the disk buffer, when one is configured: opened once and shared.
    #[cfg(feature = "disk-buffer")]
    fn buffered(&self, sink: Arc<dyn LineSink>) -> Result<Arc<dyn LineSink>, BuildError> {
        let Some((dir, options)) = &self.disk_buffer else {
            return Ok(sink);
        };
        let mut built = self
            .built_buffer
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(buffer) = &*built {
            return Ok(Arc::clone(buffer));
        }
        let buffer: Arc<dyn LineSink> =
            Arc::new(crate::DiskBuffer::open_shared(dir, options.clone(), sink)?);
        *built = Some(Arc::clone(&buffer));
        Ok(buffer)
    }

    /// The settings given in code, then the environment for what they leave unset (or the
    /// complete configuration given with `with_client_config`, which replaces the environment).
    fn client_config(&self) -> Result<ClientConfig, BuildError> {
        let settings = self.settings.clone();
        let config = match (&self.base_config, &self.env) {
            (Some(base), _) => settings.resolve_onto(base.clone())?,
            (None, Some(lookup)) => settings.fill_from_lookup(|name| lookup(name))?.resolve()?,
            (None, None) => settings.fill_from_env()?.resolve()?,
        };
        Ok(config)
    }

    /// One HTTP sink per builder and destination, shared by the exporters it builds.
    fn http_sink(&self, config: ClientConfig) -> Result<Arc<dyn LineSink>, BuildError> {
        let mut built = self
            .built_sink
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        // Reused only for the same destination: a builder changed between builds gets a new one.
        if let Some((built_for, sink)) = &*built
            && *built_for == config
        {
            return Ok(Arc::clone(sink));
        }
        let sink: Arc<dyn LineSink> = Arc::new(HttpSink::new(config.clone())?);
        *built = Some((config, Arc::clone(&sink)));
        Ok(sink)
    }
}
