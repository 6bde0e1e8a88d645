//! What the appending tasks, the writer thread and the reader share: the segment index, the
//! records waiting to be written, the confirmed position and the counters.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

use tokio::sync::{Notify, oneshot};

use crate::error::Error;
use crate::options::Options;

pub(crate) struct Shared {
    pub(crate) dir: PathBuf,
    pub(crate) options: Options,
    pub(crate) state: Mutex<State>,
    /// Wakes the writer thread: records to write, a position to save, files to delete, close.
    pub(crate) wake_writer: Condvar,
    /// Wakes the reader: records became readable, or the queue closed.
    pub(crate) readable: Notify,
    #[cfg(test)]
    pub(crate) faults: crate::tests::Faults,
}

impl Shared {
    /// The state; a panic elsewhere while it was held does not make it unusable (every update
    /// to it is a few assignments that leave it consistent).
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Resolves an append: its sequence number, or why it failed.
pub(crate) type Ack = oneshot::Sender<Result<u64, Error>>;

/// An append waiting for the writer thread.
#[derive(Debug)]
pub(crate) struct Pending {
    pub(crate) record: Vec<u8>,
    pub(crate) body_crc: u32,
    pub(crate) done: Ack,
}

/// One segment file as the index knows it.
#[derive(Debug, Clone)]
pub(crate) struct SegmentMeta {
    pub(crate) first_seq: u64,
    /// The last record written in it (`first_seq - 1` while empty).
    pub(crate) last_seq: u64,
    /// Bytes of the file the queue counts (header, records, any leftover of a failed write).
    pub(crate) file_len: u64,
    pub(crate) unconfirmed_records: u64,
    pub(crate) unconfirmed_bytes: u64,
    /// The writer appends to it; never deleted while active.
    pub(crate) active: bool,
}

#[derive(Debug)]
pub(crate) struct State {
    pub(crate) pending: Vec<Pending>,
    pub(crate) pending_bytes: u64,
    /// Oldest first; the active segment, if any, is last.
    pub(crate) segments: VecDeque<SegmentMeta>,
    pub(crate) disk_bytes: u64,
    /// The last record the reader may read (written, and synced unless the policy is Interval).
    pub(crate) durable_seq: u64,
    /// Every record up to this one is confirmed (or dropped).
    pub(crate) confirmed_seq: u64,
    /// The confirmed position in the checkpoint file.
    pub(crate) persisted_seq: u64,
    /// Segments (by first sequence number) dropped from the index, to be deleted by the writer.
    pub(crate) deletions: Vec<u64>,
    /// The reader found damage in the active segment: start a new one.
    pub(crate) roll_requested: bool,
    pub(crate) closing: bool,
    /// The writer thread has stopped: nothing more is written.
    pub(crate) writer_done: bool,
    pub(crate) close_waiters: Vec<oneshot::Sender<()>>,
    pub(crate) counters: Counters,
}

/// Counts since the queue was opened (see [`Stats`] for their meaning).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Counters {
    pub(crate) appended_records: u64,
    pub(crate) appended_bytes: u64,
    pub(crate) confirmed_records: u64,
    pub(crate) replayed_records: u64,
    pub(crate) rejected_full: u64,
    pub(crate) write_errors: u64,
    pub(crate) dropped_full_records: u64,
    pub(crate) dropped_full_bytes: u64,
    pub(crate) dropped_corrupt_records: u64,
    pub(crate) dropped_corrupt_bytes: u64,
    pub(crate) truncated_tails: u64,
    pub(crate) truncated_bytes: u64,
    pub(crate) fsyncs: u64,
    pub(crate) checkpoint_errors: u64,
}

impl State {
    /// The segment holding `seq`, or else the first one after it.
    pub(crate) fn segment_from(&self, seq: u64) -> Option<&SegmentMeta> {
        let after = self.segments.partition_point(|s| s.last_seq < seq);
        self.segments.get(after)
    }

    fn segment_of_mut(&mut self, seq: u64) -> Option<&mut SegmentMeta> {
        let index = self.segments.partition_point(|s| s.last_seq < seq);
        self.segments
            .get_mut(index)
            .filter(|s| s.first_seq <= seq && seq <= s.last_seq)
    }

    /// Unconfirmed records and bytes, including those being written.
    pub(crate) fn queued(&self) -> (u64, u64) {
        let (records, bytes) = self.segments.iter().fold((0, 0), |(r, b), s| {
            (r + s.unconfirmed_records, b + s.unconfirmed_bytes)
        });
        (
            records + self.pending.len() as u64,
            bytes + self.pending_bytes,
        )
    }

    /// Confirms every record up to `seq`; `read` lists the sizes of the records the reader
    /// returned (the others up to `seq` were lost to damage, already counted).
    pub(crate) fn confirm(&mut self, seq: u64, read: impl Iterator<Item = (u64, u64)>) {
        for (record, bytes) in read {
            if record <= self.confirmed_seq {
                continue; // dropped while the reader held it
            }
            if let Some(segment) = self.segment_of_mut(record) {
                segment.unconfirmed_records = segment.unconfirmed_records.saturating_sub(1);
                segment.unconfirmed_bytes = segment.unconfirmed_bytes.saturating_sub(bytes);
                self.counters.confirmed_records += 1;
            }
        }
        self.confirmed_seq = self.confirmed_seq.max(seq);
    }

