//! The trace query server: Jaeger's query API over Datalayers SQL or InfluxDB 1.x InfluxQL, for
//! Grafana's Jaeger data source and Jaeger UI, and a built-in web trace viewer.
//!
//! [`router`] builds an [`axum::Router`] over any [`TraceStore`] (`trace-query`'s
//! [`AnyTraceStore`](trace_query::AnyTraceStore) picks SQL or InfluxQL from a client's
//! protocol); the program that runs it owns the listener, TLS and shutdown:
//!
//! ```no_run
//! use std::sync::Arc;
//! use datalayers_client::{Client, ClientConfig};
//! use trace_query::{AnyTraceStore, TraceSchema};
//! use trace_server::{Access, TraceServerConfig};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let client = Arc::new(Client::new(ClientConfig::from_env()?)?);
//! let store = AnyTraceStore::for_client(client, TraceSchema::default())?;
//! let config = TraceServerConfig {
//!     access: Access::basic("grafana", "s3cret"),
//!     ..TraceServerConfig::default()
//! };
//! let app = trace_server::router(store, config);
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:16686").await?;
//! axum::serve(listener, app).await?;
//! # Ok(())
//! # }
//! ```
//!
//! # What it serves
//!
//! - **Jaeger API v1** at the root (`/api/services`, `/api/services/{service}/operations`,
//!   `/api/operations`, `/api/traces`, `/api/traces/{id}`, `/api/dependencies`), in Jaeger's
//!   envelope `{"data", "total", "limit", "offset", "errors"}`: what Grafana's Jaeger data source
//!   calls. Searches take `start`/`end` in microseconds, `minDuration`/`maxDuration` as Go
//!   durations (`1.5ms`, `2h45m`), `tags` as a JSON object and repeated `tag=key:value`;
//!   unknown parameters (`lookback`, ...) are ignored. See the [`v1`](crate#api-v1) table.
//! - **Jaeger API v3** (`/api/v3/services`, `/api/v3/operations`, `/api/v3/traces`,
//!   `/api/v3/trace-summaries`, `/api/v3/traces/{id}` as OTLP JSON): what current Jaeger UI
//!   builds call.
//! - **The viewer** at `/` (search, with the search in the URL) and `/trace/{id}` (waterfall,
//!   critical path, find, span details), unless [`TraceServerConfig::viewer`] is off.
//!
//! Filters go into the query text (service, span name, tags, durations, time window, limit):
//! see `trace_query::TraceFilter`. A search answers with whole traces, newest first.
//!
//! # Errors
//!
//! Bad input is a 400 naming the parameter (`unable to parse param 'minDuration': ...`), an
//! unknown trace a 404, a failing database a 502 (504 when it timed out) with its error; v1 in
//! the envelope's `errors` (`[{"code": 404, "msg": "trace not found"}]`), v3 as
//! `{"error": {"httpCode", "message"}}`.
//!
//! # Access
//!
//! Read-only, open by default; [`Access`] restricts every route (the viewer included) to basic
//! and/or bearer credentials. [`Cors`] is off unless configured.
//!
//! # API v1
//!
//! | route | answer (`data` of the envelope) |
//! |---|---|
//! | `GET /api/services` | service names |
//! | `GET /api/services/{service}/operations` | span names |
//! | `GET /api/operations?service=&spanKind=` | `[{name, spanKind}]` |
//! | `GET /api/traces?service=&operation=&tags=&tag=&start=&end=&minDuration=&maxDuration=&limit=&traceID=` | whole traces |
//! | `GET /api/traces/{traceID}?start=&end=` | `[trace]`, 404 when unknown |
//! | `GET /api/dependencies?endTs=&lookback=&service=` | `[{parent, child, callCount}]` (ms) |

mod access;
mod config;
mod params;
mod reply;
mod v1;
mod v3;
mod viewer;

use std::sync::Arc;

use axum::Router;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use trace_query::{TimeRange, Trace, TraceError, TraceFilter, TraceId, TraceStore};

pub use config::{
    Access, Cors, DEFAULT_DEPENDENCIES_LOOKBACK, DEFAULT_LISTEN_ADDR, DEFAULT_MAX_SEARCH_LIMIT,
    DEFAULT_SEARCH_LIMIT, DEFAULT_SEARCH_LOOKBACK, DEFAULT_TRACE_MARGIN, TraceServerConfig,
};

/// The store and the settings, shared by every request.
struct App<S> {
    store: S,
    config: TraceServerConfig,
}

