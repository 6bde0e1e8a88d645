//! What the receiver answers, in the request's encoding: an `Export*ServiceResponse` (with
//! `partial_success` when items were rejected or parts dropped) or a refusal carried as a
//! `google.rpc.Status`, as the OTLP specification asks of both transports.

use std::time::Duration;

use bytes::Bytes;
use http::StatusCode;
use opentelemetry_proto::tonic::collector::{
    logs::v1::{ExportLogsPartialSuccess, ExportLogsServiceResponse},
    metrics::v1::{ExportMetricsPartialSuccess, ExportMetricsServiceResponse},
    trace::v1::{ExportTracePartialSuccess, ExportTraceServiceResponse},
};
use prost::Message;
use tonic_types::{ErrorDetails, StatusExt};

use crate::{Encoding, Signal};

/// Type URL of `google.rpc.RetryInfo` in a status's details.
const RETRY_INFO_TYPE: &str = "type.googleapis.com/google.rpc.RetryInfo";

/// The body of a successful export: empty when everything was taken, otherwise
/// `partial_success` with the rejected count and the reason. With nothing rejected but parts
/// dropped, `error_message` alone carries the warning (rejected stays 0, as the spec allows).
pub(crate) fn export_response(
    signal: Signal,
    encoding: Encoding,
    rejected: u64,
    message: Option<&str>,
) -> Bytes {
    let rejected_i64 = i64::try_from(rejected).unwrap_or(i64::MAX);
    let message = message.unwrap_or_default().to_owned();
    let partial = rejected > 0 || !message.is_empty();
    match encoding {
        Encoding::Protobuf => Bytes::from(match signal {
            Signal::Traces => ExportTraceServiceResponse {
                partial_success: partial.then_some(ExportTracePartialSuccess {
                    rejected_spans: rejected_i64,
                    error_message: message,
                }),
            }
            .encode_to_vec(),
            Signal::Logs => ExportLogsServiceResponse {
                partial_success: partial.then_some(ExportLogsPartialSuccess {
                    rejected_log_records: rejected_i64,
                    error_message: message,
                }),
            }
            .encode_to_vec(),
            Signal::Metrics => ExportMetricsServiceResponse {
                partial_success: partial.then_some(ExportMetricsPartialSuccess {
                    rejected_data_points: rejected_i64,
                    error_message: message,
                }),
            }
            .encode_to_vec(),
            // The receiver's routes take traces, logs and metrics only.
            _ => unreachable!("the receiver answers traces, logs and metrics only, not {signal}"),
        }),
        Encoding::Json => {
            if !partial {
                return Bytes::from_static(b"{}");
            }
            let field = match signal {
                Signal::Traces => "rejectedSpans",
                Signal::Logs => "rejectedLogRecords",
                Signal::Metrics => "rejectedDataPoints",
                _ => {
                    unreachable!("the receiver answers traces, logs and metrics only, not {signal}")
                }
            };
            // proto3 JSON: int64 as a string; zero-valued fields left out.
            let mut partial_success = serde_json::Map::new();
            if rejected > 0 {
                partial_success.insert(field.into(), rejected.to_string().into());
            }
            if !message.is_empty() {
                partial_success.insert("errorMessage".into(), message.into());
            }
            Bytes::from(
                serde_json::json!({ "partialSuccess": partial_success })
                    .to_string()
                    .into_bytes(),
            )
        }
    }
}

/// A request the receiver did not take, with the answer for either transport.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub(crate) http: StatusCode,
    pub(crate) grpc: tonic::Code,
    pub(crate) message: String,
    /// Set for retryable refusals: `Retry-After` (HTTP) and `RetryInfo` (both).
    pub(crate) retry_after: Option<Duration>,
}

