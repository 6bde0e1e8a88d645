//! Jaeger's query API v3 over HTTP (its grpc-gateway JSON), what current Jaeger UI builds call.
//!
//! | route | answer |
//! |---|---|
//! | `GET /api/v3/services` | `{"services": [...]}` |
//! | `GET /api/v3/operations?service=&spanKind=` | `{"operations": [{name, spanKind}]}` |
//! | `GET /api/v3/trace-summaries?query.*` | `{"summaries": [{traceId, rootServiceName, ...}]}` |
//! | `GET /api/v3/traces?query.*` | `{"result": TracesData}` (OTLP JSON), 404 when none |
//! | `GET /api/v3/traces/{trace_id}?startTime=&endTime=` | `{"result": TracesData}`, 404 when unknown |
//!
//! Search parameters: `query.serviceName`, `query.operationName`, `query.attributes` (a JSON
//! object), `query.startTimeMin`/`query.startTimeMax` (RFC 3339), `query.durationMin`/
//! `query.durationMax` (Go durations), `query.searchDepth`; the snake_case spellings Jaeger
//! still accepts work too. Unlike Jaeger, a search without a time window covers the configured
//! lookback instead of failing.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use base64::Engine as _;
use serde::Serialize;
use serde_json::json;
use trace_query::otlp::TracesData;
use trace_query::{TimeRange, TraceFilter, TraceId, TraceStore, TraceSummary, jaeger, now_ns};

use crate::App;
use crate::params::{self, Params};
use crate::reply::{ApiError, ok};

/// `GET /api/v3/services`.
pub(crate) async fn services<S: TraceStore>(State(app): State<Arc<App<S>>>) -> Response {
    match app.store.services().await {
        Ok(services) => ok(&json!({ "services": services })),
        Err(e) => ApiError::from_trace(&e).v3(),
    }
}

/// `GET /api/v3/operations?service=&spanKind=`: a span without a kind is `internal`, as in
/// Jaeger's gateway.
pub(crate) async fn operations<S: TraceStore>(
    State(app): State<Arc<App<S>>>,
    RawQuery(query): RawQuery,
) -> Response {
    let params = Params::parse(query.as_deref());
    let service = params.get("service").unwrap_or_default();
    let kind = params.get_either("spanKind", "span_kind").map(|(_, k)| k);
    match app.store.operations_with_kind(service, kind).await {
        Ok(operations) => {
            let operations: Vec<_> = operations
                .into_iter()
                .map(|o| {
                    let kind = o
                        .kind
                        .as_deref()
                        .and_then(jaeger::span_kind)
                        .unwrap_or_else(|| "internal".to_owned());
                    json!({"name": o.name, "spanKind": kind})
                })
                .collect();
            ok(&json!({ "operations": operations }))
        }
        Err(e) => ApiError::from_trace(&e).v3(),
    }
}

/// Reads the `query.*` parameters of a v3 search.
pub(crate) fn search_params(
    params: &Params,
    now_ns: i64,
    config: &crate::TraceServerConfig,
) -> Result<TraceFilter, ApiError> {
    let time = |key: &str, alias: &str| {
        params
            .get_either(key, alias)
            .map(|(name, text)| params::rfc3339(name, text))
            .transpose()
    };
    let end = time("query.startTimeMax", "query.start_time_max")?.unwrap_or(now_ns);
    let lookback = i64::try_from(config.search_lookback.as_nanos()).unwrap_or(i64::MAX);
    let start =
        time("query.startTimeMin", "query.start_time_min")?.unwrap_or(end.saturating_sub(lookback));
    if start >= end {
        return Err(ApiError::bad_request(
            "query.startTimeMin must be before query.startTimeMax",
        ));
    }
    let duration = |key: &str, alias: &str| {
        let given = params.get_either(key, alias);
        params::duration(given.map_or(key, |(name, _)| name), given.map(|(_, t)| t))
    };
    let min_duration = duration("query.durationMin", "query.duration_min")?;
    let max_duration = duration("query.durationMax", "query.duration_max")?;
    if let (Some(min), Some(max)) = (min_duration, max_duration)
        && max < min
    {
        return Err(ApiError::bad_request(
            "query.durationMax should be greater than query.durationMin",
        ));
    }
    let depth = params
        .get_either("query.searchDepth", "query.search_depth")
        .or_else(|| {
            params
                .get("query.num_traces")
                .map(|n| ("query.num_traces", n))
        });
    Ok(TraceFilter {
        range: Some(TimeRange::between(start, end)),
        service: params
            .get_either("query.serviceName", "query.service_name")
            .map(|(_, s)| s.to_owned()),
        span_name: params
            .get_either("query.operationName", "query.operation_name")
            .map(|(_, s)| s.to_owned()),
        tags: params::tags(
            params.all("query.attributes"),
            std::iter::empty(),
            "query.attributes",
        )?,
        min_duration,
        max_duration,
        limit: params::limit(
            depth.map_or("query.searchDepth", |(name, _)| name),
            depth.map(|(_, n)| n),
            crate::config::DEFAULT_SEARCH_LIMIT,
            config.max_search_limit,
        )?,
        offset: 0,
    })
}

