//! [`ClientSettings`]: the destination settings, each optional, filled in layers and resolved to a
//! [`ClientConfig`].
//!
//! The layering, the one parser per setting and the flag/variable names live here; see the
//! docs of [`ClientSettings`].

use std::fmt;
use std::time::Duration;

use super::{
    Auth, ClientConfig, Compression, OTEL_EXPORTER_DATALAYERS_BUCKET,
    OTEL_EXPORTER_DATALAYERS_CERTIFICATE, OTEL_EXPORTER_DATALAYERS_COMPRESSION,
    OTEL_EXPORTER_DATALAYERS_DATABASE, OTEL_EXPORTER_DATALAYERS_ENDPOINT,
    OTEL_EXPORTER_DATALAYERS_FLIGHT_SQL_ENDPOINT, OTEL_EXPORTER_DATALAYERS_ORG,
    OTEL_EXPORTER_DATALAYERS_PASSWORD, OTEL_EXPORTER_DATALAYERS_PROTOCOL,
    OTEL_EXPORTER_DATALAYERS_TIMEOUT, OTEL_EXPORTER_DATALAYERS_TOKEN,
    OTEL_EXPORTER_DATALAYERS_USERNAME, Protocol, Secret,
};
use crate::error::ConfigError;

/// One destination setting: its environment variable, its `otel-lp` flag, its help text and
/// (through [`ClientSettings::set`]) its parser.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Setting {
    /// The server's base URL ([`OTEL_EXPORTER_DATALAYERS_ENDPOINT`]).
    Endpoint,
    /// The write and query API ([`OTEL_EXPORTER_DATALAYERS_PROTOCOL`]).
    Protocol,
    /// The database ([`OTEL_EXPORTER_DATALAYERS_DATABASE`]).
    Database,
    /// The InfluxDB 2.x organization ([`OTEL_EXPORTER_DATALAYERS_ORG`]).
    Org,
    /// The InfluxDB 2.x/3.x bucket ([`OTEL_EXPORTER_DATALAYERS_BUCKET`]).
    Bucket,
    /// The HTTP Basic user name ([`OTEL_EXPORTER_DATALAYERS_USERNAME`]).
    Username,
    /// The HTTP Basic password ([`OTEL_EXPORTER_DATALAYERS_PASSWORD`]). A secret.
    Password,
    /// The API token ([`OTEL_EXPORTER_DATALAYERS_TOKEN`]). A secret.
    Token,
    /// The deadline of one request or batch ([`OTEL_EXPORTER_DATALAYERS_TIMEOUT`]).
    Timeout,
    /// Request body compression ([`OTEL_EXPORTER_DATALAYERS_COMPRESSION`]).
    Compression,
    /// A PEM file of extra CA certificates ([`OTEL_EXPORTER_DATALAYERS_CERTIFICATE`]).
    CaFile,
    /// The Arrow Flight SQL endpoint for reads
    /// ([`OTEL_EXPORTER_DATALAYERS_FLIGHT_SQL_ENDPOINT`]).
    FlightSql,
}

impl Setting {
    /// Every setting, in the order `otel-lp --help` lists them.
    pub const ALL: &[Self] = &[
        Self::Endpoint,
        Self::FlightSql,
        Self::Protocol,
        Self::Database,
        Self::Username,
        Self::Password,
        Self::Token,
        Self::Org,
        Self::Bucket,
        Self::Timeout,
        Self::Compression,
        Self::CaFile,
    ];

