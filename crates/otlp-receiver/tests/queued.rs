//! The durable queue between the receiver and a real influxd: acknowledged while the database
//! is away, written when it returns, replayed after a restart, refused for another destination,
//! and backpressure when full.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{spans_request, start};
use datalayers_client::{Client, ClientConfig, Protocol};
use durable_queue::Options;
use lineproto::Dialect;
use otlp_influx::MappingConfig;
use otlp_receiver::{QueueOpenError, QueuedStore, ReceiverConfig};
use prost::Message;
use test_support::InfluxServer;

fn client(server: &InfluxServer, database: &str) -> Client {
    Client::new(
        ClientConfig::new(server.base_url())
            .with_protocol(Protocol::InfluxDbV1)
            .with_database(database)
            .with_timeout(Duration::from_secs(1)),
    )
    .unwrap()
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

async fn post(url: &str, body: Vec<u8>) -> reqwest::Response {
    reqwest::Client::new()
        .post(url)
        .header("content-type", "application/x-protobuf")
        .body(body)
        .send()
        .await
        .expect("request")
}

async fn wait_drained(store: &QueuedStore) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while store.queue_stats().queued_records > 0 {
        assert!(Instant::now() < deadline, "{:?}", store.queue_stats());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_while_the_database_is_away_written_when_it_returns() {
    let Some(mut influx) = InfluxServer::try_start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    influx.stop();
    let store = Arc::new(
        QueuedStore::open(
            dir.path(),
            Options::new(),
            client(&influx, influx.database()),
        )
        .await
        .unwrap(),
    );
    let server = start(influx_config(), store.clone()).await;
    for seed in 1..=3 {
        let response = post(
            &server.http_url("/v1/traces"),
            spans_request(4, seed).encode_to_vec(),
        )
        .await;
        assert_eq!(response.status(), 200, "acknowledged once on disk");
    }
    assert_eq!(store.queue_stats().queued_records, 3);
    // The database being away is not the receiver being unavailable: the queue takes it.
    let health = reqwest::get(server.http_url("/health")).await.unwrap();
    assert_eq!(health.status(), 200);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let metrics = server.receiver.render_metrics();
    assert!(
        metrics.contains("otlp_receiver_queue_database_up 0"),
        "{metrics}"
    );

    influx.restart();
    wait_drained(&store).await;
    assert_eq!(count_spans(&influx), 12);
    let metrics = server.receiver.render_metrics();
    assert!(metrics.contains("otlp_receiver_queue_database_up 1"));
    assert!(
        metrics.contains("otlp_receiver_queue_confirmed_records_total 3"),
        "{metrics}"
    );
    assert!(server.shutdown().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_writes_what_the_last_run_left() {
    let Some(mut influx) = InfluxServer::try_start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    influx.stop();
    {
        let store = Arc::new(
            QueuedStore::open(
                dir.path(),
                Options::new(),
                client(&influx, influx.database()),
            )
            .await
            .unwrap(),
        );
        let server = start(influx_config(), store.clone()).await;
        for seed in 1..=2 {
            let body = spans_request(5, seed).encode_to_vec();
            assert_eq!(
                post(&server.http_url("/v1/traces"), body).await.status(),
                200
            );
        }
        assert!(
            server.shutdown().await,
            "stops without waiting for the database"
        );
    }
    influx.restart();
    let store = QueuedStore::open(
        dir.path(),
        Options::new(),
        client(&influx, influx.database()),
    )
    .await
    .unwrap();
    wait_drained(&store).await;
    assert_eq!(count_spans(&influx), 10);
    assert_eq!(store.queue_stats().replayed_records, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_queued_for_another_destination_is_not_sent_elsewhere() {
    let Some(mut influx) = InfluxServer::try_start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    influx.stop();
    {
        let store = Arc::new(
            QueuedStore::open(dir.path(), Options::new(), client(&influx, "first"))
                .await
                .unwrap(),
        );
        let server = start(influx_config(), store.clone()).await;
        let body = spans_request(1, 1).encode_to_vec();
        assert_eq!(
            post(&server.http_url("/v1/traces"), body).await.status(),
            200
        );
        assert!(server.shutdown().await);
    }
    let err = QueuedStore::open(dir.path(), Options::new(), client(&influx, "second"))
        .await
        .expect_err("another database");
    let QueueOpenError::OtherDestination {
        records,
        queued,
        configured,
        ..
    } = &err
    else {
        panic!("{err}")
    };
    assert_eq!(*records, 1);
    assert!(queued.ends_with(" first"), "{queued}");
    assert!(configured.ends_with(" second"), "{configured}");
    assert!(err.to_string().contains("--wal-dir"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_queue_is_backpressure_then_drains() {
    let Some(mut influx) = InfluxServer::try_start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    influx.stop();
    let options = Options::new()
        .with_max_bytes(256 << 10)
        .with_segment_bytes(64 << 10);
    let store = Arc::new(
        QueuedStore::open(dir.path(), options, client(&influx, influx.database()))
            .await
            .unwrap(),
    );
    let server = start(influx_config(), store.clone()).await;
    let mut accepted = 0;
    let refused = loop {
        let response = post(
            &server.http_url("/v1/traces"),
            spans_request(20, accepted as u8 + 1).encode_to_vec(),
        )
        .await;
        if response.status() != 200 {
            break response;
        }
        accepted += 1;
        assert!(accepted < 100, "the queue never filled up");
    };
    assert_eq!(refused.status(), 503);
    assert!(refused.headers().contains_key("retry-after"));
    let health = reqwest::get(server.http_url("/health")).await.unwrap();
    assert_eq!(
        health.status(),
        503,
        "a full queue is the receiver unavailable"
    );

    influx.restart();
    wait_drained(&store).await;
    assert_eq!(count_spans(&influx), accepted * 20);
    // Confirmed segments are deleted by the queue's thread after its next checkpoint (within
    // about 100 ms of the confirmation), not at once: wait for the space to come back.
    let deadline = Instant::now() + Duration::from_secs(10);
    while store.queue_stats().disk_bytes > 128 << 10 {
        assert!(
            Instant::now() < deadline,
            "confirmed segments were never deleted: {:?}",
            store.queue_stats()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let response = post(
        &server.http_url("/v1/traces"),
        spans_request(20, 200).encode_to_vec(),
    )
    .await;
    assert_eq!(response.status(), 200, "room again");
    assert!(server.shutdown().await);
}
