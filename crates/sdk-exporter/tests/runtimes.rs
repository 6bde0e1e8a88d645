//! The exporters work under every executor the SDK (or an app) polls them with: the default
//! thread-based processors (`futures_executor::block_on` on plain threads), the async-runtime
//! processors on tokio multi-thread and current-thread, and a plain `main` with no tokio at all.
//! Each test goes through real HTTP to a loopback server, so the transport is exercised too.

mod support;

use std::time::Duration;

use opentelemetry::logs::{LogRecord, Logger, LoggerProvider, Severity};
use opentelemetry::metrics::MeterProvider;
use opentelemetry::trace::{Tracer, TracerProvider};
use opentelemetry_sdk::logs::SdkLoggerProvider;
use opentelemetry_sdk::metrics::SdkMeterProvider;
use opentelemetry_sdk::runtime;
use opentelemetry_sdk::trace::{SdkTracerProvider, SpanExporter as _};
use sdk_exporter::{LogExporter, MetricExporter, SpanExporterBuilder};
use support::loopback::{Loopback, Reply};

/// A builder that ignores the process environment and writes to `server` as InfluxDB 1.x.
fn builder(server: &Loopback) -> SpanExporterBuilder {
    support::http_builder(server.url(), Duration::from_secs(5))
}

/// Emits one span per name through `provider`.
fn emit_spans(provider: &SdkTracerProvider, names: &[&'static str]) {
    let tracer = provider.tracer("runtime-test");
    for name in names {
        tracer.in_span(*name, |_cx| {});
    }
}

/// Every body the server received, joined.
fn received(server: &Loopback) -> String {
    server.bodies().concat()
}

#[test]
fn default_batch_processor_polls_with_block_on_on_its_own_thread() {
    // No tokio runtime exists anywhere in this test: the SDK's worker thread drives the export
    // future with futures_executor::block_on and our HTTP sink still reaches the server.
    let server = Loopback::recording(Reply::Status(204));
    let exporter = builder(&server).build().unwrap();
    let stats = exporter.stats_handle();
    let provider = SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .build();
    emit_spans(&provider, &["plain-thread-1", "plain-thread-2"]);
    provider.shutdown().unwrap();

    let body = received(&server);
    assert!(body.contains("span.name=\"plain-thread-1\""), "{body}");
    assert!(body.contains("span.name=\"plain-thread-2\""), "{body}");
    let stats = stats.snapshot();
    assert_eq!(
        (stats.spans, stats.lines_exported, stats.lost()),
        (2, 2, 0),
        "{stats}"
    );
}

#[test]
fn export_called_directly_from_a_plain_main_thread() {
    let server = Loopback::recording(Reply::Status(204));
    let exporter = builder(&server).build().unwrap();
    let spans = support::spans::request_spans(2);
    std::thread::spawn(move || futures_executor::block_on(exporter.export(spans)))
        .join()
        .expect("no panic")
        .expect("export succeeds");
    // 2 traces x (3 spans + 1 event + 1 link)
    assert_eq!(
        received(&server)
            .lines()
            .filter(|l| l.starts_with("spans,"))
            .count(),
        6
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_runtime_batch_processor_on_tokio_multi_thread() {
    use opentelemetry_sdk::trace::span_processor_with_async_runtime::BatchSpanProcessor;
    let server = Loopback::recording(Reply::Status(204));
    let exporter = builder(&server).build().unwrap();
    let processor = BatchSpanProcessor::builder(exporter, runtime::Tokio).build();
    let provider = SdkTracerProvider::builder()
        .with_span_processor(processor)
        .build();
    emit_spans(&provider, &["tokio-multi"]);
    // The processor's shutdown blocks this worker while another worker runs the export.
    provider.shutdown().unwrap();
    assert!(received(&server).contains("span.name=\"tokio-multi\""));
}

#[tokio::test(flavor = "current_thread")]
async fn async_runtime_batch_processor_on_tokio_current_thread() {
    use opentelemetry_sdk::trace::span_processor_with_async_runtime::BatchSpanProcessor;
    let server = Loopback::recording(Reply::Status(204));
    let exporter = builder(&server).build().unwrap();
    let processor = BatchSpanProcessor::builder(exporter, runtime::TokioCurrentThread).build();
    let provider = SdkTracerProvider::builder()
        .with_span_processor(processor)
        .build();
    emit_spans(&provider, &["tokio-current"]);
    // Blocking shutdown from the runtime's only thread: must neither deadlock nor panic.
    provider.shutdown().unwrap();
    assert!(received(&server).contains("span.name=\"tokio-current\""));
}

#[tokio::test(flavor = "current_thread")]
async fn default_processors_inside_a_tokio_current_thread_app() {
    // The most common setup: a tokio app with the default (thread-based) processors. The exporter
    // is built, used and dropped inside the runtime: no "no reactor running", and no "cannot drop
    // a runtime in a context where blocking is not allowed".
    let server = Loopback::recording(Reply::Status(204));
    let builder = builder(&server);
    let tracer_provider = SdkTracerProvider::builder()
        .with_batch_exporter(builder.build().unwrap())
        .build();
    let logger_provider = SdkLoggerProvider::builder()
        .with_batch_exporter(builder.for_exporter::<LogExporter>().build().unwrap())
        .build();
    let meter_provider = SdkMeterProvider::builder()
        .with_periodic_exporter(builder.for_exporter::<MetricExporter>().build().unwrap())
        .build();

    emit_spans(&tracer_provider, &["in-tokio"]);
    let logger = logger_provider.logger("runtime-test");
    let mut record = logger.create_log_record();
    record.set_severity_number(Severity::Info);
    record.set_body("hello from tokio".into());
    logger.emit(record);
    meter_provider
        .meter("runtime-test")
        .u64_counter("requests")
        .build()
        .add(3, &[]);
    tokio::task::yield_now().await;

    tracer_provider.shutdown().unwrap();
    logger_provider.shutdown().unwrap();
    meter_provider.shutdown().unwrap();
    drop((tracer_provider, logger_provider, meter_provider, builder));

    let body = received(&server);
    assert!(body.contains("span.name=\"in-tokio\""), "{body}");
    assert!(body.contains("body=\"hello from tokio\""), "{body}");
    assert!(body.lines().any(|l| l.starts_with("requests")), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_runtime_log_processor_and_periodic_reader_on_tokio() {
    use opentelemetry_sdk::logs::log_processor_with_async_runtime::BatchLogProcessor;
    use opentelemetry_sdk::metrics::periodic_reader_with_async_runtime::PeriodicReader;
    let server = Loopback::recording(Reply::Status(204));
    let builder = builder(&server);
    let logs = BatchLogProcessor::builder(
        builder.for_exporter::<LogExporter>().build().unwrap(),
        runtime::Tokio,
    )
    .build();
    let logger_provider = SdkLoggerProvider::builder()
        .with_log_processor(logs)
        .build();
    let reader = PeriodicReader::builder(
        builder.for_exporter::<MetricExporter>().build().unwrap(),
        runtime::Tokio,
    )
    .build();
    let meter_provider = SdkMeterProvider::builder().with_reader(reader).build();

    let logger = logger_provider.logger("runtime-test");
    let mut record = logger.create_log_record();
    record.set_body("async log".into());
    logger.emit(record);
    meter_provider
        .meter("runtime-test")
        .u64_counter("async_requests")
        .build()
        .add(1, &[]);

    logger_provider.shutdown().unwrap();
    meter_provider.shutdown().unwrap();
    let body = received(&server);
    assert!(body.contains("body=\"async log\""), "{body}");
    assert!(
        body.lines().any(|l| l.starts_with("async_requests")),
        "{body}"
    );
}
