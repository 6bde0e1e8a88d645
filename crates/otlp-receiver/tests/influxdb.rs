//! The receiver in front of a real `influxd`: exact values stored, group commit, and
//! backpressure while the database is paused (SIGSTOP), with everything arriving after it
//! comes back.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{spans_request, start};
use datalayers_client::{Client, ClientConfig, Protocol};
use lineproto::Dialect;
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;
use otlp_influx::MappingConfig;
use otlp_receiver::{DatabaseStore, ReceiverConfig};
use prost::Message;
use test_support::InfluxServer;
use tonic_types::StatusExt as _;

fn store_for(server: &InfluxServer, timeout: Duration, concurrency: usize) -> Arc<DatabaseStore> {
    let config = ClientConfig::new(server.base_url())
        .with_protocol(Protocol::InfluxDbV1)
        .with_database(server.database())
        .with_timeout(timeout);
    Arc::new(DatabaseStore::spawn(
        Client::new(config).unwrap(),
        concurrency,
    ))
}

fn influx_config() -> ReceiverConfig {
    ReceiverConfig {
        mapping: MappingConfig::new(Dialect::InfluxDbV1),
        ..ReceiverConfig::default()
    }
}

fn count_spans(server: &InfluxServer) -> i64 {
    let response = server.query("SELECT count(duration_nano) FROM spans");
    response["results"][0]["series"][0]["values"][0][1]
        .as_i64()
        .unwrap_or(0)
}

async fn post_http(url: &str, body: Vec<u8>) -> reqwest::Response {
    reqwest::Client::new()
        .post(url)
        .header("content-type", "application/x-protobuf")
        .body(body)
        .send()
        .await
        .expect("request")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn influxd_holds_exactly_what_was_sent() {
    let Some(influx) = InfluxServer::try_start() else {
        return;
    };
    let server = start(
        influx_config(),
        store_for(&influx, Duration::from_secs(10), 2),
    )
    .await;
    let response = post_http(
        &server.http_url("/v1/traces"),
        spans_request(3, 0x0a).encode_to_vec(),
    )
    .await;
    assert_eq!(response.status(), 200);
    TraceServiceClient::connect(server.grpc_url())
        .await
        .unwrap()
        .export(spans_request(2, 0x0b))
        .await
        .expect("gRPC export");
    assert_eq!(count_spans(&influx), 5);

    let response = influx.query(
        "SELECT \"span.name\", duration_nano, attributes FROM spans \
         WHERE trace_id = '0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b' ORDER BY time",
    );
    let rows = &response["results"][0]["series"][0]["values"];
    assert_eq!(rows[0][1], "GET /item/0");
    assert_eq!(rows[0][2], 1_500_000);
    let attributes: serde_json::Value = serde_json::from_str(rows[1][3].as_str().unwrap()).unwrap();
    assert_eq!(
        attributes["note"], "quote \" comma, equals= space backslash\\ é",
        "hostile text survives the whole path"
    );
    assert_eq!(attributes["http.status_code"], 200);
    let events = influx.query("SELECT count(\"event.name\") FROM logs");
    assert_eq!(events["results"][0]["series"][0]["values"][0][1], 5);
    assert!(server.shutdown().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests_share_database_writes() {
    let Some(influx) = InfluxServer::try_start() else {
        return;
    };
    // One write slot: requests that arrive while it is busy join the next write.
    let server = start(
        influx_config(),
        store_for(&influx, Duration::from_secs(10), 1),
    )
    .await;
    let url = server.http_url("/v1/traces");
    let mut requests = tokio::task::JoinSet::new();
    for i in 0..40u8 {
        let url = url.clone();
        requests.spawn(async move {
            post_http(&url, spans_request(5, i + 1).encode_to_vec())
                .await
                .status()
        });
    }
    while let Some(status) = requests.join_next().await {
        assert_eq!(status.unwrap(), 200);
    }
    assert_eq!(count_spans(&influx), 200);
    let metrics = server.receiver.render_metrics();
    let value = |name: &str| -> u64 {
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(name)?.trim().parse().ok())
            .unwrap_or_else(|| panic!("{name} in\n{metrics}"))
    };
    let writes = value("otlp_receiver_db_writes_total ");
    let coalesced = value("otlp_receiver_db_coalesced_requests_total ");
    assert!(writes < 40, "{writes} writes for 40 requests:\n{metrics}");
    assert!(coalesced > 0, "{metrics}");
    assert!(server.shutdown().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_database_is_backpressure_and_nothing_is_lost() {
    let Some(influx) = InfluxServer::try_start() else {
        return;
    };
    let server = start(
        influx_config(),
        store_for(&influx, Duration::from_secs(1), 2),
    )
    .await;
    let url = server.http_url("/v1/traces");
    assert_eq!(
        post_http(&url, spans_request(2, 1).encode_to_vec())
            .await
            .status(),
        200
    );

    influx.pause();
    let response = post_http(&url, spans_request(2, 2).encode_to_vec()).await;
    assert_eq!(response.status(), 503);
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=30).contains(&retry_after), "{retry_after}");
    let status = TraceServiceClient::connect(server.grpc_url())
        .await
        .unwrap()
        .export(spans_request(2, 3))
        .await
        .expect_err("unavailable");
    assert_eq!(status.code(), tonic::Code::Unavailable, "{status:?}");
    assert!(status.get_details_retry_info().is_some());
    let health = reqwest::get(server.http_url("/health")).await.unwrap();
    assert_eq!(health.status(), 503);

    influx.resume();
    // The clients retry, as the spec tells them to; now it goes through.
    assert_eq!(
        post_http(&url, spans_request(2, 2).encode_to_vec())
            .await
            .status(),
        200
    );
    TraceServiceClient::connect(server.grpc_url())
        .await
        .unwrap()
        .export(spans_request(2, 3))
        .await
        .expect("after resume");
    assert_eq!(count_spans(&influx), 6, "every retried span arrived");
    assert_eq!(
        reqwest::get(server.http_url("/health"))
            .await
            .unwrap()
            .status(),
        200
    );
    assert!(server.shutdown().await);
}
