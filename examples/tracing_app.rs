//! The way most Rust apps are instrumented: `tracing` spans and events, forwarded to
//! OpenTelemetry by `tracing-opentelemetry`, exported by `sdk-exporter`. Events inside a span
//! become span events (the `logs` measurement, linked to the span).
//!
//! ```text
//! cargo run --example tracing_app                # line protocol on stdout
//! OTEL_EXPORTER_DATALAYERS_ENDPOINT=http://127.0.0.1:8361 \
//! OTEL_EXPORTER_DATALAYERS_DATABASE=otel cargo run --example tracing_app
//! ```

use std::error::Error;

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::SdkTracerProvider;
use otel_datalayers::datalayers_client::config::OTEL_EXPORTER_DATALAYERS_ENDPOINT;
use otel_datalayers::sdk_exporter::SpanExporter;
use tracing_subscriber::layer::SubscriberExt as _;

fn main() -> Result<(), Box<dyn Error>> {
    let builder = if std::env::var_os(OTEL_EXPORTER_DATALAYERS_ENDPOINT).is_some() {
        SpanExporter::builder()
    } else {
        SpanExporter::builder().with_stdout()
    };
    let provider = SdkTracerProvider::builder()
        .with_resource(Resource::builder().with_service_name("tracing-app").build())
        .with_batch_exporter(builder.build()?)
        .build();

    // Everything `tracing` records goes to OpenTelemetry.
    let subscriber = tracing_subscriber::registry()
        .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("tracing-app")));
    tracing::subscriber::with_default(subscriber, || {
        for order_id in [7, 8] {
            handle_order(order_id);
        }
    });

    provider.shutdown()?;
    eprintln!("tracing_app: {}", builder.stats_handle().snapshot());
    Ok(())
}

#[tracing::instrument(fields(http.route = "/orders/{id}"))]
fn handle_order(order_id: u64) {
    load_order(order_id);
    if order_id.is_multiple_of(2) {
        tracing::warn!(order_id, "order is on hold");
    }
}

#[tracing::instrument]
fn load_order(order_id: u64) {
    tracing::info!(db.system = "postgresql", "loaded order");
}