/// `GET /api/v3/traces?query.*`: the traces found, as one OTLP `TracesData`.
pub(crate) async fn search<S: TraceStore>(
    State(app): State<Arc<App<S>>>,
    RawQuery(query): RawQuery,
) -> Response {
    let params = Params::parse(query.as_deref());
    let filter = match search_params(&params, now_ns(), &app.config) {
        Ok(filter) => filter,
        Err(e) => return e.v3(),
    };
    match app.find_traces(&filter).await {
        Ok(traces) if traces.is_empty() => ApiError::not_found("No traces found").v3(),
        Ok(traces) => ok(&json!({ "result": TracesData::from_traces(&traces) })),
        Err(e) => ApiError::from_trace(&e).v3(),
    }
}

/// One summary as Jaeger's gateway writes it (protobuf JSON: zero values left out, 64-bit
/// times as decimal strings).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Summary {
    trace_id: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    root_service_name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    root_operation_name: String,
    min_start_time_unix_nano: String,
    max_end_time_unix_nano: String,
    #[serde(skip_serializing_if = "is_zero")]
    span_count: u64,
    #[serde(skip_serializing_if = "is_zero")]
    error_span_count: u64,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    services: Vec<ServiceSummary>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ServiceSummary {
    name: String,
    #[serde(skip_serializing_if = "is_zero")]
    span_count: u64,
    #[serde(skip_serializing_if = "is_zero")]
    error_span_count: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl From<&TraceSummary> for Summary {
    fn from(s: &TraceSummary) -> Self {
        Self {
            trace_id: s.trace_id.to_string(),
            root_service_name: s.root_service.clone().unwrap_or_default(),
            root_operation_name: s.root_span_name.clone().unwrap_or_default(),
            min_start_time_unix_nano: s.start_ns.max(0).to_string(),
            max_end_time_unix_nano: s.start_ns.saturating_add(s.duration_ns).max(0).to_string(),
            span_count: s.span_count,
            error_span_count: s.error_count,
            services: s
                .services
                .iter()
                .map(|service| ServiceSummary {
                    name: service
                        .name
                        .clone()
                        .unwrap_or_else(|| jaeger::UNKNOWN_SERVICE.to_owned()),
                    span_count: service.span_count,
                    error_span_count: service.error_count,
                })
                .collect(),
        }
    }
}

/// `GET /api/v3/trace-summaries?query.*`: one line per trace (what Jaeger UI's search list and
/// the built-in viewer show), without reading whole traces.
pub(crate) async fn summaries<S: TraceStore>(
    State(app): State<Arc<App<S>>>,
    RawQuery(query): RawQuery,
) -> Response {
    let params = Params::parse(query.as_deref());
    let filter = match search_params(&params, now_ns(), &app.config) {
        Ok(filter) => filter,
        Err(e) => return e.v3(),
    };
    match app.store.list_traces(&filter).await {
        Ok(list) => {
            let summaries: Vec<Summary> = list.iter().map(Summary::from).collect();
            ok(&json!({ "summaries": summaries }))
        }
        Err(e) => ApiError::from_trace(&e).v3(),
    }
}

/// `GET /api/v3/traces/{trace_id}?startTime=&endTime=`: the id in hex, or base64 as Jaeger
/// also accepts.
pub(crate) async fn trace<S: TraceStore>(
    State(app): State<Arc<App<S>>>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let params = Params::parse(query.as_deref());
    let parsed = (|| {
        let trace_id = trace_id_hex_or_base64(&id)?;
        let time = |key: &str, alias: &str| {
            params
                .get_either(key, alias)
                .map(|(name, text)| params::rfc3339(name, text))
                .transpose()
        };
        let hint = TimeRange {
            start_ns: time("startTime", "start_time")?,
            end_ns: time("endTime", "end_time")?,
        };
        Ok::<_, ApiError>((trace_id, hint))
    })();
    let (trace_id, hint) = match parsed {
        Ok(parsed) => parsed,
        Err(e) => return e.v3(),
    };
    match app.store.get_trace(&trace_id, hint).await {
        Ok(trace) => ok(&json!({ "result": TracesData::from_traces(&[trace]) })),
        Err(e) if e.is_not_found() => ApiError::not_found("No traces found").v3(),
        Err(e) => ApiError::from_trace(&e).v3(),
    }
}

fn trace_id_hex_or_base64(text: &str) -> Result<TraceId, ApiError> {
    let hex = params::trace_id("trace_id", text);
    if hex.is_ok() || text.len() > 24 {
        return hex;
    }
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    [STANDARD, URL_SAFE, STANDARD_NO_PAD, URL_SAFE_NO_PAD]
        .iter()
        .find_map(|engine| engine.decode(text).ok())
        .filter(|bytes| bytes.len() == 16)
        .and_then(|bytes| {
            let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
            TraceId::parse(&hex).ok()
        })
        .map_or(hex, Ok)
}
