//! Error types. None of them ever carries a password, a token or a URL with credentials.

use std::fmt;

use crate::config::{Origin, Setting};

/// A setting is missing or malformed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A setting has an invalid value. The message names where it came from: the flag
    /// (`--timeout="soon" is invalid: ...`), the environment variable
    /// (`OTEL_EXPORTER_DATALAYERS_TIMEOUT="soon" ...`) or the setting given in code.
    #[error("{}={value:?} is invalid: {reason}", origin.describe(*setting))]
    InvalidValue {
        /// The setting.
        setting: Setting,
        /// Where the value came from.
        origin: Origin,
        /// The value given (`***` for a secret, an endpoint with its password hidden).
        value: String,
        /// What was expected.
        reason: &'static str,
    },
    /// A required setting is missing.
    #[error("no {what} configured: set it with the builder or the {variable} environment variable")]
    Missing {
        /// What is missing.
        what: &'static str,
        /// The environment variable that sets it.
        variable: &'static str,
    },
    /// The endpoint is not a usable http(s) URL.
    #[error("invalid endpoint {endpoint:?}: {reason}")]
    InvalidEndpoint {
        /// The endpoint, with any password replaced by `***`.
        endpoint: String,
        /// Why.
        reason: String,
    },
    /// An extra header's name or value is not valid HTTP.
    #[error("invalid header {name:?}: {reason}")]
    InvalidHeader {
        /// The header name.
        name: String,
        /// Why (the value is never shown).
        reason: &'static str,
    },
    /// A combination the server does not support.
    #[error("{0}")]
    Unsupported(&'static str),
}

/// Building a [`Client`](crate::Client) failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The configuration is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The HTTP client could not be built (e.g. TLS setup).
    #[error("cannot build the HTTP client: {0}")]
    Http(String),
    /// The background client's thread or runtime could not be started.
    #[error("cannot start the background client: {0}")]
    Runtime(String),
}

/// One HTTP exchange failed before a status code arrived. Every variant is worth a retry except
/// [`TransportError::InvalidRequest`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    /// No response within the attempt's time budget.
    #[error("request timed out after {0:?}")]
    Timeout(std::time::Duration),
    /// The connection could not be established (refused, DNS, TLS handshake).
    #[error("cannot connect: {0}")]
    Connect(String),
    /// The connection broke while sending or receiving.
    #[error("connection error: {0}")]
    Io(String),
    /// The request could not be built (never retried).
    #[error("invalid request: {0}")]
    InvalidRequest(String),
}

impl TransportError {
    /// Whether retrying the same request may succeed.
    pub fn is_retryable(&self) -> bool {
        !matches!(self, Self::InvalidRequest(_))
    }

    pub(crate) fn from_reqwest(err: reqwest::Error, budget: std::time::Duration) -> Self {
        // `without_url`: the URL is ours and carries no credentials, but keep errors short and
        // safe even if a user put a query secret in the endpoint.
        let err = err.without_url();
        if err.is_timeout() {
            Self::Timeout(budget)
        } else if err.is_connect() {
            Self::Connect(error_chain(&err))
        } else if err.is_builder() {
            Self::InvalidRequest(error_chain(&err))
        } else {
            Self::Io(error_chain(&err))
        }
    }
}

/// `err: cause: cause` on one line.
pub(crate) fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let shown = cause.to_string();
        if !text.contains(&shown) {
            text.push_str(": ");
            text.push_str(&shown);
        }
        source = cause.source();
    }
    text
}

/// Why lines were not written: the kind decides retries and how the report counts them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WriteErrorKind {
    /// 400: the server refused the lines' content (syntax, type conflict, naming rule). Not retried.
    Rejected,
    /// 413 for a single line, or a line longer than `payload_max_bytes`. Not retried.
    TooLarge,
    /// 401: wrong or missing credentials.
    Unauthorized,
    /// 403: the user may not write there.
    Forbidden,
    /// 404: the database (or bucket, or path) does not exist.
    NotFound,
    /// Retryable failures (5xx, 408, 429, transport) that outlasted the deadline or retry budget.
    Exhausted,
    /// Any other status.
    UnexpectedStatus,
    /// The request could not be built, or the background client is gone.
    Client,
}

impl fmt::Display for WriteErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Rejected => "rejected",
            Self::TooLarge => "too large",
            Self::Unauthorized => "unauthorized",
            Self::Forbidden => "forbidden",
            Self::NotFound => "not found",
            Self::Exhausted => "retries exhausted",
            Self::UnexpectedStatus => "unexpected status",
            Self::Client => "client error",
        })
    }
}

/// One failure of a write, with the number of lines it cost.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind}{}: {message} ({lines} lines)", status.map(|s| format!(" (HTTP {s})")).unwrap_or_default())]
pub struct WriteError {
    /// Classification.
    pub kind: WriteErrorKind,
    /// HTTP status, when one arrived.
    pub status: Option<u16>,
    /// Human-readable reason (server message, advice).
    pub message: String,
    /// Lines lost to this error.
    pub lines: u64,
}

/// Replaces the password of `scheme://user:password@host` with `***` (for messages).
pub(crate) fn redact_endpoint(endpoint: &str) -> String {
    match reqwest::Url::parse(endpoint) {
        Ok(mut url) => {
            if url.password().is_some() {
                let _ = url.set_password(Some("***"));
            }
            let redacted: Vec<(String, String)> = url
                .query_pairs()
                .map(|(k, v)| {
                    let v = if crate::transport::is_secret_query_key(&k) {
                        "***".into()
                    } else {
                        v.into_owned()
                    };
                    (k.into_owned(), v)
                })
                .collect();
            if !redacted.is_empty() {
                url.query_pairs_mut().clear().extend_pairs(redacted);
            }
            url.to_string()
        }
        Err(_) if endpoint.contains('@') => "<unparsable endpoint with credentials>".to_owned(),
        Err(_) => endpoint.to_owned(),
    }
}

/// [`BackgroundClient::shutdown`](crate::BackgroundClient::shutdown) did not complete cleanly.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ShutdownError {
    /// Shutdown was already called.
    #[error("the client is already shut down")]
    AlreadyShutdown,
    /// In-flight writes did not finish within the timeout (they were abandoned, counted as failed).
    #[error("shutdown did not finish within {0:?}")]
    Timeout(std::time::Duration),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_hides_passwords() {
        let shown = redact_endpoint("http://admin:public@h:8361/x?p=s3cret&db=d&u=admin&token=tk");
        assert!(!shown.contains("public"), "{shown}");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(!shown.contains("tk"), "{shown}");
        assert!(shown.contains("db=d"), "{shown}");
        assert!(!redact_endpoint("ht!tp://a:b@c").contains(":b"));
    }

    #[test]
    fn write_error_display() {
        let err = WriteError {
            kind: WriteErrorKind::NotFound,
            status: Some(404),
            message: "database not found".into(),
            lines: 3,
        };
        assert_eq!(
            err.to_string(),
            "not found (HTTP 404): database not found (3 lines)"
        );
    }
}