    /// Records from `from` to the end of the segment holding it are unreadable.
    pub(crate) fn lose_rest_of_segment(&mut self, from: u64, bytes: u64) -> u64 {
        let confirmed = self.confirmed_seq;
        let Some(segment) = self.segment_of_mut(from) else {
            return from;
        };
        let lost = segment.last_seq + 1 - from.max(confirmed + 1).min(segment.last_seq + 1);
        segment.unconfirmed_records = segment.unconfirmed_records.saturating_sub(lost);
        segment.unconfirmed_bytes = segment.unconfirmed_bytes.saturating_sub(bytes);
        let resume = segment.last_seq + 1;
        if segment.active {
            self.roll_requested = true;
        }
        self.counters.dropped_corrupt_records += lost;
        self.counters.dropped_corrupt_bytes += bytes;
        resume
    }

    /// Drops the oldest inactive segments until `needed` more bytes fit under `max_bytes`
    /// (or none is left to drop). Returns whether they fit.
    pub(crate) fn drop_oldest(&mut self, needed: u64, max_bytes: u64) -> bool {
        while self.disk_bytes + self.pending_bytes + needed > max_bytes {
            let Some(oldest) = self.segments.front() else {
                return false;
            };
            if oldest.active {
                return false;
            }
            let oldest = self.segments.pop_front().expect("checked");
            self.disk_bytes -= oldest.file_len;
            self.counters.dropped_full_records += oldest.unconfirmed_records;
            self.counters.dropped_full_bytes += oldest.unconfirmed_bytes;
            if oldest.unconfirmed_records > 0 {
                tracing::warn!(
                    records = oldest.unconfirmed_records,
                    bytes = oldest.unconfirmed_bytes,
                    first_seq = oldest.first_seq,
                    last_seq = oldest.last_seq,
                    "durable queue full: dropped the oldest segment's unconfirmed records (drop-oldest policy)"
                );
            }
            // Its records count as handled: the reader skips them, the checkpoint moves past.
            self.confirmed_seq = self.confirmed_seq.max(oldest.last_seq);
            self.deletions.push(oldest.first_seq);
        }
        true
    }

    /// Removes from the index the inactive segments whose records are all confirmed.
    pub(crate) fn take_confirmed_segments(&mut self) -> Vec<u64> {
        let mut gone = Vec::new();
        while let Some(front) = self.segments.front() {
            if front.active || front.last_seq > self.confirmed_seq {
                break;
            }
            let front = self.segments.pop_front().expect("checked");
            self.disk_bytes -= front.file_len;
            gone.push(front.first_seq);
        }
        gone
    }

    pub(crate) fn stats(&self) -> Stats {
        let (queued_records, queued_bytes) = self.queued();
        let c = &self.counters;
        Stats {
            disk_bytes: self.disk_bytes,
            segments: self.segments.len() as u64,
            queued_records,
            queued_bytes,
            writing_records: self.pending.len() as u64,
            last_seq: self.durable_seq,
            confirmed_seq: self.confirmed_seq,
            appended_records: c.appended_records,
            appended_bytes: c.appended_bytes,
            confirmed_records: c.confirmed_records,
            replayed_records: c.replayed_records,
            rejected_full: c.rejected_full,
            write_errors: c.write_errors,
            dropped_full_records: c.dropped_full_records,
            dropped_full_bytes: c.dropped_full_bytes,
            dropped_corrupt_records: c.dropped_corrupt_records,
            dropped_corrupt_bytes: c.dropped_corrupt_bytes,
            truncated_tails: c.truncated_tails,
            truncated_bytes: c.truncated_bytes,
            fsyncs: c.fsyncs,
            checkpoint_errors: c.checkpoint_errors,
        }
    }
}

/// A snapshot of the queue for `/metrics` ([`Queue::stats`](crate::Queue::stats)).
///
/// Gauges describe the queue now; counters count since it was opened.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Gauge: bytes of segment files (what [`Options::max_bytes`](crate::Options::max_bytes)
    /// bounds, with `queued_bytes` still being written).
    pub disk_bytes: u64,
    /// Gauge: segment files.
    pub segments: u64,
    /// Gauge: records appended and not yet confirmed (including those being written).
    pub queued_records: u64,
    /// Gauge: their bytes.
    pub queued_bytes: u64,
    /// Gauge: records accepted and not yet on disk (their appends have not resolved).
    pub writing_records: u64,
    /// Gauge: the sequence number of the last record written (0 when none ever was).
    pub last_seq: u64,
    /// Gauge: the last confirmed sequence number; `last_seq - confirmed_seq` is how far the
    /// database writer is behind, in records.
    pub confirmed_seq: u64,
    /// Counter: records appended (acknowledged).
    pub appended_records: u64,
    /// Counter: their bytes.
    pub appended_bytes: u64,
    /// Counter: records confirmed by the reader.
    pub confirmed_records: u64,
    /// Records found unconfirmed when the queue was opened (replayed to the reader).
    pub replayed_records: u64,
    /// Counter: appends refused with [`Error::Full`].
    pub rejected_full: u64,
    /// Counter: appends failed with [`Error::Io`] (disk full, I/O error).
    pub write_errors: u64,
    /// Counter: unconfirmed records deleted by [`FullPolicy::DropOldest`](crate::FullPolicy).
    pub dropped_full_records: u64,
    /// Counter: their bytes.
    pub dropped_full_bytes: u64,
    /// Counter: records lost to damage in the middle of a segment (bit rot, a deleted file).
    pub dropped_corrupt_records: u64,
    /// Counter: bytes skipped with them.
    pub dropped_corrupt_bytes: u64,
    /// Torn tails cut off when the queue was opened (a crash or power cut during a write:
    /// those records were never acknowledged).
    pub truncated_tails: u64,
    /// Bytes cut off with them.
    pub truncated_bytes: u64,
    /// Counter: `fdatasync` calls on segments.
    pub fsyncs: u64,
    /// Counter: failed attempts to save the confirmed position (retried; a crash before the
    /// next success replays confirmed records once more).
    pub checkpoint_errors: u64,
}
