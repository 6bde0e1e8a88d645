//! Where encoded lines go: the [`LineSink`] trait and the built-in sinks.
//!
//! A sink receives whole lines with their boundaries ([`Lines`]) and answers with a
//! [`SinkOutcome`]: how many of those lines were written, rejected or failed, and how many retries
//! it took. The exporter adds every outcome to its [`ExportStats`](crate::ExportStats).
//!
//! A sink that sends from another thread can take the lines as [`Bytes`] sharing the exporter's
//! buffer ([`Batch::to_bytes`]) instead of copying them.

use std::fmt;
use std::future::Future;
use std::io::Write;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use bytes::Bytes;
use lineproto::{Encoder, Lines};

/// The future a [`LineSink`] returns: boxed so the trait stays dyn-compatible. It may borrow the
/// lines; the exporter polls it under any executor, so it must not need an ambient tokio runtime.
pub type SinkFuture<'a> = Pin<Box<dyn Future<Output = SinkOutcome> + Send + 'a>>;

/// A destination for line protocol. Implement it to send lines somewhere of your own.
///
/// The exporter calls [`write_batch`](Self::write_batch) (by default: [`write`](Self::write))
/// once per export with every line of the batch, never concurrently for one exporter, with
/// telemetry suppressed (spans or logs you create in here are not exported back through the
/// pipeline) and with a deadline it enforces itself: a future still pending at `deadline` is
/// dropped and its lines are counted as failed. Panics are caught and counted as failures too.
///
/// ```
/// use std::time::Instant;
/// use sdk_exporter::{LineSink, SinkFuture, SinkOutcome};
///
/// /// Counts lines and throws them away.
/// #[derive(Debug, Default)]
/// struct Discard;
///
/// impl LineSink for Discard {
///     fn write<'a>(&'a self, lines: lineproto::Lines<'a>, _deadline: Instant) -> SinkFuture<'a> {
///         Box::pin(std::future::ready(SinkOutcome::written(lines.len())))
///     }
/// }
/// ```
pub trait LineSink: Send + Sync + fmt::Debug + 'static {
    /// Writes `lines` (each ends with `\n`; string fields may contain raw line feeds, so use the
    /// boundaries of [`Lines`] rather than splitting on `\n`).
    fn write<'a>(&'a self, lines: Lines<'a>, deadline: Instant) -> SinkFuture<'a>;

    /// Writes one export's lines: what the exporter calls. By default it borrows them and calls
    /// [`write`](Self::write). Override it to keep the lines beyond the call without copying
    /// them, e.g. to hand them to an I/O thread, with [`Batch::to_bytes`] (as
    /// [`HttpSink`](crate::HttpSink) does).
    fn write_batch<'a>(&'a self, batch: Batch<'a>, deadline: Instant) -> SinkFuture<'a> {
        self.write(batch.lines(), deadline)
    }

    /// Pushes out anything buffered. Called on `force_flush` and on `shutdown`.
    fn flush(&self, _deadline: Instant) -> Result<(), SinkError> {
        Ok(())
    }
}

impl<S: LineSink + ?Sized> LineSink for Arc<S> {
    fn write<'a>(&'a self, lines: Lines<'a>, deadline: Instant) -> SinkFuture<'a> {
        (**self).write(lines, deadline)
    }
    fn write_batch<'a>(&'a self, batch: Batch<'a>, deadline: Instant) -> SinkFuture<'a> {
        (**self).write_batch(batch, deadline)
    }
    fn flush(&self, deadline: Instant) -> Result<(), SinkError> {
        (**self).flush(deadline)
    }
}

/// The lines of one export, as [`LineSink::write_batch`] gets them: borrow them as [`Lines`], or
/// share them as [`Bytes`] without copying.
#[derive(Debug, Clone, Copy)]
pub struct Batch<'a> {
    encoder: &'a Arc<Encoder>,
}

impl<'a> Batch<'a> {
    /// The committed lines of `encoder`.
    pub(crate) fn new(encoder: &'a Arc<Encoder>) -> Self {
        Self { encoder }
    }

    /// The lines with their boundaries.
    pub fn lines(&self) -> Lines<'a> {
        self.encoder.lines()
    }

    /// Exclusive end offset of each line in [`Lines::bytes`] (and [`to_bytes`](Self::to_bytes)).
    pub fn line_ends(&self) -> &'a [usize] {
        self.encoder.line_ends()
    }

    /// The lines' bytes (those of [`Lines::bytes`]) as a handle on the exporter's own buffer: no
    /// copy, and it may outlive the call and move to another thread.
    ///
    /// The exporter reuses that buffer for its next export once every handle is dropped. Drop
    /// them when the write is done: one still alive then makes the exporter start over with a
    /// new buffer.
    pub fn to_bytes(&self) -> Bytes {
        Bytes::from_owner(SharedLines(Arc::clone(self.encoder)))
    }
}

