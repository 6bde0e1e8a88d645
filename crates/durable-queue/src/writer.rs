//! The writer thread: the only code that writes segments, syncs them, saves the checkpoint and
//! deletes files. Blocking file I/O stays here, off the async workers.
//!
//! Group commit falls out of its loop: while it writes and syncs one group, new appends queue
//! up in `State::pending`; it then takes them all and writes them with one `write` and one
//! sync (per segment they fill, and per 8 MiB).

use std::collections::VecDeque;
use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::unix::fs::FileExt;
use std::sync::{Arc, PoisonError};
use std::time::{Duration, Instant};

use crate::checkpoint;
use crate::error::Error;
use crate::options::FsyncPolicy;
use crate::record;
use crate::segment::{self, HEADER_LEN};
use crate::state::{Ack, Pending, SegmentMeta, Shared};

/// Records are copied into one buffer and written with one call, up to this many bytes.
const CHUNK_BYTES: usize = 8 * 1024 * 1024;
/// The confirmed position is saved at most this often. Each save is two syncs and a rename,
/// which the file system's journal serialises with the segments' syncs: saving after every
/// confirm cost appends 2-5x their throughput in the benchmark. A crash replays at most this
/// long's worth of confirmed records (harmless, see the crate docs), next to the records the
/// database writer holds unconfirmed anyway.
pub(crate) const CHECKPOINT_INTERVAL: Duration = Duration::from_millis(100);
/// After a failed checkpoint write (e.g. a full disk), wait this long before the next try.
const CHECKPOINT_RETRY: Duration = Duration::from_secs(1);

/// The segment the writer appends to.
#[derive(Debug)]
pub(crate) struct Active {
    pub(crate) first_seq: u64,
    pub(crate) file: File,
    /// Bytes in the file that hold good records (where the next record goes).
    pub(crate) len: u64,
    pub(crate) records: u64,
}

pub(crate) struct Writer {
    shared: Arc<Shared>,
    active: Option<Active>,
    next_seq: u64,
    buffer: Vec<u8>,
    /// Interval policy: records written since the last sync.
    unsynced: bool,
    last_sync: Instant,
    /// When the next checkpoint may be saved (the interval after the last, or a retry).
    checkpoint_at: Instant,
    /// Appends are failing (logged once when it starts, once when it ends).
    failing: bool,
}

/// A record sealed with its sequence number, in the chunk being written.
struct Sealed {
    done: Ack,
    seq: u64,
    len: u64,
}

/// What one turn of the loop does.
struct Work {
    pending: Vec<Pending>,
    checkpoint: Option<u64>,
    deletions: Vec<u64>,
    sync_due: bool,
    roll: bool,
    closing: bool,
}

impl Writer {
    pub(crate) fn new(shared: Arc<Shared>, active: Option<Active>, next_seq: u64) -> Self {
        Self {
            shared,
            active,
            next_seq,
            buffer: Vec::new(),
            unsynced: false,
            last_sync: Instant::now(),
            checkpoint_at: Instant::now(),
            failing: false,
        }
    }

    /// Starts the thread; it holds the directory's `lock` until it ends.
    pub(crate) fn spawn(self, lock: File) -> io::Result<()> {
        std::thread::Builder::new()
            .name("durable-queue".into())
            .spawn(move || {
                let _done = DoneGuard {
                    shared: Arc::clone(&self.shared),
                    lock: Some(lock),
                };
                self.run();
            })
            .map(drop)
    }

    fn run(mut self) {
        let confirmed = self.shared.lock().take_confirmed_segments();
        self.delete(confirmed.into_iter());
        loop {
            let work = self.wait_for_work();
            if work.roll {
                self.seal_active();
            }
            if !work.pending.is_empty() {
                self.write(work.pending);
            }
            if self.unsynced && (work.sync_due || work.closing) {
                self.sync_active();
            }
            self.save_checkpoint(work.checkpoint);
            let confirmed = self.shared.lock().take_confirmed_segments();
            self.delete(confirmed.into_iter().chain(work.deletions));
            if work.closing && self.shared.lock().pending.is_empty() {
                return;
            }
        }
    }

