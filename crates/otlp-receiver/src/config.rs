//! [`ReceiverConfig`]: limits, mapping and incoming authentication, with `pub const` defaults.

use std::fmt;

use otlp_influx::MappingConfig;

/// Default OTLP/gRPC listen address (loopback: an edge box opts in to `0.0.0.0`).
pub const OTLP_GRPC_ADDR_DEFAULT: &str = "127.0.0.1:4317";
/// Default OTLP/HTTP listen address.
pub const OTLP_HTTP_ADDR_DEFAULT: &str = "127.0.0.1:4318";
/// Default limit of one request body after decompression: the OTLP specification's
/// recommendation (the collector's defaults are lower: 20 MiB for HTTP, 4 MiB for gRPC).
pub const MAX_REQUEST_BYTES_DEFAULT: usize = 64 << 20;
/// Default budget of the bytes all requests in flight may hold (compressed body, decompressed
/// body and mapped lines). A request that does not fit is refused with a retry delay before
/// its body is read.
pub const MAX_IN_FLIGHT_BYTES_DEFAULT: usize = 256 << 20;

/// How a request's lines are charged against the in-flight budget: the decompressed body and
/// the lines mapped from it (line protocol is about twice the size of its protobuf).
pub(crate) const BUDGET_PER_BODY_BYTE: usize = 3;

/// What the receiver accepts and how it maps it.
#[derive(Debug, Clone, PartialEq)]
pub struct ReceiverConfig {
    /// The schema options (dimensions, metrics schema, stable columns, dialect), as
    /// `otel-lp convert` takes them: the lines written for a request are the lines `convert`
    /// writes for it.
    pub mapping: MappingConfig,
    /// The largest request body accepted, after decompression ([`MAX_REQUEST_BYTES_DEFAULT`]).
    pub max_request_bytes: usize,
    /// The in-flight byte budget ([`MAX_IN_FLIGHT_BYTES_DEFAULT`]).
    pub max_in_flight_bytes: usize,
    /// Credentials every OTLP request must carry; `None` accepts any request.
    pub auth: Option<IncomingAuth>,
    /// Origins allowed to send OTLP/HTTP from a browser (CORS); empty turns CORS off. `*` allows
    /// any origin.
    pub cors_allowed_origins: Vec<String>,
}

impl Default for ReceiverConfig {
    fn default() -> Self {
        Self {
            mapping: MappingConfig::default(),
            max_request_bytes: MAX_REQUEST_BYTES_DEFAULT,
            max_in_flight_bytes: MAX_IN_FLIGHT_BYTES_DEFAULT,
            auth: None,
            cors_allowed_origins: Vec::new(),
        }
    }
}

/// Credentials the receiver requires of its clients, in the `Authorization` header.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum IncomingAuth {
    /// `Authorization: Bearer <token>`.
    Bearer(String),
    /// `Authorization: Basic <base64(user:password)>`.
    Basic {
        /// The user name.
        username: String,
        /// The password.
        password: String,
    },
}

impl fmt::Debug for IncomingAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Bearer(_) => f.write_str("Bearer(***)"),
            Self::Basic { username, .. } => f
                .debug_struct("Basic")
                .field("username", username)
                .field("password", &"***")
                .finish(),
        }
    }
}

impl IncomingAuth {
    /// Whether an `Authorization` header value carries these credentials. Compared in constant
    /// time, so the answer's timing says nothing about how much of a guess was right.
    pub fn accepts(&self, header: Option<&[u8]>) -> bool {
        let Some(header) = header else {
            return false;
        };
        let expected = match self {
            Self::Bearer(token) => format!("Bearer {token}"),
            Self::Basic { username, password } => {
                use base64::Engine as _;
                let pair = format!("{username}:{password}");
                format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(pair)
                )
            }
        };
        constant_time_eq(header, expected.as_bytes())
    }

    /// The `WWW-Authenticate` challenge for a refusal.
    pub(crate) fn challenge(&self) -> &'static str {
        match self {
            Self::Bearer(_) => "Bearer realm=\"otlp\"",
            Self::Basic { .. } => "Basic realm=\"otlp\"",
        }
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_checked_and_never_shown() {
        let basic = IncomingAuth::Basic {
            username: "Aladdin".into(),
            password: "open sesame".into(),
        };
        // RFC 7617's example.
        assert!(basic.accepts(Some(b"Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==")));
        assert!(!basic.accepts(Some(b"Basic QWxhZGRpbjpvcGVuIHNlc2FtZR==")));
        assert!(!basic.accepts(None));
        let bearer = IncomingAuth::Bearer("s3cret".into());
        assert!(bearer.accepts(Some(b"Bearer s3cret")));
        assert!(!bearer.accepts(Some(b"Bearer s3cre")));
        assert!(!format!("{basic:?}{bearer:?}").contains("sesame"));
        assert!(!format!("{bearer:?}").contains("s3cret"));
    }
}
