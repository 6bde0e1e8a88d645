//! [`DatabaseStore`]: lines written to Datalayers or InfluxDB, with group commit.
//!
//! Requests that arrive while a write is in flight wait together, and the next free write slot
//! sends all of them as one database write (up to one request's worth of lines and bytes), so
//! many small OTLP requests still make big writes. Each request waits only for the write that
//! holds its lines, then learns what happened to them:
//!
//! - every line written: stored;
//! - some lines refused by the database for their content (400): stored, with those lines
//!   counted as rejected (the client must not retry them);
//! - lines not delivered (database unreachable, 5xx or 429 outlasting the client's retries,
//!   401/403/404): unavailable, and the client is told to retry. Lines of the same write that
//!   did reach the database are then written again by the retry, which is harmless: InfluxDB
//!   and Datalayers keep one point per series and timestamp (Datalayers tables in the default
//!   `Append` mode keep both copies; use `Overwrite` tables where that matters).

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use datalayers_client::{Client, WriteErrorKind, WriteReport};
use tokio::sync::{Notify, Semaphore, mpsc, oneshot};

use crate::admission::RetryAdvisor;
use crate::store::{LineBatch, LineStore, StoreFuture, StoreOutcome};

/// Default number of database writes in flight at once.
pub const WRITE_CONCURRENCY_DEFAULT: usize = 2;

/// Lines written to the database through a [`datalayers_client::Client`], coalesced across
/// concurrent requests: requests that arrive while a write is in flight are sent together by the
/// next free write slot, and each waits only for the write that holds its lines. Lines not
/// delivered make their requests retry; lines the database refuses are counted as rejected.
#[derive(Debug)]
pub struct DatabaseStore {
    queue: mpsc::UnboundedSender<Pending>,
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Pending {
    batch: LineBatch,
    done: oneshot::Sender<StoreOutcome>,
}

#[derive(Debug)]
struct Shared {
    client: Client,
    advisor: RetryAdvisor,
    /// Why the last write failed, while the database looks unavailable.
    last_failure: Mutex<Option<String>>,
    /// Batches handed to `store` and not yet answered.
    outstanding: AtomicUsize,
    idle: Notify,
    stats: WriteStats,
}

/// Counters of the database writes, for `/metrics` (shared with the durable queue's writer).
#[derive(Debug, Default)]
pub(crate) struct WriteStats {
    writes: AtomicU64,
    coalesced_batches: AtomicU64,
    lines_written: AtomicU64,
    lines_rejected: AtomicU64,
    lines_failed: AtomicU64,
    http_requests: AtomicU64,
    retries: AtomicU64,
    bytes_sent: AtomicU64,
    latency: Histogram,
}

/// Upper bounds of the write latency histogram, in seconds.
const LATENCY_BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

#[derive(Debug, Default)]
struct Histogram {
    buckets: [AtomicU64; LATENCY_BUCKETS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

impl WriteStats {
    /// Counts one database write of `batches` requests' (or records') lines.
    pub(crate) fn record(&self, report: &WriteReport, took: Duration, batches: usize) {
        self.writes.fetch_add(1, Relaxed);
        if batches > 1 {
            self.coalesced_batches.fetch_add(batches as u64, Relaxed);
        }
        self.lines_written.fetch_add(report.written_lines, Relaxed);
        self.lines_rejected
            .fetch_add(report.rejected_lines, Relaxed);
        self.lines_failed.fetch_add(report.failed_lines, Relaxed);
        self.http_requests.fetch_add(report.requests, Relaxed);
        self.retries.fetch_add(report.retries, Relaxed);
        self.bytes_sent.fetch_add(report.bytes_sent, Relaxed);
        self.latency.observe(took);
    }

    /// Appends the counters in Prometheus text format.
    pub(crate) fn render(&self, out: &mut String) {
        let stats = self;
        let counters = [
            (
                "otlp_receiver_db_writes_total",
                "Database writes (each may hold several requests' lines).",
                &stats.writes,
            ),
            (
                "otlp_receiver_db_coalesced_requests_total",
                "Requests whose lines were written together with another request's.",
                &stats.coalesced_batches,
            ),
            (
                "otlp_receiver_db_http_requests_total",
                "HTTP requests sent to the database, retries and split halves included.",
                &stats.http_requests,
            ),
            (
                "otlp_receiver_db_retries_total",
                "Database requests retried after 5xx, 408, 429 or a connection error.",
                &stats.retries,
            ),
            (
                "otlp_receiver_db_bytes_sent_total",
                "Body bytes sent to the database (after compression).",
                &stats.bytes_sent,
            ),
        ];
        for (name, help, value) in counters {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}",
                value.load(Relaxed)
            );
        }
        let name = "otlp_receiver_db_lines_total";
        let _ = writeln!(
            out,
            "# HELP {name} Lines handed to the database, by outcome.\n# TYPE {name} counter"
        );
        for (outcome, value) in [
            ("written", &stats.lines_written),
            ("rejected", &stats.lines_rejected),
            ("failed", &stats.lines_failed),
        ] {
            let _ = writeln!(
                out,
                "{name}{{outcome=\"{outcome}\"}} {}",
                value.load(Relaxed)
            );
        }
        let name = "otlp_receiver_db_write_duration_seconds";
        let _ = writeln!(
            out,
            "# HELP {name} Time per database write, retries included.\n# TYPE {name} histogram"
        );
        let latency = &stats.latency;
        for (bucket, bound) in latency.buckets.iter().zip(LATENCY_BUCKETS) {
            let _ = writeln!(
                out,
                "{name}_bucket{{le=\"{bound}\"}} {}",
                bucket.load(Relaxed)
            );
        }
        let count = latency.count.load(Relaxed);
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {count}");
        let _ = writeln!(
            out,
            "{name}_sum {}",
            latency.sum_micros.load(Relaxed) as f64 / 1e6
        );
        let _ = writeln!(out, "{name}_count {count}");
    }
}

impl Histogram {
    fn observe(&self, took: Duration) {
        let secs = took.as_secs_f64();
        for (bucket, bound) in self.buckets.iter().zip(LATENCY_BUCKETS) {
            if secs <= bound {
                bucket.fetch_add(1, Relaxed);
            }
        }
        self.count.fetch_add(1, Relaxed);
        self.sum_micros
            .fetch_add(took.as_micros().try_into().unwrap_or(u64::MAX), Relaxed);
    }
}

impl DatabaseStore {
    /// Starts the writer task on the current tokio runtime, with at most `concurrency` writes
    /// in flight (at least 1; [`WRITE_CONCURRENCY_DEFAULT`]).
    ///
    /// # Panics
    /// Outside a tokio runtime.
    pub fn spawn(client: Client, concurrency: usize) -> Self {
        let (queue, pending) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            client,
            advisor: RetryAdvisor::default(),
            last_failure: Mutex::new(None),
            outstanding: AtomicUsize::new(0),
            idle: Notify::new(),
            stats: WriteStats::default(),
        });
        tokio::spawn(run_writer(Arc::clone(&shared), pending, concurrency.max(1)));
        Self { queue, shared }
    }

    /// The client the writes go through.
    pub fn client(&self) -> &Client {
        &self.shared.client
    }
}

