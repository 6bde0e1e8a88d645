//! The queue's contract: order, content, confirm and deletion, restart from the checkpoint,
//! bounds and full policies, group commit.

mod common;

use std::time::Duration;

use common::{TestBatch, append, drain, eventually, id_of, segment_files};
use durable_queue::{Batch, Error, FsyncPolicy, FullPolicy, Options, Queue, Signal};
use lineproto::Lines;

const IDLE: Duration = Duration::from_millis(150);

fn small() -> Options {
    Options::new()
        .with_segment_bytes(16 * 1024)
        .with_max_bytes(64 * 1024 * 1024)
}

#[tokio::test]
async fn records_come_back_in_order_with_their_metadata_and_line_boundaries() {
    let dir = tempfile::tempdir().unwrap();
    let (queue, mut reader) = Queue::open(dir.path(), small()).unwrap();
    let signals = [Signal::Traces, Signal::Logs, Signal::Metrics];
    let mut batches = Vec::new();
    for id in 1..=120u64 {
        let batch = TestBatch::new(id, (id % 5 + 1) as usize, (id as usize * 37) % 900);
        let destination = format!("db{}", id % 3);
        let signal = signals[id as usize % 3];
        let seq = queue
            .append(&Batch::new(&destination, signal, batch.lines()).with_items(id as u32))
            .await
            .unwrap();
        assert_eq!(seq, id, "sequence numbers start at 1 and are consecutive");
        batches.push((destination, signal, batch));
    }
    assert!(queue.stats().segments > 3, "the records span segments");
    // Small budgets: never more than the budget, unless one record alone is larger.
    let mut records = Vec::new();
    while records.len() < 120 {
        let budget = 700;
        let batch = reader.next(budget).await.unwrap();
        let total: u64 = batch.iter().map(|r| r.encoded_len()).sum();
        assert!(batch.len() == 1 || total <= budget as u64);
        records.extend(batch);
    }
    for (record, (id, (destination, signal, batch))) in records.iter().zip((1u64..).zip(&batches)) {
        assert_eq!(record.seq(), id);
        assert_eq!(id_of(record), id);
        assert_eq!(record.destination(), destination);
        assert_eq!(record.signal(), *signal);
        assert_eq!(record.items(), id as u32);
        assert_eq!(record.bytes(), &batch.bytes[..]);
        let lines: Vec<_> = record.lines().iter().collect();
        let expected: Vec<_> = batch.lines().iter().collect();
        assert_eq!(lines, expected);
        let age = record.appended_at().elapsed().unwrap_or_default();
        assert!(age < Duration::from_secs(60));
    }
    let stats = queue.stats();
    assert_eq!((stats.appended_records, stats.queued_records), (120, 120));
    assert_eq!(
        stats.queued_bytes,
        records.iter().map(|r| r.encoded_len()).sum::<u64>()
    );
    queue.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_appends_share_syncs_under_group_commit_and_not_under_always() {
    for (policy, appends) in [
        (FsyncPolicy::GroupCommit, 2000u64),
        (FsyncPolicy::Always, 200),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let (queue, mut reader) =
            Queue::open(dir.path(), Options::new().with_fsync(policy)).unwrap();
        // Each call enqueues at once, in call order; the futures resolve when synced.
        let batches: Vec<_> = (1..=appends).map(|id| TestBatch::new(id, 2, 100)).collect();
        let futures: Vec<_> = batches.iter().map(|b| queue.append(&b.batch())).collect();
        let mut tasks = Vec::new();
        for future in futures {
            tasks.push(tokio::spawn(future));
        }
        for (id, task) in (1..).zip(tasks) {
            assert_eq!(task.await.unwrap().unwrap(), id);
        }
        let stats = queue.stats();
        // One sync to create the segment, then one per group (or per record).
        let syncs = stats.fsyncs - 1;
        match policy {
            FsyncPolicy::GroupCommit => assert!(
                syncs * 10 <= appends,
                "{syncs} syncs for {appends} appends: group commit should share them"
            ),
            _ => assert_eq!(syncs, appends, "Always syncs each record"),
        }
        let read: Vec<u64> = drain(&queue, &mut reader, IDLE)
            .await
            .iter()
            .map(id_of)
            .collect();
        assert_eq!(read, (1..=appends).collect::<Vec<_>>());
        queue.close().await;
    }
}

#[tokio::test]
async fn confirm_deletes_segments_and_a_restart_replays_after_the_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let (queue, mut reader) = Queue::open(dir.path(), small()).unwrap();
    for id in 1..=300 {
        append(&queue, id, 400).await.unwrap();
    }
    let segments_before = segment_files(dir.path()).len();
    assert!(segments_before > 5);
    let read = drain(&queue, &mut reader, IDLE).await;
    assert_eq!(read.len(), 300);
    assert!(matches!(
        reader.confirm(301),
        Err(Error::ConfirmBeyondRead {
            seq: 301,
            last_read: 300
        })
    ));
    reader.confirm(150).unwrap();
    eventually("confirmed segments to be deleted", || {
        let files = segment_files(dir.path()).len();
        files < segments_before / 2 + 2 && files as u64 == queue.stats().segments
    })
    .await;
    let stats = queue.stats();
    assert_eq!(stats.confirmed_records, 150);
    assert_eq!(stats.queued_records, 150);
    assert_eq!(
        stats.disk_bytes,
        segment_files(dir.path())
            .iter()
            .map(|p| p.metadata().unwrap().len())
            .sum::<u64>()
    );
    queue.close().await;
    drop(reader);

    // Records 151..=300 were read but not confirmed: they come again, and only they.
    let (queue, mut reader) = Queue::open(dir.path(), small()).unwrap();
    assert_eq!(reader.confirmed(), 150);
    let stats = queue.stats();
    assert_eq!((stats.replayed_records, stats.truncated_tails), (150, 0));
    let replay: Vec<u64> = drain(&queue, &mut reader, IDLE)
        .await
        .iter()
        .map(|r| r.seq())
        .collect();
    assert_eq!(replay, (151..=300).collect::<Vec<_>>());
    // Numbering goes on after the last record on disk.
    assert_eq!(append(&queue, 301, 10).await.unwrap(), 301);
    reader.confirm(300).unwrap();
    queue.close().await;
    drop(reader);

    let (queue, mut reader) = Queue::open(dir.path(), small()).unwrap();
    let replay: Vec<u64> = drain(&queue, &mut reader, IDLE)
        .await
        .iter()
        .map(|r| r.seq())
        .collect();
    assert_eq!(replay, [301]);
    queue.close().await;
}

