//! `DiskBuffer` (feature `disk-buffer`): exports are acknowledged once on disk, delivered in order
//! once the destination is back, and what a run left undelivered is replayed by the next one.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use lineproto::Lines;
use sdk_exporter::{DiskBuffer, DiskBufferOptions, LineSink, SinkFuture, SinkOutcome};

/// A destination that fails while `down`, and keeps every line it took.
#[derive(Debug, Default)]
struct Flaky {
    down: AtomicBool,
    taken: Mutex<Vec<String>>,
}

impl LineSink for Flaky {
    fn write<'a>(&'a self, lines: Lines<'a>, _deadline: Instant) -> SinkFuture<'a> {
        let outcome = if self.down.load(Ordering::SeqCst) {
            SinkOutcome::failed(lines.len(), "connection refused")
        } else {
            let mut taken = self.taken.lock().unwrap();
            taken.extend(
                lines
                    .iter()
                    .map(|l| String::from_utf8_lossy(l).into_owned()),
            );
            SinkOutcome::written(lines.len())
        };
        Box::pin(std::future::ready(outcome))
    }
}

fn lines(batch: usize) -> lineproto::Encoder {
    let mut encoder = lineproto::Encoder::new(lineproto::EncoderOptions::new(
        lineproto::Dialect::InfluxDbV1,
    ));
    for i in 0..3i64 {
        encoder
            .start_line("spans")
            .tag("n", &format!("{batch}-{i}"))
            .field_i64("x", i);
        encoder
            .end_line(Some(1_700_000_000_000_000_000 + i))
            .unwrap();
    }
    encoder
}

fn wait_until(what: &str, done: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn acknowledged_exports_survive_an_outage_and_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let destination = Arc::new(Flaky::default());
    destination.down.store(true, Ordering::SeqCst);

    // The destination is down: every export is still acknowledged, because it is on disk.
    let buffer = DiskBuffer::open(
        dir.path(),
        DiskBufferOptions::new(),
        Arc::clone(&destination),
    )
    .unwrap();
    for batch in 0..4 {
        let encoder = lines(batch);
        let outcome = futures_executor::block_on(buffer.write(encoder.lines(), Instant::now()));
        assert_eq!(outcome, SinkOutcome::written(3), "batch {batch}");
    }
    wait_until("a failed delivery", || buffer.stats().failed_writes > 0);
    assert_eq!(buffer.stats().appended_batches, 4);
    assert_eq!(buffer.stats().delivered_batches, 0);
    // Shutdown while the destination is still down: flush gives up at its deadline, the data
    // stays on disk.
    buffer
        .flush(Instant::now() + Duration::from_millis(100))
        .unwrap();
    drop(buffer);
    assert!(destination.taken.lock().unwrap().is_empty());

    // The next run, with the destination back: everything, in order, exactly once.
    destination.down.store(false, Ordering::SeqCst);
    let buffer = DiskBuffer::open(
        dir.path(),
        DiskBufferOptions::new(),
        Arc::clone(&destination),
    )
    .unwrap();
    let encoder = lines(4);
    futures_executor::block_on(buffer.write(encoder.lines(), Instant::now()));
    buffer
        .flush(Instant::now() + Duration::from_secs(20))
        .unwrap();
    let taken = destination.taken.lock().unwrap().clone();
    let expected: Vec<String> = (0..5)
        .flat_map(|batch| {
            (0..3i64).map(move |i| {
                format!(
                    "spans,n={batch}-{i} x={i}i {}",
                    1_700_000_000_000_000_000i64 + i
                )
            })
        })
        .collect();
    assert_eq!(taken.len(), expected.len(), "{taken:#?}");
    for (got, want) in taken.iter().zip(&expected) {
        assert_eq!(got.trim_end(), want);
    }
    assert_eq!(buffer.stats().delivered_batches, 5);
    assert_eq!(buffer.stats().written_lines, 15);
    drop(buffer);

    // Nothing is replayed a third time.
    let buffer = DiskBuffer::open(
        dir.path(),
        DiskBufferOptions::new(),
        Arc::clone(&destination),
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(buffer.stats().delivered_batches, 0);
    assert_eq!(destination.taken.lock().unwrap().len(), 15);
}

#[test]
fn a_second_buffer_on_the_same_directory_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let destination = Arc::new(Flaky::default());
    let _first = DiskBuffer::open(
        dir.path(),
        DiskBufferOptions::new(),
        Arc::clone(&destination),
    )
    .unwrap();
    let second = DiskBuffer::open(dir.path(), DiskBufferOptions::new(), destination);
    assert!(second.is_err(), "the queue's directory lock holds");
}

#[test]
fn the_builder_puts_the_buffer_between_the_exporter_and_its_sink() {
    use opentelemetry::trace::{Tracer as _, TracerProvider as _};
    use opentelemetry_sdk::trace::SdkTracerProvider;

    let dir = tempfile::tempdir().unwrap();
    let sink = sdk_exporter::MemorySink::new();
    let builder = sdk_exporter::SpanExporter::builder()
        .with_endpoint("http://127.0.0.1:8361")
        .with_database("otel")
        .with_sink(sink.clone())
        .with_disk_buffer(dir.path(), DiskBufferOptions::new());
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(builder.build().unwrap())
        .build();
    provider
        .tracer("disk-buffer-test")
        .in_span("buffered", |_| {});
    provider.shutdown().unwrap();
    assert!(
        sink.lines().iter().any(|l| l.starts_with("spans,")),
        "the span went through the queue to the sink: {:?}",
        sink.lines()
    );
    // The queue's directory holds its segments.
    assert!(std::fs::read_dir(dir.path()).unwrap().count() > 0);
}