impl LineStore for DatabaseStore {
    fn store(&self, batch: LineBatch) -> StoreFuture<'_, StoreOutcome> {
        Box::pin(async move {
            if batch.line_ends.is_empty() {
                return StoreOutcome::STORED;
            }
            let (done, outcome) = oneshot::channel();
            self.shared.outstanding.fetch_add(1, Relaxed);
            if self.queue.send(Pending { batch, done }).is_err() {
                self.shared.finish(1);
                return StoreOutcome::Unavailable {
                    reason: "the database writer has stopped".into(),
                    retry_after: self.retry_after(0),
                };
            }
            outcome.await.unwrap_or_else(|_| StoreOutcome::Unavailable {
                reason: "the database writer has stopped".into(),
                retry_after: self.retry_after(0),
            })
        })
    }

    fn unavailable_reason(&self) -> Option<String> {
        self.shared
            .last_failure
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn retry_after(&self, queued_bytes: usize) -> Duration {
        self.shared.advisor.retry_after(queued_bytes)
    }

    fn flush(&self) -> StoreFuture<'_, ()> {
        Box::pin(async move {
            loop {
                let idle = self.shared.idle.notified();
                if self.shared.outstanding.load(Relaxed) == 0 {
                    return;
                }
                idle.await;
            }
        })
    }

    fn write_metrics(&self, out: &mut String) {
        self.shared.stats.render(out);
    }

    fn describe(&self) -> String {
        let config = self.shared.client.config();
        let target = config
            .database
            .as_deref()
            .or(config.bucket.as_deref())
            .unwrap_or("-");
        // Credentials given in the endpoint (`user:pass@host`) are not shown.
        let endpoint = match config.endpoint.split_once("://") {
            Some((scheme, rest)) => match rest.split_once('@') {
                Some((_, host)) => format!("{scheme}://{host}"),
                None => config.endpoint.clone(),
            },
            None => config.endpoint.clone(),
        };
        format!("{} at {endpoint} (database {target})", config.protocol)
    }
}

