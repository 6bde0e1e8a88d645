//! Opening a queue directory: lock it, read the checkpoint, verify every segment, cut torn
//! tails, skip damage, and rebuild the index the writer and the reader start from.
//!
//! Nothing found on disk makes opening fail or panic: damage is cut off or skipped, counted in
//! [`Stats`](crate::Stats) and logged. Only the directory itself being unusable (permissions,
//! I/O errors, another process holding it) is an error.

use std::collections::VecDeque;
use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::Path;

use rustix::fs::FlockOperation;

use crate::checkpoint;
use crate::error::Error;
use crate::options::Options;
use crate::segment::{self, HEADER_LEN};
use crate::state::{Counters, SegmentMeta, State};
use crate::writer::Active;

const LOCK_NAME: &str = "LOCK";

pub(crate) struct Recovered {
    pub(crate) state: State,
    pub(crate) active: Option<Active>,
    pub(crate) next_seq: u64,
    pub(crate) lock: File,
}

pub(crate) fn recover(dir: &Path, options: &Options) -> Result<Recovered, Error> {
    fs::create_dir_all(dir).map_err(|e| Error::io("create directory", dir, e))?;
    let lock = lock(dir)?;
    // Left by a crash while the checkpoint was being replaced; the old one is intact.
    let _ = fs::remove_file(dir.join(checkpoint::TEMP_NAME));
    let confirmed = match checkpoint::read(dir) {
        Ok(checkpoint::Read::Confirmed(confirmed)) => confirmed,
        Ok(checkpoint::Read::Missing) => 0,
        Ok(checkpoint::Read::Damaged) => {
            tracing::warn!(
                dir = %dir.display(),
                "durable queue: the checkpoint file is damaged; every record still in the segments is replayed (the database may receive some twice)"
            );
            0
        }
        Err(error) => return Err(Error::io("read the checkpoint in", dir, error)),
    };

    let mut names = Vec::new();
    for entry in fs::read_dir(dir).map_err(|e| Error::io("list", dir, e))? {
        let entry = entry.map_err(|e| Error::io("list", dir, e))?;
        if let Some(first_seq) = entry.file_name().to_str().and_then(segment::parse_name) {
            names.push(first_seq);
        }
    }
    names.sort_unstable();
    // Sequence numbers start at 1; a file named 0 is not one of ours.
    names.retain(|&first| first > 0);

    let mut counters = Counters::default();
    let mut segments = VecDeque::new();
    if names.first().is_some_and(|&first| first > confirmed + 1) {
        tracing::warn!(
            first_on_disk = names[0],
            confirmed,
            "durable queue: records after the confirmed position are not on disk (dropped by the drop-oldest policy, or deleted by hand, before the checkpoint was saved)"
        );
    }
    for (i, &first_seq) in names.iter().enumerate() {
        let next = names.get(i + 1).copied();
        if let Some(meta) = open_segment(dir, first_seq, next, confirmed, &mut counters)? {
            segments.push_back(meta);
        }
    }

    let next_seq = segments
        .back()
        .map_or(confirmed, |s: &SegmentMeta| s.last_seq.max(confirmed))
        + 1;
    // Segments whose records were all confirmed before a crash stay in the index: the writer
    // deletes them first thing.
    let active = reuse_last(dir, &mut segments, next_seq, options)?;

    counters.replayed_records = segments.iter().map(|s| s.unconfirmed_records).sum();
    let state = State {
        pending: Vec::new(),
        pending_bytes: 0,
        disk_bytes: segments.iter().map(|s| s.file_len).sum(),
        segments,
        durable_seq: next_seq - 1,
        confirmed_seq: confirmed,
        persisted_seq: confirmed,
        deletions: Vec::new(),
        roll_requested: false,
        closing: false,
        writer_done: false,
        close_waiters: Vec::new(),
        counters,
    };
    let (records, bytes) = state.queued();
    tracing::info!(
        dir = %dir.display(),
        records,
        bytes,
        segments = state.segments.len(),
        next_seq,
        "durable queue opened: {records} unconfirmed records to replay"
    );
    Ok(Recovered {
        state,
        active,
        next_seq,
        lock,
    })
}

fn lock(dir: &Path) -> Result<File, Error> {
    let path = dir.join(LOCK_NAME);
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| Error::io("open", &path, e))?;
    match rustix::fs::flock(&file, FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => Ok(file),
        Err(errno) if errno == rustix::io::Errno::WOULDBLOCK => Err(Error::Locked {
            path: dir.to_path_buf(),
        }),
        Err(errno) => Err(Error::io("lock", path, io::Error::from(errno))),
    }
}

