//! [`ExporterBuilder`]: one place to configure the destination, the mapping and the sink, with
//! the `OTEL_EXPORTER_DATALAYERS_*` environment underneath (builder calls win).

use std::fmt;
use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use datalayers_client::config::{ClientConfig, Compression, Protocol};
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
}

/// Builds [`SpanExporter`], [`LogExporter`] and [`MetricExporter`].
///
/// Without a sink choice the exporters write over HTTP with
/// [`datalayers_client`], configured from the environment
/// (`OTEL_EXPORTER_DATALAYERS_ENDPOINT`, `_DATABASE`, `_USERNAME`, `_PASSWORD`, `_TOKEN`, `_ORG`,
/// `_BUCKET`, `_PROTOCOL`, `_TIMEOUT`, `_COMPRESSION`); every `with_` call overrides its variable.
///
/// Exporters built from one builder share one sink (one connection pool and runtime thread) and
/// one [`StatsHandle`]. Build them all from the same builder:
///
/// ```no_run
/// # fn main() -> Result<(), sdk_exporter::BuildError> {
/// let builder = sdk_exporter::ExporterBuilder::default()
///     .with_endpoint("http://127.0.0.1:8361")
///     .with_database("otel");
/// let spans = builder.build_span_exporter()?;
/// let logs = builder.build_log_exporter()?;
/// # Ok(()) }
/// ```
pub struct ExporterBuilder {
    env: Option<EnvLookup>,
    client: ClientOverrides,
    mapping: MappingConfig,
    sink: SinkChoice,
    temporality: Temporality,
    stats: StatsHandle,
    /// The HTTP sink already built, with the configuration it was built for.
    built_sink: Mutex<Option<(ClientConfig, Arc<dyn LineSink>)>>,
}

/// Destination settings given in code; `None` leaves the environment (or the default) in charge.
#[derive(Debug, Default, Clone)]
struct ClientOverrides {
    config: Option<ClientConfig>,
    endpoint: Option<String>,
    database: Option<String>,
    basic_auth: Option<(String, String)>,
    token: Option<String>,
    org: Option<String>,
    bucket: Option<String>,
    protocol: Option<Protocol>,
    timeout: Option<Duration>,
    compression: Option<Compression>,
}

impl ClientOverrides {
    /// Whether a builder call replaces the environment variable `name`.
    fn overrides(&self, name: &str) -> bool {
        use datalayers_client::config::*;
        let auth = self.basic_auth.is_some() || self.token.is_some();
        match name {
            OTEL_EXPORTER_DATALAYERS_ENDPOINT => self.endpoint.is_some(),
            OTEL_EXPORTER_DATALAYERS_DATABASE => self.database.is_some(),
            OTEL_EXPORTER_DATALAYERS_USERNAME
            | OTEL_EXPORTER_DATALAYERS_PASSWORD
            | OTEL_EXPORTER_DATALAYERS_TOKEN => auth,
            OTEL_EXPORTER_DATALAYERS_ORG => self.org.is_some(),
            OTEL_EXPORTER_DATALAYERS_BUCKET => self.bucket.is_some(),
            OTEL_EXPORTER_DATALAYERS_PROTOCOL => self.protocol.is_some(),
            OTEL_EXPORTER_DATALAYERS_TIMEOUT => self.timeout.is_some(),
            OTEL_EXPORTER_DATALAYERS_COMPRESSION => self.compression.is_some(),
            _ => false,
        }
    }
}

/// Where `OTEL_EXPORTER_DATALAYERS_*` values come from instead of the process environment.
type EnvLookup = Box<dyn Fn(&str) -> Option<String> + Send + Sync>;

enum SinkChoice {
    Http,
    Custom(Arc<dyn LineSink>),
}

impl Default for ExporterBuilder {
    fn default() -> Self {
        Self {
            env: None,
            client: ClientOverrides::default(),
            mapping: MappingConfig::default(),
            sink: SinkChoice::Http,
            temporality: Temporality::Cumulative,
            stats: StatsHandle::default(),
            built_sink: Mutex::new(None),
        }
    }
}

impl fmt::Debug for ExporterBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sink: &dyn fmt::Debug = match &self.sink {
            SinkChoice::Http => &"http",
            SinkChoice::Custom(sink) => sink,
        };
        f.debug_struct("ExporterBuilder")
            .field("client", &self.client)
            .field("mapping", &self.mapping)
            .field("sink", sink)
            .field("temporality", &self.temporality)
            .finish_non_exhaustive()
    }
}

impl ExporterBuilder {
    /// A builder that reads the environment when it builds.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads the `OTEL_EXPORTER_DATALAYERS_*` settings through `lookup` instead of the process
    /// environment (tests, or a configuration file mapped to the same names).
    pub fn with_env(
        mut self,
        lookup: impl Fn(&str) -> Option<String> + Send + Sync + 'static,
    ) -> Self {
        self.env = Some(Box::new(lookup));
        self
    }

