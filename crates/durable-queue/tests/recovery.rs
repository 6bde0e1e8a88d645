//! Damage on disk: torn tails at every byte of the last record, flipped bytes, damage in the
//! middle of the queue, torn and damaged headers, a damaged checkpoint, bit rot found while
//! reading. Opening never fails: it keeps every good record and counts what it cut.

mod common;

use std::fs::{self, OpenOptions};
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::{append, drain, first_seq_of, id_of, segment_files};
use durable_queue::{Options, Queue};

const IDLE: Duration = Duration::from_millis(100);
const RECORDS: u64 = 12;

fn options() -> Options {
    Options::new()
        .with_segment_bytes(8 * 1024)
        .with_max_bytes(16 * 1024 * 1024)
}

/// A queue of `records` records, closed; returns the last segment and where its last record
/// starts.
async fn build(dir: &Path, records: u64, pad: usize) -> (PathBuf, u64) {
    let (queue, _reader) = Queue::open(dir, options()).unwrap();
    for id in 1..records {
        append(&queue, id, pad).await.unwrap();
    }
    let last = segment_files(dir).pop().unwrap();
    let start = fs::metadata(&last).unwrap().len();
    append(&queue, records, pad).await.unwrap();
    queue.close().await;
    assert_eq!(
        segment_files(dir).pop().unwrap(),
        last,
        "the last record went into a new segment"
    );
    (last, start)
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

/// Opens `dir`, reads everything, appends one more record and reopens: what was read, the
/// open's stats, and whether the queue went on cleanly.
async fn reopen(dir: &Path) -> (Vec<u64>, durable_queue::Stats) {
    let (queue, mut reader) = Queue::open(dir, options()).unwrap();
    let stats = queue.stats();
    let read: Vec<u64> = drain(&queue, &mut reader, IDLE)
        .await
        .iter()
        .map(id_of)
        .collect();
    let seq = append(&queue, 1000, 10).await.unwrap();
    assert_eq!(
        seq,
        read.len() as u64 + 1,
        "numbering goes on after the last good record"
    );
    queue.close().await;
    drop(reader);
    let (queue, mut reader) = Queue::open(dir, options()).unwrap();
    assert_eq!(queue.stats().truncated_tails, 0, "the cut left a clean end");
    let again: Vec<u64> = drain(&queue, &mut reader, IDLE)
        .await
        .iter()
        .map(id_of)
        .collect();
    assert_eq!(again[..again.len() - 1], read[..]);
    assert_eq!(again.last(), Some(&1000));
    queue.close().await;
    (read, stats)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tail_torn_at_every_byte_of_the_last_record_is_cut_and_the_rest_replayed() {
    let original = tempfile::tempdir().unwrap();
    let (last, start) = build(original.path(), RECORDS, 120).await;
    let end = fs::metadata(&last).unwrap().len();
    let before: Vec<u64> = (1..RECORDS).collect();
    for cut in start..end {
        let work = tempfile::tempdir().unwrap();
        copy_dir(original.path(), work.path());
        let segment = work.path().join(last.file_name().unwrap());
        OpenOptions::new()
            .write(true)
            .open(&segment)
            .unwrap()
            .set_len(cut)
            .unwrap();
        let (read, stats) = reopen(work.path()).await;
        assert_eq!(read, before, "cut at {cut}");
        // A cut exactly between records is a clean end, not a torn tail.
        let torn = u64::from(cut > start);
        assert_eq!(
            (stats.truncated_tails, stats.truncated_bytes),
            (torn, cut - start),
            "cut at {cut}"
        );
        assert_eq!(stats.dropped_corrupt_records, 0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_byte_damaged_anywhere_in_the_last_record_cuts_that_record_only() {
    let original = tempfile::tempdir().unwrap();
    let (last, start) = build(original.path(), RECORDS, 120).await;
    let end = fs::metadata(&last).unwrap().len();
    for at in start..end {
        let work = tempfile::tempdir().unwrap();
        copy_dir(original.path(), work.path());
        let segment = work.path().join(last.file_name().unwrap());
        let mut bytes = fs::read(&segment).unwrap();
        bytes[at as usize] ^= 0x5a;
        fs::write(&segment, &bytes).unwrap();
        let (read, stats) = reopen(work.path()).await;
        assert_eq!(read, (1..RECORDS).collect::<Vec<_>>(), "damage at {at}");
        assert_eq!(
            (stats.truncated_tails, stats.truncated_bytes),
            (1, end - start),
            "damage at {at}"
        );
    }
}

#[tokio::test]
async fn damage_in_the_middle_skips_to_the_next_segment_and_is_counted() {
    let dir = tempfile::tempdir().unwrap();
    build(dir.path(), 40, 400).await;
    let segments = segment_files(dir.path());
    assert!(segments.len() >= 3);
    // Damage the second record of the first segment.
    let first = &segments[0];
    let mut bytes = fs::read(first).unwrap();
    let second_record = 24 + u32::from_le_bytes(bytes[28..32].try_into().unwrap()) as usize + 16;
    bytes[second_record + 40] ^= 0xff;
    fs::write(first, &bytes).unwrap();
    let next_first = first_seq_of(&segments[1]);

    let (queue, mut reader) = Queue::open(dir.path(), options()).unwrap();
    let stats = queue.stats();
    assert_eq!(
        stats.dropped_corrupt_records,
        next_first - 2,
        "records 2.. of the first segment"
    );
    assert_eq!(stats.truncated_tails, 0);
    let read: Vec<u64> = drain(&queue, &mut reader, IDLE)
        .await
        .iter()
        .map(id_of)
        .collect();
    let expected: Vec<u64> = std::iter::once(1).chain(next_first..=40).collect();
    assert_eq!(read, expected);
    queue.close().await;
}

#[tokio::test]
async fn damaged_headers_a_torn_new_segment_and_a_damaged_checkpoint_never_stop_the_open() {
    let dir = tempfile::tempdir().unwrap();
    build(dir.path(), 40, 400).await;
    let segments = segment_files(dir.path());
    // A segment created just before a power cut: its header never reached the disk.
    let torn = dir.path().join("00000000000000000041.seg");
    fs::write(&torn, [0u8; 10]).unwrap();
    // A middle segment whose header rotted.
    let middle = &segments[1];
    let mut bytes = fs::read(middle).unwrap();
    bytes[3] ^= 1;
    fs::write(middle, &bytes).unwrap();
    let lost = first_seq_of(&segments[2]) - first_seq_of(&segments[1]);
    fs::write(dir.path().join("checkpoint"), b"not a checkpoint").unwrap();

    let (queue, mut reader) = Queue::open(dir.path(), options()).unwrap();
    let stats = queue.stats();
    assert_eq!((stats.truncated_tails, stats.truncated_bytes), (1, 10));
    assert_eq!(stats.dropped_corrupt_records, lost);
    assert!(!torn.exists());
    let mut aside = middle.clone().into_os_string();
    aside.push(".corrupt");
    assert!(
        Path::new(&aside).exists(),
        "the damaged segment is kept aside for a person"
    );
    let read = drain(&queue, &mut reader, IDLE).await;
    assert_eq!(read.len() as u64, 40 - lost);
    assert_eq!(read.last().unwrap().seq(), 40);
    queue.close().await;
}

#[tokio::test]
async fn bit_rot_found_while_reading_skips_the_rest_of_that_segment() {
    let dir = tempfile::tempdir().unwrap();
    let (queue, mut reader) = Queue::open(dir.path(), options()).unwrap();
    for id in 1..=40 {
        append(&queue, id, 400).await.unwrap();
    }
    let segments = segment_files(dir.path());
    let first = &segments[0];
    let next_first = first_seq_of(&segments[1]);
    let mut bytes = fs::read(first).unwrap();
    let len = bytes.len();
    bytes[len - 5] ^= 0xff; // the last record of the first segment
    fs::write(first, &bytes).unwrap();

    let read: Vec<u64> = drain(&queue, &mut reader, IDLE)
        .await
        .iter()
        .map(id_of)
        .collect();
    let expected: Vec<u64> = (1..next_first - 1).chain(next_first..=40).collect();
    assert_eq!(read, expected);
    assert_eq!(queue.stats().dropped_corrupt_records, 1);
    queue.close().await;
}
