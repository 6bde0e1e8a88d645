//! [`Client`]: the async client (writes here, queries in [`crate::query`]).

use std::sync::Arc;

use reqwest::Url;

use crate::config::{ClientConfig, Protocol};
use crate::error::{ClientError, ConfigError};
use crate::transport::Transport;

/// Async client for Datalayers and InfluxDB over HTTP. Cheap to clone (one shared connection
/// pool); needs a tokio runtime with time and I/O enabled. From code that has no tokio runtime
/// (the OpenTelemetry SDK's exporter threads), use [`BackgroundClient`](crate::BackgroundClient).
#[derive(Debug, Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) config: ClientConfig,
    pub(crate) transport: Transport,
    /// Where writes go; `Err` when the configuration lacks the database/bucket (queries still work).
    pub(crate) write_url: Result<Url, ConfigError>,
}

impl Client {
    /// Builds a client. Fails on a malformed endpoint, headers or credentials.
    ///
    /// A missing database (or bucket) does not fail here, so a client can run queries such as
    /// `create database`; writes then fail with that configuration error, counted. Call
    /// [`ClientConfig::validate`] first to insist on a write-ready configuration.
    pub fn new(config: ClientConfig) -> Result<Self, ClientError> {
        if let Err(err) = config.validate()
            && !matches!(err, ConfigError::Missing { .. })
        {
            return Err(err.into());
        }
        let transport = Transport::new(&config)?;
        let write_url = write_params(&config).map(|params| {
            let params: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
            transport.write_url(config.protocol.write_path(), &params)
        });
        Ok(Self {
            inner: Arc::new(Inner {
                config,
                transport,
                write_url,
            }),
        })
    }

    /// The configuration the client was built with.
    pub fn config(&self) -> &ClientConfig {
        &self.inner.config
    }

    /// The shared HTTP transport (for the query side).
    pub(crate) fn transport(&self) -> &Transport {
        &self.inner.transport
    }
}

/// The write URL's query parameters for the configured protocol.
fn write_params(config: &ClientConfig) -> Result<Vec<(&'static str, String)>, ConfigError> {
    let precision = ("precision", config.precision.as_str().to_owned());
    Ok(match config.protocol {
        Protocol::Datalayers | Protocol::InfluxDbV1 => {
            let database = config.database.clone().ok_or(ConfigError::Missing {
                what: "database",
                variable: crate::config::OTEL_EXPORTER_DATALAYERS_DATABASE,
            })?;
            vec![("db", database), precision]
        }
        Protocol::InfluxDbV2 => {
            let bucket = config.effective_bucket().ok_or(ConfigError::Missing {
                what: "bucket",
                variable: crate::config::OTEL_EXPORTER_DATALAYERS_BUCKET,
            })?;
            let mut params = Vec::with_capacity(3);
            if let Some(org) = &config.org {
                params.push(("org", org.clone()));
            }
            params.push(("bucket", bucket.to_owned()));
            params.push(precision);
            params
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use lineproto::Precision;

    #[test]
    fn write_url_per_protocol() {
        let url = |config: ClientConfig| {
            Client::new(config)
                .unwrap()
                .inner
                .write_url
                .clone()
                .map(|u| u.to_string())
        };
        assert_eq!(
            url(ClientConfig::new("http://127.0.0.1:8361").with_database("otel")).unwrap(),
            "http://127.0.0.1:8361/write?db=otel&precision=ns"
        );
        assert_eq!(
            url(ClientConfig::new("http://h:8086/")
                .with_protocol(Protocol::InfluxDbV1)
                .with_database("a b")
                .with_precision(Precision::Milliseconds))
            .unwrap(),
            "http://h:8086/write?db=a+b&precision=ms"
        );
        assert_eq!(
            url(ClientConfig::new("http://h:8086")
                .with_protocol(Protocol::InfluxDbV2)
                .with_org("my org")
                .with_bucket("b"))
            .unwrap(),
            "http://h:8086/api/v2/write?org=my+org&bucket=b&precision=ns"
        );
        // No org: not sent (the reference sends `org=` empty). Database stands in for the bucket.
        assert_eq!(
            url(ClientConfig::new("http://h:8181")
                .with_protocol(Protocol::InfluxDbV2)
                .with_database("db3"))
            .unwrap(),
            "http://h:8181/api/v2/write?bucket=db3&precision=ns"
        );
        assert!(
            url(ClientConfig::new("http://h"))
                .unwrap_err()
                .to_string()
                .contains("database")
        );
    }

    #[test]
    fn bad_config_fails_at_build() {
        assert!(Client::new(ClientConfig::new("ftp://h").with_database("d")).is_err());
        assert!(
            Client::new(
                ClientConfig::new("http://h")
                    .with_database("d")
                    .with_token("t")
            )
            .is_err()
        );
        assert!(
            Client::new(
                ClientConfig::new("http://h")
                    .with_database("d")
                    .with_header("bad name", "v")
            )
            .is_err()
        );
    }
}
