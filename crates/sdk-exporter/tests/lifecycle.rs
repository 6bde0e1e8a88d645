//! Deadlines, shutdown, failures and counters: nothing hangs, nothing is lost without a count.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use opentelemetry::trace::{Tracer, TracerProvider};
use opentelemetry_sdk::error::OTelSdkError;
use opentelemetry_sdk::logs::LogExporter as _;
use opentelemetry_sdk::metrics::exporter::PushMetricExporter as _;
use opentelemetry_sdk::trace::{SdkTracerProvider, SpanExporter as _};
use sdk_exporter::{
    LineSink, LogExporter, MemorySink, MetricExporter, SinkFuture, SinkOutcome, SpanExporterBuilder,
};
use support::loopback::{Loopback, Reply};
use support::spans::request_spans;

fn memory(sink: &MemorySink) -> SpanExporterBuilder {
    SpanExporterBuilder::new()
        .with_env(|_| None)
        .with_sink(sink.clone())
}

fn http(server: &Loopback, timeout: Duration) -> SpanExporterBuilder {
    support::http_builder(server.url(), timeout)
}

/// A sink whose writes never complete.
#[derive(Debug)]
struct NeverAnswers;

impl LineSink for NeverAnswers {
    fn write<'a>(&'a self, _lines: lineproto::Lines<'a>, _deadline: Instant) -> SinkFuture<'a> {
        Box::pin(std::future::pending())
    }
}

/// A sink that panics on every write.
#[derive(Debug)]
struct Panics;

impl LineSink for Panics {
    fn write<'a>(&'a self, _lines: lineproto::Lines<'a>, _deadline: Instant) -> SinkFuture<'a> {
        panic!("sink bug")
    }
}

/// A sink that refuses the first line of every batch, like a server's partial write.
#[derive(Debug, Default)]
struct RejectsFirst(AtomicUsize);

impl LineSink for RejectsFirst {
    fn write<'a>(&'a self, lines: lineproto::Lines<'a>, _deadline: Instant) -> SinkFuture<'a> {
        self.0.fetch_add(1, Ordering::SeqCst);
        let outcome = SinkOutcome {
            written: lines.len() as u64 - 1,
            rejected: 1,
            retries: 2,
            error: Some("line 1: bad".into()),
            ..SinkOutcome::default()
        };
        Box::pin(std::future::ready(outcome))
    }
}

#[test]
fn shutdown_is_idempotent_and_export_after_it_is_refused() {
    let sink = MemorySink::new();
    let builder = memory(&sink);
    let spans = builder.build().unwrap();
    let logs = builder.for_exporter::<LogExporter>().build().unwrap();
    let metrics = builder.for_exporter::<MetricExporter>().build().unwrap();

    spans.shutdown().unwrap();
    assert!(matches!(
        spans.shutdown(),
        Err(OTelSdkError::AlreadyShutdown)
    ));
    assert!(matches!(
        spans.force_flush(),
        Err(OTelSdkError::AlreadyShutdown)
    ));
    let refused = futures_executor::block_on(spans.export(request_spans(1)));
    assert!(
        matches!(refused, Err(OTelSdkError::AlreadyShutdown)),
        "{refused:?}"
    );
    assert!(sink.lines().is_empty());

    logs.shutdown_with_timeout(Duration::from_secs(1)).unwrap();
    assert!(matches!(
        logs.shutdown(),
        Err(OTelSdkError::AlreadyShutdown)
    ));
    metrics.shutdown().unwrap();
    assert!(matches!(
        metrics.shutdown(),
        Err(OTelSdkError::AlreadyShutdown)
    ));
    assert!(matches!(
        metrics.force_flush(),
        Err(OTelSdkError::AlreadyShutdown)
    ));
}

/// A sink whose flush ignores its deadline and blocks for a long time.
#[derive(Debug)]
struct SlowFlush;

impl LineSink for SlowFlush {
    fn write<'a>(&'a self, lines: lineproto::Lines<'a>, _deadline: Instant) -> SinkFuture<'a> {
        Box::pin(std::future::ready(SinkOutcome::written(lines.len())))
    }
    fn flush(&self, _deadline: Instant) -> Result<(), sdk_exporter::SinkError> {
        std::thread::sleep(Duration::from_secs(30));
        Ok(())
    }
}