#[tokio::test]
async fn peek_does_not_move_and_rewind_returns_what_was_not_confirmed() {
    let dir = tempfile::tempdir().unwrap();
    let (queue, mut reader) = Queue::open(dir.path(), small()).unwrap();
    for id in 1..=10 {
        append(&queue, id, 50).await.unwrap();
    }
    let seqs =
        |records: Vec<durable_queue::Record>| records.iter().map(|r| r.seq()).collect::<Vec<_>>();
    let budget = 3 * 200; // about three records
    let peeked = seqs(reader.peek(budget).await.unwrap());
    assert_eq!(seqs(reader.peek(budget).await.unwrap()), peeked);
    assert_eq!(seqs(reader.next(budget).await.unwrap()), peeked);
    let second = seqs(reader.next(budget).await.unwrap());
    assert_eq!(second[0], peeked.last().unwrap() + 1);
    reader.confirm(peeked[peeked.len() - 1]).unwrap();
    reader.rewind();
    assert_eq!(seqs(reader.next(budget).await.unwrap()), second);
    queue.close().await;
}

#[tokio::test]
async fn a_full_queue_refuses_appends_with_backpressure_until_records_are_confirmed() {
    let dir = tempfile::tempdir().unwrap();
    let options = Options::new().with_max_bytes(256 * 1024);
    assert_eq!(options.full_policy(), FullPolicy::Backpressure);
    assert_eq!(options.segment_bytes(), 64 * 1024);
    let (queue, mut reader) = Queue::open(dir.path(), options).unwrap();
    let mut acked = 0;
    let error = loop {
        match append(&queue, acked + 1, 2000).await {
            Ok(_) => acked += 1,
            Err(error) => break error,
        }
    };
    let Error::Full {
        queued_bytes,
        queued_records,
        max_bytes,
    } = error
    else {
        panic!("expected Full, got {error}");
    };
    assert!(error.is_transient() && !error.is_storage_full());
    assert_eq!((queued_records, max_bytes), (acked, 256 * 1024));
    assert!(queued_bytes > 200 * 1024 && queued_bytes <= 256 * 1024);
    assert!(matches!(
        append(&queue, 0, 2000).await,
        Err(Error::Full { .. })
    ));
    let stats = queue.stats();
    assert_eq!((stats.rejected_full, stats.dropped_full_records), (2, 0));
    assert!(stats.disk_bytes <= 256 * 1024);

    // The database catches up: space comes back a segment at a time.
    let read = drain(&queue, &mut reader, IDLE).await;
    assert_eq!(read.len() as u64, acked, "nothing accepted was dropped");
    reader.confirm(read[read.len() / 2].seq()).unwrap();
    eventually("a segment to be freed", || {
        queue.stats().disk_bytes < 200 * 1024
    })
    .await;
    assert_eq!(append(&queue, acked + 1, 2000).await.unwrap(), acked + 1);
    queue.close().await;
}

