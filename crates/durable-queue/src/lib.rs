//! A write-ahead queue on disk for line-protocol batches: what a gateway has acknowledged
//! reaches the database, whatever happens in between (the process killed, a power cut, the
//! database away for hours, a full disk).
//!
//! It sits between mapping and the database writer. The receiver appends each request's lines
//! and acknowledges the sender only when the append resolves (the record is on disk); the
//! database writer reads records in order and confirms them once the database took them.
//!
//! ```
//! use durable_queue::{Batch, Options, Queue, Signal};
//! use lineproto::{Dialect, Encoder, EncoderOptions};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let temp = tempfile::tempdir()?;
//! # let dir = temp.path();
//! let (queue, mut reader) = Queue::open(dir, Options::new())?;
//!
//! // The receiver: map a request to lines, append, acknowledge once durable.
//! let mut encoder = Encoder::new(EncoderOptions::new(Dialect::InfluxDbV1));
//! encoder.start_line("spans").tag("service.name", "checkout").field_i64("duration_nano", 5_000);
//! encoder.end_line(Some(1_700_000_000_000_000_000))?;
//! let batch = Batch::new("otel", Signal::Traces, encoder.lines()).with_items(1);
//! let seq = queue.append(&batch).await?; // now answer the client "success"
//!
//! // The database writer: read in order, write, confirm.
//! let records = reader.next(4 << 20).await?;
//! assert_eq!(records[0].seq(), seq);
//! assert_eq!(records[0].destination(), "otel");
//! assert_eq!(records[0].lines().len(), 1); // same line boundaries as the encoder's
//! // ... client.write_lines(records[0].lines()).await ...
//! reader.confirm(seq)?;
//!
//! queue.close().await;
//! # Ok(()) }
//! ```
//!
//! # On disk
//!
//! A directory of segment files (`<first sequence number>.seg`, [`DEFAULT_SEGMENT_BYTES`] each)
//! holding records back to back, a `checkpoint` file with the last confirmed sequence number,
//! and a `LOCK` file that keeps a second process out. Each record carries its length, its
//! sequence number (consecutive across segments) and a CRC-32C of all of it; the format is
//! described in the source (`record.rs`, `segment.rs`, `checkpoint.rs`).
//!
//! CRC-32C (the `crc32c` crate) rather than the zlib CRC-32 (`crc32fast`, already in the tree
//! through `flate2`): both catch torn writes and garbage alike, but the Castagnoli polynomial
//! keeps a Hamming distance of 4 (every 1- to 3-bit error detected) up to 2^31 bits, where the
//! zlib polynomial drops to 3 beyond about 11 KB; records here are 1-100 KB and more. It is
//! also one instruction on x86-64 (SSE4.2) and ARMv8.
//!
//! # When an append resolves ([`FsyncPolicy`])
//!
//! - [`GroupCommit`](FsyncPolicy::GroupCommit) (default): appends that arrive while the
//!   disk syncs are written together and synced once (`fdatasync`); each resolves after the
//!   sync covering it. Nothing is acknowledged before it is on disk, and many small appends
//!   share one sync.
//! - [`Always`](FsyncPolicy::Always): one write and one sync per record.
//! - [`Interval`](FsyncPolicy::Interval): resolved once written to the kernel (safe against
//!   the process being killed), synced every interval (a power cut loses up to one interval).
//!
//! A single writer thread does all writing, syncing and deleting, so no blocking file I/O runs
//! on the async workers; the reader's file reads go through `spawn_blocking`.
//!
//! # Reading and confirming
//!
//! The [`Reader`] returns records in order, in batches up to a byte budget. After the database
//! accepted them, [`Reader::confirm`] marks every record up to a sequence number as done;
//! the position is saved atomically (temporary file, sync, rename, directory sync), and
//! segments whose records are all confirmed are deleted. On [`Queue::open`] the reader starts
//! after the saved position.
//!
//! # Replayed records and duplicates
//!
//! A record is replayed when the process stops after the database took it and before its
//! confirmation was saved (the database writer's own in-flight batch, plus at most 100 ms of
//! confirmations: the position is saved at most every 100 ms), or when a write timed out after
//! the server had stored it. Replaying writes the
//! very same lines again, with the same timestamps:
//!
//! - **InfluxDB** (1.x, 2.x, 3) identifies a point by measurement, tag set and timestamp; a
//!   second write of the same point replaces its field values with the same values, so a
//!   replay leaves the data as it was.
//! - **Datalayers** does the same in tables created with `UPDATE_MODE = Overwrite` (a row is
//!   identified by its primary key, series and time). Its default table mode, `Append`, keeps
//!   both copies: there a replay shows as a duplicate row. Create the tables as `Overwrite`
//!   where duplicates matter.
//!
//! Records are never lost to make room for this: what is not confirmed is replayed.
//!
//! # Damage on disk
//!
//! Opening never fails or panics on what it finds in the files:
//!
//! - a **torn tail** (a crash or power cut during a write) is cut off at the last good record;
//!   those records were never acknowledged, since acknowledgement waits for the write and its
//!   sync. Counted in [`Stats::truncated_tails`] and logged.
//! - **damage in the middle** of a segment (bit rot, a bad sector) skips the rest of that
//!   segment, whose records are counted in [`Stats::dropped_corrupt_records`] and logged; the
//!   next segment is read as usual. A segment whose header is unreadable is renamed
//!   `*.seg.corrupt` and left for a person to look at.
//!
//! # Bounded
//!
//! The segment files are bounded by [`Options::max_bytes`] ([`DEFAULT_MAX_BYTES`], 512 MiB).
//! When full, an append fails with [`Error::Full`] ([`FullPolicy::Backpressure`], the default:
//! answer the sender 429/503 with `Retry-After`) or the oldest segments are deleted, counted as
//! dropped ([`FullPolicy::DropOldest`]). A full disk or an I/O error fails the appends caught
//! in it with [`Error::Io`]; the queue stays usable and the next append tries again. Both are
//! [`Error::is_transient`].
//!
//! # In a gateway
//!
//! - Open the queue at start-up, off the async workers (it verifies every segment):
//!   `tokio::task::spawn_blocking(move || Queue::open(dir, options)).await??`.
//! - Per request: map, [`Queue::append`], and answer from the result: `Ok` is success;
//!   an [`Error::is_transient`] error (full queue, full disk) is HTTP 429/503 with
//!   `Retry-After` (gRPC `UNAVAILABLE` with `RetryInfo`); [`Error::TooLarge`] means the
//!   gateway should have split the batch. [`Error::Full`] carries the queued bytes and
//!   records to compute the delay from the drain rate.
//! - One task owns the [`Reader`]: `next`, write with the client (which retries), `confirm`.
//!   Records come in one order for every destination, so a destination that is down holds
//!   back the others; open one queue (directory) per destination where that matters.
//! - `/metrics` from [`Queue::stats`]; on shutdown, stop accepting, then [`Queue::close`]:
//!   what is not confirmed is replayed at the next start.
//!
//! # Platform
//!
//! Unix (positioned reads and writes, `flock`); written for and tested on Linux.

mod checkpoint;
mod error;
mod options;
mod queue;
mod reader;
mod record;
mod recover;
mod segment;
mod state;
#[cfg(test)]
mod tests;
mod writer;

pub use error::Error;
pub use options::{
    DEFAULT_MAX_BYTES, DEFAULT_SEGMENT_BYTES, FsyncPolicy, FullPolicy, MIN_SEGMENT_BYTES, Options,
};
pub use queue::{Append, Queue};
pub use reader::Reader;
pub use record::{Batch, MAX_DESTINATION_LEN, Record, Signal};
pub use state::Stats;
