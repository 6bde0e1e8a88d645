//! [`DiskBuffer`]: a [`LineSink`] that puts every export on disk first (the `durable-queue`
//! write-ahead queue the gateway uses) and writes it to the real sink from a thread of its own,
//! retrying while the database is away. An app on an edge box keeps its telemetry through an
//! outage and a restart: what was not yet written is replayed when the app starts again.

use std::fmt;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use durable_queue::{Error as QueueError, Options, Queue, Reader, Signal};
use lineproto::Lines;
use tokio::sync::Notify;

use crate::sink::{LineSink, SinkError, SinkFuture, SinkOutcome};

/// How long one write of a queued batch to the inner sink may take.
pub const DISK_BUFFER_WRITE_TIMEOUT: Duration = Duration::from_secs(30);
/// The first retry delay after a failed write; it doubles up to [`DISK_BUFFER_RETRY_MAX`].
pub const DISK_BUFFER_RETRY_MIN: Duration = Duration::from_millis(200);
/// The longest retry delay while the inner sink keeps failing.
pub const DISK_BUFFER_RETRY_MAX: Duration = Duration::from_secs(30);
/// Most bytes of queued batches read at once by the drain.
const DRAIN_READ_BYTES: usize = 4 << 20;

/// What a [`DiskBuffer`]'s drain has done so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct DiskBufferStats {
    /// Batches appended to the queue (acknowledged to the exporter).
    pub appended_batches: u64,
    /// Batches the inner sink took (written or rejected as invalid): confirmed, not replayed.
    pub delivered_batches: u64,
    /// Lines the inner sink wrote.
    pub written_lines: u64,
    /// Lines the inner sink refused as invalid (retrying would not help; not retried).
    pub rejected_lines: u64,
    /// Failed writes to the inner sink, each retried later.
    pub failed_writes: u64,
}

/// Counters and signals shared by the sink and its drain thread.
#[derive(Default)]
struct Shared {
    appended: AtomicU64,
    /// The highest sequence number appended by this sink, and the highest the drain confirmed.
    last_appended_seq: AtomicU64,
    confirmed_seq: AtomicU64,
    delivered: AtomicU64,
    written: AtomicU64,
    rejected: AtomicU64,
    failed: AtomicU64,
    stopping: AtomicBool,
    stop: Notify,
    /// Woken after each delivered batch (for `flush`).
    progress: (Mutex<()>, std::sync::Condvar),
}

/// A [`LineSink`] that makes every export durable on disk before answering, then writes it to
/// `inner` in order from its own thread, retrying (200 ms doubling to 30 s) while `inner` fails.
///
/// - **Acknowledged means on disk**: `write` answers "written" once the lines are in the queue
///   under its fsync policy (group commit by default). The exporter's
///   [`ExportStats`](crate::ExportStats) count them then; what the database later did is in
///   [`DiskBuffer::stats`].
/// - **Restart**: batches not yet delivered are replayed by the next `DiskBuffer` opened on the
///   same directory (a torn tail after a power cut is cut off and counted, never an error). A
///   batch delivered just before a crash may be delivered again: InfluxDB and Datalayers keep one
///   point per series and timestamp, so the duplicate replaces the original with the same values.
/// - **Bounded**: when the queue is full ([`Options::with_max_bytes`]) new exports fail (the
///   SDK's batch processor counts them as dropped), or the oldest batches are dropped
///   ([`durable_queue::FullPolicy::DropOldest`]).
/// - **Shutdown**: `flush` (from `force_flush` and `shutdown`) waits until the drain has caught
///   up, up to its deadline; what is left stays on disk for the next start. Dropping the sink
///   stops the drain and closes the queue.
///
/// One directory serves one `DiskBuffer` at a time (the queue locks it); the spans, logs and
/// metrics exporters of one [`ExporterBuilder`](crate::ExporterBuilder) share it.
///
/// ```no_run
/// use sdk_exporter::{DiskBuffer, HttpSink, SpanExporter};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let http = HttpSink::new(sdk_exporter::ClientConfig::from_env()?)?;
/// let buffered = DiskBuffer::open("/var/lib/my-app/telemetry", Default::default(), http)?;
/// let exporter = SpanExporter::builder().with_sink(buffered).build()?;
/// # let _ = exporter;
/// # Ok(())
/// # }
/// ```
pub struct DiskBuffer {
    queue: Queue,
    shared: Arc<Shared>,
    drain: Mutex<Option<JoinHandle<()>>>,
    inner: Arc<dyn LineSink>,
}

impl fmt::Debug for DiskBuffer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DiskBuffer")
            .field("dir", &self.queue.dir())
            .field("inner", &self.inner)
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

impl DiskBuffer {
    /// Opens (or creates) the queue in `dir` and starts draining it into `inner`, beginning with
    /// whatever an earlier run left undelivered. Fails when the directory cannot be used or
    /// another process holds it.
    pub fn open(
        dir: impl AsRef<Path>,
        options: Options,
        inner: impl LineSink,
    ) -> Result<Self, QueueError> {
        Self::open_shared(dir.as_ref(), options, Arc::new(inner))
    }

    pub(crate) fn open_shared(
        dir: &Path,
        options: Options,
        inner: Arc<dyn LineSink>,
    ) -> Result<Self, QueueError> {
        let (queue, reader) = Queue::open(dir, options)?;
        let shared = Arc::new(Shared::default());
        let drain = {
            let (queue, shared, inner) = (queue.clone(), Arc::clone(&shared), Arc::clone(&inner));
            std::thread::Builder::new()
                .name("sdk-exporter-disk-buffer".into())
                .spawn(move || drain(queue, reader, inner, shared))
                .map_err(|err| QueueError::Io {
                    operation: "start the drain thread for",
                    path: dir.to_path_buf(),
                    source: Arc::new(err),
                })?
        };
        Ok(Self {
            queue,
            shared,
            drain: Mutex::new(Some(drain)),
            inner,
        })
    }

