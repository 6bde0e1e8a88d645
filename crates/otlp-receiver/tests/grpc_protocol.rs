//! OTLP/gRPC through the generated tonic clients of `opentelemetry-proto`: compression, partial
//! success, the status codes the specification asks for, RetryInfo, and auth.

mod common;

use std::time::Duration;

use common::{MemoryStore, Mode, expected_lines, spans_request, start};
use opentelemetry_proto::tonic::collector::logs::v1::{
    ExportLogsServiceRequest, logs_service_client::LogsServiceClient,
};
use opentelemetry_proto::tonic::collector::metrics::v1::{
    ExportMetricsServiceRequest, metrics_service_client::MetricsServiceClient,
};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;
use opentelemetry_proto::tonic::common::v1::{AnyValue, any_value::Value};
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use opentelemetry_proto::tonic::metrics::v1::{
    Gauge, Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics, metric::Data, number_data_point,
};
use otlp_receiver::ReceiverConfig;
use tonic::codec::CompressionEncoding;
use tonic::transport::Channel;
use tonic_types::StatusExt as _;

async fn traces_client(url: String) -> TraceServiceClient<Channel> {
    TraceServiceClient::connect(url)
        .await
        .expect("connect")
        .max_encoding_message_size(usize::MAX)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_signal_and_compression_is_stored_as_convert_maps_it() {
    let store = MemoryStore::new();
    let config = ReceiverConfig::default();
    let server = start(config.clone(), store.clone()).await;
    let request = spans_request(4, 0x33);
    let expected = expected_lines(&config.mapping, &request);
    for compression in [
        None,
        Some(CompressionEncoding::Gzip),
        Some(CompressionEncoding::Zstd),
    ] {
        let mut client = traces_client(server.grpc_url()).await;
        if let Some(compression) = compression {
            client = client.send_compressed(compression);
        }
        let response = client.export(request.clone()).await.expect("export");
        assert_eq!(response.get_ref().partial_success, None, "{compression:?}");
        assert_eq!(store.take(), expected, "{compression:?}");
    }

    // Datalayers lines need a tag: the resource's service.name is the default dimension.
    let resource = Some(opentelemetry_proto::tonic::resource::v1::Resource {
        attributes: vec![opentelemetry_proto::tonic::common::v1::KeyValue {
            key: "service.name".into(),
            value: Some(AnyValue {
                value: Some(Value::StringValue("sensor".into())),
            }),
            ..Default::default()
        }],
        ..Default::default()
    });
    let logs = ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            resource: resource.clone(),
            scope_logs: vec![ScopeLogs {
                log_records: vec![LogRecord {
                    time_unix_nano: 1_700_000_000_000_000_000,
                    body: Some(AnyValue {
                        value: Some(Value::StringValue("hello".into())),
                    }),
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        }],
    };
    LogsServiceClient::connect(server.grpc_url())
        .await
        .unwrap()
        .export(logs)
        .await
        .expect("logs");
    let lines = store.take();
    assert!(lines.starts_with("logs,service.name=sensor "), "{lines}");

    let metrics = ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics {
            resource,
            scope_metrics: vec![ScopeMetrics {
                metrics: vec![Metric {
                    name: "temperature".into(),
                    data: Some(Data::Gauge(Gauge {
                        data_points: vec![NumberDataPoint {
                            time_unix_nano: 1_700_000_000_000_000_000,
                            value: Some(number_data_point::Value::AsDouble(21.5)),
                            ..Default::default()
                        }],
                    })),
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        }],
    };
    MetricsServiceClient::connect(server.grpc_url())
        .await
        .unwrap()
        .export(metrics)
        .await
        .expect("metrics");
    let lines = store.take();
    assert!(
        lines.starts_with("temperature,service.name=sensor "),
        "{lines}"
    );
    assert!(server.shutdown().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejected_spans_are_partial_success() {
    let store = MemoryStore::new();
    let server = start(ReceiverConfig::default(), store.clone()).await;
    let mut request = spans_request(3, 0x44);
    request.resource_spans[0].scope_spans[0].spans[2].trace_id = vec![0; 16];
    let response = traces_client(server.grpc_url())
        .await
        .export(request)
        .await
        .expect("export");
    let partial = response.into_inner().partial_success.expect("partial");
    assert_eq!(partial.rejected_spans, 1);
    assert!(!partial.error_message.is_empty());
    assert!(server.shutdown().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unavailable_store_is_unavailable_with_retry_info() {
    let store = MemoryStore::new();
    store.set_mode(Mode::Unavailable("database down".into()));
    let server = start(ReceiverConfig::default(), store.clone()).await;
    let status = traces_client(server.grpc_url())
        .await
        .export(spans_request(1, 1))
        .await
        .expect_err("unavailable");
    assert_eq!(status.code(), tonic::Code::Unavailable);
    assert!(status.message().contains("database down"), "{status:?}");
    assert_eq!(
        status.get_details_retry_info().and_then(|r| r.retry_delay),
        Some(Duration::from_secs(7))
    );
    assert!(server.shutdown().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn size_limits_are_resource_exhausted_never_retryable_codes() {
    let store = MemoryStore::new();
    let request = spans_request(200, 2);
    let config = ReceiverConfig {
        max_request_bytes: 4096,
        ..ReceiverConfig::default()
    };
    let server = start(config, store.clone()).await;
    // Uncompressed over the limit: tonic says OUT_OF_RANGE, which OTLP clients retry; the
    // receiver answers RESOURCE_EXHAUSTED without RetryInfo, which they do not.
    let status = traces_client(server.grpc_url())
        .await
        .export(request.clone())
        .await
        .expect_err("too large");
    assert_eq!(status.code(), tonic::Code::ResourceExhausted, "{status:?}");
    assert!(status.get_details_retry_info().is_none());
    // Compressed under the limit, over it once inflated: cut while decompressing.
    let status = traces_client(server.grpc_url())
        .await
        .send_compressed(CompressionEncoding::Gzip)
        .export(request)
        .await
        .expect_err("too large");
    assert_eq!(status.code(), tonic::Code::ResourceExhausted, "{status:?}");
    assert_eq!(store.batches(), 0);
    let metrics = server.receiver.render_metrics();
    assert!(
        metrics.contains(
            "otlp_receiver_requests_total{transport=\"grpc\",signal=\"traces\",outcome=\"too_large\"} 2"
        ),
        "{metrics}"
    );
    assert!(server.shutdown().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_messages_are_invalid_argument() {
    let server = start(ReceiverConfig::default(), MemoryStore::new()).await;
    // A raw gRPC call with a broken protobuf message, through a plain HTTP/2 client.
    let client = reqwest::Client::builder()
        .http2_prior_knowledge()
        .build()
        .unwrap();
    let message = [0x0a, 0xff, 0x01];
    let mut frame = vec![0u8];
    frame.extend_from_slice(&(message.len() as u32).to_be_bytes());
    frame.extend_from_slice(&message);
    let response = client
        .post(format!(
            "{}/opentelemetry.proto.collector.trace.v1.TraceService/Export",
            server.grpc_url()
        ))
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .body(frame)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    // The status arrives in the trailers (or in the headers of a trailers-only answer).
    let header = response.headers().get("grpc-status").cloned();
    let status = match header {
        Some(value) => value.to_str().unwrap().to_owned(),
        None => {
            let mut response = response;
            while response.chunk().await.unwrap().is_some() {}
            panic!("no grpc-status header; reqwest does not expose trailers")
        }
    };
    assert_eq!(status, (tonic::Code::InvalidArgument as i32).to_string());
    assert!(server.shutdown().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_are_required_when_configured() {
    let store = MemoryStore::new();
    let config = ReceiverConfig {
        auth: Some(otlp_receiver::IncomingAuth::Basic {
            username: "edge".into(),
            password: "pa55".into(),
        }),
        ..ReceiverConfig::default()
    };
    let server = start(config, store.clone()).await;
    let status = traces_client(server.grpc_url())
        .await
        .export(spans_request(1, 3))
        .await
        .expect_err("no credentials");
    assert_eq!(status.code(), tonic::Code::Unauthenticated);

    let mut request = tonic::Request::new(spans_request(1, 3));
    request.metadata_mut().insert(
        "authorization",
        "Basic ZWRnZTpwYTU1".parse().unwrap(), // edge:pa55
    );
    traces_client(server.grpc_url())
        .await
        .export(request)
        .await
        .expect("with credentials");
    assert_eq!(store.batches(), 1);
    assert!(server.shutdown().await);
}
