//! [`QueuedStore`]: the durable buffer. A request is acknowledged once its lines are on disk
//! in a [`durable_queue::Queue`]; a writer task drains the queue into the database in order and
//! confirms what the database took. What was acknowledged reaches the database whatever happens
//! in between: the gateway killed, a power cut, the database away for hours.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use datalayers_client::{Client, WriteErrorKind};
use durable_queue::{Batch, Error as QueueError, Options, Queue, Reader, Record};
use lineproto::Lines;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::Signal;
use crate::admission::{RETRY_AFTER_MAX, RETRY_AFTER_MIN, RetryAdvisor};
use crate::commit::WriteStats;
use crate::store::{LineBatch, LineStore, StoreFuture, StoreOutcome};

/// Why a [`QueuedStore`] could not open.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum QueueOpenError {
    /// The queue directory could not be opened (in use by another process, unreadable).
    #[error(transparent)]
    Queue(#[from] QueueError),
    /// The queue holds data for another destination than the one configured.
    #[error(
        "the durable queue in {dir} holds {records} batches not yet written to {queued}, but the \
         destination now is {configured}: start once more with the old destination to let them \
         drain, or use another --wal-dir"
    )]
    OtherDestination {
        /// The queue directory.
        dir: String,
        /// Unwritten records.
        records: u64,
        /// The destination they were queued for.
        queued: String,
        /// The destination configured now.
        configured: String,
    },
}

/// Lines appended to a durable queue on disk, then written to the database by a drain task that
/// confirms only what the database took: what was acknowledged reaches the database whatever
/// happens in between.
///
/// What the client is told: success once the lines are on disk (under the queue's fsync
/// policy); 503 / `UNAVAILABLE` with a retry delay when the queue is full or the disk fails.
/// Lines the database later refuses for their content cannot be reported to the client any more:
/// they are counted (`otlp_receiver_db_lines_total{outcome="rejected"}`) and logged.
pub struct QueuedStore {
    queue: Queue,
    destination: String,
    shared: Arc<DrainShared>,
    stop: watch::Sender<bool>,
    drain: Mutex<Option<JoinHandle<()>>>,
}

impl std::fmt::Debug for QueuedStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QueuedStore")
            .field("dir", &self.queue.dir())
            .field("destination", &self.destination)
            .finish_non_exhaustive()
    }
}

#[derive(Debug)]
struct DrainShared {
    client: Client,
    advisor: RetryAdvisor,
    /// Why the last database write failed, while it is failing.
    database_failure: Mutex<Option<String>>,
    /// Why the last append failed, until one succeeds.
    queue_failure: Mutex<Option<String>>,
    stats: WriteStats,
}

impl QueuedStore {
    /// Opens the queue in `dir` (created if missing; damage found is repaired and logged) and
    /// starts the task that drains it into the database through `client`. Records left by an
    /// earlier run are written first, in order.
    ///
    /// # Panics
    /// Outside a tokio runtime.
    pub async fn open(
        dir: impl Into<PathBuf>,
        options: Options,
        client: Client,
    ) -> Result<Self, QueueOpenError> {
        let dir = dir.into();
        let (queue, mut reader) = tokio::task::spawn_blocking({
            let dir = dir.clone();
            move || Queue::open(dir, options)
        })
        .await
        .map_err(|err| QueueError::Io {
            operation: "open",
            path: dir.clone(),
            source: Arc::new(std::io::Error::other(err.to_string())),
        })??;
        let destination = destination_key(&client);
        let stats = queue.stats();
        if stats.queued_records > 0 {
            let first = reader.peek(1).await?;
            if let Some(record) = first.first()
                && record.destination() != destination
            {
                let queued = record.destination().to_owned();
                queue.close().await;
                return Err(QueueOpenError::OtherDestination {
                    dir: dir.display().to_string(),
                    records: stats.queued_records,
                    queued,
                    configured: destination,
                });
            }
            tracing::info!(
                records = stats.queued_records,
                bytes = stats.queued_bytes,
                "the durable queue holds data from an earlier run: writing it first"
            );
        }
        let shared = Arc::new(DrainShared {
            client,
            advisor: RetryAdvisor::default(),
            database_failure: Mutex::new(None),
            queue_failure: Mutex::new(None),
            stats: WriteStats::default(),
        });
        let (stop, stopped) = watch::channel(false);
        let drain = tokio::spawn(drain(Arc::clone(&shared), reader, stopped));
        Ok(Self {
            queue,
            destination,
            shared,
            stop,
            drain: Mutex::new(Some(drain)),
        })
    }

    /// The queue's own counters (bytes on disk, records waiting, ...).
    pub fn queue_stats(&self) -> durable_queue::Stats {
        self.queue.stats()
    }

