//! End to end against a real InfluxDB 1.x (`influxd`, via `test-support`): spans, events, links
//! and log records from SDK and OTLP input, mapped with the InfluxDB 1.x dialect, written, read
//! back with InfluxQL and compared value by value with what was mapped.

mod common;

use std::collections::BTreeMap;

use common::*;
use lineproto::{Dialect, EncoderOptions, FloatFormat};
use opentelemetry::{InstrumentationScope, KeyValue, logs::LogRecord as _};
use opentelemetry_proto::tonic::common::v1::any_value::Value as PValue;
use opentelemetry_sdk::logs::LogBatch;
use otlp_influx::{MappingConfig, MappingReport, OtlpMapper};
use serde_json::Value as Json;
use test_support::InfluxServer;

fn mapped_lines() -> (String, MappingReport) {
    let mut mapper = OtlpMapper::new(MappingConfig::default().with_encoder(
        EncoderOptions::new(Dialect::InfluxDbV1).with_float_format(FloatFormat::GoStrconv),
    ))
    .unwrap();
    let mut out = mapper.new_encoder();
    let mut report = MappingReport::new();

    // The reference fodder (OTLP) and realistic spans (SDK) with a tricky service name.
    mapper.map_proto_traces(&fodder_proto_traces(), &mut out, &mut report);
    let resource = opentelemetry_sdk::Resource::builder_empty()
        .with_attributes([
            KeyValue::new("service.name", "check out, eu=1"),
            KeyValue::new("weird", "quote \" backslash \\ <html> & ünïcode\u{2028}"),
        ])
        .build();
    let spans: Vec<_> = (0..3).map(realistic_sdk_span).collect();
    mapper.map_sdk_spans(
        &mapper.prepare_resource(&resource),
        &spans,
        &mut out,
        &mut report,
    );

    // Logs: the fodder (OTLP) and an SDK record whose body has a raw LF, quotes and a float.
    let mut logs = fodder_proto_logs();
    logs.resource_logs[0].scope_logs[0].log_records[0]
        .attributes
        .push(pkv("ratio", PValue::DoubleValue(1e21)));
    mapper.map_proto_logs(&logs, &mut out, &mut report);
    let mut record = sdk_log_record();
    record.set_timestamp(time(1_700_000_000_123_456_789));
    record.set_body("line one\nline \"two\" \\ end".into());
    record.set_severity_text("WARN");
    record.add_attribute("n", 1.5);
    let scope = InstrumentationScope::builder("e2e").build();
    let data = [(&record, &scope)];
    mapper.map_sdk_logs(
        &mapper.prepare_resource(&resource),
        &LogBatch::new(&data),
        &mut out,
        &mut report,
    );
    (String::from_utf8(out.as_bytes().to_vec()).unwrap(), report)
}

/// Rows keyed by (time, sorted tags), values by column.
type Rows = BTreeMap<(i64, Vec<(String, String)>), BTreeMap<String, Json>>;

/// `SELECT *` of a measurement as rows keyed by (time, tags), values by column.
fn read_back(server: &InfluxServer, measurement: &str) -> Rows {
    let response = server.query(&format!("SELECT * FROM \"{measurement}\""));
    let series = &response["results"][0]["series"][0];
    let columns: Vec<&str> = series["columns"]
        .as_array()
        .unwrap_or_else(|| panic!("no rows for {measurement}: {response}"))
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    let mut rows = BTreeMap::new();
    for row in series["values"].as_array().unwrap() {
        let row: BTreeMap<String, Json> = columns
            .iter()
            .zip(row.as_array().unwrap())
            .filter(|(_, v)| !v.is_null())
            .map(|(c, v)| (c.to_string(), v.clone()))
            .collect();
        let time = row["time"].as_i64().unwrap();
        // Tag columns in sorted order, as the parsed lines list them.
        let tags = [
            "linked_span_id",
            "linked_trace_id",
            "service.name",
            "span_id",
            "trace_id",
        ]
        .iter()
        .filter_map(|t| {
            row.get(*t)
                .map(|v| (t.to_string(), v.as_str().unwrap().to_owned()))
        })
        .collect();
        rows.insert((time, tags), row);
    }
    rows
}

