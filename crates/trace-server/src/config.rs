//! What the server can be told: access control, CORS, search bounds, whether to serve the viewer.

use std::fmt;
use std::time::Duration;

/// Where `otel-lp serve` listens for the query server unless told otherwise: Jaeger's query
/// port, on loopback only (the API is open unless [`Access`] says otherwise).
pub const DEFAULT_LISTEN_ADDR: &str = "127.0.0.1:16686";
/// The default number of traces a search returns when it does not say (`limit`, API v3's
/// `query.searchDepth`), as in Jaeger.
pub const DEFAULT_SEARCH_LIMIT: usize = 100;
/// The most traces one search may ask for, unless configured otherwise: a search answers with
/// whole traces, so this bounds the work one request can cause.
pub const DEFAULT_MAX_SEARCH_LIMIT: usize = 1_500;
/// The window a search covers when it gives no `start` (Jaeger's default: two days).
pub const DEFAULT_SEARCH_LOOKBACK: Duration = Duration::from_secs(2 * 24 * 3600);
/// The window of `/api/dependencies` without `lookback` (Jaeger's default: one day).
pub const DEFAULT_DEPENDENCIES_LOOKBACK: Duration = Duration::from_secs(24 * 3600);
/// How much earlier than the search window the spans of a found trace are looked for: a trace
/// is found by its spans in the window, and shown whole.
pub const DEFAULT_TRACE_MARGIN: Duration = Duration::from_secs(3600);

/// How the server is set up. `TraceServerConfig::default()` is open (no credentials), has CORS
/// off and serves the viewer; the binary fills it from its flags.
///
/// ```
/// use trace_server::{Access, Cors, TraceServerConfig};
///
/// let config = TraceServerConfig {
///     access: Access::basic("grafana", "s3cret").or_bearer("token-for-scripts"),
///     cors: Cors::origins(["https://grafana.example.com"]),
///     ..TraceServerConfig::default()
/// };
/// // Secrets never show in logs.
/// assert!(!format!("{config:?}").contains("s3cret"));
/// ```
#[derive(Debug, Clone)]
pub struct TraceServerConfig {
    /// Who may read (the API and the viewer alike). [`Access::Open`] by default.
    pub access: Access,
    /// Which other web origins may call the API from a browser. Off by default.
    pub cors: Cors,
    /// Serve the built-in viewer at `/` and `/trace/{id}` (the API is always served).
    pub viewer: bool,
    /// The most traces one search may ask for; more is refused with 400.
    pub max_search_limit: usize,
    /// The window of a search without `start`.
    pub search_lookback: Duration,
    /// The window of `/api/dependencies` without `lookback`.
    pub dependencies_lookback: Duration,
    /// How much earlier than its search window a found trace's spans are read.
    pub trace_margin: Duration,
}

impl Default for TraceServerConfig {
    fn default() -> Self {
        Self {
            access: Access::Open,
            cors: Cors::Off,
            viewer: true,
            max_search_limit: DEFAULT_MAX_SEARCH_LIMIT,
            search_lookback: DEFAULT_SEARCH_LOOKBACK,
            dependencies_lookback: DEFAULT_DEPENDENCIES_LOOKBACK,
            trace_margin: DEFAULT_TRACE_MARGIN,
        }
    }
}

/// Who may read. Applies to every route, the viewer included (a browser asks for basic
/// credentials itself; a bearer token suits API clients such as Grafana, which can send a
/// custom `Authorization` header). Both may be accepted at once.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Access {
    /// Anyone who can reach the listener.
    Open,
    /// Requests that carry one of these credentials.
    Restricted {
        /// `Authorization: Basic` user and password.
        basic: Option<(String, String)>,
        /// `Authorization: Bearer` token.
        bearer: Option<String>,
    },
}

impl Access {
    /// HTTP basic authentication with this user and password.
    pub fn basic(user: impl Into<String>, password: impl Into<String>) -> Self {
        Self::Restricted {
            basic: Some((user.into(), password.into())),
            bearer: None,
        }
    }

    /// A bearer token (`Authorization: Bearer <token>`).
    pub fn bearer(token: impl Into<String>) -> Self {
        Self::Restricted {
            basic: None,
            bearer: Some(token.into()),
        }
    }

    /// This, and also a bearer token.
    pub fn or_bearer(self, token: impl Into<String>) -> Self {
        match self {
            Self::Open => Self::bearer(token),
            Self::Restricted { basic, .. } => Self::Restricted {
                basic,
                bearer: Some(token.into()),
            },
        }
    }

    /// `true` when no credentials are needed.
    pub fn is_open(&self) -> bool {
        matches!(self, Self::Open)
    }
}

impl fmt::Debug for Access {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Open => f.write_str("Open"),
            Self::Restricted { basic, bearer } => f
                .debug_struct("Restricted")
                .field("basic_user", &basic.as_ref().map(|(user, _)| user))
                .field("bearer", &bearer.as_ref().map(|_| "<redacted>"))
                .finish(),
        }
    }
}

/// Which web origins may call the API from a browser (CORS). The viewer is same-origin and
/// needs none; Grafana calls from its server and needs none either.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Cors {
    /// No CORS headers: browsers keep other origins' pages from reading the answers.
    Off,
    /// These origins (`https://host:port`, exactly as browsers send them).
    Origins(Vec<String>),
    /// Any origin (`Access-Control-Allow-Origin: *`, never with credentials).
    Any,
}

impl Cors {
    /// These origins.
    pub fn origins<I, S>(origins: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self::Origins(origins.into_iter().map(Into::into).collect())
    }
}
