//! Exporting allocates a constant handful per batch, not per span: spans are encoded straight
//! from `SpanData` into the exporter's reused buffer. Proven with a counting global allocator.
//! (One test in this binary, so no other test allocates concurrently.)

mod support;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use opentelemetry::KeyValue;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::SpanExporter as _;
use sdk_exporter::{ExporterBuilder, LineSink, SinkFuture, SinkOutcome};

struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

// A counting allocator has to implement `GlobalAlloc`, which is unsafe; it only forwards.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Takes the lines and does nothing with them.
#[derive(Debug)]
struct Discard;

impl LineSink for Discard {
    fn write<'a>(&'a self, lines: lineproto::Lines<'a>, _deadline: Instant) -> SinkFuture<'a> {
        Box::pin(std::future::ready(SinkOutcome::written(lines.len())))
    }
}

#[test]
fn allocations_per_export_do_not_grow_with_the_batch() {
    let mut exporter = ExporterBuilder::new()
        .with_env(|_| None)
        .with_sink(Discard)
        .build_span_exporter()
        .unwrap();
    exporter.set_resource(
        &Resource::builder_empty()
            .with_attribute(KeyValue::new("service.name", "checkout"))
            .build(),
    );
    let mut per_export = Vec::new();
    for traces in [1, 10, 170] {
        let batches: Vec<_> = (0..4)
            .map(|_| support::spans::request_spans(traces))
            .collect();
        let mut counts = Vec::new();
        for batch in batches {
            let before = ALLOCATIONS.load(Ordering::SeqCst);
            futures_executor::block_on(exporter.export(batch)).unwrap();
            counts.push(ALLOCATIONS.load(Ordering::SeqCst) - before);
        }
        // The first export of a bigger batch may grow the buffers; after that, steady state.
        per_export.push((traces * 3, counts[3]));
    }
    eprintln!("(spans, allocations) per export in steady state: {per_export:?}");
    let (small, large) = (per_export[0].1, per_export[2].1);
    assert!(
        large <= small,
        "allocations grow with the batch: {per_export:?}"
    );
    assert!(
        large <= 2,
        "more than the boxed sink future per export: {per_export:?}"
    );
}
