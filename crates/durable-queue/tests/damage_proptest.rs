//! Any damage to any segment, generated: random bytes overwritten, a file cut short, garbage
//! appended. Opening never fails or panics, every record read back is byte for byte the one
//! appended with that sequence number, in order, and every record stored before the damage
//! (in earlier segments, or earlier in the damaged one) is still there.

mod common;

use std::fs::{self, OpenOptions};
use std::time::Duration;

use common::{TestBatch, drain, segment_files};
use durable_queue::{FsyncPolicy, Options, Queue};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Damage {
    /// Overwrite bytes at a fraction of the file's length.
    Overwrite { at: f64, bytes: Vec<u8> },
    /// Cut the file at a fraction of its length.
    Cut { at: f64 },
    /// Garbage after the end (a torn append).
    Append { bytes: Vec<u8> },
}

fn damage() -> impl Strategy<Value = Damage> {
    prop_oneof![
        (0.0..1.0f64, prop::collection::vec(any::<u8>(), 1..40))
            .prop_map(|(at, bytes)| Damage::Overwrite { at, bytes }),
        (0.0..1.0f64).prop_map(|at| Damage::Cut { at }),
        prop::collection::vec(any::<u8>(), 1..300).prop_map(|bytes| Damage::Append { bytes }),
    ]
}

fn options() -> Options {
    Options::new()
        .with_segment_bytes(4096)
        .with_max_bytes(16 * 1024 * 1024)
        // Syncs are not what this test is about; closing syncs.
        .with_fsync(FsyncPolicy::Interval(Duration::from_secs(3600)))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn any_damage_keeps_every_record_before_it_and_invents_none(
        sizes in prop::collection::vec(0usize..1500, 1..40),
        segment_pick in any::<prop::sample::Index>(),
        damage in damage(),
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(check(sizes, segment_pick, damage));
    }
}

async fn check(sizes: Vec<usize>, segment_pick: prop::sample::Index, damage: Damage) {
    let dir = tempfile::tempdir().unwrap();
    let batches: Vec<TestBatch> = sizes
        .iter()
        .enumerate()
        .map(|(i, &pad)| TestBatch::new(i as u64 + 1, 1 + pad % 3, pad))
        .collect();
    // Where each record lies: (segment index, end offset), from the writer's own numbering.
    let (queue, mut reader) = Queue::open(dir.path(), options()).unwrap();
    for batch in &batches {
        queue.append(&batch.batch()).await.unwrap();
    }
    let records = drain(&queue, &mut reader, Duration::from_millis(100)).await;
    queue.close().await;
    drop(reader);
    let segments = segment_files(dir.path());
    let firsts: Vec<u64> = segments.iter().map(|p| common::first_seq_of(p)).collect();
    let mut ends = Vec::new(); // per record: (segment index, end offset in it)
    let mut offset = 0;
    for record in &records {
        let segment = firsts.partition_point(|&first| first <= record.seq()) - 1;
        if firsts[segment] == record.seq() {
            offset = 24; // the segment header
        }
        offset += record.encoded_len();
        ends.push((segment, offset));
    }

    let target = segment_pick.index(segments.len());
    let path = &segments[target];
    let len = fs::metadata(path).unwrap().len();
    let damaged_from = match &damage {
        Damage::Overwrite { at, bytes } => {
            let start = ((len as f64 * at) as u64).min(len - 1);
            let mut content = fs::read(path).unwrap();
            let mut changed = None;
            for (i, byte) in bytes.iter().enumerate() {
                let at = start as usize + i;
                if at < content.len() && content[at] != *byte {
                    changed.get_or_insert(at as u64);
                    content[at] = *byte;
                }
            }
            fs::write(path, &content).unwrap();
            changed.unwrap_or(len)
        }
        Damage::Cut { at } => {
            let cut = (len as f64 * at) as u64;
            OpenOptions::new()
                .write(true)
                .open(path)
                .unwrap()
                .set_len(cut)
                .unwrap();
            cut
        }
        Damage::Append { bytes } => {
            let mut content = fs::read(path).unwrap();
            content.extend_from_slice(bytes);
            fs::write(path, &content).unwrap();
            len
        }
    };

    let (queue, mut reader) = Queue::open(dir.path(), options())
        .unwrap_or_else(|error| panic!("open refused after {damage:?}: {error}"));
    let read = drain(&queue, &mut reader, Duration::from_millis(100)).await;
    let mut last = 0;
    for record in &read {
        assert!(record.seq() > last, "out of order after {damage:?}");
        last = record.seq();
        let original = &batches[record.seq() as usize - 1];
        assert_eq!(
            record.bytes(),
            &original.bytes[..],
            "record {} changed",
            record.seq()
        );
        let lines: Vec<_> = record.lines().iter().collect();
        let expected: Vec<_> = original.lines().iter().collect();
        assert_eq!(lines, expected);
    }
    let kept: Vec<u64> = read.iter().map(|r| r.seq()).collect();
    for (record, &(segment, end)) in records.iter().zip(&ends) {
        let before_damage = segment < target || (segment == target && end <= damaged_from);
        if before_damage {
            assert!(
                kept.contains(&record.seq()),
                "record {} (segment {segment}, ends at {end}) lost to {damage:?} at {damaged_from} in segment {target}",
                record.seq()
            );
        }
    }
    // Damage to the last segment is a torn tail: nothing after it survives, nothing before
    // it is lost, and the queue goes on from the last good record.
    if target == segments.len() - 1 {
        assert!(
            read.iter()
                .all(|r| ends[r.seq() as usize - 1].1 <= damaged_from
                    || ends[r.seq() as usize - 1].0 < target)
        );
    }
    queue.close().await;
}
