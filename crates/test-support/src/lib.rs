//! A real InfluxDB 1.x server for tests: no mocks.
//!
//! [`InfluxServer`] starts the `influxd` binary (InfluxDB 1.6.7 from Debian's `influxdb`
//! package) on a free loopback port, with its own temp dir and generated config, waits until
//! `GET /ping` answers `204`, and creates a database. Each test gets its own server, so tests
//! run in parallel; the process is killed and its directory deleted when the value is dropped
//! (and influxd also dies with the test process if that is killed).
//!
//! ```
//! use test_support::InfluxServer;
//!
//! // `None` only when influxd is not installed and `CI` is not set (a loud SKIPPED line is
//! // printed); under `CI=true` a missing influxd fails the test.
//! let Some(server) = InfluxServer::try_start() else { return };
//!
//! let (status, body) = server.write(b"cpu,host=a usage=0.5 1700000000000000000\n");
//! assert_eq!(status, 204, "{body}");
//!
//! let response = server.query("SELECT usage FROM cpu");
//! let row = &response["results"][0]["series"][0]["values"][0];
//! assert_eq!(row, &serde_json::json!([1_700_000_000_000_000_000_i64, 0.5]));
//! ```
//!
//! For fault tests the server can be [stopped](InfluxServer::stop),
//! [restarted](InfluxServer::restart) on the same port with the same data, or
//! [paused](InfluxServer::pause); [`InfluxServer::builder`] turns on auth, a small
//! `max-body-size` or any other influxd setting:
//!
//! ```
//! use test_support::InfluxServer;
//!
//! let Some(mut server) = InfluxServer::builder()
//!     .database("otel")
//!     .auth("admin", "s3cret")
//!     .max_body_size(1024)
//!     .try_start()
//! else {
//!     return;
//! };
//! assert_eq!(server.credentials(), Some(("admin", "s3cret")));
//! assert_eq!(server.write(&[b'x'; 2048]).0, 413);
//!
//! server.stop();
//! // ... a client under test now sees "connection refused" at server.base_url() ...
//! server.restart();
//! assert!(server.is_running());
//! ```
//!
//! Requests go through the tiny blocking [`http`] client (heads parsed by `httparse`, query
//! strings encoded by `percent-encoding`). Zero-allocation tests share the counting global
//! allocator in [`alloc`]; third-party clients (the OpenTelemetry Python and JS SDKs' exporters)
//! are found through [`peers`], the headless browser of page tests through [`browser`].
//!
//! Everything that needs an HTTP server other than a real InfluxDB (protocol tests replaying
//! Datalayers' documented answers, fault tests, benchmarks, fuzz targets) uses the one server of
//! the `scripted` module (feature `scripted-http`): scripted replies with raw control over
//! status, headers, body, delays, hangs and connection closes, and every request recorded.
//! [`closed_url`] is the other side: a loopback URL nothing listens on.

pub mod alloc;
pub mod browser;
pub mod flight_sql;
pub mod http;
pub mod peers;
#[cfg(feature = "scripted-http")]
pub mod scripted;

mod config;
mod server;
mod wire;

pub use server::{
    DATABASE_DEFAULT, INFLUXD_DEFAULT, INFLUXD_ENV, InfluxServer, InfluxServerBuilder,
    STARTUP_TIMEOUT_DEFAULT, closed_url,
};
