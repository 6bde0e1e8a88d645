//! Helpers shared by the integration tests and the benchmark; each uses a different part.
#![allow(dead_code)]

pub(crate) mod discard;
pub(crate) mod loopback;
pub(crate) mod spans;

use std::time::Duration;

use sdk_exporter::{Protocol, SpanExporterBuilder};

/// A builder that ignores the process environment and writes to `url` as InfluxDB 1.x, database
/// `otel`, with `timeout` per export.
pub(crate) fn http_builder(url: &str, timeout: Duration) -> SpanExporterBuilder {
    SpanExporterBuilder::new()
        .with_env(|_| None)
        .with_endpoint(url)
        .with_database("otel")
        .with_protocol(Protocol::InfluxDbV1)
        .with_timeout(timeout)
}
