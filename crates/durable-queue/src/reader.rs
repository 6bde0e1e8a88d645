//! The consumer side: records in order, confirmed once the database took them.

use std::collections::VecDeque;
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::sync::Arc;

use crate::error::Error;
use crate::record::{self, PREFIX_LEN, Prefix, Record};
use crate::segment::{self, HEADER_LEN};
use crate::state::Shared;

/// Reads the queue in order; the one consumer of a [`Queue`](crate::Queue).
///
/// The database writer loops: [`next`](Self::next) (waits for records), write them, then
/// [`confirm`](Self::confirm) the last one written. Records stay on disk, and are replayed after
/// a restart, until confirmed:
///
/// ```no_run
/// # async fn write_to_database(_: lineproto::Lines<'_>) -> Result<(), ()> { Ok(()) }
/// # async fn run(mut reader: durable_queue::Reader) -> Result<(), durable_queue::Error> {
/// loop {
///     let records = reader.next(4 * 1024 * 1024).await?;
///     for record in &records {
///         while write_to_database(record.lines()).await.is_err() {
///             // the database is away: retry with back-off; the queue keeps the records
///         }
///     }
///     reader.confirm(records.last().expect("next returns at least one").seq())?;
/// }
/// # }
/// ```
///
/// File reads run on tokio's blocking pool (`spawn_blocking`): call the async methods inside a
/// tokio runtime. They are cancel-safe: a `next` dropped before it returns loses nothing (the
/// same records come again).
#[derive(Debug)]
pub struct Reader {
    shared: Arc<Shared>,
    /// The next sequence number to return.
    cursor: u64,
    /// Records returned by `next` and not confirmed yet: (seq, encoded bytes).
    in_flight: VecDeque<(u64, u64)>,
    /// Where the last read stopped, to go on without searching the segment again.
    position: Option<Position>,
}

#[derive(Debug)]
struct Position {
    first_seq: u64,
    file: File,
    offset: u64,
    next_seq: u64,
}

/// What to read: records `cursor..=last` of the segment starting at `first_seq`.
#[derive(Debug)]
struct Plan {
    first_seq: u64,
    cursor: u64,
    last: u64,
    path: PathBuf,
}

#[derive(Debug)]
enum Outcome {
    Records(Vec<Record>),
    /// The records before the damage, and where it is.
    Damaged {
        records: Vec<Record>,
        seq: u64,
        bytes: u64,
        reason: &'static str,
    },
}

impl Reader {
    pub(crate) fn new(shared: Arc<Shared>, cursor: u64) -> Self {
        Self {
            shared,
            cursor,
            in_flight: VecDeque::new(),
            position: None,
        }
    }

    /// Waits for records after the last one returned, and returns them in order: at least one,
    /// and more while their total stays within `max_bytes` (by
    /// [`Record::encoded_len`]). Records become readable when their appends resolve.
    ///
    /// Fails with [`Error::Closed`] once the queue is closed and nothing is left to read, and
    /// with [`Error::Io`] when a segment cannot be read. Damage found in a record (bit rot) is
    /// skipped to the next segment, counted in
    /// [`Stats::dropped_corrupt_records`](crate::Stats) and logged.
    pub async fn next(&mut self, max_bytes: usize) -> Result<Vec<Record>, Error> {
        let records = self.read(max_bytes).await?;
        if let Some(last) = records.last() {
            self.cursor = last.seq() + 1;
            self.in_flight
                .extend(records.iter().map(|r| (r.seq(), r.encoded_len())));
        }
        Ok(records)
    }

    /// What [`next`](Self::next) would return, without moving past it.
    pub async fn peek(&mut self, max_bytes: usize) -> Result<Vec<Record>, Error> {
        self.read(max_bytes).await
    }

    /// Goes back to the first unconfirmed record: `next` returns again what was returned and
    /// not confirmed (e.g. after the database writer gave up on a batch it will retry).
    pub fn rewind(&mut self) {
        self.cursor = self.shared.lock().confirmed_seq + 1;
        self.in_flight.clear();
    }

    /// Marks every record up to `seq` as written to the database: they are not replayed after
    /// a restart, and a segment is deleted once all its records are confirmed.
    ///
    /// Returns at once; the queue's thread saves the position (`checkpoint`, replaced
    /// atomically) within 100 ms, one save for all the confirmations in that time. A crash in
    /// that window replays the records confirmed in it once more, which the databases absorb
    /// (see the crate docs on duplicates).
    pub fn confirm(&mut self, seq: u64) -> Result<(), Error> {
        let last_read = self.cursor - 1;
        if seq > last_read {
            return Err(Error::ConfirmBeyondRead { seq, last_read });
        }
        let confirmed = self.in_flight.partition_point(|&(s, _)| s <= seq);
        self.shared
            .lock()
            .confirm(seq, self.in_flight.drain(..confirmed));
        self.shared.wake_writer.notify_one();
        Ok(())
    }

