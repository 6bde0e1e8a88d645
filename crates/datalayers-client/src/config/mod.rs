//! [`ClientConfig`]: where to write, how to authenticate, how to batch and retry.
//!
//! Every setting has a `pub const` default and the destination settings have an environment
//! variable (the same names configure the SDK exporter and the `otel-lp` CLI). Programs fill a
//! [`ClientSettings`] from code, flags and the environment (in that order of precedence) and
//! resolve it to a [`ClientConfig`]; [`ClientConfig::from_env`] is the environment alone. The
//! `with_*` methods of a [`ClientConfig`] set everything else:
//!
//! ```
//! use datalayers_client::config::{ClientConfig, Protocol};
//!
//! let config = ClientConfig::new("http://127.0.0.1:8361")
//!     .with_database("otel")
//!     .with_basic_auth("admin", "public")
//!     .with_protocol(Protocol::Datalayers);
//! // Secrets never show in Debug output.
//! assert!(!format!("{config:?}").contains("public"));
//! ```

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use lineproto::{Dialect, Precision};

use crate::error::ConfigError;

mod settings;

pub use settings::{ClientSettings, Origin, Setting};

/// Environment variable: the server's base URL, e.g. `http://127.0.0.1:8361`.
pub const OTEL_EXPORTER_DATALAYERS_ENDPOINT: &str = "OTEL_EXPORTER_DATALAYERS_ENDPOINT";
/// Default endpoint: a local Datalayers HTTP listener (port 8361).
pub const OTEL_EXPORTER_DATALAYERS_ENDPOINT_DEFAULT: &str = "http://localhost:8361";
/// Environment variable: the database (Datalayers, InfluxDB 1.x; the bucket fallback for 2.x/3.x).
pub const OTEL_EXPORTER_DATALAYERS_DATABASE: &str = "OTEL_EXPORTER_DATALAYERS_DATABASE";
/// Environment variable: user name for HTTP Basic auth (Datalayers, InfluxDB 1.x).
pub const OTEL_EXPORTER_DATALAYERS_USERNAME: &str = "OTEL_EXPORTER_DATALAYERS_USERNAME";
/// Environment variable: password for HTTP Basic auth.
pub const OTEL_EXPORTER_DATALAYERS_PASSWORD: &str = "OTEL_EXPORTER_DATALAYERS_PASSWORD";
/// Environment variable: API token, sent as `Authorization: Token <token>` (InfluxDB).
pub const OTEL_EXPORTER_DATALAYERS_TOKEN: &str = "OTEL_EXPORTER_DATALAYERS_TOKEN";
/// Environment variable: organization (InfluxDB 2.x `org=`).
pub const OTEL_EXPORTER_DATALAYERS_ORG: &str = "OTEL_EXPORTER_DATALAYERS_ORG";
/// Environment variable: bucket (InfluxDB 2.x/3.x `bucket=`).
pub const OTEL_EXPORTER_DATALAYERS_BUCKET: &str = "OTEL_EXPORTER_DATALAYERS_BUCKET";
/// Environment variable: `datalayers`, `influxdb-v1` or `influxdb-v2` (see [`Protocol`]).
pub const OTEL_EXPORTER_DATALAYERS_PROTOCOL: &str = "OTEL_EXPORTER_DATALAYERS_PROTOCOL";
/// Default protocol name.
pub const OTEL_EXPORTER_DATALAYERS_PROTOCOL_DEFAULT: &str = "datalayers";
/// Environment variable: the deadline of one write batch (request, retries and back-off), in
/// milliseconds, like `OTEL_EXPORTER_OTLP_TIMEOUT`.
pub const OTEL_EXPORTER_DATALAYERS_TIMEOUT: &str = "OTEL_EXPORTER_DATALAYERS_TIMEOUT";
/// Default deadline, in milliseconds.
pub const OTEL_EXPORTER_DATALAYERS_TIMEOUT_DEFAULT: u64 = 10_000;
/// Environment variable: `gzip` or `none`.
pub const OTEL_EXPORTER_DATALAYERS_COMPRESSION: &str = "OTEL_EXPORTER_DATALAYERS_COMPRESSION";
/// Environment variable: path of a PEM file with extra CA certificates to trust (e.g. a
/// self-signed Datalayers `[server.tls]` certificate), like `OTEL_EXPORTER_OTLP_CERTIFICATE`.
pub const OTEL_EXPORTER_DATALAYERS_CERTIFICATE: &str = "OTEL_EXPORTER_DATALAYERS_CERTIFICATE";
/// Environment variable: the Arrow Flight SQL endpoint reads go to instead of the REST SQL API,
/// e.g. `http://127.0.0.1:8360` (Datalayers' gRPC port; `https://` or `grpc+tls://` for TLS).
pub const OTEL_EXPORTER_DATALAYERS_FLIGHT_SQL_ENDPOINT: &str =
    "OTEL_EXPORTER_DATALAYERS_FLIGHT_SQL_ENDPOINT";
