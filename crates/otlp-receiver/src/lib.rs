//! An OTLP receiver that writes OpenTelemetry data as line protocol: the edge gateway that
//! replaces the OpenTelemetry Collector (otlp receiver + influxdb exporter) in front of
//! Datalayers and InfluxDB.
//!
//! A library first: an application mounts the services in its own server
//! ([`Receiver::http_router`] for axum, [`Receiver::grpc_routes`] for tonic), or runs both
//! listeners with [`bind`] and [`Server::run`]; `otel-lp serve` is a thin binary on top.
//!
//! ```no_run
//! use std::sync::Arc;
//!
//! use datalayers_client::{Client, ClientConfig};
//! use otlp_receiver::{DatabaseStore, Receiver, ReceiverConfig, ServeConfig};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let client = Client::new(ClientConfig::new("http://127.0.0.1:8361").with_database("otel"))?;
//! let store = Arc::new(DatabaseStore::spawn(client, otlp_receiver::WRITE_CONCURRENCY_DEFAULT));
//! let receiver = Receiver::new(ReceiverConfig::default(), store)?;
//!
//! // OTLP/gRPC on 127.0.0.1:4317, OTLP/HTTP (+ /health, /metrics) on 127.0.0.1:4318.
//! let server = otlp_receiver::bind(receiver, &ServeConfig::default()).await?;
//! server.run(async { tokio::signal::ctrl_c().await.unwrap_or(()) }).await;
//! # Ok(()) }
//! ```
//!
//! # What a request goes through
//!
//! Both transports share one export path, in stage order:
//!
//! 1. **Admission** ([`admission`](crate::ReceiverConfig::max_in_flight_bytes)): a byte budget
//!    for everything in flight, checked before the body is read. A request that does not fit
//!    is refused at once: 429 (or `UNAVAILABLE` with `RetryInfo`) while the destination keeps
//!    up, 503 while it is down, with a delay worked out from how fast the destination drains.
//! 2. **Body**: gzip, zstd or deflate (`Content-Encoding`, or `grpc-encoding` through tonic),
//!    with the size limit ([`ReceiverConfig::max_request_bytes`], 64 MiB) applied after
//!    decompression, so a decompression bomb is cut at the limit; 413 / `RESOURCE_EXHAUSTED`.
//!    `application/x-protobuf` or `application/json`, else 415.
//! 3. **Decode and map**: the request becomes line protocol in the otel2influx schema
//!    (`otlp-influx`, the same options and the same bytes as `otel-lp convert`). A malformed
//!    body is 400 / `INVALID_ARGUMENT`. Items the mapping cannot write (a span without ids, a
//!    NaN-only point) are counted, and the rest is written.
//! 4. **Store** ([`LineStore`]): the request is acknowledged only once its lines are safely
//!    stored: written and accepted by the database ([`DatabaseStore`], which coalesces
//!    concurrent requests into shared writes), or written to a file ([`FileStore`]). When the
//!    destination cannot take them, the client is told to retry (503 / `UNAVAILABLE` with a
//!    delay); a transient fault is never answered with 500 / `INTERNAL`.
//! 5. **Answer**, in the request's encoding: `partial_success` counts the items rejected by
//!    the mapping or the database, with a readable `error_message`; refusals carry a
//!    `google.rpc.Status`, as the OTLP specification asks.
//!
//! `GET /health` (on the HTTP listener) answers 200 when ready and 503 with the reason while
//! the destination is unavailable; `GET /metrics` has every counter in Prometheus text. Both
//! are open; the OTLP routes require the configured credentials ([`IncomingAuth`]).

mod admission;
mod body;
mod commit;
pub mod config;
mod grpc;
mod http;
mod ingest;
mod queued;
mod receiver;
mod reply;
mod serve;
mod store;
mod telemetry;

pub use admission::{RETRY_AFTER_MAX, RETRY_AFTER_MIN};
pub use body::{BodyError, ContentCoding, decompress, encoding_from_content_type};
pub use commit::{DatabaseStore, WRITE_CONCURRENCY_DEFAULT};
pub use config::{IncomingAuth, ReceiverConfig};
pub use grpc::{LOGS_SERVICE, METRICS_SERVICE, PassThrough, TRACE_SERVICE, export_path};
pub use otlp_influx::decode::{DecodeError, Encoding, Signal};
pub use queued::{QueueOpenError, QueuedStore};
pub use receiver::Receiver;
pub use serve::{SHUTDOWN_TIMEOUT_DEFAULT, ServeConfig, ServeError, Server, TlsFiles, bind};
pub use store::{FileStore, LineBatch, LineStore, StoreFuture, StoreOutcome};
