//! [`HttpSink`]: lines over HTTP with [`datalayers_client`], from any executor.

use std::fmt;
use std::time::Instant;

use bytes::Bytes;
use datalayers_client::{BackgroundClient, ClientConfig, ClientError, WriteReport};
use lineproto::Lines;

use crate::{Batch, LineSink, SinkFuture, SinkOutcome};

/// Writes lines to Datalayers or InfluxDB over HTTP: batching, gzip, retries within the export
/// deadline and line-by-line reports of partial writes come from [`datalayers_client`].
///
/// On a thread that runs no tokio runtime (the SDK's batch processors and periodic reader poll
/// exports with `futures_executor::block_on` on their own threads; a plain `main`) an export's
/// request is made right there, blocking that thread until the answer or the deadline, on a
/// runtime of the client's that this thread drives: no hop to another thread and back. Inside
/// a tokio runtime (multi- or current-thread) the I/O runs on the client's private runtime
/// thread and the returned future only waits for its report, needing nothing from the caller's
/// runtime: never "no reactor running", never a deadlock. Either way the I/O runs with
/// OpenTelemetry telemetry suppressed.
///
/// Polled by another async executor (not tokio), an export therefore blocks that executor's
/// thread for its request.
pub struct HttpSink {
    client: BackgroundClient,
}

impl HttpSink {
    /// Starts the client (and its runtime thread). Fails at once, rather than at the first
    /// export, when the configuration cannot write (no database or bucket, bad credentials kind).
    pub fn new(config: ClientConfig) -> Result<Self, ClientError> {
        config.validate()?;
        Ok(Self {
            client: BackgroundClient::new(config)?,
        })
    }
}

impl fmt::Debug for HttpSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpSink")
            .field("client", &self.client)
            .finish()
    }
}

impl LineSink for HttpSink {
    fn write<'a>(&'a self, lines: Lines<'a>, deadline: Instant) -> SinkFuture<'a> {
        // Borrowed lines: the client's thread needs its own copy.
        let mut end = 0;
        let line_ends = lines
            .iter()
            .map(|line| {
                end += line.len();
                end
            })
            .collect();
        self.send(Bytes::copy_from_slice(lines.bytes()), line_ends, deadline)
    }

    fn write_batch<'a>(&'a self, batch: Batch<'a>, deadline: Instant) -> SinkFuture<'a> {
        let body = batch.to_bytes();
        // Outside tokio (the SDK's batch processors), right here: no thread hop.
        if let Some(report) = self.client.write_here(&body, batch.line_ends(), deadline) {
            return Box::pin(std::future::ready(outcome(&report)));
        }
        // The client's thread shares the exporter's buffer, and drops it before it reports back,
        // so the next export reuses it.
        self.send(body, batch.line_ends().to_vec(), deadline)
    }
}

impl HttpSink {
    /// Queues `body`, whose lines end at `line_ends`, on the client's thread.
    fn send(&self, body: Bytes, line_ends: Vec<usize>, deadline: Instant) -> SinkFuture<'static> {
        let report = self.client.write_until(body, line_ends, deadline);
        Box::pin(async move { outcome(&report.await) })
    }
}

/// A write report in the counters' terms.
fn outcome(report: &WriteReport) -> SinkOutcome {
    SinkOutcome {
        written: report.written_lines,
        rejected: report.rejected_lines,
        failed: report.failed_lines,
        retries: report.retries,
        error: report.first_error().map(ToString::to_string),
    }
}