/// Default compression: `none` (gzip on Datalayers' `/write` is not documented; InfluxDB 1.x and
/// 2.x decode it).
pub const OTEL_EXPORTER_DATALAYERS_COMPRESSION_DEFAULT: &str = "none";

/// Default maximum lines per request on InfluxDB: the reference exporter's `payload_max_lines`
/// (InfluxDB advises 5 000-10 000 points per request).
pub const PAYLOAD_MAX_LINES_DEFAULT: usize = 10_000;
/// Default maximum lines per request on Datalayers, whose ingestion guide advises at most 8 000
/// rows per request (`high-performance-ingestion`). See [`ClientConfig::payload_max_lines`].
pub const DATALAYERS_RECOMMENDED_MAX_LINES: usize = 8_000;
/// Default maximum body bytes per request (before compression): the reference exporter's value.
pub const PAYLOAD_MAX_BYTES_DEFAULT: usize = 10_000_000;
/// Default cap on a response body the client reads (larger bodies are cut, never buffered whole).
pub const MAX_RESPONSE_BYTES_DEFAULT: usize = 4 << 20;
/// Default `User-Agent`.
pub const USER_AGENT_DEFAULT: &str = concat!("datalayers-client/", env!("CARGO_PKG_VERSION"));
/// Default cap on the TCP/TLS connect time of one attempt (also bounded by the deadline).
pub const CONNECT_TIMEOUT_DEFAULT: Duration = Duration::from_secs(5);

/// Which HTTP write API the server speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Protocol {
    /// Datalayers (`POST /write?db=&precision=`, Basic auth, port 8361). The default.
    #[default]
    Datalayers,
    /// InfluxDB 1.x (`POST /write?db=&precision=`, Basic or token auth).
    InfluxDbV1,
    /// InfluxDB 2.x and 3.x (`POST /api/v2/write?org=&bucket=&precision=`, token auth).
    InfluxDbV2,
}

impl Protocol {
    /// Every protocol, in declaration order.
    pub const ALL: &[Self] = &[Self::Datalayers, Self::InfluxDbV1, Self::InfluxDbV2];

    /// The name used in [`OTEL_EXPORTER_DATALAYERS_PROTOCOL`].
    pub const fn name(self) -> &'static str {
        match self {
            Self::Datalayers => "datalayers",
            Self::InfluxDbV1 => "influxdb-v1",
            Self::InfluxDbV2 => "influxdb-v2",
        }
    }

    /// The line-protocol dialect to encode for this server.
    ///
    /// [`Protocol::InfluxDbV2`] maps to [`Dialect::InfluxDbV2`]; an InfluxDB 3 server (same write
    /// API, different parser) wants [`Dialect::InfluxDbV3`]: set it with
    /// [`ClientConfig::with_dialect`].
    pub const fn dialect(self) -> Dialect {
        match self {
            Self::Datalayers => Dialect::Datalayers,
            Self::InfluxDbV1 => Dialect::InfluxDbV1,
            Self::InfluxDbV2 => Dialect::InfluxDbV2,
        }
    }

    /// The write path appended to the endpoint.
    pub const fn write_path(self) -> &'static str {
        match self {
            Self::Datalayers | Self::InfluxDbV1 => "/write",
            Self::InfluxDbV2 => "/api/v2/write",
        }
    }
}

