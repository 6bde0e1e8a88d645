//! Fuzzes the OTLP/HTTP request path of `otlp_receiver`: any method, path, headers and body,
//! served by the receiver's router in this process (no network).
//!
//! Nothing may panic, and every answer is one the OTLP specification allows:
//! - an export answered 200 carries an `Export*ServiceResponse` in the request's encoding;
//! - a refusal is 400, 401, 405, 413, 415, 429 or 503 (never 500), and on the export paths its
//!   body is a `google.rpc.Status` in the response's content type; 429 and 503 carry
//!   `Retry-After`;
//! - everything the store received is whole lines.
//!
//! Bodies are used raw, or first compressed with the coding the request names, so the
//! decompressors see both garbage and valid streams of fuzzed content.
//! (`cargo fuzz run receiver_http -- -max_total_time=120`)

#![no_main]

use std::io::Write as _;
use std::sync::{Arc, Mutex, OnceLock};

use axum::body::Body;
use bytes::Bytes;
use http::{Request, StatusCode};
use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use opentelemetry_proto::tonic::collector::{
    logs::v1::ExportLogsServiceResponse, metrics::v1::ExportMetricsServiceResponse,
    trace::v1::ExportTraceServiceResponse,
};
use otlp_receiver::{LineBatch, LineStore, Receiver, ReceiverConfig, StoreFuture, StoreOutcome};
use prost::Message;
use tower::ServiceExt as _;

/// Keeps the last batch's lines to check they are whole lines.
#[derive(Default)]
struct CheckingStore {
    last: Mutex<Option<LineBatch>>,
}

impl LineStore for CheckingStore {
    fn store(&self, batch: LineBatch) -> StoreFuture<'_, StoreOutcome> {
        Box::pin(async move {
            *self.last.lock().unwrap() = Some(batch);
            StoreOutcome::STORED
        })
    }

    fn describe(&self) -> String {
        "fuzz".into()
    }
}

struct Harness {
    runtime: tokio::runtime::Runtime,
    router: axum::Router,
    store: Arc<CheckingStore>,
}

fn harness() -> &'static Harness {
    static HARNESS: OnceLock<Harness> = OnceLock::new();
    HARNESS.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let store = Arc::new(CheckingStore::default());
        let config = ReceiverConfig {
            // Small, so the limit paths are reached.
            max_request_bytes: 64 << 10,
            ..ReceiverConfig::default()
        };
        let router = runtime.block_on(async {
            Receiver::new(config, store.clone() as Arc<dyn LineStore>)
                .unwrap()
                .http_router()
        });
        Harness {
            runtime,
            router,
            store,
        }
    })
}

const PATHS: [&str; 6] = [
    "/v1/traces",
    "/v1/logs",
    "/v1/metrics",
    "/health",
    "/metrics",
    "/v1/other",
];
const TYPES: [&str; 6] = [
    "application/x-protobuf",
    "application/json",
    "application/json; charset=utf-8",
    "application/protobuf",
    "text/plain",
    "",
];
const CODINGS: [&str; 6] = ["", "gzip", "deflate", "zstd", "identity", "br"];

fn compress(coding: &str, body: &[u8]) -> Vec<u8> {
    match coding {
        "gzip" => {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(body).unwrap();
            e.finish().unwrap()
        }
        "deflate" => {
            let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(body).unwrap();
            e.finish().unwrap()
        }
        "zstd" => zstd::encode_all(body, 1).unwrap(),
        _ => body.to_vec(),
    }
}

fn run(mut u: Unstructured<'_>) -> Result<()> {
    let path = *u.choose(&PATHS)?;
    let method = if u.ratio(9, 10)? { "POST" } else { "GET" };
    let content_type = if u.ratio(9, 10)? {
        (*u.choose(&TYPES)?).to_owned()
    } else {
        let length = u.int_in_range(0..=40)?;
        String::from_utf8_lossy(u.bytes(length)?).into_owned()
    };
    let coding = *u.choose(&CODINGS)?;
    let compress_it = u.arbitrary::<bool>()?;
    let declared_length: Option<u32> = if u.ratio(1, 8)? {
        Some(u.arbitrary()?)
    } else {
        None
    };
    let raw = u.take_rest();
    let body = if compress_it {
        compress(coding, raw)
    } else {
        raw.to_vec()
    };

    let mut request = Request::builder().method(method).uri(path);
    if !content_type.is_empty() {
        request = request.header("content-type", content_type.as_str());
    }
    if !coding.is_empty() {
        request = request.header("content-encoding", coding);
    }
    if let Some(length) = declared_length {
        request = request.header("content-length", length);
    }
    let Ok(request) = request.body(Body::from(body)) else {
        return Ok(()); // a header value http refuses to build
    };

    let harness = harness();
    *harness.store.last.lock().unwrap() = None;
    let response = harness
        .runtime
        .block_on(harness.router.clone().oneshot(request))
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body: Bytes = harness
        .runtime
        .block_on(axum::body::to_bytes(response.into_body(), usize::MAX))
        .unwrap();
    assert_ne!(status, StatusCode::INTERNAL_SERVER_ERROR, "{body:?}");
    let export_path = path.starts_with("/v1/") && path != "/v1/other";
    if !export_path || method != "POST" {
        return Ok(());
    }
    let response_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    match status {
        StatusCode::OK => {
            let decoded = match response_type {
                "application/x-protobuf" => match path {
                    "/v1/traces" => ExportTraceServiceResponse::decode(body.clone()).map(|_| ()),
                    "/v1/logs" => ExportLogsServiceResponse::decode(body.clone()).map(|_| ()),
                    _ => ExportMetricsServiceResponse::decode(body.clone()).map(|_| ()),
                }
                .is_ok(),
                "application/json" => serde_json::from_slice::<serde_json::Value>(&body)
                    .is_ok_and(|v| v.is_object()),
                other => panic!("200 with content type {other:?}"),
            };
            assert!(decoded, "a 200 body that is not an export response: {body:?}");
            if let Some(batch) = harness.store.last.lock().unwrap().take() {
                let mut start = 0;
                for &end in &batch.line_ends {
                    assert_eq!(batch.lines[end - 1], b'\n', "whole lines only");
                    assert!(end > start);
                    start = end;
                }
                assert_eq!(start, batch.lines.len());
            }
        }
        StatusCode::BAD_REQUEST
        | StatusCode::PAYLOAD_TOO_LARGE
        | StatusCode::UNSUPPORTED_MEDIA_TYPE
        | StatusCode::TOO_MANY_REQUESTS
        | StatusCode::SERVICE_UNAVAILABLE => {
            let parsed = match response_type {
                "application/x-protobuf" => tonic_types::Status::decode(body.clone()).is_ok(),
                "application/json" => serde_json::from_slice::<serde_json::Value>(&body)
                    .is_ok_and(|v| v["code"].is_i64() && v["message"].is_string()),
                other => panic!("refusal with content type {other:?}"),
            };
            assert!(parsed, "a refusal without a google.rpc.Status: {body:?}");
            if matches!(
                status,
                StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE
            ) {
                assert!(headers.contains_key("retry-after"));
            }
        }
        other => panic!("unexpected status {other}"),
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let _ = run(Unstructured::new(data));
});
