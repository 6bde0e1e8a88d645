//! Jaeger's query API v1: what Grafana's Jaeger data source and Jaeger UI releases call.
//!
//! | route | answer (`data` of the envelope) |
//! |---|---|
//! | `GET /api/services` | service names |
//! | `GET /api/services/{service}/operations` | span names |
//! | `GET /api/operations?service=&spanKind=` | `[{name, spanKind}]` |
//! | `GET /api/traces?service=&operation=&tags=&tag=&start=&end=&minDuration=&maxDuration=&limit=&traceID=` | whole traces |
//! | `GET /api/traces/{traceID}?start=&end=` | `[trace]`, 404 when unknown |
//! | `GET /api/dependencies?endTs=&lookback=&service=` | `[{parent, child, callCount}]` |

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use trace_query::jaeger::{self, DependencyLink, Operation, ResponseError};
use trace_query::{TimeRange, TraceFilter, TraceId, TraceStore, now_ns};

use crate::App;
use crate::params::{self, Params};
use crate::reply::{ApiError, ok};

/// `GET /api/services`.
pub(crate) async fn services<S: TraceStore>(State(app): State<Arc<App<S>>>) -> Response {
    match app.store.services().await {
        Ok(services) => ok(&jaeger::Response::new(services)),
        Err(e) => ApiError::from_trace(&e).v1(),
    }
}

/// `GET /api/services/{service}/operations`: span names only (the older call).
pub(crate) async fn service_operations<S: TraceStore>(
    State(app): State<Arc<App<S>>>,
    Path(service): Path<String>,
) -> Response {
    match app.store.operations(&service).await {
        Ok(names) => ok(&jaeger::Response::new(names)),
        Err(e) => ApiError::from_trace(&e).v1(),
    }
}

/// `GET /api/operations?service=&spanKind=`.
pub(crate) async fn operations<S: TraceStore>(
    State(app): State<Arc<App<S>>>,
    RawQuery(query): RawQuery,
) -> Response {
    let params = Params::parse(query.as_deref());
    let Some(service) = params.get("service") else {
        return ApiError::bad_request("parameter 'service' is required").v1();
    };
    match app
        .store
        .operations_with_kind(service, params.get("spanKind"))
        .await
    {
        Ok(operations) => ok(&jaeger::Response::new(
            operations
                .into_iter()
                .map(|o| Operation {
                    name: o.name,
                    span_kind: o
                        .kind
                        .as_deref()
                        .and_then(jaeger::span_kind)
                        .unwrap_or_default(),
                })
                .collect(),
        )),
        Err(e) => ApiError::from_trace(&e).v1(),
    }
}

/// A v1 search: the filter, or trace ids asked for by `traceID`.
pub(crate) struct Search {
    /// Service, operation, tags, durations, window and limit.
    pub(crate) filter: TraceFilter,
    /// `traceID=` values: these traces, the other conditions ignored (as Jaeger does).
    pub(crate) trace_ids: Vec<TraceId>,
}

/// Reads the parameters of `GET /api/traces`. Unknown parameters (`lookback`, `prettyPrint`,
/// ...) are ignored.
pub(crate) fn search_params(
    params: &Params,
    now_ns: i64,
    config: &crate::TraceServerConfig,
) -> Result<Search, ApiError> {
    let end = params
        .get("end")
        .map(|t| params::epoch("end", t, 1_000))
        .transpose()?
        .unwrap_or(now_ns);
    let lookback = i64::try_from(config.search_lookback.as_nanos()).unwrap_or(i64::MAX);
    let start = params
        .get("start")
        .map(|t| params::epoch("start", t, 1_000))
        .transpose()?
        .unwrap_or_else(|| end.saturating_sub(lookback));
    if start > end {
        return Err(ApiError::bad_request(
            "'start' must not be after 'end' (both in microseconds since the epoch)",
        ));
    }
    let min_duration = params::duration("minDuration", params.get("minDuration"))?;
    let max_duration = params::duration("maxDuration", params.get("maxDuration"))?;
    if let (Some(min), Some(max)) = (min_duration, max_duration)
        && max < min
    {
        return Err(ApiError::bad_request(
            "'maxDuration' should be greater than 'minDuration'",
        ));
    }
    let filter = TraceFilter {
        // `end` is inclusive in Jaeger.
        range: Some(TimeRange::between(start, end.saturating_add(1))),
        service: params.get("service").map(str::to_owned),
        span_name: params.get("operation").map(str::to_owned),
        tags: params::tags(params.all("tags"), params.all("tag"), "tags")?,
        min_duration,
        max_duration,
        limit: params::limit(
            "limit",
            params.get("limit"),
            crate::config::DEFAULT_SEARCH_LIMIT,
            config.max_search_limit,
        )?,
        offset: 0,
    };
    let trace_ids = params
        .all("traceID")
        .map(|id| params::trace_id("traceID", id))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Search { filter, trace_ids })
}