#[tokio::test]
async fn drop_oldest_makes_room_by_dropping_whole_old_segments_and_counts_them() {
    let dir = tempfile::tempdir().unwrap();
    let options = Options::new()
        .with_max_bytes(256 * 1024)
        .with_full_policy(FullPolicy::DropOldest);
    let (queue, mut reader) = Queue::open(dir.path(), options).unwrap();
    let total = 600u64; // about 1.2 MB: several times the bound
    for id in 1..=total {
        append(&queue, id, 2000).await.unwrap();
        assert!(queue.stats().disk_bytes <= 256 * 1024 + 4096);
    }
    let stats = queue.stats();
    assert!(stats.dropped_full_records > 0);
    assert_eq!(stats.rejected_full, 0);
    let read: Vec<u64> = drain(&queue, &mut reader, IDLE)
        .await
        .iter()
        .map(id_of)
        .collect();
    // The newest records survive, consecutive, up to the last one; the others were counted.
    assert_eq!(*read.last().unwrap(), total);
    assert!(read.windows(2).all(|w| w[1] == w[0] + 1));
    assert_eq!(
        read.len() as u64 + queue.stats().dropped_full_records,
        total
    );
    eventually("dropped segments to be deleted", || {
        segment_files(dir.path()).len() as u64 == queue.stats().segments
    })
    .await;
    queue.close().await;
    drop(reader);

    // The drop moved the confirmed position: a restart does not bring the dropped back.
    let (queue, mut reader) = Queue::open(dir.path(), Options::new()).unwrap();
    let replay: Vec<u64> = drain(&queue, &mut reader, IDLE)
        .await
        .iter()
        .map(id_of)
        .collect();
    assert_eq!(replay, read);
    queue.close().await;
}

#[tokio::test]
async fn a_record_larger_than_a_segment_is_refused_alone() {
    let dir = tempfile::tempdir().unwrap();
    let options = Options::new().with_max_bytes(1024 * 1024);
    let (queue, mut reader) = Queue::open(dir.path(), options.clone()).unwrap();
    let huge = TestBatch::new(1, 1, options.max_record_bytes() as usize);
    let error = queue.append(&huge.batch()).await.unwrap_err();
    assert!(
        matches!(error, Error::TooLarge { .. }) && !error.is_transient(),
        "{error}"
    );
    // The largest record that fits is accepted, alone in its segment.
    let fits = options.max_record_bytes() as usize - 200;
    append(&queue, 2, fits).await.unwrap();
    append(&queue, 3, fits).await.unwrap();
    assert_eq!(queue.stats().segments, 2);
    let read: Vec<u64> = drain(&queue, &mut reader, IDLE)
        .await
        .iter()
        .map(id_of)
        .collect();
    assert_eq!(read, [2, 3]);
    let empty = Lines::new(b"", &[]);
    assert_eq!(
        queue
            .append(&Batch::new("db", Signal::Logs, empty))
            .await
            .unwrap(),
        3
    );
    queue.close().await;
}

#[tokio::test]
async fn close_writes_what_was_accepted_then_refuses_and_ends_the_reader() {
    let dir = tempfile::tempdir().unwrap();
    let (queue, mut reader) = Queue::open(dir.path(), small()).unwrap();
    let batches: Vec<_> = (1..=50).map(|id| TestBatch::new(id, 1, 100)).collect();
    let pending: Vec<_> = batches.iter().map(|b| queue.append(&b.batch())).collect();
    let clone = queue.clone();
    queue.close().await;
    for append in pending {
        append.await.unwrap();
    }
    assert!(matches!(
        common::append(&clone, 99, 10).await,
        Err(Error::Closed)
    ));
    let read = drain(&queue, &mut reader, IDLE).await;
    assert_eq!(read.len(), 50);
    assert!(matches!(reader.next(1024).await, Err(Error::Closed)));
}

#[tokio::test]
async fn a_directory_is_used_by_one_queue_at_a_time() {
    let dir = tempfile::tempdir().unwrap();
    let (queue, _reader) = Queue::open(dir.path(), small()).unwrap();
    let error = Queue::open(dir.path(), small()).unwrap_err();
    assert!(matches!(error, Error::Locked { .. }), "{error}");
    queue.close().await;
    let (queue, _reader) = Queue::open(dir.path(), small()).unwrap();
    queue.close().await;
}

#[tokio::test]
async fn interval_policy_resolves_on_write_and_syncs_in_the_background() {
    let dir = tempfile::tempdir().unwrap();
    let options = small().with_fsync(FsyncPolicy::Interval(Duration::from_millis(20)));
    let (queue, mut reader) = Queue::open(dir.path(), options).unwrap();
    for id in 1..=100 {
        append(&queue, id, 100).await.unwrap();
    }
    eventually("a periodic sync", || queue.stats().fsyncs > 1).await;
    assert!(queue.stats().fsyncs < 50);
    let read: Vec<u64> = drain(&queue, &mut reader, IDLE)
        .await
        .iter()
        .map(id_of)
        .collect();
    assert_eq!(read, (1..=100).collect::<Vec<_>>());
    queue.close().await;
}

#[tokio::test]
async fn dropping_every_handle_closes_the_queue_and_keeps_its_records() {
    let dir = tempfile::tempdir().unwrap();
    let (queue, reader) = Queue::open(dir.path(), small()).unwrap();
    for id in 1..=20 {
        append(&queue, id, 100).await.unwrap();
    }
    drop(queue);
    drop(reader);
    // The writer thread lets go of the directory shortly after.
    let mut reopened = None;
    eventually("the directory lock to be released", || {
        reopened = Queue::open(dir.path(), small()).ok();
        reopened.is_some()
    })
    .await;
    let (queue, mut reader) = reopened.unwrap();
    assert_eq!(drain(&queue, &mut reader, IDLE).await.len(), 20);
    queue.close().await;
}
