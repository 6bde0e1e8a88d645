//! Helpers shared by the integration tests.
#![allow(dead_code, unreachable_pub)]

use std::time::Duration;

use durable_queue::{Batch, Error, Queue, Reader, Record, Signal};
use lineproto::Lines;

/// Lines of a batch: `count` lines naming `id`, one with a raw LF inside a string field (the
/// boundaries must survive), padded to about `pad` bytes.
pub struct TestBatch {
    pub bytes: Vec<u8>,
    pub ends: Vec<usize>,
}

impl TestBatch {
    pub fn new(id: u64, count: usize, pad: usize) -> Self {
        let mut bytes = Vec::new();
        let mut ends = Vec::new();
        for line in 0..count.max(1) {
            let filler = "x".repeat(pad / count.max(1));
            bytes.extend_from_slice(
                format!("spans,id={id} line={line}i,s=\"a\nb{filler}\" {id}\n").as_bytes(),
            );
            ends.push(bytes.len());
        }
        Self { bytes, ends }
    }

    pub fn lines(&self) -> Lines<'_> {
        Lines::new(&self.bytes, &self.ends)
    }

    pub fn batch(&self) -> Batch<'_> {
        Batch::new("otel", Signal::Traces, self.lines())
    }
}

pub async fn append(queue: &Queue, id: u64, pad: usize) -> Result<u64, Error> {
    let batch = TestBatch::new(id, 3, pad);
    queue.append(&batch.batch()).await
}

/// The batch id a record was made from.
pub fn id_of(record: &Record) -> u64 {
    let text = std::str::from_utf8(record.lines().get(0)).unwrap();
    let id: u64 = text["spans,id=".len()..text.find(' ').unwrap()]
        .parse()
        .unwrap();
    // The whole record is what TestBatch made for this id (any pad: compare the shape).
    assert!(record.lines().iter().enumerate().all(|(i, line)| {
        line.starts_with(format!("spans,id={id} line={i}i,s=\"a\nb").as_bytes())
            && line.ends_with(format!("\" {id}\n").as_bytes())
    }));
    id
}

/// Everything written so far: reads until the last record written (or until `idle` passes
/// without a record, when the last ones were lost to damage).
pub async fn drain(queue: &Queue, reader: &mut Reader, idle: Duration) -> Vec<Record> {
    let mut out: Vec<Record> = Vec::new();
    loop {
        let last_read = out.last().map_or(reader.confirmed(), |r| r.seq());
        if last_read >= queue.stats().last_seq {
            return out;
        }
        match tokio::time::timeout(idle, reader.next(1 << 20)).await {
            Ok(Ok(records)) => out.extend(records),
            Ok(Err(Error::Closed)) | Err(_) => return out,
            Ok(Err(error)) => panic!("reading failed: {error}"),
        }
    }
}

/// Waits for a condition the writer thread brings about (deleting files, saving the
/// checkpoint), failing after 5 s.
pub async fn eventually(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while !condition() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The segment files in a queue directory, oldest first.
pub fn segment_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "seg"))
        .collect();
    files.sort();
    files
}

/// The first sequence number of a segment file (its name).
pub fn first_seq_of(segment: &std::path::Path) -> u64 {
    segment
        .file_stem()
        .unwrap()
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}
