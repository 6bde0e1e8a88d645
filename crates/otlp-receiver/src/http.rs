//! OTLP/HTTP: `POST /v1/traces`, `/v1/logs` and `/v1/metrics` with protobuf or JSON bodies,
//! plus `GET /health` and `GET /metrics`.

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use bytes::Bytes;
use http::{HeaderValue, Request, StatusCode, header};
use http_body_util::{BodyExt as _, LengthLimitError, Limited};
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::body::{self, BodyError, ContentCoding};
use crate::receiver::Receiver;
use crate::reply::{self, Refusal};
use crate::telemetry::Transport;
use crate::{Encoding, Signal};

/// Compressed bodies larger than this are inflated on a blocking thread.
const INLINE_DECOMPRESS_MAX: usize = 64 << 10;

impl Receiver {
    /// The OTLP/HTTP routes (`POST /v1/traces`, `/v1/logs`, `/v1/metrics`) with `GET /health`
    /// and `GET /metrics`, ready to serve or to merge into an application's own router.
    pub fn http_router(&self) -> Router {
        let otlp = Router::new()
            .route("/v1/traces", post(export_traces))
            .route("/v1/logs", post(export_logs))
            .route("/v1/metrics", post(export_metrics));
        let otlp = match cors_layer(&self.config().cors_allowed_origins) {
            Some(cors) => otlp.layer(cors),
            None => otlp,
        };
        otlp.route("/health", get(health))
            .route("/metrics", get(metrics))
            .with_state(self.clone())
    }
}

fn cors_layer(origins: &[String]) -> Option<CorsLayer> {
    if origins.is_empty() {
        return None;
    }
    let allow = if origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()))
    };
    Some(
        CorsLayer::new()
            .allow_origin(allow)
            .allow_methods([http::Method::POST])
            .allow_headers([
                header::CONTENT_TYPE,
                header::CONTENT_ENCODING,
                header::AUTHORIZATION,
            ])
            .max_age(std::time::Duration::from_secs(7200)),
    )
}

async fn export_traces(State(receiver): State<Receiver>, request: Request<Body>) -> Response {
    export(receiver, Signal::Traces, request).await
}

async fn export_logs(State(receiver): State<Receiver>, request: Request<Body>) -> Response {
    export(receiver, Signal::Logs, request).await
}

async fn export_metrics(State(receiver): State<Receiver>, request: Request<Body>) -> Response {
    export(receiver, Signal::Metrics, request).await
}