    /// The setting's name, which is also its `otel-lp` flag without the dashes (`ca-file`).
    pub const fn name(self) -> &'static str {
        match self {
            Self::Endpoint => "endpoint",
            Self::Protocol => "protocol",
            Self::Database => "database",
            Self::Org => "org",
            Self::Bucket => "bucket",
            Self::Username => "username",
            Self::Password => "password",
            Self::Token => "token",
            Self::Timeout => "timeout",
            Self::Compression => "compression",
            Self::CaFile => "ca-file",
            Self::FlightSql => "flight-sql",
        }
    }

    /// The environment variable that sets it.
    pub const fn variable(self) -> &'static str {
        match self {
            Self::Endpoint => OTEL_EXPORTER_DATALAYERS_ENDPOINT,
            Self::Protocol => OTEL_EXPORTER_DATALAYERS_PROTOCOL,
            Self::Database => OTEL_EXPORTER_DATALAYERS_DATABASE,
            Self::Org => OTEL_EXPORTER_DATALAYERS_ORG,
            Self::Bucket => OTEL_EXPORTER_DATALAYERS_BUCKET,
            Self::Username => OTEL_EXPORTER_DATALAYERS_USERNAME,
            Self::Password => OTEL_EXPORTER_DATALAYERS_PASSWORD,
            Self::Token => OTEL_EXPORTER_DATALAYERS_TOKEN,
            Self::Timeout => OTEL_EXPORTER_DATALAYERS_TIMEOUT,
            Self::Compression => OTEL_EXPORTER_DATALAYERS_COMPRESSION,
            Self::CaFile => OTEL_EXPORTER_DATALAYERS_CERTIFICATE,
            Self::FlightSql => OTEL_EXPORTER_DATALAYERS_FLIGHT_SQL_ENDPOINT,
        }
    }

    /// The placeholder of its value in help texts.
    pub const fn value_name(self) -> &'static str {
        match self {
            Self::Endpoint => "URL",
            Self::Protocol => "PROTOCOL",
            Self::Database => "NAME",
            Self::Org => "ORG",
            Self::Bucket => "BUCKET",
            Self::Username => "USER",
            Self::Password => "PASSWORD",
            Self::Token => "TOKEN",
            Self::Timeout => "DURATION",
            Self::Compression => "gzip|none",
            Self::CaFile => "FILE",
            Self::FlightSql => "URL",
        }
    }

    /// One line of help: what it does and which values it takes.
    pub const fn help(self) -> &'static str {
        match self {
            Self::Endpoint => "Server base URL (Datalayers HTTP port 8361, InfluxDB 8086)",
            Self::Protocol => {
                "Server API: datalayers (SQL), influxdb-v1 (InfluxQL) or influxdb-v2 (writes only)"
            }
            Self::Database => {
                "Database (Datalayers, InfluxDB 1.x; the bucket on 2.x when --bucket is unset)"
            }
            Self::Org => "InfluxDB 2.x organization",
            Self::Bucket => "InfluxDB 2.x/3.x bucket",
            Self::Username => "User name for HTTP Basic auth",
            Self::Password => {
                "Password for HTTP Basic auth (prefer the variable: flags show in the process list)"
            }
            Self::Token => {
                "API token, sent as `Authorization: Token` (InfluxDB), instead of Basic auth"
            }
            Self::Timeout => {
                "Deadline of one request, retries included: 10s, 1500ms, 1m; a bare number (and the variable) is milliseconds"
            }
            Self::Compression => "Request body compression",
            Self::CaFile => {
                "PEM file of extra CA certificates to trust (e.g. a self-signed server)"
            }
            Self::FlightSql => {
                "Read over Arrow Flight SQL at this URL (Datalayers gRPC port 8360; https:// for TLS) instead of the REST SQL API, with the same database and credentials"
            }
        }
    }

    /// The default as help texts show it, when there is one. Each parses to the default it names.
    pub const fn default_value(self) -> Option<&'static str> {
        match self {
            Self::Endpoint => Some(super::OTEL_EXPORTER_DATALAYERS_ENDPOINT_DEFAULT),
            Self::Protocol => Some(super::OTEL_EXPORTER_DATALAYERS_PROTOCOL_DEFAULT),
            Self::Timeout => Some("10s"),
            Self::Compression => Some(super::OTEL_EXPORTER_DATALAYERS_COMPRESSION_DEFAULT),
            _ => None,
        }
    }

    /// Whether its value is a secret: never shown in `Debug`, errors or help.
    pub const fn is_secret(self) -> bool {
        matches!(self, Self::Password | Self::Token)
    }
}

impl fmt::Display for Setting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Where a setting's value came from: errors name it accordingly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Origin {
    /// Given in code (a builder call, a [`ClientConfig`] field). Errors name the setting.
    Code,
    /// A command-line flag (`--timeout`). Errors name the flag.
    Flag,
    /// An environment variable (or a lookup mapped to the same names). Errors name the variable.
    Env,
}

impl Origin {
    /// How an error names `setting` given this way: `--timeout`,
    /// `OTEL_EXPORTER_DATALAYERS_TIMEOUT` or `timeout`.
    pub fn describe(self, setting: Setting) -> String {
        match self {
            Self::Code => setting.name().to_owned(),
            Self::Flag => format!("--{}", setting.name()),
            Self::Env => setting.variable().to_owned(),
        }
    }
}

