//! OTLP/HTTP as the specification words it: encodings, codings, limits, refusals, partial
//! success, backpressure, auth, CORS, health, metrics and shutdown, against a receiver on a
//! loopback port with an in-memory store.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{MemoryStore, Mode, expected_lines, gate, gzip, spans_request, start};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceResponse;
use otlp_receiver::ReceiverConfig;
use prost::Message;
use reqwest::StatusCode;

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

async fn post(
    url: &str,
    content_type: &str,
    encoding: Option<&str>,
    body: Vec<u8>,
) -> reqwest::Response {
    let mut request = client()
        .post(url)
        .header("content-type", content_type)
        .body(body);
    if let Some(encoding) = encoding {
        request = request.header("content-encoding", encoding);
    }
    request.send().await.expect("request")
}

fn status_of(body: &[u8]) -> tonic_types::Status {
    tonic_types::Status::decode(body).expect("a google.rpc.Status")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn protobuf_and_json_give_the_lines_convert_gives() {
    let store = MemoryStore::new();
    let config = ReceiverConfig::default();
    let server = start(config.clone(), store.clone()).await;
    let request = spans_request(5, 0x4b);
    let expected = expected_lines(&config.mapping, &request);

    let response = post(
        &server.http_url("/v1/traces"),
        "application/x-protobuf",
        None,
        request.encode_to_vec(),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/x-protobuf");
    let body = response.bytes().await.unwrap();
    assert_eq!(
        ExportTraceServiceResponse::decode(body).unwrap(),
        ExportTraceServiceResponse::default(),
        "full success: no partial_success"
    );
    assert_eq!(store.take(), expected);

    let json = serde_json::to_vec(&request).unwrap();
    let response = post(
        &server.http_url("/v1/traces"),
        "application/json; charset=utf-8",
        None,
        json,
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/json");
    assert_eq!(response.text().await.unwrap(), "{}");
    assert_eq!(store.take(), expected, "JSON maps to the same bytes");
    assert!(server.shutdown().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_content_coding_gives_the_same_lines() {
    let store = MemoryStore::new();
    let config = ReceiverConfig::default();
    let server = start(config.clone(), store.clone()).await;
    let request = spans_request(3, 0x11);
    let raw = request.encode_to_vec();
    let expected = expected_lines(&config.mapping, &request);
    let zlib = {
        use std::io::Write as _;
        let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(&raw).unwrap();
        e.finish().unwrap()
    };
    for (coding, body) in [
        ("identity", raw.clone()),
        ("gzip", gzip(&raw)),
        ("deflate", zlib),
        ("zstd", zstd::encode_all(&raw[..], 3).unwrap()),
    ] {
        let response = post(
            &server.http_url("/v1/traces"),
            "application/x-protobuf",
            Some(coding),
            body,
        )
        .await;
        assert_eq!(response.status(), StatusCode::OK, "{coding}");
        assert_eq!(store.take(), expected, "{coding}");
    }
    assert!(server.shutdown().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_carry_a_status_in_the_request_encoding() {
    let store = MemoryStore::new();
    let config = ReceiverConfig {
        max_request_bytes: 1 << 20,
        ..ReceiverConfig::default()
    };
    let server = start(config, store.clone()).await;
    let url = server.http_url("/v1/traces");

    // Unknown content type: 415, readable JSON status.
    let response = post(&url, "text/plain", None, b"hello".to_vec()).await;
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let value: serde_json::Value = response.json().await.unwrap();
    assert!(
        value["message"].as_str().unwrap().contains("text/plain"),
        "{value}"
    );

    // Unknown content coding: 415.
    let response = post(&url, "application/x-protobuf", Some("br"), vec![1, 2, 3]).await;
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let status = status_of(&response.bytes().await.unwrap());
    assert!(status.message.contains("br"), "{}", status.message);

    // Malformed protobuf: 400 with a protobuf google.rpc.Status, INVALID_ARGUMENT.
    let response = post(&url, "application/x-protobuf", None, vec![0x0a, 0xff, 0x01]).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(response.headers()["content-type"], "application/x-protobuf");
    let status = status_of(&response.bytes().await.unwrap());
    assert_eq!(status.code, tonic::Code::InvalidArgument as i32);
    assert!(!status.message.is_empty());

    // Malformed JSON: 400 with a JSON status.
    let response = post(
        &url,
        "application/json",
        None,
        b"{\"resourceSpans\": [".to_vec(),
    )
    .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let value: serde_json::Value = response.json().await.unwrap();
    assert_eq!(value["code"], 3);

    // Corrupt gzip: 400.
    let response = post(
        &url,
        "application/x-protobuf",
        Some("gzip"),
        b"\x1f\x8b\x08garbage".to_vec(),
    )
    .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);

    // Over the limit as declared: 413, RESOURCE_EXHAUSTED, no RetryInfo.
    let response = post(&url, "application/x-protobuf", None, vec![0; (1 << 20) + 1]).await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let status = status_of(&response.bytes().await.unwrap());
    assert_eq!(status.code, tonic::Code::ResourceExhausted as i32);
    assert!(status.details.is_empty(), "not retryable");
    assert!(response_has_no_retry_after(&url).await);

    // A gzip bomb: 64 MiB of zeros in about 64 KiB, cut at the 1 MiB limit.
    let bomb = gzip(&vec![0u8; 64 << 20]);
    assert!(bomb.len() < 1 << 20);
    let response = post(&url, "application/x-protobuf", Some("gzip"), bomb).await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);

    // Nothing was stored by any of these.
    assert_eq!(store.batches(), 0);

    // Empty requests are valid: `{}` in JSON, zero bytes in protobuf.
    let response = post(&url, "application/json", None, b"{}".to_vec()).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.text().await.unwrap(), "{}");
    let response = post(&url, "application/x-protobuf", None, Vec::new()).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(store.text(), "");

    // Wrong method: 405.
    let response = client().get(&url).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert!(server.shutdown().await);
}

async fn response_has_no_retry_after(url: &str) -> bool {
    let response = post(url, "application/x-protobuf", None, vec![0; (1 << 20) + 1]).await;
    response.headers().get("retry-after").is_none()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn items_the_mapping_cannot_write_are_partial_success() {
    let store = MemoryStore::new();
    let config = ReceiverConfig::default();
    let server = start(config.clone(), store.clone()).await;
    let mut request = spans_request(3, 0x22);
    // The middle span has no trace id: it is rejected, the others are written.
    request.resource_spans[0].scope_spans[0].spans[1].trace_id = vec![0; 16];
    let response = post(
        &server.http_url("/v1/traces"),
        "application/x-protobuf",
        None,
        request.encode_to_vec(),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body = ExportTraceServiceResponse::decode(response.bytes().await.unwrap()).unwrap();
    let partial = body.partial_success.expect("partial success");
    assert_eq!(partial.rejected_spans, 1);
    assert!(
        partial.error_message.contains("span_without_trace_id"),
        "{}",
        partial.error_message
    );
    let lines = store.take();
    assert_eq!(lines, expected_lines(&config.mapping, &request));
    assert_eq!(lines.lines().filter(|l| l.starts_with("spans,")).count(), 2);

    // The same in JSON: rejectedSpans as a string, per proto3 JSON.
    let response = post(
        &server.http_url("/v1/traces"),
        "application/json",
        None,
        serde_json::to_vec(&request).unwrap(),
    )
    .await;
    let value: serde_json::Value = response.json().await.unwrap();
    assert_eq!(value["partialSuccess"]["rejectedSpans"], "1");
    assert!(server.shutdown().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unavailable_store_is_503_with_retry_after_and_retry_info() {
    let store = MemoryStore::new();
    store.set_mode(Mode::Unavailable("database down".into()));
    let server = start(ReceiverConfig::default(), store.clone()).await;
    let response = post(
        &server.http_url("/v1/traces"),
        "application/x-protobuf",
        None,
        spans_request(2, 1).encode_to_vec(),
    )
    .await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.headers()["retry-after"], "7");
    let status = status_of(&response.bytes().await.unwrap());
    assert_eq!(status.code, tonic::Code::Unavailable as i32);
    assert!(
        status.message.contains("database down"),
        "{}",
        status.message
    );
    assert_eq!(
        status.details[0].type_url,
        "type.googleapis.com/google.rpc.RetryInfo"
    );

    // /health says why.
    let health = client()
        .get(server.http_url("/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), StatusCode::SERVICE_UNAVAILABLE);
    let value: serde_json::Value = health.json().await.unwrap();
    assert!(
        value["reason"].as_str().unwrap().contains("database down"),
        "{value}"
    );

    // Back up: stored, healthy.
    store.set_mode(Mode::Store);
    let response = post(
        &server.http_url("/v1/traces"),
        "application/x-protobuf",
        None,
        spans_request(2, 1).encode_to_vec(),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let health = client()
        .get(server.http_url("/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    assert!(server.shutdown().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_budget_is_429_before_the_body_is_read() {
    let store = MemoryStore::new();
    let hold = gate();
    store.set_mode(Mode::Hold(Arc::clone(&hold)));
    let request = spans_request(50, 3).encode_to_vec();
    // Room for one request's body and lines (the floor: 4 bytes a body byte), not two.
    let config = ReceiverConfig {
        max_request_bytes: request.len() + 100,
        max_in_flight_bytes: 0,
        ..ReceiverConfig::default()
    };
    let server = start(config, store.clone()).await;
    let url = server.http_url("/v1/traces");
    let first = tokio::spawn({
        let url = url.clone();
        let body = request.clone();
        async move {
            post(&url, "application/x-protobuf", None, body)
                .await
                .status()
        }
    });
    // Wait until the first request holds its share.
    for _ in 0..200 {
        if server
            .receiver
            .render_metrics()
            .contains("otlp_receiver_lines_total{signal=\"traces\"} 100")
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let second = post(&url, "application/x-protobuf", None, request.clone()).await;
    assert_eq!(second.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(second.headers().contains_key("retry-after"));
    let status = status_of(&second.bytes().await.unwrap());
    assert_eq!(status.code, tonic::Code::Unavailable as i32);

    hold.add_permits(1000);
    assert_eq!(first.await.unwrap(), StatusCode::OK);
    store.set_mode(Mode::Store);
    let third = post(&url, "application/x-protobuf", None, request).await;
    assert_eq!(third.status(), StatusCode::OK, "the share was given back");
    assert!(server.shutdown().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_are_required_when_configured() {
    let store = MemoryStore::new();
    let config = ReceiverConfig {
        auth: Some(otlp_receiver::IncomingAuth::Bearer("t0ken".into())),
        ..ReceiverConfig::default()
    };
    let server = start(config, store.clone()).await;
    let body = spans_request(1, 9).encode_to_vec();
    let response = post(
        &server.http_url("/v1/traces"),
        "application/x-protobuf",
        None,
        body.clone(),
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        response.headers()["www-authenticate"],
        "Bearer realm=\"otlp\""
    );
    let response = client()
        .post(server.http_url("/v1/traces"))
        .header("content-type", "application/x-protobuf")
        .header("authorization", "Bearer t0ken")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(store.batches(), 1);
    // Health and metrics stay open (load balancers, scrapers).
    let health = client()
        .get(server.http_url("/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    assert!(server.shutdown().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cors_is_off_unless_configured() {
    let preflight = |url: String| async move {
        client()
            .request(reqwest::Method::OPTIONS, url)
            .header("origin", "https://app.example")
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type")
            .send()
            .await
            .unwrap()
    };
    let server = start(ReceiverConfig::default(), MemoryStore::new()).await;
    let response = preflight(server.http_url("/v1/traces")).await;
    assert!(
        response
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
    assert!(server.shutdown().await);

    let config = ReceiverConfig {
        cors_allowed_origins: vec!["https://app.example".into()],
        ..ReceiverConfig::default()
    };
    let server = start(config, MemoryStore::new()).await;
    let response = preflight(server.http_url("/v1/traces")).await;
    assert_eq!(
        response.headers()["access-control-allow-origin"],
        "https://app.example"
    );
    assert!(server.shutdown().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_requests_items_and_drops() {
    let store = MemoryStore::new();
    let server = start(ReceiverConfig::default(), store.clone()).await;
    let mut request = spans_request(4, 5);
    request.resource_spans[0].scope_spans[0].spans[0].span_id = vec![0; 8];
    post(
        &server.http_url("/v1/traces"),
        "application/x-protobuf",
        None,
        request.encode_to_vec(),
    )
    .await;
    post(&server.http_url("/v1/traces"), "text/plain", None, vec![]).await;
    let text = client()
        .get(server.http_url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for expected in [
        "otlp_receiver_requests_total{transport=\"http\",signal=\"traces\",outcome=\"partial\"} 1",
        "otlp_receiver_requests_total{transport=\"http\",signal=\"traces\",outcome=\"unsupported\"} 1",
        "otlp_receiver_items_received_total{signal=\"traces\"} 4",
        "otlp_receiver_items_stored_total{signal=\"traces\"} 3",
        "otlp_receiver_items_rejected_total{signal=\"traces\"} 1",
        "otlp_receiver_dropped_total{signal=\"traces\",reason=\"span_without_span_id\"} 1",
        "otlp_receiver_in_flight_bytes 0",
        "otlp_receiver_destination_up 1",
    ] {
        assert!(text.contains(expected), "missing `{expected}` in\n{text}");
    }
    assert!(server.shutdown().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_finishes_requests_in_flight_and_refuses_new_ones() {
    let store = MemoryStore::new();
    let hold = gate();
    store.set_mode(Mode::Hold(Arc::clone(&hold)));
    let mut server = start(ReceiverConfig::default(), store.clone()).await;
    let url = server.http_url("/v1/traces");
    let body = spans_request(2, 8).encode_to_vec();
    let in_flight = tokio::spawn({
        let (url, body) = (url.clone(), body.clone());
        async move {
            post(&url, "application/x-protobuf", None, body)
                .await
                .status()
        }
    });
    for _ in 0..200 {
        if server
            .receiver
            .render_metrics()
            .contains("otlp_receiver_lines_total{signal=\"traces\"} 4")
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let shutdown = server.begin_shutdown();
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(!server.receiver.is_accepting());
    // The listener is closed: a new connection is refused.
    assert!(
        client()
            .post(&url)
            .header("content-type", "application/x-protobuf")
            .body(body)
            .send()
            .await
            .is_err()
    );
    hold.add_permits(1000);
    assert_eq!(in_flight.await.unwrap(), StatusCode::OK);
    assert!(shutdown.await.unwrap(), "finished within the timeout");
    assert_eq!(store.batches(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_non_finite_doubles_and_bad_items_cost_only_themselves() {
    let store = MemoryStore::new();
    let server = start(ReceiverConfig::default(), store.clone()).await;
    // As the Python JSON exporter writes them: ids in hex, NaN as a string, one span whose
    // start time is not a number.
    let body = r#"{"resourceSpans":[{"resource":{"attributes":[
        {"key":"service.name","value":{"stringValue":"py"}}]},
      "scopeSpans":[{"spans":[
        {"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174",
         "name":"query","kind":3,"startTimeUnixNano":"1700000000000000000",
         "endTimeUnixNano":"1700000000000500000",
         "attributes":[{"key":"db.statement","value":{"stringValue":"SELECT 1"}},
                       {"key":"ratio","value":{"doubleValue":"NaN"}}]},
        {"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b175",
         "name":"broken","startTimeUnixNano":{"not":"a number"}}]}]}]}"#;
    let response = post(
        &server.http_url("/v1/traces"),
        "application/json",
        None,
        body.as_bytes().to_vec(),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let value: serde_json::Value = response.json().await.unwrap();
    assert_eq!(value["partialSuccess"]["rejectedSpans"], "1", "{value}");
    let message = value["partialSuccess"]["errorMessage"].as_str().unwrap();
    assert!(message.contains("ratio"), "{message}");
    let lines = store.take();
    assert_eq!(lines.lines().count(), 1, "{lines}");
    assert!(
        lines.contains("db.statement"),
        "the good attribute is kept: {lines}"
    );
    assert!(server.shutdown().await);
}
