//! I/O errors injected into the writer thread: a failed append leaves nothing behind and the
//! next one works. (The same with a real full file system: `tests/disk_full.rs`.)

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::sync::atomic::{AtomicU32, Ordering};

use lineproto::Lines;

use crate::{Batch, Error, FsyncPolicy, Options, Queue, Signal};

/// Fails the next N operations of a kind with ENOSPC (a write first writes half its bytes, as
/// a real short write on a full disk does).
#[derive(Debug, Default)]
pub(crate) struct Faults {
    writes: AtomicU32,
    syncs: AtomicU32,
    creates: AtomicU32,
    checkpoints: AtomicU32,
}

fn take(counter: &AtomicU32) -> bool {
    counter
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok()
}

fn no_space() -> io::Error {
    io::Error::from(io::ErrorKind::StorageFull)
}

impl Faults {
    pub(crate) fn before_write(&self, file: &File, buffer: &[u8], offset: u64) -> io::Result<()> {
        if take(&self.writes) {
            file.write_all_at(&buffer[..buffer.len() / 2], offset)?;
            return Err(no_space());
        }
        Ok(())
    }

    pub(crate) fn before_sync(&self) -> io::Result<()> {
        if take(&self.syncs) {
            Err(no_space())
        } else {
            Ok(())
        }
    }

    pub(crate) fn before_create(&self) -> io::Result<()> {
        if take(&self.creates) {
            Err(no_space())
        } else {
            Ok(())
        }
    }

    pub(crate) fn before_checkpoint(&self) -> io::Result<()> {
        if take(&self.checkpoints) {
            Err(no_space())
        } else {
            Ok(())
        }
    }
}

fn line(n: u64) -> Vec<u8> {
    format!("m n={n}i,pad=\"{}\" {n}\n", "x".repeat(150)).into_bytes()
}

async fn append(queue: &Queue, n: u64) -> Result<u64, Error> {
    let bytes = line(n);
    let ends = [bytes.len()];
    queue
        .append(&Batch::new(
            "db",
            Signal::Metrics,
            Lines::new(&bytes, &ends),
        ))
        .await
}

async fn read_all(reader: &mut crate::Reader) -> Vec<(u64, Vec<u8>)> {
    let mut out = Vec::new();
    while let Ok(Ok(records)) =
        tokio::time::timeout(std::time::Duration::from_millis(100), reader.next(1 << 20)).await
    {
        out.extend(records.iter().map(|r| (r.seq(), r.bytes().to_vec())));
    }
    out
}

fn small_segments() -> Options {
    Options::new()
        .with_segment_bytes(4096)
        .with_max_bytes(1 << 20)
}

#[tokio::test]
async fn a_failed_write_leaves_nothing_and_the_next_append_works() {
    for policy in [
        FsyncPolicy::Always,
        FsyncPolicy::GroupCommit,
        FsyncPolicy::Interval(std::time::Duration::from_millis(5)),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let (queue, mut reader) =
            Queue::open(dir.path(), small_segments().with_fsync(policy)).unwrap();
        assert_eq!(append(&queue, 1).await.unwrap(), 1);
        queue.shared().faults.writes.store(1, Ordering::SeqCst);
        let error = append(&queue, 2).await.unwrap_err();
        assert!(error.is_storage_full() && error.is_transient(), "{error}");
        // The failed record's sequence number is reused: numbers stay consecutive.
        assert_eq!(append(&queue, 3).await.unwrap(), 2);
        let stats = queue.stats();
        assert_eq!((stats.write_errors, stats.appended_records), (1, 2));
        assert_eq!(
            read_all(&mut reader).await,
            [(1, line(1)), (2, line(3))],
            "{policy:?}"
        );
        queue.close().await;
        drop(reader);

        // Nothing of the half-written record is left: no torn tail on reopening.
        let (queue, mut reader) = Queue::open(dir.path(), small_segments()).unwrap();
        assert_eq!(queue.stats().truncated_tails, 0);
        assert_eq!(read_all(&mut reader).await, [(1, line(1)), (2, line(3))]);
        queue.close().await;
    }
}

#[tokio::test]
async fn a_failed_sync_fails_its_group_and_the_next_append_works() {
    let dir = tempfile::tempdir().unwrap();
    let (queue, mut reader) = Queue::open(dir.path(), small_segments()).unwrap();
    append(&queue, 1).await.unwrap();
    queue.shared().faults.syncs.store(1, Ordering::SeqCst);
    // Several appends queued at once are one group: the failed sync fails them all.
    let group: Vec<_> = (2..6)
        .map(|n| {
            let bytes = line(n);
            queue.append(&Batch::new(
                "db",
                Signal::Metrics,
                Lines::new(&bytes, &[bytes.len()]),
            ))
        })
        .collect();
    let mut failed = 0;
    for append in group {
        if let Err(error) = append.await {
            assert!(error.is_storage_full());
            failed += 1;
        }
    }
    assert!(failed >= 1);
    let next = append(&queue, 9).await.unwrap();
    let read = read_all(&mut reader).await;
    assert_eq!(read.last(), Some(&(next, line(9))));
    assert_eq!(read.len() as u64, next);
    assert_eq!(queue.stats().write_errors, failed);
    queue.close().await;
}

#[tokio::test]
async fn a_segment_that_cannot_be_created_fails_the_append_only() {
    let dir = tempfile::tempdir().unwrap();
    let (queue, mut reader) = Queue::open(dir.path(), small_segments()).unwrap();
    queue.shared().faults.creates.store(2, Ordering::SeqCst);
    assert!(append(&queue, 1).await.unwrap_err().is_storage_full());
    assert!(append(&queue, 2).await.unwrap_err().is_storage_full());
    assert_eq!(append(&queue, 3).await.unwrap(), 1);
    // Filling segments forces new ones; a failure there fails one append, not the queue.
    for n in 4..100 {
        if n == 50 {
            queue.shared().faults.creates.store(1, Ordering::SeqCst);
        }
        let _ = append(&queue, n).await;
    }
    let stats = queue.stats();
    assert!(stats.segments > 2);
    let read = read_all(&mut reader).await;
    assert_eq!(read.len() as u64, stats.appended_records);
    assert!(read.windows(2).all(|w| w[1].0 == w[0].0 + 1));
    queue.close().await;
}

#[tokio::test]
async fn a_failed_checkpoint_is_retried_and_segments_are_still_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let (queue, mut reader) = Queue::open(dir.path(), small_segments()).unwrap();
    for n in 1..=200 {
        append(&queue, n).await.unwrap();
    }
    let segments = queue.stats().segments;
    assert!(segments > 2);
    queue.shared().faults.checkpoints.store(1, Ordering::SeqCst);
    let read = read_all(&mut reader).await;
    reader.confirm(read.last().unwrap().0).unwrap();
    // The writer deletes confirmed segments even though the checkpoint failed; it retries
    // the checkpoint a second later.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while queue.shared().lock().persisted_seq < 200 {
        assert!(
            std::time::Instant::now() < deadline,
            "checkpoint never retried"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let stats = queue.stats();
    assert_eq!(stats.checkpoint_errors, 1);
    assert_eq!(stats.segments, 1, "only the active segment is left");
    assert_eq!((stats.queued_records, stats.queued_bytes), (0, 0));
    queue.close().await;
    drop(reader);
    let (queue, mut reader) = Queue::open(dir.path(), small_segments()).unwrap();
    assert!(read_all(&mut reader).await.is_empty());
    queue.close().await;
}
