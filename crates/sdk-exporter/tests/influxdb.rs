//! End to end against a real InfluxDB 1.x (`influxd`, started by `test-support`): an app exports
//! spans (with events and links), logs and metrics through the exporters over HTTP with the
//! `influxdb-v1` protocol, and InfluxQL reads every one of them back with exact values.

mod support;

use std::time::{Duration, SystemTime};

use opentelemetry::KeyValue;
use opentelemetry::logs::{LogRecord as _, Logger as _, LoggerProvider as _, Severity};
use opentelemetry::metrics::MeterProvider as _;
use opentelemetry::trace::{SpanId, TraceFlags, TraceId};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::logs::SdkLoggerProvider;
use opentelemetry_sdk::metrics::SdkMeterProvider;
use opentelemetry_sdk::trace::SpanExporter as _;
use sdk_exporter::{LogExporter, MetricExporter, Protocol, SpanExporterBuilder};
use serde_json::{Map, Value as Json, json};
use test_support::InfluxServer;

/// Rows of the first series of `query`'s answer, each as column -> value.
fn rows(server: &InfluxServer, query: &str) -> Vec<Map<String, Json>> {
    let answer = server.query(query);
    let series = &answer["results"][0]["series"][0];
    let columns: Vec<String> = match series["columns"].as_array() {
        Some(columns) => columns
            .iter()
            .map(|c| c.as_str().unwrap().to_owned())
            .collect(),
        None => panic!("no rows for {query}: {answer}"),
    };
    series["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            columns
                .iter()
                .cloned()
                .zip(row.as_array().unwrap().iter().cloned())
                .collect()
        })
        .collect()
}

/// The single row `query` returns.
fn row(server: &InfluxServer, query: &str) -> Map<String, Json> {
    let mut rows = rows(server, query);
    assert_eq!(rows.len(), 1, "{query}: {rows:#?}");
    rows.remove(0)
}

/// A string field holding JSON, parsed.
fn json_field(row: &Map<String, Json>, key: &str) -> Json {
    serde_json::from_str(
        row[key]
            .as_str()
            .unwrap_or_else(|| panic!("{key} in {row:?}")),
    )
    .unwrap()
}

