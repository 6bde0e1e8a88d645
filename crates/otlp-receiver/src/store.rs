//! Where mapped lines go: the [`LineStore`] a receiver acknowledges through.
//!
//! A request is acknowledged only when its store says its lines are safely stored: written and
//! accepted by the database ([`DatabaseStore`](crate::DatabaseStore)), written to a file
//! ([`FileStore`]), or appended to a durable queue. A store that cannot take them says so with
//! [`StoreOutcome::Unavailable`], and the client is told to retry.

use std::fmt::Write as _;
use std::future::Future;
use std::io::Write;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;

use crate::Signal;
use crate::admission::RETRY_AFTER_MIN;

/// The lines mapped from one request, in one buffer.
#[derive(Debug, Clone)]
pub struct LineBatch {
    /// The signal the request carried.
    pub signal: Signal,
    /// Newline-terminated line protocol.
    pub lines: Bytes,
    /// Exclusive end offset of each line in `lines`.
    pub line_ends: Vec<usize>,
    /// Items (spans, log records, data points) the lines were mapped from.
    pub items: u64,
}

impl LineBatch {
    /// Number of lines.
    pub fn line_count(&self) -> usize {
        self.line_ends.len()
    }
}

/// What a store did with a [`LineBatch`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoreOutcome {
    /// The lines are safely stored; `rejected_lines` of them were refused by the destination for
    /// their content (retrying them would not help), with the first reason in `message`.
    Stored {
        /// Lines the destination refused.
        rejected_lines: u64,
        /// Why (the first reason), when some were refused.
        message: Option<String>,
    },
    /// The lines were not stored: the client should send them again after `retry_after`.
    Unavailable {
        /// Why, for the client and the logs.
        reason: String,
        /// How long to wait.
        retry_after: Duration,
    },
}

impl StoreOutcome {
    /// Every line stored, none refused.
    pub const STORED: Self = Self::Stored {
        rejected_lines: 0,
        message: None,
    };
}

/// A boxed future returned by [`LineStore`] methods.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A destination for mapped lines. Implementations must be cheap to call concurrently: every
/// request in flight calls [`LineStore::store`] from its own task.
pub trait LineStore: Send + Sync + 'static {
    /// Stores one request's lines; resolves when they are safely stored (or not).
    fn store(&self, batch: LineBatch) -> StoreFuture<'_, StoreOutcome>;

    /// Why the store cannot take lines now (for `GET /health`), or `None` when it can.
    fn unavailable_reason(&self) -> Option<String> {
        None
    }

    /// How long a client refused now should wait, with `queued_bytes` in flight.
    fn retry_after(&self, queued_bytes: usize) -> Duration {
        let _ = queued_bytes;
        RETRY_AFTER_MIN
    }

    /// Resolves once everything handed to [`LineStore::store`] so far has been dealt with
    /// (shutdown calls it after the last request).
    fn flush(&self) -> StoreFuture<'_, ()> {
        Box::pin(async {})
    }

    /// Appends the store's own metrics, in Prometheus text format, to `out`.
    fn write_metrics(&self, out: &mut String) {
        let _ = out;
    }

    /// A one-line description for the start-up message, e.g. `influxdb-v1 http://127.0.0.1:8086 (database otel)`.
    fn describe(&self) -> String;
}

/// Lines written to a file or stdout (`otel-lp serve --output`), each request's lines together
/// and flushed before it is acknowledged.
pub struct FileStore {
    out: Arc<Mutex<Box<dyn Write + Send>>>,
    name: String,
    stats: Arc<FileStats>,
}

#[derive(Debug, Default)]
struct FileStats {
    lines: std::sync::atomic::AtomicU64,
    bytes: std::sync::atomic::AtomicU64,
}

impl std::fmt::Debug for FileStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileStore")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl FileStore {
    /// Lines go to `out`; `name` (a path, or `stdout`) is shown at start and in errors.
    pub fn new(out: Box<dyn Write + Send>, name: impl Into<String>) -> Self {
        Self {
            out: Arc::new(Mutex::new(out)),
            name: name.into(),
            stats: Arc::default(),
        }
    }

    /// Lines go to the standard output.
    pub fn stdout() -> Self {
        Self::new(Box::new(std::io::stdout()), "stdout")
    }
}

impl LineStore for FileStore {
    fn store(&self, batch: LineBatch) -> StoreFuture<'_, StoreOutcome> {
        let out = Arc::clone(&self.out);
        let stats = Arc::clone(&self.stats);
        let name = self.name.clone();
        Box::pin(async move {
            // Blocking writes (a pipe whose reader is slow) must not stall the async workers.
            let written = tokio::task::spawn_blocking(move || {
                let mut out = out.lock().unwrap_or_else(|e| e.into_inner());
                out.write_all(&batch.lines)?;
                out.flush()?;
                use std::sync::atomic::Ordering::Relaxed;
                stats.lines.fetch_add(batch.line_count() as u64, Relaxed);
                stats.bytes.fetch_add(batch.lines.len() as u64, Relaxed);
                Ok::<_, std::io::Error>(())
            })
            .await;
            match written {
                Ok(Ok(())) => StoreOutcome::STORED,
                Ok(Err(err)) => StoreOutcome::Unavailable {
                    reason: format!("cannot write to {name}: {err}"),
                    retry_after: RETRY_AFTER_MIN,
                },
                Err(err) => StoreOutcome::Unavailable {
                    reason: format!("the writer of {name} failed: {err}"),
                    retry_after: RETRY_AFTER_MIN,
                },
            }
        })
    }

    fn write_metrics(&self, out: &mut String) {
        use std::sync::atomic::Ordering::Relaxed;
        let _ = write!(
            out,
            "# HELP otlp_receiver_output_lines_total Lines written to the output file.\n\
             # TYPE otlp_receiver_output_lines_total counter\n\
             otlp_receiver_output_lines_total {}\n\
             # HELP otlp_receiver_output_bytes_total Bytes written to the output file.\n\
             # TYPE otlp_receiver_output_bytes_total counter\n\
             otlp_receiver_output_bytes_total {}\n",
            self.stats.lines.load(Relaxed),
            self.stats.bytes.load(Relaxed)
        );
    }

    fn describe(&self) -> String {
        format!("line protocol to {}", self.name)
    }
}