async fn export(receiver: Receiver, signal: Signal, request: Request<Body>) -> Response {
    let (parts, body) = request.into_parts();
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    // Refusals before the encoding is known are written as JSON, the readable one.
    let Some(encoding) = content_type.and_then(body::encoding_from_content_type) else {
        let refusal = Refusal::unsupported_media(format!(
            "unsupported content type {}: send application/x-protobuf or application/json",
            content_type.map_or_else(|| "(none)".to_owned(), |t| format!("`{t}`"))
        ));
        return refuse(&receiver, signal, Encoding::Json, refusal);
    };
    if let Some(auth) = &receiver.config().auth
        && !auth.accepts(
            parts
                .headers
                .get(header::AUTHORIZATION)
                .map(HeaderValue::as_bytes),
        )
    {
        let mut response = refuse(
            &receiver,
            signal,
            encoding,
            Refusal::unauthenticated("missing or wrong credentials"),
        );
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static(auth.challenge()),
        );
        return response;
    }
    let coding = match ContentCoding::from_header(
        parts
            .headers
            .get(header::CONTENT_ENCODING)
            .and_then(|v| v.to_str().ok()),
    ) {
        Ok(coding) => coding,
        Err(err) => {
            return refuse(
                &receiver,
                signal,
                encoding,
                Refusal::unsupported_media(err.to_string()),
            );
        }
    };
    let limit = receiver.config().max_request_bytes;
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|len| len > limit) {
        let refusal = Refusal::too_large(BodyError::TooLarge { limit }.to_string());
        return refuse(&receiver, signal, encoding, refusal);
    }
    // The budget is checked before the body is read: a refused request costs nothing more.
    let mut share = match receiver.admit(declared.unwrap_or(0)) {
        Ok(share) => share,
        Err(refusal) => return refuse(&receiver, signal, encoding, refusal),
    };
    let wire = match Limited::new(body, limit).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(err) if err.downcast_ref::<LengthLimitError>().is_some() => {
            let refusal = Refusal::too_large(BodyError::TooLarge { limit }.to_string());
            return refuse(&receiver, signal, encoding, refusal);
        }
        Err(err) => {
            let refusal = Refusal::invalid(format!("cannot read the request body: {err}"));
            return refuse(&receiver, signal, encoding, refusal);
        }
    };
    if declared.is_none() && !share.try_grow(wire.len()) {
        return refuse(&receiver, signal, encoding, receiver.over_budget());
    }
    let wire_len = wire.len();
    let body = match inflate(coding, wire, limit).await {
        Ok(body) => body,
        Err(err @ BodyError::TooLarge { .. }) => {
            return refuse(
                &receiver,
                signal,
                encoding,
                Refusal::too_large(err.to_string()),
            );
        }
        Err(err) => {
            return refuse(
                &receiver,
                signal,
                encoding,
                Refusal::invalid(err.to_string()),
            );
        }
    };
    match receiver
        .export(Transport::Http, signal, encoding, body, wire_len, share)
        .await
    {
        Ok(accepted) => {
            let body = reply::export_response(
                signal,
                encoding,
                accepted.rejected,
                accepted.message.as_deref(),
            );
            (
                StatusCode::OK,
                [(header::CONTENT_TYPE, content_type_of(encoding))],
                body,
            )
                .into_response()
        }
        Err(refusal) => refusal_response(encoding, &refusal),
    }
}

async fn inflate(coding: ContentCoding, wire: Bytes, limit: usize) -> Result<Bytes, BodyError> {
    if coding == ContentCoding::Identity || wire.len() <= INLINE_DECOMPRESS_MAX {
        return body::decompress(coding, wire, limit);
    }
    tokio::task::spawn_blocking(move || body::decompress(coding, wire, limit))
        .await
        .unwrap_or_else(|err| {
            Err(BodyError::Corrupt {
                coding: "body",
                reason: format!("the decompression task failed: {err}"),
            })
        })
}

/// Counts a refusal made before the export path and answers it.
fn refuse(receiver: &Receiver, signal: Signal, encoding: Encoding, refusal: Refusal) -> Response {
    refusal_response(encoding, &receiver.refuse(Transport::Http, signal, refusal))
}

fn refusal_response(encoding: Encoding, refusal: &Refusal) -> Response {
    let (body, content_type) = refusal.http_body(encoding);
    let mut response = (
        refusal.http,
        [(header::CONTENT_TYPE, HeaderValue::from_static(content_type))],
        body,
    )
        .into_response();
    if let Some(delay) = refusal.retry_after {
        // Whole seconds, rounded up: never ask for a retry sooner than meant.
        let seconds = delay.as_secs() + u64::from(delay.subsec_nanos() > 0);
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

fn content_type_of(encoding: Encoding) -> HeaderValue {
    HeaderValue::from_static(match encoding {
        Encoding::Protobuf => "application/x-protobuf",
        Encoding::Json => "application/json",
    })
}

/// `GET /health`: 200 when ready, 503 with the reason while the destination is unavailable or
/// the receiver is shutting down.
async fn health(State(receiver): State<Receiver>) -> Response {
    let (status, body) = match receiver.unavailable_reason() {
        None => (StatusCode::OK, serde_json::json!({ "status": "ok" })),
        Some(reason) => (
            StatusCode::SERVICE_UNAVAILABLE,
            serde_json::json!({ "status": "unavailable", "reason": reason }),
        ),
    };
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body.to_string(),
    )
        .into_response()
}

/// `GET /metrics`: Prometheus text format.
async fn metrics(State(receiver): State<Receiver>) -> Response {
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        receiver.render_metrics(),
    )
        .into_response()
}
