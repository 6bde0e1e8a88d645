//! Configuration: the `OTEL_EXPORTER_DATALAYERS_*` environment (read through `with_env`, so the
//! process environment is never touched), builder calls winning over it, and mapping options.

mod support;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use opentelemetry_sdk::trace::{SpanData, SpanExporter as _};
use sdk_exporter::{
    BuildError, ClientSettings, LogExporter, MemorySink, Protocol, SpanExporterBuilder,
};
use support::loopback::{Loopback, Reply};

/// A builder reading `vars` as its environment.
fn with_vars(vars: &[(&str, &str)]) -> SpanExporterBuilder {
    let vars: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    SpanExporterBuilder::new().with_env(move |name| vars.get(name).cloned())
}

/// One trace whose cache span has dropped attributes: a `u64` field, written `7u` where the
/// dialect has unsigned integers and `7i` for InfluxDB 1.x.
fn spans() -> Vec<SpanData> {
    let mut spans = support::spans::request_spans(1);
    spans[1].dropped_attributes_count = 7;
    spans
}

fn export_to_memory(builder: SpanExporterBuilder) -> Vec<String> {
    let sink = MemorySink::new();
    let exporter = builder.with_sink(sink.clone()).build().unwrap();
    futures_executor::block_on(exporter.export(spans())).unwrap();
    sink.lines()
}

fn dropped_count_field(lines: &[String]) -> &str {
    let line = lines
        .iter()
        .find(|l| l.contains("dropped_attributes_count=7"))
        .expect("cache span");
    if line.contains("dropped_attributes_count=7u") {
        "7u"
    } else {
        "7i"
    }
}

#[test]
fn the_protocol_from_the_environment_picks_the_dialect_for_every_sink() {
    assert_eq!(
        dropped_count_field(&export_to_memory(with_vars(&[]))),
        "7u",
        "default: datalayers"
    );
    let v1 = with_vars(&[("OTEL_EXPORTER_DATALAYERS_PROTOCOL", "influxdb-v1")]);
    assert_eq!(dropped_count_field(&export_to_memory(v1)), "7i");
}

#[test]
fn builder_calls_win_over_the_environment() {
    let env = with_vars(&[("OTEL_EXPORTER_DATALAYERS_PROTOCOL", "influxdb-v1")]);
    assert_eq!(
        dropped_count_field(&export_to_memory(env.with_protocol(Protocol::Datalayers))),
        "7u"
    );

    let from_env = Loopback::recording(Reply::Status(204));
    let from_builder = Loopback::recording(Reply::Status(204));
    let exporter = with_vars(&[
        ("OTEL_EXPORTER_DATALAYERS_ENDPOINT", from_env.url()),
        ("OTEL_EXPORTER_DATALAYERS_DATABASE", "otel"),
    ])
    .with_endpoint(from_builder.url())
    .build()
    .unwrap();
    futures_executor::block_on(exporter.export(spans())).unwrap();
    assert_eq!((from_env.requests(), from_builder.requests()), (0, 1));
}

#[test]
fn a_bad_variable_fails_the_build_unless_a_builder_call_replaces_it() {
    let bad = [("OTEL_EXPORTER_DATALAYERS_TIMEOUT", "soon")];
    let error = with_vars(&bad)
        .with_sink(MemorySink::new())
        .build()
        .unwrap_err();
    assert!(matches!(error, BuildError::Client(_)), "{error:?}");
    assert!(
        error
            .to_string()
            .contains("OTEL_EXPORTER_DATALAYERS_TIMEOUT"),
        "{error}"
    );
    with_vars(&bad)
        .with_timeout(Duration::from_secs(1))
        .with_sink(MemorySink::new())
        .build()
        .unwrap();
}

