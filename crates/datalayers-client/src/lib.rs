//! Line-protocol writes and queries for [Datalayers] and InfluxDB over HTTP.
//!
//! # Writing
//!
//! Encode lines with [`lineproto`], in the dialect of the server
//! ([`ClientConfig::dialect`]), and hand them to [`Client::write_lines`]:
//!
//! ```no_run
//! use datalayers_client::{Client, config::ClientConfig};
//! use lineproto::{Encoder, EncoderOptions};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! // Reads OTEL_EXPORTER_DATALAYERS_* (endpoint, database, credentials, ...); builder calls win.
//! // (`ClientSettings` layers code, flags and the environment the same way for every program.)
//! let config = ClientConfig::from_env()?.with_database("otel");
//! let client = Client::new(config)?;
//!
//! let mut encoder = Encoder::new(EncoderOptions::new(client.config().dialect()));
//! encoder.start_line("spans").tag("service.name", "checkout").field_i64("duration_nano", 5_000);
//! encoder.end_line(Some(1_700_000_000_000_000_000))?;
//!
//! let report = client.write_lines(encoder.lines()).await;
//! if !report.is_success() {
//!     eprintln!("{report}"); // e.g. "0 written, 0 rejected, 1 failed (...); first error: ..."
//!     for rejection in &report.rejections {
//!         eprintln!("line {}: {} ({})", rejection.index, rejection.line, rejection.reason);
//!     }
//! }
//! # Ok(()) }
//! ```
//!
//! What a write does, and what it never does:
//!
//! - **Batches** the lines into requests of at most `payload_max_lines` lines (8 000 on
//!   Datalayers, as its ingestion guide advises; 10 000 on InfluxDB, the reference exporter's
//!   default) and `payload_max_bytes` (10 000 000) bytes, never more. A single line longer than
//!   that is refused alone (counted as rejected).
//! - **Retries** 5xx, 408, 429 and connection errors with exponential back-off and full jitter,
//!   inside a deadline per request ([`ClientConfig::timeout`], 10 s), waiting exactly what
//!   `Retry-After` asks (seconds or an HTTP date) when the server says so.
//! - **Splits** a request answered with 413 (body too large) into halves, down to single lines.
//! - **Reads 400 answers line by line**: InfluxDB 1.x names each line it could not parse and
//!   stores the others (a "partial write"), so they are never resent. Datalayers refuses the
//!   request as a whole with one message naming no line: the client then halves the batch until
//!   the bad lines stand alone, delivers the others, and rejects each bad line with the server's
//!   reason, within [`ClientConfig::rejection_isolation_budget`] extra requests.
//! - **Gives up at once** on 401, 403 and 404 with advice (a missing database: how to create it).
//! - **Counts everything**: the [`WriteReport`] has every line as written, rejected or failed,
//!   the refused lines with their reasons, and the requests, retries and bytes sent.
//! - **Keeps secrets out** of URLs (credentials go in the `Authorization` header, even when given
//!   in the endpoint as `user:pass@` or `?u=&p=`), errors, and `Debug` output.
//! - Reads response bodies with a cap ([`ClientConfig::max_response_bytes`]).
//!
//! A request that timed out may still have been stored by the server, so a retry can write the
//! same lines twice. InfluxDB overwrites them (same series and timestamp); a Datalayers table in
//! the default `UPDATE_MODE = Append` keeps both copies. Use `Overwrite` tables (or a larger
//! [`ClientConfig::timeout`]) where duplicates matter.
//!
//! # Without a tokio runtime
//!
//! [`Client`] is async and needs tokio. [`BackgroundClient`] runs it on a private runtime on its
//! own thread and returns runtime-agnostic futures: the OpenTelemetry SDK's exporter threads poll
//! them with `futures_executor::block_on`. See the [`bridge`] module.
//!
//! # Querying
//!
//! [`Client::sql`] (Datalayers REST SQL), [`Client::influxql`] (InfluxDB 1.x) and the admin
//! helpers live in [`query`], with typed results. Readers written against the
//! [`SqlTransport`](query::SqlTransport) and [`InfluxQlTransport`](query::InfluxQlTransport)
//! traits run over any transport that implements them, [`Client`] included; the trace queries
//! (list, open, services, operations) are such readers, in the `trace-query` crate.
//!
//! # Which parts were tested against what
//!
//! InfluxDB 1.x behaviour is tested against a real `influxd` (writes, gzip, partial writes,
//! missing database, auth, 413 splitting, restarts). Datalayers cannot run in the test
//! environment: its write responses are replayed by a local HTTP server from the documented
//! shapes (the `protocol_*` tests).
//!
//! [Datalayers]: https://docs.datalayers.cn/

pub mod bridge;
mod client;
pub mod config;
pub mod error;
#[cfg(feature = "flight-sql")]
pub mod flight;
pub mod query;
mod retry;
mod transport;
pub mod write;

pub use bridge::{BackgroundClient, WriteFuture};
pub use client::Client;
pub use config::{ClientConfig, ClientSettings, Protocol};
pub use error::{
    ClientError, ConfigError, ShutdownError, TransportError, WriteError, WriteErrorKind,
};
pub use write::{LineRejection, WriteReport};
