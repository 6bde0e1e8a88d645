//! Exporting allocates a constant handful per batch, not per span: spans are encoded straight
//! from `SpanData` into the exporter's reused buffer. Proven with a counting global allocator.
//! (One test in this binary, so no other test allocates concurrently.)

mod support;

use opentelemetry::KeyValue;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::SpanExporter as _;
use sdk_exporter::SpanExporterBuilder;
use support::discard::Discard;
use test_support::alloc::{CountingAllocator, count_in_process};

// Only this binary replaces the global allocator; it counts every thread's allocations.
#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator::new();

#[test]
fn allocations_per_export_do_not_grow_with_the_batch() {
    let mut exporter = SpanExporterBuilder::new()
        .with_env(|_| None)
        .with_sink(Discard)
        .build()
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
            counts.push(count_in_process(|| {
                futures_executor::block_on(exporter.export(batch)).unwrap();
            }));
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