impl Shared {
    fn finish(&self, batches: usize) {
        if self.outstanding.fetch_sub(batches, Relaxed) == batches {
            self.idle.notify_waiters();
        }
    }
}

/// Takes pending batches in arrival order and writes them in groups, at most `concurrency`
/// writes at a time. While every slot is busy, new batches queue up and join the next group.
async fn run_writer(
    shared: Arc<Shared>,
    mut pending: mpsc::UnboundedReceiver<Pending>,
    concurrency: usize,
) {
    let slots = Arc::new(Semaphore::new(concurrency));
    let config = shared.client.config();
    let max_lines = config.effective_payload_max_lines();
    let max_bytes = config.payload_max_bytes;
    let mut carried: Option<Pending> = None;
    loop {
        let first = match carried.take() {
            Some(first) => first,
            None => match pending.recv().await {
                Some(first) => first,
                None => break,
            },
        };
        let Ok(slot) = Arc::clone(&slots).acquire_owned().await else {
            break;
        };
        // Everything that arrived meanwhile joins this write, up to one request's worth.
        let mut lines = first.batch.line_count();
        let mut bytes = first.batch.lines.len();
        let mut group = vec![first];
        while let Ok(next) = pending.try_recv() {
            let next_lines = next.batch.line_count();
            let next_bytes = next.batch.lines.len();
            if lines + next_lines > max_lines || bytes + next_bytes > max_bytes {
                carried = Some(next);
                break;
            }
            lines += next_lines;
            bytes += next_bytes;
            group.push(next);
        }
        let shared = Arc::clone(&shared);
        tokio::spawn(async move {
            write_group(&shared, group).await;
            drop(slot);
        });
    }
}

async fn write_group(shared: &Shared, group: Vec<Pending>) {
    let (body, line_ends, ranges) = concatenate(&group);
    let started = Instant::now();
    let report = shared.client.write_bytes(&body, &line_ends, None).await;
    let took = started.elapsed();

    shared.stats.record(&report, took, group.len());

    let outcomes = outcomes(&report, &ranges, |queued| {
        shared.advisor.retry_after(queued)
    });
    if report.failed_lines > 0 {
        shared.advisor.record_failure();
        let reason = failure_reason(&report);
        tracing::warn!(
            lines = report.failed_lines,
            "database write failed: {reason}"
        );
        *shared
            .last_failure
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = Some(reason);
    } else {
        shared.advisor.record_success(body.len(), took);
        *shared
            .last_failure
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = None;
        if report.rejected_lines > 0 {
            tracing::warn!(
                lines = report.rejected_lines,
                "the database refused lines: {report}"
            );
        }
    }
    let answered = group.len();
    for (pending, outcome) in group.into_iter().zip(outcomes) {
        // A client that went away no longer waits for its answer; nothing to do then.
        let _ = pending.done.send(outcome);
    }
    shared.finish(answered);
}

/// One body for the whole group (no copy for a group of one), the line ends within it, and each
/// batch's range of line indexes.
fn concatenate(group: &[Pending]) -> (Bytes, Vec<usize>, Vec<std::ops::Range<usize>>) {
    if let [only] = group {
        let lines = only.batch.line_count();
        return (
            only.batch.lines.clone(),
            only.batch.line_ends.clone(),
            std::iter::once(0..lines).collect(),
        );
    }
    let total: usize = group.iter().map(|p| p.batch.lines.len()).sum();
    let mut body = BytesMut::with_capacity(total);
    let mut line_ends = Vec::with_capacity(group.iter().map(|p| p.batch.line_count()).sum());
    let mut ranges = Vec::with_capacity(group.len());
    for pending in group {
        let offset = body.len();
        let first = line_ends.len();
        body.extend_from_slice(&pending.batch.lines);
        line_ends.extend(pending.batch.line_ends.iter().map(|end| end + offset));
        ranges.push(first..line_ends.len());
    }
    (body.freeze(), line_ends, ranges)
}