#[test]
fn mapped_traces_and_logs_read_back_from_influxd_value_for_value() {
    let Some(server) = InfluxServer::try_start() else {
        return;
    };
    let (lines, report) = mapped_lines();
    assert!(report.is_clean(), "{report}");
    let (status, body) = server.write(lines.as_bytes());
    assert_eq!(status, 204, "{body}\n{lines}");

    let written = parse(&lines);
    assert_eq!(written.len() as u64, report.lines);
    let mut compared = 0;
    for measurement in ["spans", "logs", "span-links"] {
        let rows = read_back(&server, measurement);
        let expected: Vec<_> = written.iter().filter(|l| l.0 == measurement).collect();
        assert_eq!(rows.len(), expected.len(), "{measurement}");
        for (_, tags, fields, timestamp) in expected {
            let key = (
                timestamp.unwrap(),
                tags.iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect::<Vec<_>>(),
            );
            let row = rows
                .get(&key)
                .unwrap_or_else(|| panic!("{measurement} {key:?} not read back"));
            for (name, value) in fields {
                let stored = &row[name];
                match value {
                    Field::I(i) => assert_eq!(stored.as_i64(), Some(*i), "{name}"),
                    // InfluxDB 1.x has no unsigned type: the dialect wrote `i`.
                    Field::U(_) => panic!("{name}: unsigned value written for InfluxDB 1.x"),
                    Field::F(f) => assert_eq!(stored.as_f64(), Some(*f), "{name}"),
                    Field::S(s) => assert_eq!(stored.as_str(), Some(s.as_str()), "{name}"),
                    Field::B(b) => assert_eq!(stored.as_bool(), Some(*b), "{name}"),
                }
                compared += 1;
            }
            assert_eq!(
                row.len(),
                1 + tags.len() + fields.len(),
                "no extra column: {row:?}"
            );
        }
    }
    assert!(compared > 60, "{compared} values compared");

    // Spot checks on what the server itself says, independent of the parser.
    let spans = read_back(&server, "spans");
    let fodder = spans
        .values()
        .find(|r| r["span_id"] == "0000000000000003")
        .unwrap();
    assert_eq!(fodder["dropped_events_count"], 13);
    assert_eq!(fodder["duration_nano"], 100_000_000_000_i64);
    assert_eq!(fodder["attributes"], r#"{"k":true}"#);
    let realistic = spans
        .values()
        .find(|r| {
            r.get("service.name")
                .is_some_and(|s| s == "check out, eu=1")
        })
        .unwrap();
    let attributes = realistic["attributes"].as_str().unwrap();
    assert!(
        attributes
            .contains(r#""weird":"quote \" backslash \\ \u003chtml\u003e \u0026 ünïcode\u2028""#),
        "{attributes}"
    );
    let logs = read_back(&server, "logs");
    let sdk_log = logs
        .values()
        .find(|r| r.get("severity_text").is_some_and(|s| s == "WARN"))
        .unwrap();
    assert_eq!(sdk_log["body"], "line one\nline \"two\" \\ end");
    // Resource attributes other than the dimension land in the record's JSON too.
    assert_eq!(
        sdk_log["attributes"],
        r#"{"n":1.5,"weird":"quote \" backslash \\ \u003chtml\u003e \u0026 ünïcode\u2028"}"#
    );
    assert_eq!(sdk_log["service.name"], "check out, eu=1");
    let fodder_log = logs
        .values()
        .find(|r| r.get("severity_text").is_some_and(|s| s == "info"))
        .unwrap();
    assert_eq!(fodder_log["attributes"], r#"{"k":true,"ratio":1e+21}"#);
    assert_eq!(fodder_log["dropped_attributes_count"], 5);
}