    /// What the drain has done so far.
    pub fn stats(&self) -> DiskBufferStats {
        let load = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        DiskBufferStats {
            appended_batches: load(&self.shared.appended),
            delivered_batches: load(&self.shared.delivered),
            written_lines: load(&self.shared.written),
            rejected_lines: load(&self.shared.rejected),
            failed_writes: load(&self.shared.failed),
        }
    }

    /// The queue's gauges and counters (bytes on disk, records, drops), as the gateway's
    /// `/metrics` shows them.
    pub fn queue_stats(&self) -> durable_queue::Stats {
        self.queue.stats()
    }
}

impl LineSink for DiskBuffer {
    fn write<'a>(&'a self, lines: Lines<'a>, _deadline: Instant) -> SinkFuture<'a> {
        let count = lines.len();
        let batch = durable_queue::Batch::new("", signal_of(&lines), lines)
            .with_items(u32::try_from(count).unwrap_or(u32::MAX));
        let append = self.queue.append(&batch);
        Box::pin(async move {
            match append.await {
                Ok(seq) => {
                    self.shared.appended.fetch_add(1, Ordering::Relaxed);
                    self.shared
                        .last_appended_seq
                        .fetch_max(seq, Ordering::AcqRel);
                    SinkOutcome::written(count)
                }
                Err(err) => SinkOutcome::failed(count, format!("disk buffer: {err}")),
            }
        })
    }

    fn flush(&self, deadline: Instant) -> Result<(), SinkError> {
        let (lock, caught_up) = &self.shared.progress;
        let mut guard = lock.lock().unwrap_or_else(PoisonError::into_inner);
        while self.shared.confirmed_seq.load(Ordering::Acquire)
            < self.shared.last_appended_seq.load(Ordering::Acquire)
        {
            let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                // Durable already: the rest is delivered later, or by the next start.
                return Ok(());
            };
            guard = caught_up
                .wait_timeout(guard, left.min(Duration::from_millis(50)))
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        Ok(())
    }
}

impl Drop for DiskBuffer {
    fn drop(&mut self) {
        self.shared.stopping.store(true, Ordering::Release);
        self.shared.stop.notify_one();
        let drain = self
            .drain
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(drain) = drain {
            let _ = drain.join();
        }
    }
}

/// The record's signal, from the first line's measurement (the queue keeps it for its
/// statistics; a sink is not told which exporter calls it).
fn signal_of(lines: &Lines<'_>) -> Signal {
    use otlp_influx::schema::{MEASUREMENT_LOGS, MEASUREMENT_SPAN_LINKS, MEASUREMENT_SPANS};
    let first = lines.iter().next().unwrap_or_default();
    let measurement = first
        .split(|&byte| byte == b',' || byte == b' ')
        .next()
        .unwrap_or_default();
    if measurement == MEASUREMENT_SPANS.as_bytes()
        || measurement == MEASUREMENT_SPAN_LINKS.as_bytes()
    {
        Signal::Traces
    } else if measurement == MEASUREMENT_LOGS.as_bytes() {
        Signal::Logs
    } else {
        Signal::Metrics
    }
}

/// The drain thread: reads batches in order, writes each to `inner` until it takes them,
/// confirms them; on stop, closes the queue (pending appends are synced first).
fn drain(queue: Queue, mut reader: Reader, inner: Arc<dyn LineSink>, shared: Arc<Shared>) {
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
    else {
        return;
    };
    let shared: &Shared = &shared;
    runtime.block_on(async {
        let stopped = || shared.stopping.load(Ordering::Acquire);
        let pause = |delay: Duration| async move {
            tokio::select! {
                () = tokio::time::sleep(delay) => {}
                () = shared.stop.notified() => {}
            }
        };
        let mut backoff = DISK_BUFFER_RETRY_MIN;
        'drain: while !stopped() {
            let records = tokio::select! {
                read = reader.next(DRAIN_READ_BYTES) => read,
                () = shared.stop.notified() => break,
            };
            let records = match records {
                Ok(records) => records,
                Err(QueueError::Closed) => break,
                Err(_) => {
                    pause(backoff).await;
                    reader.rewind();
                    continue;
                }
            };
            for record in records {
                loop {
                    if stopped() {
                        break 'drain;
                    }
                    let deadline = Instant::now() + DISK_BUFFER_WRITE_TIMEOUT;
                    let outcome = inner.write(record.lines(), deadline).await;
                    if outcome.failed == 0 {
                        shared.written.fetch_add(outcome.written, Ordering::Relaxed);
                        shared
                            .rejected
                            .fetch_add(outcome.rejected, Ordering::Relaxed);
                        let _ = reader.confirm(record.seq());
                        let (lock, caught_up) = &shared.progress;
                        let _guard = lock.lock().unwrap_or_else(PoisonError::into_inner);
                        shared.delivered.fetch_add(1, Ordering::Relaxed);
                        shared
                            .confirmed_seq
                            .fetch_max(record.seq(), Ordering::AcqRel);
                        caught_up.notify_all();
                        backoff = DISK_BUFFER_RETRY_MIN;
                        break;
                    }
                    shared.failed.fetch_add(1, Ordering::Relaxed);
                    pause(backoff).await;
                    backoff = (backoff * 2).min(DISK_BUFFER_RETRY_MAX);
                }
            }
        }
        queue.close().await;
    });
}