impl Protocol {
    /// What [`Protocol::from_name`] accepts, for error messages.
    pub(crate) const EXPECTED_NAMES: &'static str =
        "expected datalayers, influxdb-v1 or influxdb-v2";

    /// The protocol named `name` (ASCII case and surrounding spaces ignored).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .iter()
            .copied()
            .find(|p| p.name().eq_ignore_ascii_case(name.trim()))
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Protocol {
    type Err = ConfigError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::from_name(s).ok_or_else(|| ConfigError::InvalidValue {
            setting: Setting::Protocol,
            origin: Origin::Code,
            value: s.to_owned(),
            reason: Self::EXPECTED_NAMES,
        })
    }
}

/// Request body compression.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Compression {
    /// Send the body as is (the default).
    #[default]
    None,
    /// gzip the body once per request (`Content-Encoding: gzip`); retries resend the same bytes.
    Gzip,
}

impl Compression {
    /// What [`Compression::from_name`] accepts, for error messages.
    pub(crate) const EXPECTED_NAMES: &'static str = "expected gzip or none";

    /// The compression named `name` (`gzip`, `none`; ASCII case and surrounding spaces ignored).
    pub fn from_name(name: &str) -> Option<Self> {
        match name.trim().to_ascii_lowercase().as_str() {
            "none" | "" => Some(Self::None),
            "gzip" => Some(Self::Gzip),
            _ => None,
        }
    }
}

impl FromStr for Compression {
    type Err = ConfigError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::from_name(s).ok_or_else(|| ConfigError::InvalidValue {
            setting: Setting::Compression,
            origin: Origin::Code,
            value: s.to_owned(),
            reason: Self::EXPECTED_NAMES,
        })
    }
}

/// A secret string (password or token). `Debug` and `Display` print `***`; read it with
/// [`Secret::expose`].
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(secret: impl Into<String>) -> Self {
        Self(secret.into())
    }

    /// The secret itself. Never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"***\"")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// How requests authenticate. Credentials always travel in the `Authorization` header, never in
/// the URL.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Auth {
    /// No `Authorization` header.
    #[default]
    None,
    /// `Authorization: Basic base64(username:password)` (Datalayers, InfluxDB 1.x).
    Basic {
        /// User name.
        username: String,
        /// Password (redacted in `Debug`).
        password: Secret,
    },
    /// `Authorization: Token <token>` (InfluxDB 2.x/3.x; InfluxDB 1.x also accepts `user:password`).
    /// Datalayers has no token auth on HTTP.
    Token(Secret),
}

/// Retry schedule: exponential back-off with full jitter, bounded by the batch deadline
/// ([`ClientConfig::timeout`]).
///
/// Attempt `n` (from 0) waits a random duration in `[0, min(max_backoff, initial_backoff * 2^n)]`,
/// or exactly what the server asked for with `Retry-After` when it sends one. A wait that would
/// end after the deadline is not started: the batch fails at once and is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Upper bound of the first wait.
    pub initial_backoff: Duration,
    /// Upper bound of any wait computed by the client (a server's `Retry-After` may be longer).
    pub max_backoff: Duration,
    /// Maximum number of retries per request (`None`: only the deadline limits them).
    pub max_retries: Option<u32>,
}

