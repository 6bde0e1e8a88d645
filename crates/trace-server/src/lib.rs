#![doc = include_str!("../README.md")]

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
