//! How the queue syncs, how big it may grow, and what it does when full.

use std::time::Duration;

/// Default bound on the queue's files: 512 MiB, about 6 000 batches of 100 spans (~90 KB each),
/// or minutes of a busy gateway's traffic while the database is away.
pub const DEFAULT_MAX_BYTES: u64 = 512 * 1024 * 1024;

/// Default segment size: 32 MiB (16 segments at the default bound). Space is given back a
/// whole segment at a time, once every record in it is confirmed.
pub const DEFAULT_SEGMENT_BYTES: u64 = 32 * 1024 * 1024;

/// The smallest segment (records larger than a segment are refused, see
/// [`Options::max_record_bytes`]).
pub const MIN_SEGMENT_BYTES: u64 = 4 * 1024;

/// When an appended record reaches the disk, and so when its [`Append`](crate::Append)
/// future resolves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum FsyncPolicy {
    /// Every record is written and `fdatasync`ed on its own before its append resolves. The
    /// slowest policy: one sync per record, however many appends wait.
    Always,
    /// The default. Appends that arrive while a sync is under way are written together and
    /// synced once; each append resolves after the sync that covers it. As safe as `Always`
    /// (nothing is acknowledged before it is on disk), with one sync per group instead of per
    /// record.
    #[default]
    GroupCommit,
    /// Appends resolve once written to the operating system (they survive the process being
    /// killed, not a power cut); the files are synced at this interval. A power cut loses at
    /// most the last interval of acknowledged records.
    Interval(Duration),
}

/// What [`Queue::append`](crate::Queue::append) does when the queue holds
/// [`Options::max_bytes`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum FullPolicy {
    /// The default: the append fails with [`Error::Full`](crate::Error::Full), so the sender is
    /// told to retry later (HTTP 429/503 with `Retry-After`, gRPC `UNAVAILABLE`). Nothing
    /// accepted is ever dropped.
    #[default]
    Backpressure,
    /// The oldest segments are deleted, unconfirmed records and all, until the append fits;
    /// what they held is counted in [`Stats::dropped_full_records`](crate::Stats). Fresh
    /// data wins over old data; senders are never refused.
    DropOldest,
}

/// Settings of a [`Queue`](crate::Queue).
///
/// ```
/// use std::time::Duration;
/// use durable_queue::{FsyncPolicy, FullPolicy, Options};
///
/// let options = Options::new()
///     .with_max_bytes(64 * 1024 * 1024)
///     .with_full_policy(FullPolicy::DropOldest)
///     .with_fsync(FsyncPolicy::Interval(Duration::from_millis(200)));
/// assert_eq!(options.segment_bytes(), 16 * 1024 * 1024); // at most a quarter of the bound
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    fsync: FsyncPolicy,
    max_bytes: u64,
    full: FullPolicy,
    segment_bytes: u64,
}

impl Default for Options {
    fn default() -> Self {
        Self::new()
    }
}

impl Options {
    /// Group commit, [`DEFAULT_MAX_BYTES`], backpressure when full, [`DEFAULT_SEGMENT_BYTES`].
    pub fn new() -> Self {
        Self {
            fsync: FsyncPolicy::GroupCommit,
            max_bytes: DEFAULT_MAX_BYTES,
            full: FullPolicy::Backpressure,
            segment_bytes: DEFAULT_SEGMENT_BYTES,
        }
    }

    /// When appends are synced (default [`FsyncPolicy::GroupCommit`]).
    pub fn with_fsync(mut self, fsync: FsyncPolicy) -> Self {
        self.fsync = fsync;
        self
    }

    /// The bound on the queue's segment files, in bytes (default [`DEFAULT_MAX_BYTES`]). It
    /// counts whole segments until they are deleted, records waiting to be written, and never
    /// the small checkpoint and lock files.
    pub fn with_max_bytes(mut self, max_bytes: u64) -> Self {
        self.max_bytes = max_bytes;
        self
    }

    /// What a full queue does (default [`FullPolicy::Backpressure`]).
    pub fn with_full_policy(mut self, full: FullPolicy) -> Self {
        self.full = full;
        self
    }

    /// The target size of a segment file (default [`DEFAULT_SEGMENT_BYTES`]); see
    /// [`segment_bytes`](Self::segment_bytes) for the size used.
    pub fn with_segment_bytes(mut self, segment_bytes: u64) -> Self {
        self.segment_bytes = segment_bytes;
        self
    }

    /// The fsync policy.
    pub fn fsync(&self) -> FsyncPolicy {
        self.fsync
    }

    /// The bound on the queue's files, in bytes.
    pub fn max_bytes(&self) -> u64 {
        self.max_bytes
    }

    /// The full policy.
    pub fn full_policy(&self) -> FullPolicy {
        self.full
    }

    /// The segment size used: the one set, at most a quarter of [`max_bytes`](Self::max_bytes)
    /// (so a full queue always has whole segments to give back) and at least
    /// [`MIN_SEGMENT_BYTES`].
    pub fn segment_bytes(&self) -> u64 {
        self.segment_bytes
            .min(self.max_bytes / 4)
            .max(MIN_SEGMENT_BYTES)
    }

    /// The largest record accepted: a segment less its header. Larger batches fail with
    /// [`Error::TooLarge`](crate::Error::TooLarge) and must be split by the caller.
    pub fn max_record_bytes(&self) -> u64 {
        self.segment_bytes() - crate::segment::HEADER_LEN
    }
}