    fn wait_for_work(&mut self) -> Work {
        let interval = match self.shared.options.fsync() {
            FsyncPolicy::Interval(interval) => Some(interval),
            _ => None,
        };
        let mut state = self.shared.lock();
        loop {
            let now = Instant::now();
            let sync_at = interval
                .filter(|_| self.unsynced)
                .map(|i| self.last_sync + i);
            let checkpoint_wanted = state.confirmed_seq > state.persisted_seq;
            let checkpoint_at = checkpoint_wanted.then_some(self.checkpoint_at);
            let sync_due = sync_at.is_some_and(|at| at <= now);
            let checkpoint_due =
                checkpoint_at.is_some_and(|at| at <= now) || (checkpoint_wanted && state.closing);
            if !state.pending.is_empty()
                || !state.deletions.is_empty()
                || state.roll_requested
                || state.closing
                || sync_due
                || checkpoint_due
            {
                return Work {
                    pending: std::mem::take(&mut state.pending),
                    checkpoint: checkpoint_due.then_some(state.confirmed_seq),
                    deletions: std::mem::take(&mut state.deletions),
                    sync_due,
                    roll: std::mem::take(&mut state.roll_requested),
                    closing: state.closing,
                };
            }
            state = match [sync_at, checkpoint_at].into_iter().flatten().min() {
                Some(at) => {
                    let wait = at.saturating_duration_since(now);
                    self.shared
                        .wake_writer
                        .wait_timeout(state, wait)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0
                }
                None => self
                    .shared
                    .wake_writer
                    .wait(state)
                    .unwrap_or_else(PoisonError::into_inner),
            };
        }
    }

    /// Writes the records in order, in chunks that fit the active segment, syncing as the
    /// policy says; resolves each append once its chunk is written (and synced).
    fn write(&mut self, pending: Vec<Pending>) {
        let policy = self.shared.options.fsync();
        let segment_bytes = self.shared.options.segment_bytes();
        let mut queue = VecDeque::from(pending);
        while !queue.is_empty() {
            if self.active.is_none()
                && let Err(error) = self.create_segment()
            {
                return self.fail(queue, Vec::new(), error);
            }
            let active = self.active.as_ref().expect("created above");
            let start = active.len;
            let first_seq = self.next_seq;
            self.buffer.clear();
            let mut chunk = Vec::new();
            while let Some(next) = queue.front() {
                if !chunk.is_empty()
                    && (policy == FsyncPolicy::Always || self.buffer.len() >= CHUNK_BYTES)
                {
                    break;
                }
                let len = next.record.len() as u64;
                let fits = start + self.buffer.len() as u64 + len <= segment_bytes;
                // A record never fits less than in an empty segment: the size was checked
                // against max_record_bytes when it was appended.
                if !fits && (active.records > 0 || !chunk.is_empty()) {
                    break;
                }
                let mut next = queue.pop_front().expect("peeked");
                record::seal(&mut next.record, self.next_seq, next.body_crc);
                self.buffer.extend_from_slice(&next.record);
                chunk.push(Sealed {
                    done: next.done,
                    seq: self.next_seq,
                    len,
                });
                self.next_seq += 1;
            }
            if chunk.is_empty() {
                self.seal_active();
                continue;
            }
            let synced = !matches!(policy, FsyncPolicy::Interval(_));
            match self.write_chunk(start, synced) {
                Ok(()) => self.commit(chunk, start, synced),
                Err(error) => {
                    self.next_seq = first_seq;
                    self.undo(start);
                    return self.fail(queue, chunk, error);
                }
            }
        }
    }

    fn write_chunk(&mut self, offset: u64, sync: bool) -> Result<(), Error> {
        let active = self.active.as_ref().expect("a chunk has a segment");
        let path = segment::path(&self.shared.dir, active.first_seq);
        #[cfg(test)]
        self.shared
            .faults
            .before_write(&active.file, &self.buffer, offset)
            .map_err(|e| Error::io("write to", &path, e))?;
        active
            .file
            .write_all_at(&self.buffer, offset)
            .map_err(|e| Error::io("write to", &path, e))?;
        if sync {
            self.sync_data(active)?;
        }
        Ok(())
    }