impl Refusal {
    /// Malformed body: 400 / `INVALID_ARGUMENT`; the client must not retry.
    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            tonic::Code::InvalidArgument,
            message,
        )
    }

    /// Body over the size limit: 413 / `RESOURCE_EXHAUSTED` without `RetryInfo` (not retryable).
    pub(crate) fn too_large(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            tonic::Code::ResourceExhausted,
            message,
        )
    }

    /// Content type or coding the receiver does not read: 415.
    pub(crate) fn unsupported_media(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            tonic::Code::InvalidArgument,
            message,
        )
    }

    /// The destination cannot store lines now: 503 / `UNAVAILABLE`, retry after the delay.
    pub(crate) fn unavailable(message: impl Into<String>, retry_after: Duration) -> Self {
        Self {
            retry_after: Some(retry_after),
            ..Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                tonic::Code::Unavailable,
                message,
            )
        }
    }

    /// Too much in flight while the destination keeps up: 429 / `UNAVAILABLE` with `RetryInfo`
    /// (the spec's throttling answer).
    pub(crate) fn throttled(message: impl Into<String>, retry_after: Duration) -> Self {
        Self {
            retry_after: Some(retry_after),
            ..Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                tonic::Code::Unavailable,
                message,
            )
        }
    }

    /// Missing or wrong credentials: 401 / `UNAUTHENTICATED`.
    pub(crate) fn unauthenticated(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            tonic::Code::Unauthenticated,
            message,
        )
    }

    fn new(http: StatusCode, grpc: tonic::Code, message: impl Into<String>) -> Self {
        Self {
            http,
            grpc,
            message: message.into(),
            retry_after: None,
        }
    }

    /// The gRPC status, with `RetryInfo` in `grpc-status-details-bin` when retryable.
    pub(crate) fn to_grpc(&self) -> tonic::Status {
        match self.retry_after {
            Some(delay) => tonic::Status::with_error_details(
                self.grpc,
                self.message.clone(),
                ErrorDetails::with_retry_info(Some(delay)),
            ),
            None => tonic::Status::new(self.grpc, self.message.clone()),
        }
    }

    /// The HTTP body: a `google.rpc.Status` in the request's encoding, and its content type.
    pub(crate) fn http_body(&self, encoding: Encoding) -> (Bytes, &'static str) {
        let code = self.grpc as i32;
        match encoding {
            Encoding::Protobuf => {
                let details = self
                    .retry_after
                    .map(|delay| prost_types::Any {
                        type_url: RETRY_INFO_TYPE.into(),
                        value: tonic_types::pb::RetryInfo {
                            retry_delay: Some(proto_duration(delay)),
                        }
                        .encode_to_vec(),
                    })
                    .into_iter()
                    .collect();
                let status = tonic_types::pb::Status {
                    code,
                    message: self.message.clone(),
                    details,
                };
                (
                    Bytes::from(status.encode_to_vec()),
                    "application/x-protobuf",
                )
            }
            Encoding::Json => {
                let mut status = serde_json::json!({ "code": code, "message": self.message });
                if let Some(delay) = self.retry_after {
                    status["details"] = serde_json::json!([{
                        "@type": RETRY_INFO_TYPE,
                        "retryDelay": json_duration(delay),
                    }]);
                }
                (
                    Bytes::from(status.to_string().into_bytes()),
                    "application/json",
                )
            }
        }
    }
}

fn proto_duration(delay: Duration) -> prost_types::Duration {
    prost_types::Duration {
        seconds: i64::try_from(delay.as_secs()).unwrap_or(i64::MAX),
        nanos: i32::try_from(delay.subsec_nanos()).unwrap_or(0),
    }
}

/// proto3 JSON's `Duration`: seconds with up to nine fractional digits and an `s`.
fn json_duration(delay: Duration) -> String {
    if delay.subsec_nanos() == 0 {
        format!("{}s", delay.as_secs())
    } else {
        let text = format!("{}.{:09}", delay.as_secs(), delay.subsec_nanos());
        format!("{}s", text.trim_end_matches('0'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_success_is_an_empty_message() {
        assert!(export_response(Signal::Traces, Encoding::Protobuf, 0, None).is_empty());
        assert_eq!(
            export_response(Signal::Logs, Encoding::Json, 0, None),
            &b"{}"[..]
        );
    }

    #[test]
    fn partial_success_counts_in_both_encodings() {
        let body = export_response(Signal::Traces, Encoding::Protobuf, 3, Some("why"));
        let decoded = ExportTraceServiceResponse::decode(body).unwrap();
        let partial = decoded.partial_success.unwrap();
        assert_eq!(
            (partial.rejected_spans, partial.error_message.as_str()),
            (3, "why")
        );

        let json = export_response(Signal::Metrics, Encoding::Json, 2, Some("nan"));
        let value: serde_json::Value = serde_json::from_slice(&json).unwrap();
        assert_eq!(
            value,
            serde_json::json!({"partialSuccess": {"rejectedDataPoints": "2", "errorMessage": "nan"}})
        );
        // A warning alone: rejected stays 0 (left out in JSON), the message is set.
        let warning = export_response(Signal::Logs, Encoding::Json, 0, Some("dropped a tag"));
        let value: serde_json::Value = serde_json::from_slice(&warning).unwrap();
        assert_eq!(
            value,
            serde_json::json!({"partialSuccess": {"errorMessage": "dropped a tag"}})
        );
    }

    #[test]
    fn retryable_refusals_carry_retry_info_everywhere() {
        let refusal = Refusal::unavailable("database down", Duration::from_millis(2500));
        let (body, content_type) = refusal.http_body(Encoding::Protobuf);
        assert_eq!(content_type, "application/x-protobuf");
        let status = tonic_types::pb::Status::decode(body).unwrap();
        assert_eq!(status.code, tonic::Code::Unavailable as i32);
        assert_eq!(status.details[0].type_url, RETRY_INFO_TYPE);
        let info = tonic_types::pb::RetryInfo::decode(&status.details[0].value[..]).unwrap();
        assert_eq!(
            info.retry_delay,
            Some(prost_types::Duration {
                seconds: 2,
                nanos: 500_000_000
            })
        );

        let (json, _) = refusal.http_body(Encoding::Json);
        let value: serde_json::Value = serde_json::from_slice(&json).unwrap();
        assert_eq!(value["details"][0]["retryDelay"], "2.5s");
        assert_eq!(value["code"], 14);

        let grpc = refusal.to_grpc();
        assert_eq!(grpc.code(), tonic::Code::Unavailable);
        assert_eq!(
            grpc.get_details_retry_info().and_then(|r| r.retry_delay),
            Some(Duration::from_millis(2500))
        );
        assert!(
            Refusal::invalid("bad")
                .to_grpc()
                .get_details_retry_info()
                .is_none()
        );
    }
}