    /// Appends `lines`, split in halves until each part fits one record.
    async fn append(&self, signal: Signal, lines: Lines<'_>, items: u64) -> Result<(), QueueError> {
        let mut pending = vec![(lines, items)];
        while let Some((part, items)) = pending.pop() {
            let batch = Batch::new(&self.destination, queue_signal(signal), part)
                .with_items(u32::try_from(items).unwrap_or(u32::MAX));
            match self.queue.append(&batch).await {
                Ok(_) => {}
                Err(QueueError::TooLarge { .. }) if part.len() > 1 => {
                    let (head, tail) = part.split_at(part.len() / 2);
                    let head_items = items / 2;
                    // Depth first, head first: the parts go in in order.
                    pending.push((tail, items - head_items));
                    pending.push((head, head_items));
                }
                Err(err) => return Err(err),
            }
        }
        Ok(())
    }
}

/// What identifies the destination in the queue's records: protocol, endpoint (without
/// credentials) and database or bucket.
fn destination_key(client: &Client) -> String {
    let config = client.config();
    let endpoint = match config.endpoint.split_once("://") {
        Some((scheme, rest)) => match rest.split_once('@') {
            Some((_, host)) => format!("{scheme}://{host}"),
            None => config.endpoint.clone(),
        },
        None => config.endpoint.clone(),
    };
    let target = config
        .database
        .as_deref()
        .or(config.effective_bucket())
        .unwrap_or("-");
    format!(
        "{} {} {target}",
        config.protocol,
        endpoint.trim_end_matches('/')
    )
}

fn queue_signal(signal: Signal) -> durable_queue::Signal {
    match signal {
        Signal::Traces => durable_queue::Signal::Traces,
        Signal::Logs => durable_queue::Signal::Logs,
        Signal::Metrics => durable_queue::Signal::Metrics,
        // Only what the receiver's routes mapped is stored: traces, logs and metrics.
        _ => unreachable!("the receiver stores traces, logs and metrics only, not {signal}"),
    }
}

impl LineStore for QueuedStore {
    fn store(&self, batch: LineBatch) -> StoreFuture<'_, StoreOutcome> {
        Box::pin(async move {
            if batch.line_ends.is_empty() {
                return StoreOutcome::STORED;
            }
            let lines = Lines::new(&batch.lines, &batch.line_ends);
            match self.append(batch.signal, lines, batch.items).await {
                Ok(()) => {
                    self.shared
                        .queue_failure
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .take();
                    StoreOutcome::STORED
                }
                Err(err) => {
                    let reason = err.to_string();
                    if err.is_transient() {
                        tracing::warn!("durable queue refused a batch: {reason}");
                    } else {
                        tracing::error!("durable queue refused a batch: {reason}");
                    }
                    *self
                        .shared
                        .queue_failure
                        .lock()
                        .unwrap_or_else(|e| e.into_inner()) = Some(reason.clone());
                    let queued = self.queue.stats().queued_bytes;
                    StoreOutcome::Unavailable {
                        reason,
                        retry_after: self
                            .retry_after(usize::try_from(queued).unwrap_or(usize::MAX)),
                    }
                }
            }
        })
    }

    fn unavailable_reason(&self) -> Option<String> {
        self.shared
            .queue_failure
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn retry_after(&self, queued_bytes: usize) -> Duration {
        let queued = usize::try_from(self.queue.stats().queued_bytes)
            .unwrap_or(usize::MAX)
            .max(queued_bytes);
        self.shared.advisor.retry_after(queued)
    }

    fn flush(&self) -> StoreFuture<'_, ()> {
        Box::pin(async move {
            // Appends already answered are on disk; the drain stops after its current write and
            // what is not confirmed is written at the next start.
            let _ = self.stop.send(true);
            let drain = self.drain.lock().unwrap_or_else(|e| e.into_inner()).take();
            if let Some(drain) = drain {
                let _ = drain.await;
            }
            self.queue.close().await;
        })
    }

    fn write_metrics(&self, out: &mut String) {
        self.shared.stats.render(out);
        let stats = self.queue.stats();
        let database_up = self
            .shared
            .database_failure
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_none();
        let gauges = [
            (
                "otlp_receiver_queue_disk_bytes",
                "Bytes of the durable queue's segment files.",
                stats.disk_bytes,
            ),
            (
                "otlp_receiver_queue_segments",
                "Segment files of the durable queue.",
                stats.segments,
            ),
            (
                "otlp_receiver_queue_records",
                "Batches in the durable queue not yet written to the database.",
                stats.queued_records,
            ),
            (
                "otlp_receiver_queue_bytes",
                "Bytes of the batches not yet written to the database.",
                stats.queued_bytes,
            ),
            (
                "otlp_receiver_queue_database_up",
                "1 while the database takes the queue's writes, 0 while they fail.",
                u64::from(database_up),
            ),
        ];
        for (name, help, value) in gauges {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}"
            );
        }
        let counters = [
            (
                "otlp_receiver_queue_appended_records_total",
                "Batches appended to the durable queue.",
                stats.appended_records,
            ),
            (
                "otlp_receiver_queue_appended_bytes_total",
                "Bytes appended to the durable queue.",
                stats.appended_bytes,
            ),
            (
                "otlp_receiver_queue_confirmed_records_total",
                "Batches written to the database and confirmed.",
                stats.confirmed_records,
            ),
            (
                "otlp_receiver_queue_replayed_records_total",
                "Batches found unconfirmed at start and written again.",
                stats.replayed_records,
            ),
            (
                "otlp_receiver_queue_rejected_full_total",
                "Appends refused because the queue was full.",
                stats.rejected_full,
            ),
            (
                "otlp_receiver_queue_write_errors_total",
                "Appends failed by the disk (full, read-only, failing).",
                stats.write_errors,
            ),
            (
                "otlp_receiver_queue_dropped_full_records_total",
                "Oldest batches dropped to make room (--wal-full drop-oldest).",
                stats.dropped_full_records,
            ),
            (
                "otlp_receiver_queue_dropped_corrupt_records_total",
                "Batches lost to damage found on disk.",
                stats.dropped_corrupt_records,
            ),
            (
                "otlp_receiver_queue_truncated_tails_total",
                "Torn tails cut off at start (a crash during a write).",
                stats.truncated_tails,
            ),
            (
                "otlp_receiver_queue_fsyncs_total",
                "Syncs of the queue's files.",
                stats.fsyncs,
            ),
        ];
        for (name, help, value) in counters {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}"
            );
        }
    }

    fn describe(&self) -> String {
        format!(
            "through the durable queue in {} to {}",
            self.queue.dir().display(),
            self.destination
        )
    }
}