#[test]
fn spans_logs_and_metrics_read_back_exactly_from_influxdb() {
    let server = InfluxServer::start();
    let builder = SpanExporterBuilder::new()
        .with_env(|_| None)
        .with_endpoint(server.base_url())
        .with_database(server.database())
        .with_protocol(Protocol::InfluxDbV1)
        .with_timeout(Duration::from_secs(10));
    let resource = Resource::builder_empty()
        .with_attribute(KeyValue::new("service.name", "checkout"))
        .build();

    // Spans: one request trace (server span with an event and a link, a DB child, a cache child).
    let mut spans = builder.build().unwrap();
    spans.set_resource(&resource);
    futures_executor::block_on(spans.export(support::spans::request_spans(1))).unwrap();

    // A log record, through the SDK's logger and batch processor.
    let logger_provider = SdkLoggerProvider::builder()
        .with_resource(resource.clone())
        .with_batch_exporter(builder.for_exporter::<LogExporter>().build().unwrap())
        .build();
    let logger = logger_provider.logger("e2e");
    let mut record = logger.create_log_record();
    record.set_timestamp(SystemTime::UNIX_EPOCH + Duration::from_nanos(1_700_000_001_000_000_000));
    record.set_severity_number(Severity::Warn);
    record.set_severity_text("WARN");
    record.set_body("disk almost full".into());
    record.add_attribute("disk.free_bytes", 1024);
    record.add_attribute("disk.path", "/var/lib/data");
    record.set_trace_context(
        TraceId::from(0x5b8a_a5a2_d2c8_72e8_321c_f37f_0000_0000_u128),
        SpanId::from(0x1000_0000_0000_0000),
        Some(TraceFlags::SAMPLED),
    );
    logger.emit(record);
    logger_provider.shutdown().unwrap();

    // Metrics: a counter, a histogram and a gauge, through the SDK's periodic reader.
    let meter_provider = SdkMeterProvider::builder()
        .with_resource(resource)
        .with_periodic_exporter(builder.for_exporter::<MetricExporter>().build().unwrap())
        .build();
    let meter = meter_provider.meter("e2e");
    let eu = [KeyValue::new("region", "eu")];
    meter.u64_counter("orders_total").build().add(5, &eu);
    let latency = meter
        .f64_histogram("latency_ms")
        .with_boundaries(vec![5.0, 10.0])
        .build();
    latency.record(3.0, &eu);
    latency.record(7.5, &eu);
    meter.f64_gauge("temperature").build().record(21.5, &eu);
    meter_provider.shutdown().unwrap();

    let stats = builder.stats_handle().snapshot();
    assert_eq!(stats.lost(), 0, "{stats}");

    // spans: the server span, every field.
    let server_span = row(
        &server,
        "SELECT * FROM spans WHERE span_id = '1000000000000000'",
    );
    assert_eq!(server_span["time"], json!(1_700_000_000_000_000_000_i64));
    assert_eq!(
        server_span["trace_id"],
        json!("5b8aa5a2d2c872e8321cf37f00000000")
    );
    assert_eq!(server_span["service.name"], json!("checkout"));
    assert_eq!(server_span["span.name"], json!("GET /api/orders/{id}"));
    assert_eq!(server_span["span.kind"], json!("Server"));
    assert_eq!(server_span["duration_nano"], json!(3_100_000));
    assert_eq!(
        server_span["end_time_unix_nano"],
        json!(1_700_000_000_003_100_000_i64)
    );
    assert_eq!(server_span["otel.status_code"], json!("Error"));
    assert_eq!(
        server_span["otel.status_description"],
        json!("upstream timeout\nafter 3 ms")
    );
    assert_eq!(server_span["parent_span_id"], Json::Null);
    assert_eq!(
        json_field(&server_span, "attributes"),
        json!({
            "client.address": "10.1.2.3",
            "http.request.method": "GET",
            "http.response.status_code": 500,
            "http.route": "/api/orders/{id}",
            "server.duration_ms": 3.1,
            "url.path": "/api/orders/0",
            "user_agent.original": "Mozilla/5.0 (X11; Linux x86_64)",
        })
    );
    let db_span = row(
        &server,
        "SELECT * FROM spans WHERE span_id = '1000000000000001'",
    );
    assert_eq!(db_span["parent_span_id"], json!("1000000000000000"));
    assert_eq!(db_span["span.kind"], json!("Client"));
    assert_eq!(db_span["duration_nano"], json!(2_300_000));
    assert_eq!(db_span["time"], json!(1_700_000_000_000_120_000_i64));
    assert_eq!(
        json_field(&db_span, "attributes")["db.statement"],
        json!("SELECT id, total FROM orders WHERE customer_id = $1")
    );
    assert_eq!(
        json_field(&db_span, "attributes")["server.port"],
        json!(5432)
    );
    assert_eq!(
        rows(
            &server,
            "SELECT \"span.name\" FROM spans WHERE trace_id = '5b8aa5a2d2c872e8321cf37f00000000'"
        )
        .len(),
        3
    );

    // The span event, in `logs`.
    let event = row(
        &server,
        "SELECT * FROM logs WHERE \"event.name\" = 'exception'",
    );
    assert_eq!(event["time"], json!(1_700_000_000_003_000_000_i64));
    assert_eq!(
        (&event["trace_id"], &event["span_id"]),
        (
            &json!("5b8aa5a2d2c872e8321cf37f00000000"),
            &json!("1000000000000000")
        )
    );
    assert_eq!(
        json_field(&event, "attributes"),
        json!({"exception.message": "cart service \"slow\"\nretrying", "exception.type": "TimeoutError"})
    );

    // The span link, in `span-links`.
    let link = row(&server, "SELECT * FROM \"span-links\"");
    assert_eq!(link["time"], json!(1_700_000_000_000_000_000_i64));
    assert_eq!(link["span_id"], json!("1000000000000000"));
    assert_eq!(
        link["linked_trace_id"],
        json!("5b8aa5a2d2c872e8321cf37f00000000")
    );
    assert_eq!(link["linked_span_id"], json!("2000000000000000"));
    assert_eq!(
        json_field(&link, "attributes"),
        json!({"link.kind": "follows-from"})
    );

    // The log record.
    let log = row(
        &server,
        "SELECT * FROM logs WHERE body = 'disk almost full'",
    );
    assert_eq!(log["time"], json!(1_700_000_001_000_000_000_i64));
    assert_eq!(log["service.name"], json!("checkout"));
    assert_eq!(log["severity_number"], json!(13));
    assert_eq!(log["severity_text"], json!("WARN"));
    assert_eq!(
        (&log["trace_id"], &log["span_id"]),
        (
            &json!("5b8aa5a2d2c872e8321cf37f00000000"),
            &json!("1000000000000000")
        )
    );
    assert_eq!(
        json_field(&log, "attributes"),
        json!({"disk.free_bytes": 1024, "disk.path": "/var/lib/data"})
    );

    // Metrics (telegraf-prometheus-v1): measurement = metric name, attributes and resource as tags.
    let counter = row(&server, "SELECT * FROM orders_total");
    assert_eq!(
        (
            &counter["counter"],
            &counter["region"],
            &counter["service.name"]
        ),
        (&json!(5), &json!("eu"), &json!("checkout"))
    );
    let histogram = row(
        &server,
        "SELECT \"count\", \"sum\", \"min\", \"max\", \"5\", \"10\", \"+Inf\" FROM latency_ms WHERE region = 'eu'",
    );
    let values: Vec<&Json> = ["count", "sum", "min", "max", "5", "10", "+Inf"]
        .iter()
        .map(|k| &histogram[*k])
        .collect();
    assert_eq!(
        values,
        [
            &json!(2),
            &json!(10.5),
            &json!(3),
            &json!(7.5),
            &json!(1),
            &json!(2),
            &json!(2)
        ],
        "{histogram:?}"
    );
    let gauge = row(&server, "SELECT gauge FROM temperature WHERE region = 'eu'");
    assert_eq!(gauge["gauge"], json!(21.5));
}