/// Verifies one segment; returns what the index keeps of it, if anything. `next` is the next
/// segment's first sequence number (`None` for the last segment, the only one that can have a
/// torn tail).
fn open_segment(
    dir: &Path,
    first_seq: u64,
    next: Option<u64>,
    confirmed: u64,
    counters: &mut Counters,
) -> Result<Option<SegmentMeta>, Error> {
    let path = segment::path(dir, first_seq);
    let scan = match segment::scan(&path, first_seq, confirmed, next) {
        Ok(scan) => scan,
        Err(error) => {
            // Unreadable (an I/O error): set it aside like a damaged header.
            tracing::error!(%error, path = %path.display(), "durable queue: cannot read a segment");
            let file_len = fs::metadata(&path).map_or(0, |m| m.len());
            set_aside(&path, first_seq, next, confirmed, file_len, counters)?;
            return Ok(None);
        }
    };
    if !scan.header_ok {
        if next.is_none() && scan.file_len <= HEADER_LEN {
            // Created just before a crash, header not yet on disk: nothing was in it.
            if scan.file_len > 0 {
                counters.truncated_tails += 1;
                counters.truncated_bytes += scan.file_len;
            }
            tracing::warn!(path = %path.display(), bytes = scan.file_len, "durable queue: removed a segment torn while being created");
            fs::remove_file(&path).map_err(|e| Error::io("delete", &path, e))?;
        } else {
            tracing::error!(path = %path.display(), reason = scan.damage.unwrap_or("bad header"), "durable queue: a segment's header is damaged");
            set_aside(&path, first_seq, next, confirmed, scan.file_len, counters)?;
        }
        return Ok(None);
    }

    let mut file_len = scan.file_len;
    match next {
        None => {
            if let Some(reason) = scan.damage {
                // A crash or power cut during the last write: those records were never
                // acknowledged (acknowledgement waits for the write and its sync).
                let cut = scan.file_len - scan.good_len;
                counters.truncated_tails += 1;
                counters.truncated_bytes += cut;
                tracing::warn!(
                    path = %path.display(),
                    offset = scan.good_len,
                    bytes = cut,
                    reason,
                    last_good_seq = scan.last_seq,
                    "durable queue: cut a torn tail off the last segment"
                );
                let file = OpenOptions::new()
                    .write(true)
                    .open(&path)
                    .map_err(|e| Error::io("open", &path, e))?;
                file.set_len(scan.good_len)
                    .and_then(|()| file.sync_all())
                    .map_err(|e| Error::io("truncate", &path, e))?;
                file_len = scan.good_len;
            }
        }
        Some(next) => {
            let lost_from = scan.last_seq.max(confirmed) + 1;
            let lost = next.saturating_sub(lost_from);
            if lost > 0 {
                let skipped = scan.file_len - scan.good_len;
                counters.dropped_corrupt_records += lost;
                counters.dropped_corrupt_bytes += skipped;
                tracing::error!(
                    path = %path.display(),
                    offset = scan.good_len,
                    reason = scan.damage.unwrap_or("the segment ends early (a file was deleted or cut?)"),
                    lost_records = lost,
                    lost_from,
                    skipped_bytes = skipped,
                    "durable queue: damage in the middle of the queue; skipping to the next segment"
                );
            } else if scan.damage.is_some() {
                tracing::info!(
                    path = %path.display(),
                    bytes = scan.file_len - scan.good_len,
                    "durable queue: ignoring the unfinished bytes a failed write left after a segment's last record (nothing lost)"
                );
            }
        }
    }
    Ok(Some(SegmentMeta {
        first_seq,
        last_seq: scan.last_seq,
        file_len,
        unconfirmed_records: scan.unconfirmed_records,
        unconfirmed_bytes: scan.unconfirmed_bytes,
        active: false,
    }))
}

/// Renames an unreadable segment to `*.seg.corrupt` (kept for a person to look at, outside
/// the queue) and counts the records it should have held.
fn set_aside(
    path: &Path,
    first_seq: u64,
    next: Option<u64>,
    confirmed: u64,
    file_len: u64,
    counters: &mut Counters,
) -> Result<(), Error> {
    let lost_from = first_seq.max(confirmed + 1);
    let lost = next.map_or(0, |next| next.saturating_sub(lost_from));
    counters.dropped_corrupt_records += lost;
    counters.dropped_corrupt_bytes += file_len;
    let mut aside = path.as_os_str().to_owned();
    aside.push(".corrupt");
    tracing::error!(
        path = %path.display(),
        lost_records = if next.is_some() { lost.to_string() } else { "unknown".to_owned() },
        "durable queue: set aside an unreadable segment as *.seg.corrupt; skipping to the next segment"
    );
    fs::rename(path, &aside).map_err(|e| Error::io("rename", path, e))
}

/// Opens the last segment for appending when the next record can go there; otherwise
/// leaves it closed (or deletes it when empty).
fn reuse_last(
    dir: &Path,
    segments: &mut VecDeque<SegmentMeta>,
    next_seq: u64,
    options: &Options,
) -> Result<Option<Active>, Error> {
    let Some(last) = segments.back_mut() else {
        return Ok(None);
    };
    let path = segment::path(dir, last.first_seq);
    if last.last_seq + 1 == next_seq && last.file_len < options.segment_bytes() {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .map_err(|e| Error::io("open", &path, e))?;
        last.active = true;
        return Ok(Some(Active {
            first_seq: last.first_seq,
            file,
            len: last.file_len,
            records: last.last_seq + 1 - last.first_seq,
        }));
    }
    if last.last_seq < last.first_seq {
        // Empty, and numbered before records the checkpoint says were confirmed.
        segments.pop_back();
        fs::remove_file(&path).map_err(|e| Error::io("delete", &path, e))?;
    }
    Ok(None)
}