/// Writes the queue's records to the database in order, confirming what it took. A write that
/// fails (the database away) is retried with growing pauses until it succeeds or the store
/// stops; records are confirmed only after the database took them.
async fn drain(shared: Arc<DrainShared>, mut reader: Reader, mut stopped: watch::Receiver<bool>) {
    let max_bytes = shared.client.config().payload_max_bytes;
    loop {
        let records = tokio::select! {
            records = reader.next(max_bytes) => records,
            _ = stopped.wait_for(|stop| *stop) => return,
        };
        let records = match records {
            Ok(records) => records,
            Err(QueueError::Closed) => return,
            Err(err) => {
                tracing::error!("cannot read the durable queue: {err}");
                if pause(&mut stopped, RETRY_AFTER_MIN).await {
                    return;
                }
                reader.rewind();
                continue;
            }
        };
        let Some(last) = records.last().map(Record::seq) else {
            continue;
        };
        let (body, line_ends) = concatenate(&records);
        let mut failures = 0u32;
        loop {
            let started = Instant::now();
            let report = shared.client.write_bytes(&body, &line_ends, None).await;
            let took = started.elapsed();
            shared.stats.record(&report, took, records.len());
            if report.failed_lines == 0 {
                shared.advisor.record_success(body.len(), took);
                shared
                    .database_failure
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .take();
                if report.rejected_lines > 0 {
                    // Refused for their content: no retry can help; counted and logged.
                    tracing::warn!(
                        lines = report.rejected_lines,
                        "the database refused queued lines: {report}"
                    );
                }
                if let Err(err) = reader.confirm(last) {
                    tracing::error!("cannot confirm queued records: {err}");
                }
                break;
            }
            failures += 1;
            shared.advisor.record_failure();
            let reason = report
                .errors
                .iter()
                .find(|e| !matches!(e.kind, WriteErrorKind::Rejected | WriteErrorKind::TooLarge))
                .map_or_else(|| report.to_string(), ToString::to_string);
            tracing::warn!(
                attempt = failures,
                "writing queued lines failed, keeping them: {reason}"
            );
            *shared
                .database_failure
                .lock()
                .unwrap_or_else(|e| e.into_inner()) = Some(reason);
            let wait = RETRY_AFTER_MIN
                .saturating_mul(1 << failures.saturating_sub(1).min(5))
                .min(RETRY_AFTER_MAX);
            if pause(&mut stopped, wait).await {
                // Not confirmed: written at the next start.
                return;
            }
        }
    }
}

/// Sleeps `wait`; `true` when the store stops meanwhile.
async fn pause(stopped: &mut watch::Receiver<bool>, wait: Duration) -> bool {
    tokio::select! {
        () = tokio::time::sleep(wait) => false,
        _ = stopped.wait_for(|stop| *stop) => true,
    }
}

/// One body and its line ends for a run of records.
fn concatenate(records: &[Record]) -> (Bytes, Vec<usize>) {
    let total: usize = records.iter().map(|r| r.lines().bytes().len()).sum();
    let mut body = BytesMut::with_capacity(total);
    let mut line_ends = Vec::new();
    for record in records {
        let offset = body.len();
        let lines = record.lines();
        body.extend_from_slice(lines.bytes());
        let mut end = offset;
        for line in lines.iter() {
            end += line.len();
            line_ends.push(end);
        }
    }
    (body.freeze(), line_ends)
}