    /// Uses this complete client configuration instead of reading the environment; later `with_`
    /// calls still override its fields.
    pub fn with_client_config(mut self, config: ClientConfig) -> Self {
        self.client.config = Some(config);
        self
    }

    /// Server base URL, e.g. `http://127.0.0.1:8361` (`OTEL_EXPORTER_DATALAYERS_ENDPOINT`).
    pub fn with_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.client.endpoint = Some(endpoint.into());
        self
    }

    /// Database to write to (`OTEL_EXPORTER_DATALAYERS_DATABASE`).
    pub fn with_database(mut self, database: impl Into<String>) -> Self {
        self.client.database = Some(database.into());
        self
    }

    /// HTTP basic authentication (`_USERNAME`, `_PASSWORD`).
    pub fn with_basic_auth(
        mut self,
        username: impl Into<String>,
        password: impl Into<String>,
    ) -> Self {
        self.client.basic_auth = Some((username.into(), password.into()));
        self
    }

    /// Token authentication (`_TOKEN`).
    pub fn with_token(mut self, token: impl Into<String>) -> Self {
        self.client.token = Some(token.into());
        self
    }

    /// InfluxDB 2 organisation (`_ORG`).
    pub fn with_org(mut self, org: impl Into<String>) -> Self {
        self.client.org = Some(org.into());
        self
    }

    /// InfluxDB 2 bucket (`_BUCKET`).
    pub fn with_bucket(mut self, bucket: impl Into<String>) -> Self {
        self.client.bucket = Some(bucket.into());
        self
    }

    /// Server family (`_PROTOCOL`: `datalayers`, `influxdb-v1`, `influxdb-v2`). It also picks the
    /// line-protocol dialect, for every sink.
    pub fn with_protocol(mut self, protocol: Protocol) -> Self {
        self.client.protocol = Some(protocol);
        self
    }

    /// Deadline of one export, retries included (`_TIMEOUT` in milliseconds; default 10 s).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.client.timeout = Some(timeout);
        self
    }

    /// Request body compression (`_COMPRESSION`: `gzip` or `none`).
    pub fn with_compression(mut self, compression: Compression) -> Self {
        self.client.compression = Some(compression);
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

    /// Aggregation temporality the metric exporter asks for (default cumulative, which the
    /// Prometheus-style schemas need to write counters).
    pub fn with_temporality(mut self, temporality: Temporality) -> Self {
        self.temporality = temporality;
        self
    }

    /// Sends the lines to `sink` instead of over HTTP.
    pub fn with_sink(mut self, sink: impl LineSink) -> Self {
        self.sink = SinkChoice::Custom(Arc::new(sink));
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

    /// A span exporter for `SdkTracerProvider::builder().with_batch_exporter(..)`.
    pub fn build_span_exporter(&self) -> Result<SpanExporter, BuildError> {
        Ok(SpanExporter::new(self.pipeline()?))
    }

    /// A log exporter for `SdkLoggerProvider::builder().with_batch_exporter(..)`.
    pub fn build_log_exporter(&self) -> Result<LogExporter, BuildError> {
        Ok(LogExporter::new(self.pipeline()?))
    }

    /// A metric exporter for `SdkMeterProvider::builder().with_periodic_exporter(..)`.
    pub fn build_metric_exporter(&self) -> Result<MetricExporter, BuildError> {
        Ok(MetricExporter::new(self.pipeline()?, self.temporality))
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
        Ok(Pipeline::new(mapping, sink, self.stats.clone(), timeout))
    }

    /// The environment (or the given config), then every builder override on top. Variables a
    /// builder call overrides are not even read, so a bad value there cannot fail the build.
    fn client_config(&self) -> Result<ClientConfig, BuildError> {
        let o = &self.client;
        let mut config = match &o.config {
            Some(config) => config.clone(),
            None => ClientConfig::from_lookup(|name| {
                if o.overrides(name) {
                    None
                } else if let Some(lookup) = &self.env {
                    lookup(name)
                } else {
                    std::env::var(name).ok()
                }
            })?,
        };
        if let Some(endpoint) = &o.endpoint {
            config = config.with_endpoint(endpoint.clone());
        }
        if let Some(database) = &o.database {
            config = config.with_database(database.clone());
        }
        if let Some((username, password)) = &o.basic_auth {
            config = config.with_basic_auth(username.clone(), password.clone());
        }
        if let Some(token) = &o.token {
            config = config.with_token(token.clone());
        }
        if let Some(org) = &o.org {
            config = config.with_org(org.clone());
        }
        if let Some(bucket) = &o.bucket {
            config = config.with_bucket(bucket.clone());
        }
        if let Some(protocol) = o.protocol {
            config = config.with_protocol(protocol);
        }
        if let Some(timeout) = o.timeout {
            config = config.with_timeout(timeout);
        }
        if let Some(compression) = o.compression {
            config = config.with_compression(compression);
        }
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
