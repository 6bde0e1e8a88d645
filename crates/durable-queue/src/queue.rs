//! The producer side: open a directory, append batches, read the stats, close.

use std::fmt;
use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::sync::{Arc, Condvar, Mutex};
use std::task::{Context, Poll};
use std::time::SystemTime;

use tokio::sync::{Notify, oneshot};

use crate::error::Error;
use crate::options::{FullPolicy, Options};
use crate::reader::Reader;
use crate::record::{self, Batch};
use crate::recover;
use crate::state::{Pending, Shared, Stats};
use crate::writer::Writer;

/// A write-ahead queue in a directory: append batches, read them back in order with the
/// [`Reader`], confirm what the database took.
///
/// Cloning is cheap (a shared handle). The queue closes when [`close`](Self::close) is called
/// or the last handle is dropped.
#[derive(Clone)]
pub struct Queue {
    handle: Arc<Handle>,
}

/// Closes the queue when the last [`Queue`] clone goes.
struct Handle {
    shared: Arc<Shared>,
}

impl Drop for Handle {
    fn drop(&mut self) {
        request_close(&self.shared);
    }
}

fn request_close(shared: &Shared) {
    shared.lock().closing = true;
    shared.wake_writer.notify_one();
}

impl fmt::Debug for Queue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Queue")
            .field("dir", &self.handle.shared.dir)
            .field("options", &self.handle.shared.options)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shared")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

impl Queue {
    /// Opens (or creates) the queue in `dir` and returns it with its one [`Reader`], which
    /// starts at the first unconfirmed record.
    ///
    /// Every segment is verified: a torn tail (a crash during a write) is cut off, damage in
    /// the middle is skipped to the next segment; both are counted in [`Stats`] and logged,
    /// never an error. Errors are for an unusable directory ([`Error::Io`]) or one another
    /// process has open ([`Error::Locked`]).
    ///
    /// This reads the segments (up to [`Options::max_bytes`]) and blocks: from async code,
    /// call it in `tokio::task::spawn_blocking`, or before serving.
    pub fn open(dir: impl AsRef<Path>, options: Options) -> Result<(Self, Reader), Error> {
        let dir = dir.as_ref();
        let recovered = recover::recover(dir, &options)?;
        let cursor = recovered.state.confirmed_seq + 1;
        let shared = Arc::new(Shared {
            dir: dir.to_path_buf(),
            options,
            state: Mutex::new(recovered.state),
            wake_writer: Condvar::new(),
            readable: Notify::new(),
            #[cfg(test)]
            faults: crate::tests::Faults::default(),
        });
        Writer::new(Arc::clone(&shared), recovered.active, recovered.next_seq)
            .spawn(recovered.lock)
            .map_err(|e| Error::io("start the writer thread for", dir, e))?;
        let reader = Reader::new(Arc::clone(&shared), cursor);
        let queue = Self {
            handle: Arc::new(Handle { shared }),
        };
        Ok((queue, reader))
    }

    /// Appends a batch. The bytes are copied before this returns (reuse the encoder at once);
    /// the returned future resolves with the record's sequence number once the record is on
    /// disk as the [`FsyncPolicy`](crate::FsyncPolicy) says: acknowledge the sender then,
    /// not before.
    ///
    /// Appends are stored in the order of these calls. Dropping the future does not cancel the
    /// append. Fails with [`Error::Full`] (backpressure), [`Error::Io`] (disk full, I/O error:
    /// nothing of the record stays behind, and later appends work again once the cause is
    /// gone), [`Error::TooLarge`], [`Error::InvalidBatch`] or [`Error::Closed`].
    pub fn append(&self, batch: &Batch<'_>) -> Append {
        Append(match self.enqueue(batch) {
            Ok(receiver) => AppendState::Waiting(receiver),
            Err(error) => AppendState::Failed(Some(error)),
        })
    }

    fn enqueue(&self, batch: &Batch<'_>) -> Result<oneshot::Receiver<Result<u64, Error>>, Error> {
        let shared = &self.handle.shared;
        let options = &shared.options;
        // Encoding and the body's checksum happen here, in parallel across appending tasks;
        // the writer thread only adds the sequence number.
        let encoded = record::encode(batch, SystemTime::now())?;
        let len = encoded.bytes.len() as u64;
        if len > options.max_record_bytes() {
            return Err(Error::TooLarge {
                bytes: len,
                max: options.max_record_bytes(),
            });
        }
        let (done, receiver) = oneshot::channel();
        let mut state = shared.lock();
        if state.closing || state.writer_done {
            return Err(Error::Closed);
        }
        let max_bytes = options.max_bytes();
        if state.disk_bytes + state.pending_bytes + len > max_bytes {
            let fits = options.full_policy() == FullPolicy::DropOldest
                && state.drop_oldest(len, max_bytes);
            if !fits {
                state.counters.rejected_full += 1;
                let (queued_records, queued_bytes) = state.queued();
                return Err(Error::Full {
                    queued_bytes,
                    queued_records,
                    max_bytes,
                });
            }
        }
        state.pending.push(Pending {
            record: encoded.bytes,
            body_crc: encoded.body_crc,
            done,
        });
        state.pending_bytes += len;
        drop(state);
        shared.wake_writer.notify_one();
        Ok(receiver)
    }

    /// A snapshot of the queue's gauges and counters, for `/metrics`.
    pub fn stats(&self) -> Stats {
        self.handle.shared.lock().stats()
    }

    /// The queue's directory.
    pub fn dir(&self) -> &Path {
        &self.handle.shared.dir
    }

    /// The options the queue was opened with.
    pub fn options(&self) -> &Options {
        &self.handle.shared.options
    }

    /// Stops accepting appends (they fail with [`Error::Closed`]), writes and syncs those
    /// already accepted, saves the confirmed position, and returns once the writer thread has
    /// stopped and released the directory. Every clone of the queue is closed; the reader
    /// returns what was written, then [`Error::Closed`].
    pub async fn close(&self) {
        let shared = &self.handle.shared;
        let receiver = {
            let mut state = shared.lock();
            if state.writer_done {
                return;
            }
            state.closing = true;
            let (sender, receiver) = oneshot::channel();
            state.close_waiters.push(sender);
            receiver
        };
        shared.wake_writer.notify_one();
        let _ = receiver.await;
    }

    #[cfg(test)]
    pub(crate) fn shared(&self) -> &Shared {
        &self.handle.shared
    }
}

/// The future of one [`Queue::append`]: resolves with the record's sequence number once it
/// is durable, or with the reason it is not stored.
///
/// It does not borrow the queue or the batch (`'static`, `Send`): spawn it, or hold it while
/// the next request is decoded.
#[derive(Debug)]
#[must_use = "the append is acknowledged (durable) only when this future resolves"]
pub struct Append(AppendState);

#[derive(Debug)]
enum AppendState {
    Waiting(oneshot::Receiver<Result<u64, Error>>),
    Failed(Option<Error>),
}

impl Future for Append {
    type Output = Result<u64, Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match &mut self.0 {
            AppendState::Waiting(receiver) => Pin::new(receiver)
                .poll(cx)
                .map(|result| result.unwrap_or(Err(Error::Closed))),
            AppendState::Failed(error) => {
                Poll::Ready(Err(error.take().expect("Append polled after it completed")))
            }
        }
    }
}