/// The destination settings, each optional: fill them from code, flags and the environment, then
/// [`resolve`](Self::resolve) them into a [`ClientConfig`].
///
/// Every program that talks to the server fills the same settings the same way: first what the
/// code says (builder calls), then command-line flags, then the `OTEL_EXPORTER_DATALAYERS_*`
/// environment, each layer only for what is still unset. A layer never parses a value that a
/// higher layer already gave, so a malformed variable cannot fail a program that overrides it.
/// Each [`Setting`] has one parser, and its errors name where the value came from (the variable
/// or the flag, see [`Origin`]).
///
/// ```
/// use std::time::Duration;
/// use datalayers_client::config::{ClientSettings, Origin, Protocol, Setting};
///
/// let environment = |name: &str| match name {
///     "OTEL_EXPORTER_DATALAYERS_DATABASE" => Some("from-env".to_owned()),
///     "OTEL_EXPORTER_DATALAYERS_TIMEOUT" => Some("soon".to_owned()), // malformed, but overridden
///     _ => None,
/// };
/// let config = ClientSettings::new()
///     .with_protocol(Protocol::InfluxDbV1) // code
///     .fill_from(Origin::Flag, |setting| match setting {
///         Setting::Timeout => Some("2s".to_owned()), // `--timeout 2s`
///         _ => None,
///     })?
///     .fill_from_lookup(environment)? // what is still unset
///     .resolve()?;
/// assert_eq!(config.protocol, Protocol::InfluxDbV1);
/// assert_eq!(config.timeout, Duration::from_secs(2));
/// assert_eq!(config.database.as_deref(), Some("from-env"));
/// # Ok::<(), datalayers_client::ConfigError>(())
/// ```
///
/// To add a setting: a [`Setting`] variant (the compiler then asks for its variable, flag, help
/// and parser), a field here with its `with_` method, and the line in
/// [`ClientSettings::resolve_onto`] that copies it into [`ClientConfig`]. `otel-lp` builds its flags from [`Setting::ALL`], so every
/// subcommand that takes the destination settings gets the new flag.
///
/// `Debug` hides the password, the token and credentials in the endpoint URL.
#[derive(Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientSettings {
    /// [`Setting::Endpoint`].
    pub endpoint: Option<String>,
    /// [`Setting::Protocol`].
    pub protocol: Option<Protocol>,
    /// [`Setting::Database`].
    pub database: Option<String>,
    /// [`Setting::Org`].
    pub org: Option<String>,
    /// [`Setting::Bucket`].
    pub bucket: Option<String>,
    /// [`Setting::Username`].
    pub username: Option<String>,
    /// [`Setting::Password`].
    pub password: Option<Secret>,
    /// [`Setting::Token`].
    pub token: Option<Secret>,
    /// [`Setting::Timeout`].
    pub timeout: Option<Duration>,
    /// [`Setting::Compression`].
    pub compression: Option<Compression>,
    /// [`Setting::CaFile`]: the certificates themselves (a file given by flag or variable is read
    /// when it is filled in).
    pub ca_certificates_pem: Option<Vec<u8>>,
    /// [`Setting::FlightSql`].
    pub flight_sql_endpoint: Option<String>,
}

impl fmt::Debug for ClientSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientSettings")
            .field(
                "endpoint",
                &self.endpoint.as_deref().map(crate::error::redact_endpoint),
            )
            .field("protocol", &self.protocol)
            .field("database", &self.database)
            .field("org", &self.org)
            .field("bucket", &self.bucket)
            .field("username", &self.username)
            .field("password", &self.password)
            .field("token", &self.token)
            .field("timeout", &self.timeout)
            .field("compression", &self.compression)
            .field(
                "ca_certificates_pem",
                &self
                    .ca_certificates_pem
                    .as_ref()
                    .map(|pem| format!("{} bytes", pem.len())),
            )
            .field(
                "flight_sql_endpoint",
                &self
                    .flight_sql_endpoint
                    .as_deref()
                    .map(crate::error::redact_endpoint),
            )
            .finish()
    }
}