/// What each batch of a group write is told.
///
/// Any line not delivered makes the whole group unavailable (its clients retry). Refused lines
/// are counted for the batch that holds them; when the database did not name them all, the rest
/// are shared among the batches in proportion to their line counts.
fn outcomes(
    report: &WriteReport,
    ranges: &[std::ops::Range<usize>],
    retry_after: impl Fn(usize) -> Duration,
) -> Vec<StoreOutcome> {
    if report.failed_lines > 0 {
        let reason = failure_reason(report);
        let retry_after = retry_after(0);
        return ranges
            .iter()
            .map(|_| StoreOutcome::Unavailable {
                reason: reason.clone(),
                retry_after,
            })
            .collect();
    }
    let mut rejected = vec![0u64; ranges.len()];
    let mut first_reason: Vec<Option<&str>> = vec![None; ranges.len()];
    for rejection in &report.rejections {
        if let Some(batch) = ranges.iter().position(|r| r.contains(&rejection.index)) {
            rejected[batch] += 1;
            first_reason[batch].get_or_insert(&rejection.reason);
        }
    }
    let named: u64 = rejected.iter().sum();
    let unnamed = report.rejected_lines.saturating_sub(named);
    if unnamed > 0 {
        let total_lines: usize = ranges.iter().map(ExactSizeIterator::len).sum();
        let general = report
            .errors
            .iter()
            .find(|e| matches!(e.kind, WriteErrorKind::Rejected | WriteErrorKind::TooLarge))
            .map(|e| e.message.as_str());
        let mut left = unnamed;
        for (i, range) in ranges.iter().enumerate() {
            let room = range.len() as u64 - rejected[i];
            let share = if i + 1 == ranges.len() {
                left
            } else {
                (unnamed * range.len() as u64).div_ceil(total_lines.max(1) as u64)
            }
            .min(room)
            .min(left);
            rejected[i] += share;
            left -= share;
            if share > 0 {
                first_reason[i] = first_reason[i].or(general);
            }
        }
    }
    rejected
        .into_iter()
        .zip(first_reason)
        .map(|(rejected_lines, reason)| StoreOutcome::Stored {
            rejected_lines,
            message: (rejected_lines > 0).then(|| {
                format!(
                    "{rejected_lines} lines refused by the database: {}",
                    reason.unwrap_or("no reason given")
                )
            }),
        })
        .collect()
}

fn failure_reason(report: &WriteReport) -> String {
    report
        .errors
        .iter()
        .find(|e| !matches!(e.kind, WriteErrorKind::Rejected | WriteErrorKind::TooLarge))
        .map_or_else(|| report.to_string(), |e| e.to_string())
}

#[cfg(test)]
mod tests {
    use datalayers_client::{LineRejection, WriteError};

    use super::*;

    fn rejection(index: usize) -> LineRejection {
        LineRejection {
            index,
            line: "m x=1".into(),
            reason: format!("bad line {index}"),
        }
    }

    #[test]
    fn refused_lines_are_counted_for_the_batch_that_holds_them() {
        let report = WriteReport {
            written_lines: 8,
            rejected_lines: 2,
            rejections: vec![rejection(1), rejection(7)],
            ..WriteReport::default()
        };
        let outcomes = outcomes(&report, &[0..3, 3..5, 5..10], |_| Duration::ZERO);
        assert_eq!(
            outcomes,
            [
                StoreOutcome::Stored {
                    rejected_lines: 1,
                    message: Some("1 lines refused by the database: bad line 1".into())
                },
                StoreOutcome::STORED,
                StoreOutcome::Stored {
                    rejected_lines: 1,
                    message: Some("1 lines refused by the database: bad line 7".into())
                },
            ]
        );
    }

    #[test]
    fn unnamed_refusals_are_shared_and_never_exceed_a_batch() {
        let report = WriteReport {
            written_lines: 4,
            rejected_lines: 6,
            errors: vec![WriteError {
                kind: WriteErrorKind::Rejected,
                status: Some(400),
                message: "type conflict".into(),
                lines: 6,
            }],
            ..WriteReport::default()
        };
        let outcomes = outcomes(&report, &[0..2, 2..10], |_| Duration::ZERO);
        let counts: Vec<u64> = outcomes
            .iter()
            .map(|o| match o {
                StoreOutcome::Stored { rejected_lines, .. } => *rejected_lines,
                StoreOutcome::Unavailable { .. } => panic!("{o:?}"),
            })
            .collect();
        assert_eq!(counts.iter().sum::<u64>(), 6);
        assert!(counts[0] <= 2);
    }

    #[test]
    fn any_failed_line_makes_the_whole_group_retry() {
        let report = WriteReport {
            written_lines: 5,
            failed_lines: 5,
            errors: vec![WriteError {
                kind: WriteErrorKind::Exhausted,
                status: Some(503),
                message: "gave up".into(),
                lines: 5,
            }],
            ..WriteReport::default()
        };
        let outcomes = outcomes(&report, &[0..5, 5..10], |_| Duration::from_secs(3));
        for outcome in outcomes {
            let StoreOutcome::Unavailable {
                reason,
                retry_after,
            } = outcome
            else {
                panic!("{outcome:?}")
            };
            assert!(reason.contains("gave up"), "{reason}");
            assert_eq!(retry_after, Duration::from_secs(3));
        }
    }
}