#[test]
fn shutdown_returns_within_its_timeout_even_if_the_sink_flush_hangs() {
    let exporter = SpanExporterBuilder::new()
        .with_env(|_| None)
        .with_sink(SlowFlush)
        .build()
        .unwrap();
    let started = Instant::now();
    let result = exporter.shutdown_with_timeout(Duration::from_millis(200));
    let took = started.elapsed();
    assert!(
        matches!(result, Err(OTelSdkError::Timeout(_))),
        "{result:?}"
    );
    assert!(took < Duration::from_secs(2), "{took:?}");
    assert!(matches!(
        exporter.shutdown(),
        Err(OTelSdkError::AlreadyShutdown)
    ));
}

#[test]
fn shutdown_flushes_the_sink() {
    /// Counts flushes.
    #[derive(Debug, Default)]
    struct CountsFlushes(AtomicUsize);
    impl LineSink for CountsFlushes {
        fn write<'a>(&'a self, lines: lineproto::Lines<'a>, _deadline: Instant) -> SinkFuture<'a> {
            Box::pin(std::future::ready(SinkOutcome::written(lines.len())))
        }
        fn flush(&self, _deadline: Instant) -> Result<(), sdk_exporter::SinkError> {
            self.0.fetch_add(1, Ordering::SeqCst);
            Ok(())
        }
    }
    let sink = Arc::new(CountsFlushes::default());
    let exporter = SpanExporterBuilder::new()
        .with_env(|_| None)
        .with_sink(Arc::clone(&sink))
        .build()
        .unwrap();
    exporter.force_flush().unwrap();
    exporter.shutdown().unwrap();
    assert_eq!(sink.0.load(Ordering::SeqCst), 2);
}

#[test]
fn a_sink_that_never_answers_is_cut_off_at_the_deadline() {
    let exporter = SpanExporterBuilder::new()
        .with_env(|_| None)
        .with_sink(NeverAnswers)
        .with_timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let started = Instant::now();
    let result = futures_executor::block_on(exporter.export(request_spans(1)));
    let took = started.elapsed();
    assert!(
        matches!(result, Err(OTelSdkError::Timeout(_))),
        "{result:?}"
    );
    assert!(
        took >= Duration::from_millis(200) && took < Duration::from_secs(3),
        "{took:?}"
    );
    let stats = exporter.stats_handle().snapshot();
    assert_eq!(
        (
            stats.timed_out_exports,
            stats.failed_exports,
            stats.lines_failed
        ),
        (1, 1, 5),
        "{stats}"
    );
}

#[test]
fn a_hung_server_is_cut_off_at_the_deadline() {
    let server = Loopback::discard(Reply::Hang);
    let exporter = http(&server, Duration::from_millis(300)).build().unwrap();
    let started = Instant::now();
    let result = futures_executor::block_on(exporter.export(request_spans(1)));
    let took = started.elapsed();
    assert!(result.is_err(), "{result:?}");
    assert!(
        took < Duration::from_secs(3),
        "export took {took:?} with a 300 ms deadline"
    );
    assert_eq!(exporter.stats_handle().snapshot().lines_failed, 5);
}

