//! The queue's one error type.

use std::io;
use std::path::PathBuf;
use std::sync::Arc;

/// Why an append, a read or opening the queue failed.
///
/// [`is_transient`](Self::is_transient) tells a gateway which errors mean "retry later":
/// answer those with HTTP 429/503 and `Retry-After` (gRPC `UNAVAILABLE`), never 500.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The queue holds [`Options::max_bytes`](crate::Options::max_bytes) under
    /// [`FullPolicy::Backpressure`](crate::FullPolicy::Backpressure): the database is slower
    /// than the senders, or away. Transient.
    #[error(
        "the queue is full: {queued_records} records ({queued_bytes} bytes) wait for the database; the limit is {max_bytes} bytes"
    )]
    Full {
        /// Bytes of records not yet confirmed (including those still being written).
        queued_bytes: u64,
        /// Records not yet confirmed.
        queued_records: u64,
        /// The configured bound.
        max_bytes: u64,
    },
    /// One record larger than [`Options::max_record_bytes`](crate::Options::max_record_bytes):
    /// it could never be stored. Split the batch.
    #[error(
        "a record of {bytes} bytes is larger than the queue's limit of {max} bytes per record; split the batch"
    )]
    TooLarge {
        /// The record's encoded size.
        bytes: u64,
        /// The largest record accepted.
        max: u64,
    },
    /// A batch the queue cannot encode (e.g. a destination longer than
    /// [`MAX_DESTINATION_LEN`](crate::MAX_DESTINATION_LEN)).
    #[error("invalid batch: {0}")]
    InvalidBatch(&'static str),
    /// A file operation failed: the disk is full (see
    /// [`is_storage_full`](Self::is_storage_full)), read-only, or failing. The queue stays
    /// usable: a failed append leaves nothing behind, and the next one tries again. Transient.
    #[error("durable queue: cannot {operation} {}: {source}", path.display())]
    Io {
        /// What was being done, e.g. `"write to"`.
        operation: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The operating system's error (shared: one failed write fails every append in it).
        #[source]
        source: Arc<io::Error>,
    },
    /// Another process (or another `Queue` in this one) has the directory open.
    #[error("the queue directory {} is in use by another process (its LOCK file is locked)", path.display())]
    Locked {
        /// The queue directory.
        path: PathBuf,
    },
    /// The queue was closed, or its writer thread is gone.
    #[error("the durable queue is closed")]
    Closed,
    /// [`Reader::confirm`](crate::Reader::confirm) named a record that was not read yet.
    #[error("confirm({seq}) is beyond the last record read ({last_read})")]
    ConfirmBeyondRead {
        /// The sequence number given.
        seq: u64,
        /// The last sequence number returned by `next`.
        last_read: u64,
    },
}

impl Error {
    pub(crate) fn io(operation: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        Self::Io {
            operation,
            path: path.into(),
            source: Arc::new(source),
        }
    }

    /// Whether the same append may succeed later: [`Full`](Self::Full) and
    /// [`Io`](Self::Io). A gateway answers these with 429/503 and `Retry-After`.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Full { .. } | Self::Io { .. })
    }

    /// Whether this is the file system being out of space (or quota).
    pub fn is_storage_full(&self) -> bool {
        matches!(self, Self::Io { source, .. }
            if matches!(source.kind(), io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded))
    }
}
