//! Append throughput of the durable queue on this machine's disk, per fsync policy: appends/s
//! and MB/s, with 32 appends in flight (32 concurrent requests at a gateway) and a consumer
//! reading and confirming all along, as the database writer does.
//!
//! Two record sizes: a batch of 100 span lines (about 90 KB, a typical OTLP export request
//! mapped to line protocol) and a single span line (about 1 KB). The fsyncs per append are
//! printed after each case: group commit shares one sync among many appends.
//!
//! Run: `cargo bench -p durable-queue --bench append`. The queue lives in the system temp
//! directory (`TMPDIR`), so the figures are that file system's.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use durable_queue::{Batch, FsyncPolicy, Options, Queue, Signal};
use lineproto::{Dialect, Encoder, EncoderOptions};

/// Appends in flight at once.
const IN_FLIGHT: usize = 32;

/// About 600 bytes of span attributes as JSON (the `attributes` field).
const ATTRIBUTES: &str = r#"{"http.request.method":"POST","url.full":"https://shop.example.com/api/v2/orders/8812/items?expand=product&page=2","user_agent.original":"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/124.0","db.statement":"SELECT id, name FROM order_items WHERE order_id = $1 LIMIT 50","server.address":"orders.internal","server.port":8443,"http.response.status_code":200,"network.protocol.version":"1.1","client.address":"10.1.2.3","thread.name":"tokio-runtime-worker","code.function":"handle_order","code.namespace":"orders::api","retry":1}"#;

/// `spans` span lines of the otel2influx shape.
fn span_lines(spans: usize) -> Encoder {
    let mut encoder = Encoder::new(EncoderOptions::new(Dialect::InfluxDbV1));
    for i in 0..spans as i64 {
        let start = 1_700_000_000_000_000_000 + i * 1_000;
        encoder
            .start_line("spans")
            .tag("trace_id", "4bf92f3577b34da6a3ce929d0e0e4736")
            .tag(
                "span_id",
                &format!("{:016x}", 0x00f0_67aa_0ba9_0000u64 + i as u64),
            )
            .tag("service.name", "checkout")
            .field_str("name", "POST /api/v2/orders/{id}/items")
            .field_str("kind", "SPAN_KIND_SERVER")
            .field_str("parent_span_id", "00f067aa0ba902b7")
            .field_i64("duration_nano", 1_532_000 + i)
            .field_i64("end_time_unix_nano", start + 1_532_000)
            .field_str("otel.status_code", "OK")
            .field_str("attributes", ATTRIBUTES);
        encoder.end_line(Some(start)).unwrap();
    }
    encoder
}

fn append(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut group = c.benchmark_group("append");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(4));
    for (label, spans) in [("100 spans", 100), ("1 span", 1)] {
        let encoder = span_lines(spans);
        let batch = Batch::new("otel", Signal::Traces, encoder.lines()).with_items(spans as u32);
        for (policy_label, policy) in [
            ("always", FsyncPolicy::Always),
            ("group commit", FsyncPolicy::GroupCommit),
            (
                "interval 100ms",
                FsyncPolicy::Interval(Duration::from_millis(100)),
            ),
        ] {
            let dir = tempfile::tempdir().unwrap();
            let (queue, mut reader) =
                Queue::open(dir.path(), Options::new().with_fsync(policy)).unwrap();
            // The database writer: reads and confirms everything, keeping the queue short.
            let consumer = runtime.spawn(async move {
                while let Ok(records) = reader.next(8 << 20).await {
                    reader.confirm(records.last().unwrap().seq()).unwrap();
                }
            });
            let record_bytes = {
                let seq = runtime.block_on(queue.append(&batch)).unwrap();
                queue.stats().appended_bytes / seq
            };
            group.throughput(Throughput::Bytes(record_bytes));
            let id = BenchmarkId::new(policy_label, format!("{label}, {record_bytes} B"));
            let before = queue.stats();
            group.bench_function(id, |b| {
                b.iter_custom(|iterations| {
                    runtime.block_on(async {
                        let start = Instant::now();
                        let mut in_flight = VecDeque::with_capacity(IN_FLIGHT);
                        for _ in 0..iterations {
                            if in_flight.len() == IN_FLIGHT {
                                let oldest: durable_queue::Append = in_flight.pop_front().unwrap();
                                oldest.await.unwrap();
                            }
                            in_flight.push_back(queue.append(&batch));
                        }
                        for pending in in_flight {
                            pending.await.unwrap();
                        }
                        start.elapsed()
                    })
                })
            });
            let after = queue.stats();
            let appends = after.appended_records - before.appended_records;
            eprintln!(
                "  {policy_label}, {label}: {appends} appends, {:.3} fsyncs per append",
                (after.fsyncs - before.fsyncs) as f64 / appends.max(1) as f64
            );
            runtime.block_on(queue.close());
            runtime.block_on(consumer).unwrap();
        }
    }
    group.finish();
}

criterion_group!(benches, append);
criterion_main!(benches);