impl<S: TraceStore> App<S> {
    /// The traces matching `filter` (whose range is set), whole, newest first: their summaries,
    /// then all their spans, read from a little before the window (a trace is found by its
    /// spans in the window and shown whole).
    async fn find_traces(&self, filter: &TraceFilter) -> Result<Vec<Trace>, TraceError> {
        let summaries = self.store.list_traces(filter).await?;
        if summaries.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<TraceId> = summaries.iter().map(|s| s.trace_id).collect();
        let margin = i64::try_from(self.config.trace_margin.as_nanos()).unwrap_or(i64::MAX);
        let hint = TimeRange {
            start_ns: filter
                .range
                .and_then(|r| r.start_ns)
                .map(|start| start.saturating_sub(margin)),
            end_ns: None,
        };
        self.store.get_traces(&ids, hint).await
    }
}

/// The query server's routes over `store`: the Jaeger API (v1 and v3) and, unless
/// `config.viewer` is off, the viewer; with `config.access` and `config.cors` applied to all
/// of them.
///
/// `S` is any [`TraceStore`]: `AnyTraceStore<Arc<Client>>`, `DatalayersSql<T>` over another
/// SQL transport (Arrow Flight SQL), `InfluxQl<T>`. Mount the router on a listener with
/// `axum::serve` or hyper; it holds no connection state of its own.
pub fn router<S>(store: S, config: TraceServerConfig) -> Router
where
    S: TraceStore + Send + Sync + 'static,
{
    let access = Arc::new(config.access.clone());
    let cors = access::cors_layer(&config.cors);
    let viewer = config.viewer;
    let app = Arc::new(App { store, config });
    let mut router = Router::new()
        .route("/api/services", get(v1::services::<S>))
        .route(
            "/api/services/{service}/operations",
            get(v1::service_operations::<S>),
        )
        .route("/api/operations", get(v1::operations::<S>))
        .route("/api/traces", get(v1::search::<S>))
        .route("/api/traces/{id}", get(v1::trace::<S>))
        .route("/api/dependencies", get(v1::dependencies::<S>))
        .route("/api/v3/services", get(v3::services::<S>))
        .route("/api/v3/operations", get(v3::operations::<S>))
        .route("/api/v3/traces", get(v3::search::<S>))
        .route("/api/v3/trace-summaries", get(v3::summaries::<S>))
        .route("/api/v3/traces/{id}", get(v3::trace::<S>))
        .fallback(not_found)
        .with_state(app);
    if viewer {
        router = router.merge(viewer::routes());
    }
    if !access.is_open() {
        router = router.layer(axum::middleware::from_fn_with_state(
            access,
            access::require_credentials,
        ));
    }
    if let Some(cors) = cors {
        // Outside the credential check: a browser's preflight carries no credentials.
        router = router.layer(cors);
    }
    router
}

/// Entry points for the fuzz targets (`fuzz/fuzz_targets/server_params.rs`): the request
/// parsers on their own. Not a stable API.
#[doc(hidden)]
pub mod fuzzing {
    use std::time::Duration;

    use trace_query::{TraceFilter, TraceId};

    use crate::TraceServerConfig;
    use crate::params::{self, Params};

    /// `GET /api/traces`'s query string as the server reads it, or the 400 message.
    pub fn v1_search(query: &str, now_ns: i64) -> Result<(TraceFilter, Vec<TraceId>), String> {
        crate::v1::search_params(
            &Params::parse(Some(query)),
            now_ns,
            &TraceServerConfig::default(),
        )
        .map(|search| (search.filter, search.trace_ids))
        .map_err(|e| e.message)
    }

    /// An API v3 search's query string as the server reads it, or the 400 message.
    pub fn v3_search(query: &str, now_ns: i64) -> Result<TraceFilter, String> {
        crate::v3::search_params(
            &Params::parse(Some(query)),
            now_ns,
            &TraceServerConfig::default(),
        )
        .map_err(|e| e.message)
    }

    /// A Go duration string.
    pub fn go_duration(text: &str) -> Result<Duration, String> {
        params::go_duration(text)
    }
}

/// Unknown routes: the API's error shape under `/api/`, plain text elsewhere.
async fn not_found(request: Request) -> Response {
    let path = request.uri().path();
    let message = format!("no such route: {} {path}", request.method());
    if path.starts_with("/api/v3/") {
        reply::ApiError::not_found(message).v3()
    } else if path.starts_with("/api/") {
        reply::ApiError::not_found(message).v1()
    } else {
        (StatusCode::NOT_FOUND, message).into_response()
    }
}