/// Keeps the encoder alive (and unchanged: it is shared) as long as a [`Bytes`] points into it.
struct SharedLines(Arc<Encoder>);

impl AsRef<[u8]> for SharedLines {
    fn as_ref(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

/// Why a sink could not flush.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SinkError {
    /// The deadline passed before the flush finished.
    #[error("flush did not finish before its deadline")]
    Timeout,
    /// The flush failed.
    #[error("flush failed: {0}")]
    Failed(String),
}

/// What happened to the lines of one [`LineSink::write`] call. Every line should be counted in
/// exactly one of `written`, `rejected` and `failed`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SinkOutcome {
    /// Lines the destination accepted.
    pub written: u64,
    /// Lines the destination refused as invalid (retrying would not help), e.g. an InfluxDB
    /// partial write.
    pub rejected: u64,
    /// Lines that could not be delivered (transport errors, server errors after retries).
    pub failed: u64,
    /// Retries the sink made (requests re-sent).
    pub retries: u64,
    /// The first error, for the export result and logs.
    pub error: Option<String>,
}

impl SinkOutcome {
    /// `lines` lines written, nothing else happened.
    pub fn written(lines: usize) -> Self {
        Self {
            written: lines as u64,
            ..Self::default()
        }
    }

    /// `lines` lines could not be delivered because of `error`.
    pub fn failed(lines: usize, error: impl fmt::Display) -> Self {
        Self {
            failed: lines as u64,
            error: Some(error.to_string()),
            ..Self::default()
        }
    }
}

/// Writes lines to any [`Write`] (stdout, a file, a socket) and flushes after every batch.
///
/// An I/O error fails the whole batch: it is not known how much of it reached the writer.
pub struct WriterSink<W> {
    writer: Mutex<W>,
}

impl WriterSink<std::io::Stdout> {
    /// Writes to standard output.
    pub fn stdout() -> Self {
        Self::new(std::io::stdout())
    }
}

impl<W: Write + Send + 'static> WriterSink<W> {
    /// Writes to `writer`.
    pub fn new(writer: W) -> Self {
        Self {
            writer: Mutex::new(writer),
        }
    }

    /// Gives the writer back (e.g. to read a `Vec<u8>` in a test).
    pub fn into_inner(self) -> W {
        self.writer
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn write_now(&self, lines: Lines<'_>) -> SinkOutcome {
        let mut writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        match writer
            .write_all(lines.bytes())
            .and_then(|()| writer.flush())
        {
            Ok(()) => SinkOutcome::written(lines.len()),
            Err(error) => SinkOutcome::failed(lines.len(), error),
        }
    }
}

impl<W> fmt::Debug for WriterSink<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WriterSink")
            .field("writer", &std::any::type_name::<W>())
            .finish()
    }
}

impl<W: Write + Send + 'static> LineSink for WriterSink<W> {
    fn write<'a>(&'a self, lines: Lines<'a>, _deadline: Instant) -> SinkFuture<'a> {
        Box::pin(std::future::ready(self.write_now(lines)))
    }

    fn flush(&self, _deadline: Instant) -> Result<(), SinkError> {
        let mut writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        writer
            .flush()
            .map_err(|error| SinkError::Failed(error.to_string()))
    }
}

/// Keeps every line in memory; clones share the same storage. Meant for tests and examples.
#[derive(Debug, Clone, Default)]
pub struct MemorySink {
    stored: Arc<Mutex<Stored>>,
}

#[derive(Debug, Default)]
struct Stored {
    bytes: Vec<u8>,
    line_ends: Vec<usize>,
    batches: usize,
}

impl MemorySink {
    /// An empty sink.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every line written so far, in order, each without its final `\n`.
    pub fn lines(&self) -> Vec<String> {
        let stored = self.lock();
        let mut start = 0;
        stored
            .line_ends
            .iter()
            .map(|&end| {
                let line = String::from_utf8_lossy(&stored.bytes[start..end - 1]).into_owned();
                start = end;
                line
            })
            .collect()
    }

    /// Everything written so far as one string.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.lock().bytes).into_owned()
    }

    /// How many `write` calls (non-empty batches) arrived.
    pub fn batches(&self) -> usize {
        self.lock().batches
    }

    /// Forgets everything written so far.
    pub fn clear(&self) {
        let mut stored = self.lock();
        stored.bytes.clear();
        stored.line_ends.clear();
        stored.batches = 0;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Stored> {
        self.stored.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl LineSink for MemorySink {
    fn write<'a>(&'a self, lines: Lines<'a>, _deadline: Instant) -> SinkFuture<'a> {
        let mut stored = self.lock();
        let offset = stored.bytes.len();
        let bytes = lines.bytes();
        stored.bytes.extend_from_slice(bytes);
        let mut end = offset;
        for line in lines.iter() {
            end += line.len();
            stored.line_ends.push(end);
        }
        stored.batches += 1;
        Box::pin(std::future::ready(SinkOutcome::written(lines.len())))
    }
}