    fn sync_data(&self, active: &Active) -> Result<(), Error> {
        #[cfg(test)]
        let injected = self.shared.faults.before_sync();
        #[cfg(not(test))]
        let injected = Ok(());
        injected
            .and_then(|()| active.file.sync_data())
            .map_err(|e| Error::io("sync", segment::path(&self.shared.dir, active.first_seq), e))
    }

    fn commit(&mut self, chunk: Vec<Sealed>, start: u64, synced: bool) {
        let bytes = self.buffer.len() as u64;
        let records = chunk.len() as u64;
        let last_seq = chunk.last().expect("a chunk is not empty").seq;
        let active = self.active.as_mut().expect("a chunk has a segment");
        active.len = start + bytes;
        active.records += records;
        let (first_seq, len) = (active.first_seq, active.len);
        self.unsynced |= !synced;
        if synced {
            self.last_sync = Instant::now();
        }
        {
            let mut state = self.shared.lock();
            let segment = state
                .segments
                .back_mut()
                .filter(|s| s.first_seq == first_seq)
                .expect("the active segment is the last in the index");
            segment.last_seq = last_seq;
            segment.file_len = len;
            segment.unconfirmed_records += records;
            segment.unconfirmed_bytes += bytes;
            state.disk_bytes += bytes;
            state.pending_bytes -= bytes;
            state.durable_seq = last_seq;
            state.counters.appended_records += records;
            state.counters.appended_bytes += bytes;
            state.counters.fsyncs += u64::from(synced);
        }
        if std::mem::take(&mut self.failing) {
            tracing::info!("durable queue: appends succeed again");
        }
        self.shared.readable.notify_waiters();
        for sealed in chunk {
            let _ = sealed.done.send(Ok(sealed.seq));
        }
    }

    /// After a failed write or sync: cut the segment back to its last good record so the next
    /// append starts clean. If even that fails, the segment is closed and a new one started.
    fn undo(&mut self, good_len: u64) {
        let active = self.active.as_mut().expect("a failed chunk has a segment");
        match active.file.set_len(good_len) {
            Ok(()) => active.len = good_len,
            Err(error) => {
                tracing::warn!(%error, "durable queue: cannot cut a failed write off its segment; starting a new one");
                let active = self.active.take().expect("checked");
                let mut state = self.shared.lock();
                if active.records == 0 {
                    // Nothing good in it: forget it (creating the next segment, which has the
                    // same name, truncates it).
                    if let Some(empty) = state.segments.pop_back() {
                        state.disk_bytes -= empty.file_len;
                    }
                } else if let Some(segment) = state.segments.back_mut() {
                    segment.active = false;
                }
            }
        }
    }

    /// Fails the appends of a chunk that could not be written, and those queued behind it.
    fn fail(&mut self, queue: VecDeque<Pending>, chunk: Vec<Sealed>, error: Error) {
        let failed = (chunk.len() + queue.len()) as u64;
        if !std::mem::replace(&mut self.failing, true) {
            tracing::warn!(%error, "durable queue: appends fail (they are refused, nothing is lost; retried on the next append)");
        }
        let chunk_bytes: u64 = chunk.iter().map(|c| c.len).sum();
        let queue_bytes: u64 = queue.iter().map(|p| p.record.len() as u64).sum();
        {
            let mut state = self.shared.lock();
            state.pending_bytes -= chunk_bytes + queue_bytes;
            state.counters.write_errors += failed;
        }
        for done in chunk
            .into_iter()
            .map(|c| c.done)
            .chain(queue.into_iter().map(|p| p.done))
        {
            let _ = done.send(Err(error.clone()));
        }
    }