/// Default first back-off bound.
pub const INITIAL_BACKOFF_DEFAULT: Duration = Duration::from_millis(100);
/// Default back-off cap.
pub const MAX_BACKOFF_DEFAULT: Duration = Duration::from_secs(5);

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            initial_backoff: INITIAL_BACKOFF_DEFAULT,
            max_backoff: MAX_BACKOFF_DEFAULT,
            max_retries: None,
        }
    }
}

impl RetryPolicy {
    /// No retries at all: every retryable outcome fails the batch immediately.
    pub const fn disabled() -> Self {
        Self {
            initial_backoff: Duration::ZERO,
            max_backoff: Duration::ZERO,
            max_retries: Some(0),
        }
    }
}

/// Everything the [`Client`](crate::Client) needs. Build it with [`ClientConfig::new`] or
/// [`ClientConfig::from_env`], then the `with_*` methods. `Debug` hides secrets, including
/// credentials written into the endpoint URL.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientConfig {
    /// Base URL: scheme, host, port and an optional path prefix (a reverse proxy's). A URL that
    /// already ends with the write path (`/write`, `/api/v2/write`) is accepted too.
    pub endpoint: String,
    /// Write API of the server.
    pub protocol: Protocol,
    /// Database (`db=`) for Datalayers and InfluxDB 1.x; the bucket when `bucket` is unset on 2.x/3.x.
    pub database: Option<String>,
    /// InfluxDB 2.x organization (`org=`); not sent when unset (3.x ignores it).
    pub org: Option<String>,
    /// InfluxDB 2.x/3.x bucket (`bucket=`).
    pub bucket: Option<String>,
    /// Credentials.
    pub auth: Auth,
    /// Line-protocol dialect override (default: [`Protocol::dialect`]).
    pub dialect: Option<Dialect>,
    /// Timestamp precision of the lines handed to the client (the `precision=` parameter).
    pub precision: Precision,
    /// Deadline of one batch: every attempt, back-off and `Retry-After` wait fits inside it.
    pub timeout: Duration,
    /// Cap on connecting (also bounded by what is left of the deadline).
    pub connect_timeout: Duration,
    /// Body compression.
    pub compression: Compression,
    /// Extra request headers (name, value), e.g. a proxy's. Values may hold keys, so they are
    /// [`Secret`]s (redacted in `Debug`).
    pub headers: Vec<(String, Secret)>,
    /// `User-Agent` header.
    pub user_agent: String,
    /// Maximum lines per request. `None`: the protocol's default,
    /// [`DATALAYERS_RECOMMENDED_MAX_LINES`] (8 000) for Datalayers, [`PAYLOAD_MAX_LINES_DEFAULT`]
    /// (10 000) for InfluxDB. Read it with [`ClientConfig::effective_payload_max_lines`].
    pub payload_max_lines: Option<usize>,
    /// Maximum body bytes per request (uncompressed). A single longer line is refused alone.
    pub payload_max_bytes: usize,
    /// Cap on the bytes read from a response body.
    pub max_response_bytes: usize,
    /// Retry schedule.
    pub retry: RetryPolicy,
    /// Extra CA certificates (PEM), trusted on top of the platform's roots.
    pub ca_certificates_pem: Option<Vec<u8>>,
    /// Arrow Flight SQL endpoint for reads (`http://`, `https://`, `grpc://`, `grpc+tls://`), with
    /// the same database, credentials, timeout and CA certificates. Used by readers that pick
    /// their transport from the configuration (`otel-lp traces`); writes always go over HTTP.
    /// The client is `flight::FlightSqlClient` (feature `flight-sql`).
    pub flight_sql_endpoint: Option<String>,
    /// How many times one batch may be halved to find the bad lines of an all-or-nothing 400
    /// that names none (Datalayers answers `{"error": ...}` for the whole request). The good halves are delivered, each bad line is rejected alone with the server's
    /// reason. `0` rejects the whole batch instead. Assumes the server wrote nothing of a refused
    /// request, as documented for Datalayers; InfluxDB 1.x partial writes name their lines and
    /// are never re-sent.
    pub rejection_isolation_budget: usize,
}