#[test]
fn provider_shutdown_with_a_hung_server_returns() {
    // Spans still queued at shutdown are exported against a server that never answers: shutdown
    // must come back (the export deadline bounds it), not deadlock.
    let server = Loopback::discard(Reply::Hang);
    let exporter = http(&server, Duration::from_millis(300)).build().unwrap();
    let provider = SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .build();
    provider.tracer("t").in_span("stuck", |_| {});
    let started = Instant::now();
    let _ = provider.shutdown_with_timeout(Duration::from_secs(5));
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn a_panicking_sink_fails_the_export_and_the_next_export_still_works() {
    let exporter = SpanExporterBuilder::new()
        .with_env(|_| None)
        .with_sink(Panics)
        .build()
        .unwrap();
    let result = futures_executor::block_on(exporter.export(request_spans(1)));
    assert!(
        matches!(&result, Err(OTelSdkError::InternalFailure(m)) if m.contains("sink bug")),
        "{result:?}"
    );
    let again = futures_executor::block_on(exporter.export(request_spans(1)));
    assert!(again.is_err());
    let stats = exporter.stats_handle().snapshot();
    assert_eq!(
        (stats.exports, stats.failed_exports, stats.lines_failed),
        (2, 2, 10),
        "{stats}"
    );
}

#[test]
fn rejected_lines_and_retries_are_counted_and_reported() {
    let sink = Arc::new(RejectsFirst::default());
    let exporter = SpanExporterBuilder::new()
        .with_env(|_| None)
        .with_sink(Arc::clone(&sink))
        .build()
        .unwrap();
    let result = futures_executor::block_on(exporter.export(request_spans(2)));
    assert!(
        matches!(&result, Err(OTelSdkError::InternalFailure(m)) if m.contains("1 rejected")),
        "{result:?}"
    );
    let stats = exporter.stats_handle().snapshot();
    assert_eq!(
        (
            stats.spans,
            stats.lines_exported,
            stats.lines_rejected,
            stats.retries,
            stats.lost()
        ),
        (6, 9, 1, 2, 1),
        "{stats}"
    );
    let text = stats.to_string();
    assert!(
        text.contains("9 lines exported from 6 spans") && text.contains("1 lines rejected"),
        "{text}"
    );
}

#[test]
fn exporters_of_one_builder_share_counters_and_the_sink() {
    let sink = MemorySink::new();
    let builder = memory(&sink);
    let first = builder.build().unwrap();
    let second = builder.build().unwrap();
    futures_executor::block_on(first.export(request_spans(1))).unwrap();
    futures_executor::block_on(second.export(request_spans(1))).unwrap();
    assert_eq!(builder.stats_handle().snapshot().spans, 6);
    assert_eq!(first.stats_handle().snapshot().lines_exported, 10);
    assert_eq!(sink.batches(), 2);
    // Shutting one down leaves the other working.
    first.shutdown().unwrap();
    futures_executor::block_on(second.export(request_spans(1))).unwrap();
}

#[test]
fn every_export_reuses_the_encoder_buffer_and_keeps_lines_whole() {
    let sink = MemorySink::new();
    let exporter = memory(&sink).build().unwrap();
    for _ in 0..3 {
        futures_executor::block_on(exporter.export(request_spans(4))).unwrap();
    }
    let lines = sink.lines();
    assert_eq!(lines.len(), 3 * 4 * 5);
    // The status description holds a raw line feed: it stays inside its line.
    let server = lines
        .iter()
        .find(|l| l.contains("upstream timeout"))
        .expect("server span line");
    assert!(
        server.starts_with("spans,") && server.contains("timeout\nafter 3 ms"),
        "{server}"
    );
}

#[test]
fn spans_the_mapping_drops_are_counted_by_reason_and_fail_the_export() {
    let sink = MemorySink::new();
    let exporter = memory(&sink).build().unwrap();
    let mut spans = request_spans(1);
    let broken = &mut spans[0].span_context;
    *broken = opentelemetry::trace::SpanContext::new(
        opentelemetry::trace::TraceId::INVALID,
        broken.span_id(),
        broken.trace_flags(),
        false,
        broken.trace_state().clone(),
    );
    let result = futures_executor::block_on(exporter.export(spans));
    let stats = exporter.stats_handle().snapshot();
    assert_eq!(stats.mapping_dropped, 1, "{stats}");
    assert_eq!(
        stats.lines_exported, 4,
        "the other lines still go out: {stats}"
    );
    assert_eq!(sink.lines().len(), 4);
    assert!(
        result.is_err(),
        "a dropped span is reported to the SDK: {result:?}"
    );
    assert!(
        stats.to_string().contains("1 items dropped in mapping ("),
        "{stats}"
    );
}

#[test]
fn an_export_dropped_mid_flight_leaves_the_exporter_working() {
    /// Never answers the first write, answers the others at once.
    #[derive(Debug, Default)]
    struct HangsOnce(AtomicUsize);
    impl LineSink for HangsOnce {
        fn write<'a>(&'a self, lines: lineproto::Lines<'a>, _deadline: Instant) -> SinkFuture<'a> {
            if self.0.fetch_add(1, Ordering::SeqCst) == 0 {
                return Box::pin(std::future::pending());
            }
            Box::pin(std::future::ready(SinkOutcome::written(lines.len())))
        }
    }
    let exporter = SpanExporterBuilder::new()
        .with_env(|_| None)
        .with_sink(HangsOnce::default())
        .build()
        .unwrap();
    // What an async-runtime processor does when its own export timeout fires first.
    let mut first = Box::pin(exporter.export(request_spans(1)));
    let polled = futures_executor::block_on(std::future::poll_fn(|cx| {
        std::task::Poll::Ready(first.as_mut().poll(cx).is_pending())
    }));
    assert!(polled, "the first export is still waiting on the sink");
    drop(first);
    futures_executor::block_on(exporter.export(request_spans(1))).unwrap();
    assert_eq!(exporter.stats_handle().snapshot().lines_exported, 5);
}