    fn create_segment(&mut self) -> Result<(), Error> {
        let first_seq = self.next_seq;
        let path = segment::path(&self.shared.dir, first_seq);
        let created = (|| {
            let file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(true)
                .open(&path)?;
            #[cfg(test)]
            self.shared.faults.before_create()?;
            file.write_all_at(&segment::header(first_seq), 0)?;
            file.sync_all()?;
            checkpoint::sync_dir(&self.shared.dir)?;
            Ok::<_, io::Error>(file)
        })();
        let file = match created {
            Ok(file) => file,
            Err(error) => {
                let _ = fs::remove_file(&path);
                return Err(Error::io("create segment", path, error));
            }
        };
        self.active = Some(Active {
            first_seq,
            file,
            len: HEADER_LEN,
            records: 0,
        });
        let mut state = self.shared.lock();
        state.segments.push_back(SegmentMeta {
            first_seq,
            last_seq: first_seq - 1,
            file_len: HEADER_LEN,
            unconfirmed_records: 0,
            unconfirmed_bytes: 0,
            active: true,
        });
        state.disk_bytes += HEADER_LEN;
        state.counters.fsyncs += 1;
        Ok(())
    }

    /// Closes the active segment (synced first): the next record starts a new one.
    fn seal_active(&mut self) {
        if self.unsynced {
            self.sync_active();
        }
        let Some(active) = self.active.take() else {
            return;
        };
        let mut state = self.shared.lock();
        if let Some(segment) = state
            .segments
            .back_mut()
            .filter(|s| s.first_seq == active.first_seq)
        {
            segment.active = false;
        }
    }

    /// Interval policy: syncs what was written since the last sync.
    fn sync_active(&mut self) {
        self.unsynced = false;
        self.last_sync = Instant::now();
        let Some(active) = &self.active else {
            return;
        };
        match self.sync_data(active) {
            Ok(()) => self.shared.lock().counters.fsyncs += 1,
            // The records were acknowledged when written: they survive a crash of this process
            // but may not survive a power cut. Nothing to undo; say so.
            Err(error) => {
                tracing::error!(%error, "durable queue: periodic sync failed; records acknowledged since the last sync may not survive a power cut")
            }
        }
    }

    fn save_checkpoint(&mut self, confirmed: Option<u64>) {
        let Some(confirmed) = confirmed else {
            return;
        };
        #[cfg(test)]
        let injected = self.shared.faults.before_checkpoint();
        #[cfg(not(test))]
        let injected = Ok(());
        let result = injected.and_then(|()| checkpoint::write(&self.shared.dir, confirmed));
        let mut state = self.shared.lock();
        match result {
            Ok(()) => {
                state.persisted_seq = state.persisted_seq.max(confirmed);
                self.checkpoint_at = Instant::now() + CHECKPOINT_INTERVAL;
            }
            Err(error) => {
                state.counters.checkpoint_errors += 1;
                self.checkpoint_at = Instant::now() + CHECKPOINT_RETRY;
                tracing::warn!(%error, confirmed, "durable queue: cannot save the confirmed position (retrying; confirmed segments are deleted anyway)");
            }
        }
    }

    fn delete(&self, segments: impl Iterator<Item = u64>) {
        for first_seq in segments {
            let path = segment::path(&self.shared.dir, first_seq);
            match fs::remove_file(&path) {
                Ok(()) => {}
                Err(error) if error.kind() == io::ErrorKind::NotFound => {}
                Err(error) => {
                    tracing::warn!(%error, path = %path.display(), "durable queue: cannot delete a confirmed segment (it is deleted when the queue is next opened)")
                }
            }
        }
    }
}

/// Marks the writer as stopped when its thread ends, even by a panic: the directory is
/// unlocked, appends waiting for it fail with [`Error::Closed`], later ones are refused, and
/// the reader and `close` wake up.
struct DoneGuard {
    shared: Arc<Shared>,
    lock: Option<File>,
}

impl Drop for DoneGuard {
    fn drop(&mut self) {
        // Unlocked first: whoever `close` wakes may open the directory again at once.
        drop(self.lock.take());
        let (pending, waiters) = {
            let mut state = self.shared.lock();
            state.writer_done = true;
            state.pending_bytes = 0;
            (
                std::mem::take(&mut state.pending),
                std::mem::take(&mut state.close_waiters),
            )
        };
        for pending in pending {
            let _ = pending.done.send(Err(Error::Closed));
        }
        for waiter in waiters {
            let _ = waiter.send(());
        }
        self.shared.readable.notify_waiters();
    }
}