    /// The last confirmed sequence number (0 when none).
    pub fn confirmed(&self) -> u64 {
        self.shared.lock().confirmed_seq
    }

    async fn read(&mut self, max_bytes: usize) -> Result<Vec<Record>, Error> {
        let shared = Arc::clone(&self.shared);
        loop {
            // Registered before looking, so a wake-up between the look and the wait is not lost.
            let notified = shared.readable.notified();
            let mut notified = std::pin::pin!(notified);
            notified.as_mut().enable();
            let Some(plan) = self.plan()? else {
                notified.await;
                continue;
            };
            let mut position = self.position.take();
            let (position, plan, outcome) = tokio::task::spawn_blocking(move || {
                let outcome = read_segment(&mut position, &plan, max_bytes);
                (position, plan, outcome)
            })
            .await
            .map_err(|_| Error::Closed)?;
            self.position = position;
            match outcome {
                Ok(Outcome::Records(records)) => return Ok(records),
                Ok(Outcome::Damaged { records, .. }) if !records.is_empty() => {
                    // Return the good records; the next read meets the damage first.
                    return Ok(records);
                }
                Ok(Outcome::Damaged {
                    seq, bytes, reason, ..
                }) => {
                    let from = seq.max(plan.cursor);
                    let resume = self.shared.lock().lose_rest_of_segment(from, bytes);
                    tracing::error!(
                        path = %plan.path.display(),
                        seq,
                        reason,
                        lost_from = from,
                        lost_to = resume - 1,
                        "durable queue: a record is damaged; skipping to the next segment"
                    );
                    self.cursor = self.cursor.max(resume);
                }
                Err(error) => return Err(Error::io("read", plan.path, error)),
            }
        }
    }

    /// The segment and records to read next, or `None` to wait.
    fn plan(&mut self) -> Result<Option<Plan>, Error> {
        let state = self.shared.lock();
        self.cursor = self.cursor.max(state.confirmed_seq + 1);
        if self.cursor <= state.durable_seq
            && let Some(segment) = state.segment_from(self.cursor)
        {
            // Records before this segment's first are gone (damage, already counted).
            let cursor = self.cursor.max(segment.first_seq);
            let last = segment.last_seq.min(state.durable_seq);
            if cursor <= last {
                self.cursor = cursor;
                return Ok(Some(Plan {
                    first_seq: segment.first_seq,
                    cursor,
                    last,
                    path: segment::path(&self.shared.dir, segment.first_seq),
                }));
            }
        }
        if state.writer_done {
            return Err(Error::Closed);
        }
        Ok(None)
    }
}

/// Reads records `plan.cursor..=plan.last` (as many as fit in `max_bytes`, at least one),
/// verifying each, going on from `position` when it is already in the segment.
fn read_segment(
    position: &mut Option<Position>,
    plan: &Plan,
    max_bytes: usize,
) -> io::Result<Outcome> {
    if !position
        .as_ref()
        .is_some_and(|p| p.first_seq == plan.first_seq && p.next_seq <= plan.cursor)
    {
        *position = Some(Position {
            first_seq: plan.first_seq,
            file: File::open(&plan.path)?,
            offset: HEADER_LEN,
            next_seq: plan.first_seq,
        });
    }
    let at = position.as_mut().expect("set above");
    let file_len = at.file.metadata()?.len();
    let mut records = Vec::new();
    let mut bytes = 0u64;
    let mut prefix = [0u8; PREFIX_LEN];
    let damaged = loop {
        if at.next_seq > plan.last {
            return Ok(Outcome::Records(records));
        }
        if file_len.saturating_sub(at.offset) < PREFIX_LEN as u64 {
            break "the segment ends before a record it should hold";
        }
        at.file.read_exact_at(&mut prefix, at.offset)?;
        let head = Prefix::parse(&prefix);
        if !head.plausible() || head.record_len() > file_len - at.offset {
            break "impossible record length";
        }
        if head.seq != at.next_seq {
            break "sequence number out of order";
        }
        if at.next_seq < plan.cursor {
            // Before the cursor (confirmed, or returned already): skip without reading.
            at.offset += head.record_len();
            at.next_seq += 1;
            continue;
        }
        if !records.is_empty() && bytes + head.record_len() > max_bytes as u64 {
            return Ok(Outcome::Records(records));
        }
        let mut buffer = vec![0u8; head.record_len() as usize];
        at.file.read_exact_at(&mut buffer, at.offset)?;
        if let Err(reason) = record::verify(&buffer) {
            break reason;
        }
        let record = match Record::decode(buffer) {
            Ok(record) => record,
            Err(reason) => break reason,
        };
        at.offset += head.record_len();
        at.next_seq += 1;
        bytes += head.record_len();
        records.push(record);
    };
    let seq = at.next_seq;
    let bytes = file_len.saturating_sub(at.offset);
    // The position is no longer trustworthy past damage.
    *position = None;
    Ok(Outcome::Damaged {
        records,
        seq,
        bytes,
        reason: damaged,
    })
}
