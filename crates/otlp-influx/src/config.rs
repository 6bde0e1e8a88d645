//! What the mapper writes: dialect and float format (through the encoder options), which
//! attributes become tags, the metrics schema, and the Datalayers stable-columns mode.

use std::{fmt, str::FromStr};

/// Default `span_dimensions` (as the collector's InfluxDB exporter).
pub const DEFAULT_SPAN_DIMENSIONS: [&str; 2] = ["service.name", "span.name"];
/// Default `log_record_dimensions` (as the collector's InfluxDB exporter).
pub const DEFAULT_LOG_RECORD_DIMENSIONS: [&str; 1] = ["service.name"];

/// The metrics schema: how metric points become lines (see the `metrics` module).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum MetricsSchema {
    /// `telegraf-prometheus-v1` (the default): measurement = metric name, fields `gauge`,
    /// `counter`, `count`, `sum`, bucket bounds, quantiles.
    #[default]
    TelegrafPrometheusV1,
    /// `telegraf-prometheus-v2`: measurement `prometheus`, field = metric name.
    TelegrafPrometheusV2,
    /// `otel-v1`: measurement `<name>_<unit>_<type>`.
    OtelV1,
}

impl MetricsSchema {
    /// Every schema, in documentation order.
    pub const ALL: &[Self] = &[
        Self::TelegrafPrometheusV1,
        Self::TelegrafPrometheusV2,
        Self::OtelV1,
    ];

    /// The configuration name: `telegraf-prometheus-v1`, `telegraf-prometheus-v2` or `otel-v1`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::TelegrafPrometheusV1 => "telegraf-prometheus-v1",
            Self::TelegrafPrometheusV2 => "telegraf-prometheus-v2",
            Self::OtelV1 => "otel-v1",
        }
    }
}

impl fmt::Display for MetricsSchema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for MetricsSchema {
    type Err = ConfigError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .iter()
            .copied()
            .find(|schema| schema.name() == s)
            .ok_or_else(|| ConfigError::UnknownMetricsSchema(s.to_owned()))
    }
}

/// Everything that decides the written lines.
///
/// Built from [`MappingConfig::new`] (or `default()`) and the `with_*` methods; the fields are
/// public to read and to set one at a time. New settings may be added in a minor release (the
/// struct is `#[non_exhaustive]`), always with a default that keeps the lines as they were.
///
/// ```
/// use lineproto::{Dialect, EncoderOptions, FloatFormat};
/// use otlp_influx::{MappingConfig, MetricsSchema};
///
/// let config = MappingConfig::new(Dialect::InfluxDbV1)
///     .with_span_dimensions(["service.name", "http.route"])
///     .with_metrics_schema("otel-v1".parse()?);
/// assert!(config.validate().is_ok());
/// assert_eq!(config.metrics_schema, MetricsSchema::OtelV1);
///
/// // Reference-compatible float text: the encoder options as a whole.
/// let reference = MappingConfig::default().with_encoder(
///     EncoderOptions::new(Dialect::InfluxDbV1).with_float_format(FloatFormat::GoStrconv),
/// );
/// assert_eq!(reference.encoder.float_format, FloatFormat::GoStrconv);
///
/// // One field at a time works too.
/// let mut datalayers = MappingConfig::default();
/// datalayers.stable_columns = true;
/// assert_eq!(datalayers, MappingConfig::default().with_stable_columns(true));
/// # Ok::<(), otlp_influx::ConfigError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct MappingConfig {
    /// Line encoding: dialect (Datalayers by default), float format (`GoStrconv` matches the
    /// reference byte for byte), NaN policy, precision, tag order.
    pub encoder: lineproto::EncoderOptions,
    /// Attribute keys (resource, scope or span level) written as tags of `spans` lines.
    /// Default [`DEFAULT_SPAN_DIMENSIONS`].
    pub span_dimensions: Vec<String>,
    /// Attribute keys (resource, scope or record level) written as tags of `logs` lines.
    /// Default [`DEFAULT_LOG_RECORD_DIMENSIONS`].
    pub log_record_dimensions: Vec<String>,
    /// How metrics are laid out.
    pub metrics_schema: MetricsSchema,
    /// Datalayers-friendly fixed tag keys per measurement (missing values written as
    /// [`PLACEHOLDER`](crate::PLACEHOLDER)) and matching `CREATE TABLE` DDL; see the crate docs.
    pub stable_columns: bool,
}

impl Default for MappingConfig {
    fn default() -> Self {
        Self {
            encoder: lineproto::EncoderOptions::default(),
            span_dimensions: DEFAULT_SPAN_DIMENSIONS.map(String::from).to_vec(),
            log_record_dimensions: DEFAULT_LOG_RECORD_DIMENSIONS.map(String::from).to_vec(),
            metrics_schema: MetricsSchema::default(),
            stable_columns: false,
        }
    }
}

impl MappingConfig {
    /// The default configuration for `dialect`.
    pub fn new(dialect: lineproto::Dialect) -> Self {
        Self {
            encoder: lineproto::EncoderOptions::new(dialect),
            ..Self::default()
        }
    }

    /// Sets the line encoding options (dialect, float format, NaN policy, precision, tag order).
    pub fn with_encoder(mut self, encoder: lineproto::EncoderOptions) -> Self {
        self.encoder = encoder;
        self
    }

