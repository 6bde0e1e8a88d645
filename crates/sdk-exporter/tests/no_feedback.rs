//! An app whose `tracing` subscriber forwards every span (tracing-opentelemetry) and every event
//! (a small log bridge) to OpenTelemetry must not see the exporter's own telemetry come back:
//! here the sink itself emits a span and an event on every write, like a chatty HTTP stack, and
//! the async-runtime processors (which, unlike the thread-based ones, do not suppress telemetry
//! themselves) drive the exports. Without our suppression each write would feed the next batch.

mod support;

use std::time::Instant;

use opentelemetry::logs::{LogRecord as _, Logger as _, LoggerProvider as _};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::logs::SdkLoggerProvider;
use opentelemetry_sdk::logs::log_processor_with_async_runtime::BatchLogProcessor;
use opentelemetry_sdk::runtime;
use opentelemetry_sdk::trace::SdkTracerProvider;
use opentelemetry_sdk::trace::span_processor_with_async_runtime::BatchSpanProcessor;
use sdk_exporter::{LineSink, LogExporterBuilder, MemorySink, SinkFuture, SpanExporterBuilder};
use tracing_subscriber::layer::SubscriberExt as _;

/// Stores lines like [`MemorySink`] and, like an instrumented transport, emits telemetry.
#[derive(Debug, Clone, Default)]
struct ChattySink(MemorySink);

impl LineSink for ChattySink {
    fn write<'a>(&'a self, lines: lineproto::Lines<'a>, deadline: Instant) -> SinkFuture<'a> {
        let span = tracing::info_span!("exporter.sink.write", lines = lines.len());
        let _entered = span.enter();
        tracing::info!("exporter sink wrote a batch");
        self.0.write(lines, deadline)
    }
}

/// Forwards `tracing` events to an OpenTelemetry logger (a minimal appender).
struct LogBridge(opentelemetry_sdk::logs::SdkLogger);

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for LogBridge {
    fn on_event(
        &self,
        event: &tracing::Event<'_>,
        _ctx: tracing_subscriber::layer::Context<'_, S>,
    ) {
        struct Message(String);
        impl tracing::field::Visit for Message {
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                if field.name() == "message" {
                    self.0 = format!("{value:?}");
                }
            }
        }
        let mut message = Message(String::new());
        event.record(&mut message);
        let mut record = self.0.create_log_record();
        record.set_body(message.0.into());
        self.0.emit(record);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_exporters_own_spans_and_logs_do_not_loop_back() {
    let span_sink = ChattySink::default();
    let log_sink = ChattySink::default();
    let none = |_: &str| None;
    let span_exporter = SpanExporterBuilder::new()
        .with_env(none)
        .with_sink(span_sink.clone())
        .build()
        .unwrap();
    let log_exporter = LogExporterBuilder::new()
        .with_env(none)
        .with_sink(log_sink.clone())
        .build()
        .unwrap();
    let tracer_provider = SdkTracerProvider::builder()
        .with_span_processor(BatchSpanProcessor::builder(span_exporter, runtime::Tokio).build())
        .build();
    let logger_provider = SdkLoggerProvider::builder()
        .with_log_processor(BatchLogProcessor::builder(log_exporter, runtime::Tokio).build())
        .build();
    let subscriber = tracing_subscriber::registry()
        .with(tracing_opentelemetry::layer().with_tracer(tracer_provider.tracer("app")))
        .with(LogBridge(logger_provider.logger("app")));
    tracing::subscriber::set_global_default(subscriber).unwrap();

    for round in 0..3 {
        tracing::info_span!("app.request", round)
            .in_scope(|| tracing::info!("app handled a request"));
        tracer_provider.force_flush().unwrap();
        logger_provider.force_flush().unwrap();
    }
    tracer_provider.shutdown().unwrap();
    logger_provider.shutdown().unwrap();

    let spans = span_sink.0.lines();
    let logs = log_sink.0.lines();
    assert_eq!(
        spans.iter().filter(|l| l.contains("app.request")).count(),
        3,
        "{spans:#?}"
    );
    assert_eq!(
        logs.iter()
            .filter(|l| l.contains("app handled a request"))
            .count(),
        3,
        "{logs:#?}"
    );
    assert!(
        !spans.iter().any(|l| l.contains("exporter.sink.write")),
        "own span exported: {spans:#?}"
    );
    assert!(
        !logs.iter().any(|l| l.contains("exporter sink wrote")),
        "own log exported: {logs:#?}"
    );
    // Per request: its span line and its event (tracing-opentelemetry makes events span events).
    assert_eq!(spans.len(), 6, "{spans:#?}");
    assert_eq!(logs.len(), 3, "{logs:#?}");
}