#[test]
fn the_endpoint_and_timeout_come_from_the_environment() {
    let server = Loopback::discard(Reply::Status(204));
    let exporter = with_vars(&[
        ("OTEL_EXPORTER_DATALAYERS_ENDPOINT", server.url()),
        ("OTEL_EXPORTER_DATALAYERS_DATABASE", "otel"),
    ])
    .build()
    .unwrap();
    futures_executor::block_on(exporter.export(spans())).unwrap();
    assert_eq!(server.requests(), 1);

    let hung = Loopback::discard(Reply::Hang);
    let exporter = with_vars(&[
        ("OTEL_EXPORTER_DATALAYERS_ENDPOINT", hung.url()),
        ("OTEL_EXPORTER_DATALAYERS_DATABASE", "otel"),
        ("OTEL_EXPORTER_DATALAYERS_TIMEOUT", "200"),
    ])
    .build()
    .unwrap();
    let started = Instant::now();
    assert!(futures_executor::block_on(exporter.export(spans())).is_err());
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn http_without_a_database_is_a_build_error_naming_the_variable() {
    let error = with_vars(&[]).build().unwrap_err();
    assert!(
        error
            .to_string()
            .contains("OTEL_EXPORTER_DATALAYERS_DATABASE"),
        "{error}"
    );
}

#[test]
fn mapping_options_reach_the_lines() {
    let lines = export_to_memory(with_vars(&[]).with_span_dimensions(["http.route", "db.system"]));
    let server = lines
        .iter()
        .find(|l| l.contains("span.name=\"GET /api/orders/{id}\""))
        .unwrap();
    assert!(
        server.starts_with("spans,http.route=/api/orders/{id},span_id="),
        "{server}"
    );
    let db = lines
        .iter()
        .find(|l| l.contains("span.name=\"SELECT orders\""))
        .unwrap();
    assert!(
        db.starts_with("spans,db.system=postgresql,span_id="),
        "{db}"
    );

    let duplicate = with_vars(&[])
        .with_sink(MemorySink::new())
        .with_span_dimensions(["a", "a"])
        .build();
    assert!(
        matches!(duplicate, Err(BuildError::Mapping(_))),
        "{duplicate:?}"
    );
}

#[test]
fn a_builder_changed_between_builds_sends_each_exporter_to_its_own_destination() {
    let first = Loopback::discard(Reply::Status(204));
    let second = Loopback::discard(Reply::Status(204));
    let builder =
        with_vars(&[("OTEL_EXPORTER_DATALAYERS_DATABASE", "otel")]).with_endpoint(first.url());
    let to_first = builder.build().unwrap();
    let also_first = builder.for_exporter::<LogExporter>().build().unwrap();
    let to_second = builder.with_endpoint(second.url()).build().unwrap();
    futures_executor::block_on(to_first.export(spans())).unwrap();
    futures_executor::block_on(to_second.export(spans())).unwrap();
    assert_eq!((first.requests(), second.requests()), (1, 1));
    drop(also_first);
}

#[test]
fn compression_from_the_environment_gzips_the_body() {
    let server = Loopback::recording(Reply::Status(204));
    let exporter = with_vars(&[
        ("OTEL_EXPORTER_DATALAYERS_ENDPOINT", server.url()),
        ("OTEL_EXPORTER_DATALAYERS_DATABASE", "otel"),
        ("OTEL_EXPORTER_DATALAYERS_COMPRESSION", "gzip"),
    ])
    .build()
    .unwrap();
    futures_executor::block_on(exporter.export(spans())).unwrap();
    let bodies = server.raw_bodies();
    assert_eq!(bodies.len(), 1);
    assert_eq!(bodies[0][..2], [0x1f, 0x8b], "gzip magic");
}

#[test]
fn client_settings_from_a_program_layer_over_the_environment() {
    // What a program does with its own flags: a ClientSettings in code, the environment under it.
    // The variable it overrides is malformed, and never read.
    let settings = ClientSettings::new().with_protocol(Protocol::InfluxDbV1);
    let builder =
        with_vars(&[("OTEL_EXPORTER_DATALAYERS_PROTOCOL", "mysql")]).with_client_settings(settings);
    assert_eq!(dropped_count_field(&export_to_memory(builder)), "7i");
}
