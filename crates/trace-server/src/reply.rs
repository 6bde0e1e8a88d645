//! JSON answers and errors, in the two shapes Jaeger uses: API v1's envelope
//! (`{"data", "total", "limit", "offset", "errors"}`) and API v3's gateway error
//! (`{"error": {"httpCode", "message"}}`).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use datalayers_client::query::QueryError;
use serde::Serialize;
use serde_json::json;
use trace_query::TraceError;
use trace_query::jaeger;

/// A failed request: the HTTP status and what to tell the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    /// 400 for bad input, 404 for an unknown trace, 502/504 when the database failed.
    pub(crate) status: StatusCode,
    /// The message (`msg` in v1, `message` in v3).
    pub(crate) message: String,
}

impl ApiError {
    /// 400 with `message`.
    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
        }
    }

    /// 404 with `message`.
    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::NOT_FOUND,
            message: message.into(),
        }
    }

    /// The status a trace query's failure deserves: the caller's mistake (400), a trace that is
    /// not there (404), or the database's failure, which this server only passes on (502; 504
    /// when it timed out).
    pub(crate) fn from_trace(err: &TraceError) -> Self {
        let status = match err {
            TraceError::NotFound { .. } => StatusCode::NOT_FOUND,
            TraceError::InvalidInput(_) => StatusCode::BAD_REQUEST,
            TraceError::Query(QueryError::InvalidInput(_)) => StatusCode::BAD_REQUEST,
            TraceError::Query(QueryError::Transport { message, .. })
                if message.to_ascii_lowercase().contains("timed out")
                    || message.to_ascii_lowercase().contains("timeout") =>
            {
                StatusCode::GATEWAY_TIMEOUT
            }
            TraceError::Query(_) | TraceError::Decode(_) => StatusCode::BAD_GATEWAY,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let message = if status == StatusCode::BAD_GATEWAY || status == StatusCode::GATEWAY_TIMEOUT
        {
            format!("the trace database failed: {err}")
        } else {
            err.to_string()
        };
        Self { status, message }
    }

    /// As API v1 answers it: the envelope with `data: null` and the error.
    pub(crate) fn v1(self) -> Response {
        let body = jaeger::Response::error(self.status.as_u16(), self.message);
        json_response(self.status, &body)
    }

    /// As API v3 answers it (grpc-gateway's error shape).
    pub(crate) fn v3(self) -> Response {
        let body = json!({"error": {"httpCode": self.status.as_u16(), "message": self.message}});
        json_response(self.status, &body)
    }
}

/// `value` as JSON with `status`; API answers are never cached (they change as spans arrive).
pub(crate) fn json_response(status: StatusCode, value: &impl Serialize) -> Response {
    match serde_json::to_vec(value) {
        Ok(body) => (
            status,
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                ),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            ],
            body,
        )
            .into_response(),
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("cannot write the answer as JSON: {e}"),
        )
            .into_response(),
    }
}

/// A successful API answer.
pub(crate) fn ok(value: &impl Serialize) -> Response {
    json_response(StatusCode::OK, value)
}