/// `GET /api/traces?...`: whole traces, newest first.
pub(crate) async fn search<S: TraceStore>(
    State(app): State<Arc<App<S>>>,
    RawQuery(query): RawQuery,
) -> Response {
    let params = Params::parse(query.as_deref());
    let search = match search_params(&params, now_ns(), &app.config) {
        Ok(search) => search,
        Err(e) => return e.v1(),
    };
    if !search.trace_ids.is_empty() {
        return by_ids(&app, &search.trace_ids).await;
    }
    match app.find_traces(&search.filter).await {
        Ok(traces) => ok(&jaeger::Response::new(
            traces.iter().map(jaeger::Trace::from).collect(),
        )),
        Err(e) => ApiError::from_trace(&e).v1(),
    }
}

/// `GET /api/traces?traceID=..&traceID=..`: the traces found, and, as Jaeger answers, one
/// `{"msg": "trace not found", "traceID": ...}` in `errors` per id that is not (still a 200).
async fn by_ids<S: TraceStore>(app: &App<S>, ids: &[TraceId]) -> Response {
    let traces = match app.store.get_traces(ids, TimeRange::UNBOUNDED).await {
        Ok(traces) => traces,
        Err(e) => return ApiError::from_trace(&e).v1(),
    };
    let missing: Vec<ResponseError> = ids
        .iter()
        .filter(|id| !traces.iter().any(|t| t.trace_id == **id))
        .map(|id| ResponseError {
            code: None,
            msg: "trace not found".into(),
            trace_id: Some(id.to_string()),
        })
        .collect();
    let mut response = jaeger::Response::new(traces.iter().map(jaeger::Trace::from).collect());
    if !missing.is_empty() {
        response.errors = Some(missing);
    }
    ok(&response)
}

/// `GET /api/traces/{traceID}?start=&end=` (`start`/`end` in microseconds narrow the search, as
/// Grafana sends them when told the trace's time).
pub(crate) async fn trace<S: TraceStore>(
    State(app): State<Arc<App<S>>>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let params = Params::parse(query.as_deref());
    let hint = (|| {
        let trace_id = params::trace_id("traceID", &id)?;
        let time = |name: &str| {
            params
                .get(name)
                .map(|t| params::epoch(name, t, 1_000))
                .transpose()
        };
        let hint = TimeRange {
            start_ns: time("start")?,
            end_ns: time("end")?.map(|e| e.saturating_add(1)),
        };
        Ok::<_, ApiError>((trace_id, hint))
    })();
    let (trace_id, hint) = match hint {
        Ok(found) => found,
        Err(e) => return e.v1(),
    };
    match app.store.get_trace(&trace_id, hint).await {
        Ok(trace) => ok(&jaeger::Response::new(vec![jaeger::Trace::from(&trace)])),
        Err(e) if e.is_not_found() => ApiError::not_found("trace not found").v1(),
        Err(e) => ApiError::from_trace(&e).v1(),
    }
}

/// `GET /api/dependencies?endTs=&lookback=&service=`: `endTs` and `lookback` in milliseconds;
/// with `service`, only the edges that touch it.
pub(crate) async fn dependencies<S: TraceStore>(
    State(app): State<Arc<App<S>>>,
    RawQuery(query): RawQuery,
) -> Response {
    let params = Params::parse(query.as_deref());
    let range = (|| {
        let end = params
            .get("endTs")
            .map(|t| params::epoch("endTs", t, 1_000_000))
            .transpose()?
            .unwrap_or_else(now_ns);
        let lookback = match params.get("lookback") {
            Some(ms) => params::epoch("lookback", ms, 1_000_000)?,
            None => i64::try_from(app.config.dependencies_lookback.as_nanos()).unwrap_or(i64::MAX),
        };
        Ok::<_, ApiError>(TimeRange::between(
            end.saturating_sub(lookback),
            end.saturating_add(1),
        ))
    })();
    let range = match range {
        Ok(range) => range,
        Err(e) => return e.v1(),
    };
    let service = params.get("service");
    match app.store.dependencies(range).await {
        Ok(edges) => ok(&jaeger::Response::new(
            edges
                .into_iter()
                .filter(|e| service.is_none_or(|s| e.parent == s || e.child == s))
                .map(|e| DependencyLink {
                    parent: e.parent,
                    child: e.child,
                    call_count: e.call_count,
                })
                .collect(),
        )),
        Err(e) => ApiError::from_trace(&e).v1(),
    }
}
