//! The SDK metrics the metrics bench and `examples/callgrind_metrics.rs` map: real
//! `ResourceMetrics`, which the SDK hands to an exporter only by reference (they are not
//! `Clone`), so the work runs inside the export call.

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use opentelemetry::{KeyValue, metrics::Meter, metrics::MeterProvider as _};
use opentelemetry_sdk::{
    Resource,
    error::OTelSdkResult,
    metrics::{
        PeriodicReader, SdkMeterProvider, Temporality, data::ResourceMetrics,
        exporter::PushMetricExporter,
    },
};

/// Counter points (4 routes x 3 status codes), as many histogram points, 4 gauge points.
pub(crate) const BENCH_POINTS: u64 = 12 + 12 + 4;

/// The bench's instruments: a counter and a histogram (the SDK's 15 default bounds) per route
/// and status code, a gauge per queue.
pub(crate) fn record_bench_metrics(meter: &Meter) {
    let requests = meter.u64_counter("http.server.requests").build();
    let latency = meter.f64_histogram("http.server.request.duration").build();
    let queue = meter.i64_gauge("queue.depth").build();
    for (r, route) in ["/cart", "/orders", "/orders/{id}", "/pay"]
        .into_iter()
        .enumerate()
    {
        for code in [200, 404, 500] {
            let attributes = [
                KeyValue::new("http.route", route),
                KeyValue::new("http.response.status_code", code),
                KeyValue::new("http.request.method", "GET"),
            ];
            requests.add(3, &attributes);
            latency.record(0.004 * (r as f64 + 1.0), &attributes);
            latency.record(0.7, &attributes);
        }
        queue.record(r as i64, &[KeyValue::new("queue", route)]);
    }
}

/// The points of [`record_many_metrics`]: a counter point per metric, a second for every other
/// one, and a gauge point per metric.
pub(crate) const MANY_POINTS: u64 = 60 + 30 + 60;

/// Many metrics of one or two points each (60 counters, 60 gauges): every metric's first line
/// has a shape of its own.
pub(crate) fn record_many_metrics(meter: &Meter) {
    for i in 0..60u64 {
        let name = format!("app.metric.{i}");
        let counter = meter.u64_counter(name.clone()).build();
        let eu = KeyValue::new("zone", "eu");
        counter.add(i, &[KeyValue::new("host", "a"), eu.clone()]);
        if i % 2 == 0 {
            counter.add(1, &[KeyValue::new("host", "b"), eu]);
        }
        let gauge = meter.f64_gauge(format!("{name}.gauge")).build();
        gauge.record(i as f64 * 0.5, &[]);
    }
}

/// The work to run on the one export.
type OnExport = Box<dyn FnMut(&ResourceMetrics) + Send>;

/// Records with `record` into a meter provider (the resource of a small service), then runs
/// `on_export` on the export that follows.
pub(crate) fn with_exported_metrics(
    record: fn(&Meter),
    on_export: impl FnMut(&ResourceMetrics) + Send + 'static,
) {
    let exporter = OneExport {
        work: Arc::new(Mutex::new(Box::new(on_export))),
        done: Arc::default(),
    };
    let provider = SdkMeterProvider::builder()
        .with_resource(
            Resource::builder_empty()
                .with_attributes([
                    KeyValue::new("service.name", "orders"),
                    KeyValue::new("service.version", "1.4.2"),
                    KeyValue::new("host.name", "node-1"),
                ])
                .build(),
        )
        .with_reader(PeriodicReader::builder(exporter.clone()).build())
        .build();
    record(&provider.meter("orders"));
    provider.force_flush().unwrap();
    provider.shutdown().unwrap();
    assert!(exporter.done.load(Ordering::SeqCst), "the SDK exported");
}

/// An exporter that runs its work on the first export only.
#[derive(Clone)]
struct OneExport {
    work: Arc<Mutex<OnExport>>,
    done: Arc<AtomicBool>,
}

impl PushMetricExporter for OneExport {
    async fn export(&self, metrics: &ResourceMetrics) -> OTelSdkResult {
        if !self.done.swap(true, Ordering::SeqCst) {
            (self.work.lock().unwrap())(metrics);
        }
        Ok(())
    }
    fn force_flush(&self) -> OTelSdkResult {
        Ok(())
    }
    fn shutdown_with_timeout(&self, _: Duration) -> OTelSdkResult {
        Ok(())
    }
    fn temporality(&self) -> Temporality {
        Temporality::Cumulative
    }
}