/// Default [`ClientConfig::rejection_isolation_budget`]: enough to find a few bad lines in a
/// batch of thousands (about 2 x bad lines x log2(lines) requests).
pub const REJECTION_ISOLATION_BUDGET_DEFAULT: usize = 64;

impl fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientConfig")
            .field("endpoint", &crate::error::redact_endpoint(&self.endpoint))
            .field(
                "flight_sql_endpoint",
                &self
                    .flight_sql_endpoint
                    .as_deref()
                    .map(crate::error::redact_endpoint),
            )
            .field("protocol", &self.protocol)
            .field("database", &self.database)
            .field("org", &self.org)
            .field("bucket", &self.bucket)
            .field("auth", &self.auth)
            .field("dialect", &self.dialect)
            .field("precision", &self.precision)
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("compression", &self.compression)
            .field("headers", &self.headers)
            .field("user_agent", &self.user_agent)
            .field("payload_max_lines", &self.payload_max_lines)
            .field("payload_max_bytes", &self.payload_max_bytes)
            .field("max_response_bytes", &self.max_response_bytes)
            .field("retry", &self.retry)
            .field(
                "rejection_isolation_budget",
                &self.rejection_isolation_budget,
            )
            .field(
                "ca_certificates_pem",
                &self
                    .ca_certificates_pem
                    .as_ref()
                    .map(|pem| format!("{} bytes", pem.len())),
            )
            .finish()
    }
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self::new(OTEL_EXPORTER_DATALAYERS_ENDPOINT_DEFAULT)
    }
}

impl ClientConfig {
    /// A configuration with every default and the given endpoint. Reads no environment.
    pub fn new(endpoint: impl Into<String>) -> Self {
        Self {
            endpoint: endpoint.into(),
            protocol: Protocol::default(),
            database: None,
            org: None,
            bucket: None,
            auth: Auth::None,
            dialect: None,
            precision: Precision::Nanoseconds,
            timeout: Duration::from_millis(OTEL_EXPORTER_DATALAYERS_TIMEOUT_DEFAULT),
            connect_timeout: CONNECT_TIMEOUT_DEFAULT,
            compression: Compression::None,
            headers: Vec::new(),
            user_agent: USER_AGENT_DEFAULT.to_owned(),
            payload_max_lines: None,
            payload_max_bytes: PAYLOAD_MAX_BYTES_DEFAULT,
            max_response_bytes: MAX_RESPONSE_BYTES_DEFAULT,
            retry: RetryPolicy::default(),
            rejection_isolation_budget: REJECTION_ISOLATION_BUDGET_DEFAULT,
            ca_certificates_pem: None,
            flight_sql_endpoint: None,
        }
    }

    /// Defaults overridden by the `OTEL_EXPORTER_DATALAYERS_*` environment variables (see
    /// [`ClientSettings::fill_from_env`]). Empty variables count as unset.
    pub fn from_env() -> Result<Self, ConfigError> {
        ClientSettings::new().fill_from_env()?.resolve()
    }