    /// Sets the attribute keys written as tags of `spans` lines (replacing the defaults).
    pub fn with_span_dimensions<I>(mut self, keys: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        self.span_dimensions = keys.into_iter().map(Into::into).collect();
        self
    }

    /// Sets the attribute keys written as tags of `logs` lines (replacing the defaults).
    pub fn with_log_record_dimensions<I>(mut self, keys: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        self.log_record_dimensions = keys.into_iter().map(Into::into).collect();
        self
    }

    /// Sets the metrics schema.
    pub fn with_metrics_schema(mut self, metrics_schema: MetricsSchema) -> Self {
        self.metrics_schema = metrics_schema;
        self
    }

    /// Turns the Datalayers stable-columns mode on or off (see
    /// [`MappingConfig::stable_columns`]).
    pub fn with_stable_columns(mut self, stable_columns: bool) -> Self {
        self.stable_columns = stable_columns;
        self
    }

    /// Checks the dimension lists: no duplicates (the reference refuses them too), and every
    /// key usable as a tag key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        check_dimensions(&self.span_dimensions, DimensionList::Span)?;
        check_dimensions(&self.log_record_dimensions, DimensionList::LogRecord)
    }
}

fn check_dimensions(dims: &[String], list: DimensionList) -> Result<(), ConfigError> {
    let mut duplicates: Vec<&str> = Vec::new();
    for (i, key) in dims.iter().enumerate() {
        lineproto::Key::new(key).map_err(|reason| ConfigError::InvalidDimension {
            list,
            key: key.clone(),
            reason,
        })?;
        if dims[..i].contains(key) && !duplicates.contains(&key.as_str()) {
            duplicates.push(key);
        }
    }
    if duplicates.is_empty() {
        Ok(())
    } else {
        Err(ConfigError::DuplicateDimensions {
            list,
            keys: duplicates.join(","),
        })
    }
}

/// Which dimension list a [`ConfigError`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DimensionList {
    /// `span_dimensions`.
    Span,
    /// `log_record_dimensions`.
    LogRecord,
}

impl fmt::Display for DimensionList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Span => "span",
            Self::LogRecord => "log record",
        })
    }
}

/// A configuration the mapper refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The same key is listed twice (message as the collector's exporter).
    #[error("duplicate {list} dimension(s) configured: {keys}")]
    DuplicateDimensions {
        /// Which list.
        list: DimensionList,
        /// The repeated keys, joined by `,`.
        keys: String,
    },
    /// A dimension key cannot be a tag key (empty, control byte, trailing backslash).
    #[error("invalid {list} dimension {key:?}: {reason}")]
    InvalidDimension {
        /// Which list.
        list: DimensionList,
        /// The key.
        key: String,
        /// Why.
        reason: lineproto::NameError,
    },
    /// Not one of `telegraf-prometheus-v1`, `telegraf-prometheus-v2`, `otel-v1`.
    #[error("schema '{0}' not recognized")]
    UnknownMetricsSchema(String),
    /// A measurement's line template cannot be built from the configured keys (the dimension
    /// checks above refuse such keys first).
    #[error("line template: {0}")]
    Template(#[from] lineproto::TemplateError),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_reference_defaults() {
        let c = MappingConfig::default();
        assert_eq!(c.span_dimensions, ["service.name", "span.name"]);
        assert_eq!(c.log_record_dimensions, ["service.name"]);
        assert_eq!(c.metrics_schema, MetricsSchema::TelegrafPrometheusV1);
        assert!(!c.stable_columns);
        assert_eq!(c.encoder.dialect, lineproto::Dialect::Datalayers);
        assert!(c.validate().is_ok());
    }

    #[test]
    fn duplicate_dimensions_are_refused_once_per_key() {
        let c = MappingConfig {
            span_dimensions: ["a", "b", "a", "a", "b"].map(String::from).to_vec(),
            ..MappingConfig::default()
        };
        let err = c.validate().unwrap_err();
        assert_eq!(
            err.to_string(),
            "duplicate span dimension(s) configured: a,b"
        );
        let c = MappingConfig {
            log_record_dimensions: ["x", "x"].map(String::from).to_vec(),
            ..MappingConfig::default()
        };
        assert_eq!(
            c.validate().unwrap_err().to_string(),
            "duplicate log record dimension(s) configured: x"
        );
    }

    #[test]
    fn dimensions_must_be_usable_tag_keys() {
        for bad in ["", "a\nb", "trailing\\"] {
            let c = MappingConfig {
                span_dimensions: vec![bad.into()],
                ..MappingConfig::default()
            };
            assert!(matches!(
                c.validate(),
                Err(ConfigError::InvalidDimension {
                    list: DimensionList::Span,
                    ..
                })
            ));
        }
    }

    #[test]
    fn schema_names_round_trip() {
        for &schema in MetricsSchema::ALL {
            assert_eq!(schema.name().parse::<MetricsSchema>().unwrap(), schema);
            assert_eq!(schema.to_string(), schema.name());
        }
        assert_eq!(
            "prometheus-v1"
                .parse::<MetricsSchema>()
                .unwrap_err()
                .to_string(),
            "schema 'prometheus-v1' not recognized"
        );
    }
}