impl ClientSettings {
    /// Nothing set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the server's base URL.
    pub fn with_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = Some(endpoint.into());
        self
    }

    /// Sets the server API (it also picks the line-protocol dialect).
    pub fn with_protocol(mut self, protocol: Protocol) -> Self {
        self.protocol = Some(protocol);
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

    /// Sets HTTP Basic credentials (user name and password).
    pub fn with_basic_auth(
        mut self,
        username: impl Into<String>,
        password: impl Into<String>,
    ) -> Self {
        self.username = Some(username.into());
        self.password = Some(Secret::new(password));
        self
    }

    /// Sets the token (`Authorization: Token <token>`).
    pub fn with_token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(Secret::new(token));
        self
    }

    /// Sets the deadline of one batch (attempts and back-off included).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Sets the body compression.
    pub fn with_compression(mut self, compression: Compression) -> Self {
        self.compression = Some(compression);
        self
    }

    /// Trusts the CA certificates in `pem` on top of the platform's roots.
    pub fn with_ca_certificates_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.ca_certificates_pem = Some(pem.into());
        self
    }

    /// Reads over Arrow Flight SQL at `endpoint`.
    pub fn with_flight_sql_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.flight_sql_endpoint = Some(endpoint.into());
        self
    }

    /// Whether `setting` has a value.
    pub fn is_set(&self, setting: Setting) -> bool {
        match setting {
            Setting::Endpoint => self.endpoint.is_some(),
            Setting::Protocol => self.protocol.is_some(),
            Setting::Database => self.database.is_some(),
            Setting::Org => self.org.is_some(),
            Setting::Bucket => self.bucket.is_some(),
            Setting::Username => self.username.is_some(),
            Setting::Password => self.password.is_some(),
            Setting::Token => self.token.is_some(),
            Setting::Timeout => self.timeout.is_some(),
            Setting::Compression => self.compression.is_some(),
            Setting::CaFile => self.ca_certificates_pem.is_some(),
            Setting::FlightSql => self.flight_sql_endpoint.is_some(),
        }
    }

    /// Parses `text` as `setting` and stores it, replacing any value: the one parser of each
    /// setting. Errors name the value's `origin` (`--timeout`, `OTEL_EXPORTER_DATALAYERS_TIMEOUT`)
    /// and never show a secret.
    pub fn set(&mut self, setting: Setting, text: &str, origin: Origin) -> Result<(), ConfigError> {
        let invalid = |reason: &'static str| ConfigError::InvalidValue {
            setting,
            origin,
            value: if setting.is_secret() {
                "***".to_owned()
            } else if matches!(setting, Setting::Endpoint | Setting::FlightSql) {
                crate::error::redact_endpoint(text)
            } else {
                text.to_owned()
            },
            reason,
        };
        match setting {
            Setting::Endpoint => self.endpoint = Some(parse_endpoint(text).map_err(invalid)?),
            Setting::Protocol => {
                self.protocol = Some(
                    Protocol::from_name(text).ok_or_else(|| invalid(Protocol::EXPECTED_NAMES))?,
                );
            }
            Setting::Database => self.database = Some(text.to_owned()),
            Setting::Org => self.org = Some(text.to_owned()),
            Setting::Bucket => self.bucket = Some(text.to_owned()),
            Setting::Username => self.username = Some(text.to_owned()),
            Setting::Password => self.password = Some(Secret::new(text)),
            Setting::Token => self.token = Some(Secret::new(text)),
            Setting::Timeout => self.timeout = Some(parse_timeout(text, origin).map_err(invalid)?),
            Setting::Compression => {
                self.compression = Some(
                    Compression::from_name(text)
                        .ok_or_else(|| invalid(Compression::EXPECTED_NAMES))?,
                );
            }
            Setting::CaFile => {
                let pem =
                    std::fs::read(text.trim()).map_err(|_| invalid("cannot read the PEM file"))?;
                self.ca_certificates_pem = Some(pem);
            }
            Setting::FlightSql => {
                self.flight_sql_endpoint = Some(parse_flight_sql_endpoint(text).map_err(invalid)?);
            }
        }
        Ok(())
    }

    /// Fills every setting that is still unset from one layer of configuration: `layer` gives a
    /// setting's text (empty text counts as unset), `origin` says where it came from.
    ///
    /// Credentials are one choice: a layer does not add a token to a user name or password set
    /// above it, nor a user name or password to a token set above it. A user name and a password
    /// from different layers do combine (`--password` beside `_USERNAME`).
    pub fn fill_from(
        mut self,
        origin: Origin,
        layer: impl Fn(Setting) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let basic_above = self.username.is_some() || self.password.is_some();
        let token_above = self.token.is_some();
        for &setting in Setting::ALL {
            let masked = match setting {
                Setting::Username | Setting::Password => token_above,
                Setting::Token => basic_above,
                _ => false,
            };
            if masked || self.is_set(setting) {
                continue;
            }
            if let Some(text) = layer(setting).filter(|text| !text.trim().is_empty()) {
                self.set(setting, &text, origin)?;
            }
        }
        Ok(self)
    }

    /// [`fill_from`](Self::fill_from) the process environment (`OTEL_EXPORTER_DATALAYERS_*`).
    pub fn fill_from_env(self) -> Result<Self, ConfigError> {
        self.fill_from_lookup(|name| std::env::var(name).ok())
    }

    /// [`fill_from`](Self::fill_from) variables read through `lookup` (tests, or a configuration
    /// file mapped to the same names); errors name the variables.
    pub fn fill_from_lookup(
        self,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        self.fill_from(Origin::Env, |setting| lookup(setting.variable()))
    }

    /// The [`ClientConfig`]: the defaults with every setting that is set on top.
    pub fn resolve(self) -> Result<ClientConfig, ConfigError> {
        self.resolve_onto(ClientConfig::default())
    }

    /// `base` with every setting that is set on top (credentials replace `base.auth` when any is
    /// set).
    ///
    /// A user name means HTTP Basic auth (with an empty password when none is set), except on
    /// InfluxDB 2.x where a token from the same layer wins. A password without a user name is an
    /// error, unless `base` already has Basic credentials (it then replaces their password).
    pub fn resolve_onto(self, base: ClientConfig) -> Result<ClientConfig, ConfigError> {
        let mut config = base;
        if let Some(endpoint) = self.endpoint {
            config.endpoint = endpoint;
        }
        if let Some(protocol) = self.protocol {
            config.protocol = protocol;
        }
        if let Some(database) = self.database {
            config.database = Some(database);
        }
        if let Some(org) = self.org {
            config.org = Some(org);
        }
        if let Some(bucket) = self.bucket {
            config.bucket = Some(bucket);
        }
        if let Some(timeout) = self.timeout {
            config.timeout = timeout;
        }
        if let Some(compression) = self.compression {
            config.compression = compression;
        }
        if let Some(pem) = self.ca_certificates_pem {
            config.ca_certificates_pem = Some(pem);
        }
        if let Some(endpoint) = self.flight_sql_endpoint {
            config.flight_sql_endpoint = Some(endpoint);
        }
        config.auth = match (self.username, self.password, self.token) {
            (Some(_), _, Some(token)) if config.protocol == Protocol::InfluxDbV2 => {
                Auth::Token(token)
            }
            (Some(username), password, _) => Auth::Basic {
                username,
                password: password.unwrap_or_else(|| Secret::new("")),
            },
            (None, _, Some(token)) => Auth::Token(token),
            (None, Some(password), None) => match config.auth {
                Auth::Basic { username, .. } => Auth::Basic { username, password },
                _ => {
                    return Err(ConfigError::Unsupported(
                        "a password is set without a user name: set the user name too \
                         (OTEL_EXPORTER_DATALAYERS_USERNAME, --username)",
                    ));
                }
            },
            (None, None, None) => config.auth,
        };
        Ok(config)
    }
}