    /// Like [`ClientConfig::from_env`], reading variables through `lookup` (tests, or a
    /// configuration file mapped to the same names).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        ClientSettings::new().fill_from_lookup(lookup)?.resolve()
    }

    /// Sets the endpoint (base URL).
    pub fn with_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = endpoint.into();
        self
    }

    /// Sets the Arrow Flight SQL endpoint for reads (see [`ClientConfig::flight_sql_endpoint`]).
    pub fn with_flight_sql_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.flight_sql_endpoint = Some(endpoint.into());
        self
    }

    /// Sets the write protocol.
    pub fn with_protocol(mut self, protocol: Protocol) -> Self {
        self.protocol = protocol;
        self
    }

    /// Sets the database.
    pub fn with_database(mut self, database: impl Into<String>) -> Self {
        self.database = Some(database.into());
        self
    }

    /// Sets the InfluxDB 2.x organization.
    pub fn with_org(mut self, org: impl Into<String>) -> Self {
        self.org = Some(org.into());
        self
    }

    /// Sets the InfluxDB 2.x/3.x bucket.
    pub fn with_bucket(mut self, bucket: impl Into<String>) -> Self {
        self.bucket = Some(bucket.into());
        self
    }

    /// HTTP Basic credentials (Datalayers, InfluxDB 1.x).
    pub fn with_basic_auth(
        mut self,
        username: impl Into<String>,
        password: impl Into<String>,
    ) -> Self {
        self.auth = Auth::Basic {
            username: username.into(),
            password: Secret::new(password),
        };
        self
    }

    /// Token credentials (`Authorization: Token <token>`).
    pub fn with_token(mut self, token: impl Into<String>) -> Self {
        self.auth = Auth::Token(Secret::new(token));
        self
    }

    /// Sets the credentials.
    pub fn with_auth(mut self, auth: Auth) -> Self {
        self.auth = auth;
        self
    }

    /// Overrides the dialect derived from the protocol (e.g. [`Dialect::InfluxDbV3`]).
    pub fn with_dialect(mut self, dialect: Dialect) -> Self {
        self.dialect = Some(dialect);
        self
    }

    /// Sets the timestamp precision of the lines.
    pub fn with_precision(mut self, precision: Precision) -> Self {
        self.precision = precision;
        self
    }

    /// Sets the deadline of one batch (attempts + back-off).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sets the connect timeout.
    pub fn with_connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Sets the body compression.
    pub fn with_compression(mut self, compression: Compression) -> Self {
        self.compression = compression;
        self
    }

    /// Adds a request header.
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), Secret::new(value)));
        self
    }

    /// Sets the `User-Agent`.
    pub fn with_user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// Sets the maximum lines per request (at least 1).
    pub fn with_payload_max_lines(mut self, lines: usize) -> Self {
        self.payload_max_lines = Some(lines.max(1));
        self
    }

    /// Sets the maximum body bytes per request (at least 1).
    pub fn with_payload_max_bytes(mut self, bytes: usize) -> Self {
        self.payload_max_bytes = bytes.max(1);
        self
    }

    /// Sets the cap on response bytes read.
    pub fn with_max_response_bytes(mut self, bytes: usize) -> Self {
        self.max_response_bytes = bytes;
        self
    }

    /// Sets how many halvings may isolate the bad lines of a refused batch (`0`: none).
    pub fn with_rejection_isolation_budget(mut self, splits: usize) -> Self {
        self.rejection_isolation_budget = splits;
        self
    }

    /// Trusts the CA certificates in `pem` (one or more PEM blocks) on top of the platform's roots.
    pub fn with_ca_certificates_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.ca_certificates_pem = Some(pem.into());
        self
    }

    /// Sets the retry schedule.
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// The dialect lines must be encoded in: the override, else the protocol's.
    pub fn dialect(&self) -> Dialect {
        self.dialect.unwrap_or(self.protocol.dialect())
    }

    /// Lines per request: the configured number, else the protocol's default (8 000 on
    /// Datalayers, following its ingestion guide; 10 000 on InfluxDB, the reference exporter's).
    pub fn effective_payload_max_lines(&self) -> usize {
        self.payload_max_lines.unwrap_or(match self.protocol {
            Protocol::Datalayers => DATALAYERS_RECOMMENDED_MAX_LINES,
            Protocol::InfluxDbV1 | Protocol::InfluxDbV2 => PAYLOAD_MAX_LINES_DEFAULT,
        })
    }

    /// The bucket written on InfluxDB 2.x/3.x: `bucket`, else `database`.
    pub fn effective_bucket(&self) -> Option<&str> {
        self.bucket.as_deref().or(self.database.as_deref())
    }

    /// Checks the settings a write needs; [`Client::new`](crate::Client::new) calls it.
    pub fn validate(&self) -> Result<(), ConfigError> {
        match self.protocol {
            Protocol::Datalayers | Protocol::InfluxDbV1 if self.database.is_none() => {
                return Err(ConfigError::Missing {
                    what: "database",
                    variable: OTEL_EXPORTER_DATALAYERS_DATABASE,
                });
            }
            Protocol::InfluxDbV2 if self.effective_bucket().is_none() => {
                return Err(ConfigError::Missing {
                    what: "bucket",
                    variable: OTEL_EXPORTER_DATALAYERS_BUCKET,
                });
            }
            _ => {}
        }
        if self.protocol == Protocol::Datalayers && matches!(self.auth, Auth::Token(_)) {
            return Err(ConfigError::Unsupported(
                "Datalayers accepts HTTP Basic auth only: set a user name and password instead of a token",
            ));
        }
        if self.timeout.is_zero() {
            return Err(ConfigError::InvalidValue {
                setting: Setting::Timeout,
                origin: Origin::Code,
                value: "0".to_owned(),
                reason: "the deadline must be above zero",
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn defaults_without_environment() {
        let config = ClientConfig::from_lookup(lookup(&[])).unwrap();
        assert_eq!(config, ClientConfig::default());
        assert_eq!(config.endpoint, OTEL_EXPORTER_DATALAYERS_ENDPOINT_DEFAULT);
        assert_eq!(config.protocol, Protocol::Datalayers);
        assert_eq!(config.dialect(), Dialect::Datalayers);
        assert_eq!(config.timeout, Duration::from_secs(10));
        assert_eq!(
            config.effective_payload_max_lines(),
            8_000,
            "Datalayers' advice"
        );
        assert_eq!(
            config
                .clone()
                .with_protocol(Protocol::InfluxDbV1)
                .effective_payload_max_lines(),
            10_000
        );
        assert_eq!(
            config
                .clone()
                .with_payload_max_lines(0)
                .effective_payload_max_lines(),
            1
        );
        assert_eq!(config.payload_max_bytes, 10_000_000);
    }

    #[test]
    fn environment_is_read_and_builder_calls_win() {
        let env = lookup(&[
            (OTEL_EXPORTER_DATALAYERS_ENDPOINT, "http://db:8086"),
            (OTEL_EXPORTER_DATALAYERS_PROTOCOL, "influxdb-v1"),
            (OTEL_EXPORTER_DATALAYERS_DATABASE, "envdb"),
            (OTEL_EXPORTER_DATALAYERS_USERNAME, "u"),
            (OTEL_EXPORTER_DATALAYERS_PASSWORD, "pw"),
            (OTEL_EXPORTER_DATALAYERS_TIMEOUT, "2500"),
            (OTEL_EXPORTER_DATALAYERS_COMPRESSION, "gzip"),
        ]);
        let config = ClientConfig::from_lookup(env).unwrap();
        assert_eq!(config.endpoint, "http://db:8086");
        assert_eq!(config.protocol, Protocol::InfluxDbV1);
        assert_eq!(config.database.as_deref(), Some("envdb"));
        assert_eq!(
            config.auth,
            Auth::Basic {
                username: "u".into(),
                password: Secret::new("pw")
            }
        );
        assert_eq!(config.timeout, Duration::from_millis(2500));
        assert_eq!(config.compression, Compression::Gzip);
        let config = config
            .with_database("mine")
            .with_compression(Compression::None);
        assert_eq!(config.database.as_deref(), Some("mine"));
        assert_eq!(config.compression, Compression::None);
    }

    #[test]
    fn token_wins_on_v2() {
        let env = lookup(&[
            (OTEL_EXPORTER_DATALAYERS_PROTOCOL, "influxdb-v2"),
            (OTEL_EXPORTER_DATALAYERS_TOKEN, "tok"),
            (OTEL_EXPORTER_DATALAYERS_USERNAME, "u"),
            (OTEL_EXPORTER_DATALAYERS_BUCKET, "b"),
        ]);
        let config = ClientConfig::from_lookup(env).unwrap();
        assert_eq!(config.auth, Auth::Token(Secret::new("tok")));
        assert_eq!(config.effective_bucket(), Some("b"));
        config.validate().unwrap();
    }

    #[test]
    fn bad_values_name_the_variable() {
        let err =
            ClientConfig::from_lookup(lookup(&[(OTEL_EXPORTER_DATALAYERS_PROTOCOL, "mysql")]))
                .unwrap_err();
        assert!(
            err.to_string().contains(OTEL_EXPORTER_DATALAYERS_PROTOCOL),
            "{err}"
        );
        let err = ClientConfig::from_lookup(lookup(&[(OTEL_EXPORTER_DATALAYERS_TIMEOUT, "10s")]))
            .unwrap_err();
        assert!(err.to_string().contains("milliseconds"), "{err}");
        let err =
            ClientConfig::from_lookup(lookup(&[(OTEL_EXPORTER_DATALAYERS_COMPRESSION, "zstd")]))
                .unwrap_err();
        assert!(err.to_string().contains("gzip"), "{err}");
    }

    #[test]
    fn certificate_file_is_read_or_named() {
        let path =
            std::env::temp_dir().join(format!("datalayers-client-ca-{}.pem", std::process::id()));
        std::fs::write(&path, b"-----BEGIN CERTIFICATE-----\n").unwrap();
        let variable = [(OTEL_EXPORTER_DATALAYERS_CERTIFICATE, path.to_str().unwrap())];
        let config = ClientConfig::from_lookup(lookup(&variable)).unwrap();
        assert_eq!(
            config.ca_certificates_pem.as_deref(),
            Some(&b"-----BEGIN CERTIFICATE-----\n"[..])
        );
        std::fs::remove_file(&path).unwrap();
        let err = ClientConfig::from_lookup(lookup(&variable)).unwrap_err();
        assert!(err.to_string().contains("cannot read"), "{err}");
    }

    #[test]
    fn validation_names_what_is_missing() {
        let err = ClientConfig::new("http://h").validate().unwrap_err();
        assert!(
            err.to_string().contains(OTEL_EXPORTER_DATALAYERS_DATABASE),
            "{err}"
        );
        let err = ClientConfig::new("http://h")
            .with_protocol(Protocol::InfluxDbV2)
            .validate()
            .unwrap_err();
        assert!(err.to_string().contains("bucket"), "{err}");
        let err = ClientConfig::new("http://h")
            .with_database("d")
            .with_token("t")
            .validate()
            .unwrap_err();
        assert!(err.to_string().contains("Basic"), "{err}");
    }

    #[test]
    fn secrets_never_in_debug() {
        let config = ClientConfig::new("http://h").with_basic_auth("admin", "hunter2-password");
        let shown = format!("{config:?} {config:#?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("admin"));
        let config = ClientConfig::new("http://h").with_token("tok-secret-123");
        assert!(!format!("{config:?}").contains("tok-secret"));
        let config = ClientConfig::new("http://u:url-pass@h/?p=query-pass")
            .with_header("x-api-key", "key-123");
        let shown = format!("{config:?}");
        assert!(
            !shown.contains("url-pass")
                && !shown.contains("query-pass")
                && !shown.contains("key-123"),
            "{shown}"
        );
        assert_eq!(Secret::new("x").to_string(), "***");
    }

    #[test]
    fn protocol_names_round_trip() {
        for &protocol in Protocol::ALL {
            assert_eq!(protocol.name().parse::<Protocol>().unwrap(), protocol);
        }
        assert_eq!(Protocol::InfluxDbV1.dialect(), Dialect::InfluxDbV1);
        assert_eq!(Protocol::InfluxDbV2.write_path(), "/api/v2/write");
    }
}