/// An http(s) URL; the transport takes it apart (credentials, write path) later.
fn parse_endpoint(text: &str) -> Result<String, &'static str> {
    let text = text.trim();
    match reqwest::Url::parse(text) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.has_host() => {
            Ok(text.to_owned())
        }
        _ => Err("expected an http:// or https:// URL"),
    }
}

/// A gRPC URL: `http(s)://` as tonic spells it, or `grpc://`, `grpc+tcp://`, `grpc+tls://` as
/// Arrow Flight's clients do.
fn parse_flight_sql_endpoint(text: &str) -> Result<String, &'static str> {
    let text = text.trim();
    match reqwest::Url::parse(text) {
        Ok(url)
            if matches!(
                url.scheme(),
                "http" | "https" | "grpc" | "grpc+tcp" | "grpc+tls"
            ) && url.has_host() =>
        {
            Ok(text.to_owned())
        }
        _ => Err("expected an http://, https://, grpc:// or grpc+tls:// URL"),
    }
}

/// Milliseconds as a whole number (the variable's form, as `OTEL_EXPORTER_OTLP_TIMEOUT`); from a
/// flag or code also a duration with a unit (`10s`, `1m30s`, `1500ms`), as people type it.
fn parse_timeout(text: &str, origin: Origin) -> Result<Duration, &'static str> {
    let text = text.trim();
    let timeout = match (text.parse::<u64>(), origin) {
        (Ok(millis), _) => Duration::from_millis(millis),
        (Err(_), Origin::Env) => return Err("expected milliseconds as a whole number"),
        (Err(_), Origin::Flag | Origin::Code) => humantime::parse_duration(text)
            .map_err(|_| "expected milliseconds or a duration with a unit, e.g. 10s or 1500ms")?,
    };
    if timeout.is_zero() {
        return Err("the deadline must be above zero");
    }
    Ok(timeout)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| map.get(name).cloned()
    }

    fn flags(pairs: &[(Setting, &str)]) -> impl Fn(Setting) -> Option<String> + use<> {
        let map: HashMap<Setting, String> = pairs
            .iter()
            .map(|(setting, v)| (*setting, (*v).to_owned()))
            .collect();
        move |setting| map.get(&setting).cloned()
    }

    #[test]
    fn code_wins_over_flags_which_win_over_the_environment() {
        let config = ClientSettings::new()
            .with_database("code")
            .fill_from(
                Origin::Flag,
                flags(&[
                    (Setting::Database, "flag"),
                    (Setting::Endpoint, "http://flag:1"),
                ]),
            )
            .unwrap()
            .fill_from_lookup(lookup(&[
                (OTEL_EXPORTER_DATALAYERS_DATABASE, "env"),
                (OTEL_EXPORTER_DATALAYERS_ENDPOINT, "http://env:2"),
                (OTEL_EXPORTER_DATALAYERS_ORG, "env-org"),
            ]))
            .unwrap()
            .resolve()
            .unwrap();
        assert_eq!(config.database.as_deref(), Some("code"));
        assert_eq!(config.endpoint, "http://flag:1");
        assert_eq!(config.org.as_deref(), Some("env-org"));
    }

    #[test]
    fn an_overridden_value_is_never_parsed() {
        let bad = lookup(&[
            (OTEL_EXPORTER_DATALAYERS_TIMEOUT, "soon"),
            (OTEL_EXPORTER_DATALAYERS_PROTOCOL, "mysql"),
            (OTEL_EXPORTER_DATALAYERS_CERTIFICATE, "/no/such/file.pem"),
        ]);
        let config = ClientSettings::new()
            .with_timeout(Duration::from_secs(1))
            .fill_from(
                Origin::Flag,
                flags(&[(Setting::Protocol, "influxdb-v1"), (Setting::CaFile, "")]),
            )
            .unwrap()
            .with_ca_certificates_pem(b"pem".to_vec())
            .fill_from_lookup(bad)
            .unwrap()
            .resolve()
            .unwrap();
        assert_eq!(config.timeout, Duration::from_secs(1));
        assert_eq!(config.protocol, Protocol::InfluxDbV1);
    }

    #[test]
    fn errors_name_the_flag_or_the_variable_and_never_a_secret() {
        let err = ClientSettings::new()
            .fill_from(Origin::Flag, flags(&[(Setting::Timeout, "soon")]))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "--timeout=\"soon\" is invalid: expected milliseconds or a duration with a unit, e.g. 10s or 1500ms"
        );
        let err = ClientSettings::new()
            .fill_from_lookup(lookup(&[(OTEL_EXPORTER_DATALAYERS_PROTOCOL, "mysql")]))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "OTEL_EXPORTER_DATALAYERS_PROTOCOL=\"mysql\" is invalid: expected datalayers, influxdb-v1 or influxdb-v2"
        );
        let err = ClientSettings::new()
            .fill_from(
                Origin::Flag,
                flags(&[(Setting::Endpoint, "ftp://admin:hunter2@h/")]),
            )
            .unwrap_err();
        assert!(err.to_string().starts_with("--endpoint="), "{err}");
        assert!(!err.to_string().contains("hunter2"), "{err}");
        let mut settings = ClientSettings::new();
        settings
            .set(Setting::Password, "hunter2", Origin::Flag)
            .unwrap();
        assert!(!format!("{settings:?}").contains("hunter2"));
        let err = settings.resolve().unwrap_err();
        assert!(err.to_string().contains("without a user name"), "{err}");
    }

    #[test]
    fn the_flight_sql_endpoint_takes_grpc_and_http_urls() {
        let config = ClientSettings::new()
            .fill_from_lookup(lookup(&[(
                OTEL_EXPORTER_DATALAYERS_FLIGHT_SQL_ENDPOINT,
                "grpc+tls://db:8360",
            )]))
            .unwrap()
            .resolve()
            .unwrap();
        assert_eq!(
            config.flight_sql_endpoint.as_deref(),
            Some("grpc+tls://db:8360")
        );
        assert_eq!(
            config.endpoint,
            super::super::OTEL_EXPORTER_DATALAYERS_ENDPOINT_DEFAULT
        );
        let err = ClientSettings::new()
            .fill_from(
                Origin::Flag,
                flags(&[(Setting::FlightSql, "tcp://admin:hunter2@db:8360")]),
            )
            .unwrap_err();
        assert!(err.to_string().starts_with("--flight-sql="), "{err}");
        assert!(!err.to_string().contains("hunter2"), "{err}");
        let settings = ClientSettings::new().with_flight_sql_endpoint("http://u:hunter2@h:1");
        assert!(!format!("{settings:?}").contains("hunter2"));
    }

    #[test]
    fn timeouts_take_units_from_flags_and_milliseconds_everywhere() {
        let parse = |text, origin| parse_timeout(text, origin);
        assert_eq!(parse("2500", Origin::Env), Ok(Duration::from_millis(2500)));
        assert_eq!(parse("2500", Origin::Flag), Ok(Duration::from_millis(2500)));
        assert_eq!(parse("1m30s", Origin::Flag), Ok(Duration::from_secs(90)));
        assert_eq!(parse("1.5s", Origin::Flag), Ok(Duration::from_millis(1500)));
        assert!(parse("10s", Origin::Env).is_err());
        assert!(parse("0", Origin::Flag).is_err());
        assert!(parse("0s", Origin::Flag).is_err());
    }

    #[test]
    fn credentials_are_one_choice_per_layer() {
        // A token flag hides the environment's user and password.
        let config = ClientSettings::new()
            .fill_from(Origin::Flag, flags(&[(Setting::Token, "tok")]))
            .unwrap()
            .fill_from_lookup(lookup(&[
                (OTEL_EXPORTER_DATALAYERS_USERNAME, "u"),
                (OTEL_EXPORTER_DATALAYERS_PASSWORD, "pw"),
            ]))
            .unwrap()
            .resolve()
            .unwrap();
        assert_eq!(config.auth, Auth::Token(Secret::new("tok")));
        // A password flag joins the environment's user name; the environment's token is hidden.
        let config = ClientSettings::new()
            .fill_from(Origin::Flag, flags(&[(Setting::Password, "flag-pw")]))
            .unwrap()
            .fill_from_lookup(lookup(&[
                (OTEL_EXPORTER_DATALAYERS_USERNAME, "u"),
                (OTEL_EXPORTER_DATALAYERS_TOKEN, "tok"),
            ]))
            .unwrap()
            .resolve()
            .unwrap();
        assert_eq!(
            config.auth,
            Auth::Basic {
                username: "u".into(),
                password: Secret::new("flag-pw")
            }
        );
        // Basic credentials in code hide the environment's token.
        let config = ClientSettings::new()
            .with_protocol(Protocol::InfluxDbV2)
            .with_basic_auth("code", "pw")
            .fill_from_lookup(lookup(&[(OTEL_EXPORTER_DATALAYERS_TOKEN, "tok")]))
            .unwrap()
            .resolve()
            .unwrap();
        assert!(matches!(config.auth, Auth::Basic { .. }), "{config:?}");
    }

    #[test]
    fn every_default_shown_in_help_is_the_default() {
        let defaults = ClientConfig::default();
        for &setting in Setting::ALL {
            let Some(text) = setting.default_value() else {
                continue;
            };
            let mut settings = ClientSettings::new();
            settings.set(setting, text, Origin::Flag).unwrap();
            assert_eq!(settings.resolve().unwrap(), defaults, "{setting}");
        }
    }

    #[test]
    fn every_setting_has_its_own_name_and_variable() {
        let mut names: Vec<&str> = Setting::ALL.iter().map(|s| s.name()).collect();
        let mut variables: Vec<&str> = Setting::ALL.iter().map(|s| s.variable()).collect();
        names.sort_unstable();
        names.dedup();
        variables.sort_unstable();
        variables.dedup();
        assert_eq!(
            (names.len(), variables.len()),
            (Setting::ALL.len(), Setting::ALL.len())
        );
    }
}
