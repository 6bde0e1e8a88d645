//! End to end against a real InfluxDB 1.x (`influxd` via `test-support`): convert every fixture with
//! `--dialect influxdb-v1`, write the output, read each line back with InfluxQL and compare the
//! tags and every field value.

mod support;

use influxdb_line_protocol::{FieldValue, parse_lines};
use serde_json::Value;
use support::{fixture, otel_lp};
use test_support::InfluxServer;

/// Quotes an InfluxQL identifier.
fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Quotes an InfluxQL string literal.
fn literal(value: &str) -> String {
    format!("'{}'", value.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// Whether the value InfluxDB returned is the value that was written.
fn same(written: &FieldValue<'_>, read: &Value) -> bool {
    match written {
        FieldValue::I64(i) => read.as_i64() == Some(*i),
        FieldValue::U64(u) => read.as_u64() == Some(*u),
        FieldValue::F64(f) => read.as_f64() == Some(*f),
        FieldValue::Boolean(b) => read.as_bool() == Some(*b),
        FieldValue::String(s) => read.as_str() == Some(s.as_str()),
    }
}

#[test]
fn converted_fixtures_read_back_from_influxdb() {
    let Some(server) = InfluxServer::try_start() else {
        return;
    };
    let mut checked = 0;
    for name in ["metrics.jsonl", "traces.jsonl", "logs.json"] {
        let run = otel_lp(
            &[
                "convert",
                "--input",
                &fixture(name),
                "--dialect",
                "influxdb-v1",
                "--float-format",
                "go",
            ],
            None,
        );
        assert_eq!(run.code, 0, "{name}: {}", run.stderr);
        let (status, body) = server.write(run.stdout.as_bytes());
        assert_eq!(status, 204, "{name}: {body}\n{}", run.stdout);

        for line in parse_lines(&run.stdout) {
            let line = line.expect("otel-lp writes valid lines");
            let measurement = line.series.measurement.to_string();
            let mut conditions = vec![format!("time = {}", line.timestamp.expect("timestamp"))];
            for (key, value) in line.series.tag_set.iter().flatten() {
                conditions.push(format!("{} = {}", ident(key), literal(value)));
            }
            let query = format!(
                "SELECT * FROM {} WHERE {}",
                ident(&measurement),
                conditions.join(" AND ")
            );
            let response = server.query(&query);
            let series = &response["results"][0]["series"][0];
            let columns: Vec<&str> = series["columns"]
                .as_array()
                .unwrap_or_else(|| panic!("{query}: {response}"))
                .iter()
                .map(|c| c.as_str().unwrap())
                .collect();
            let rows = series["values"].as_array().unwrap();
            assert_eq!(rows.len(), 1, "{query}: {response}");
            for (key, written) in &line.field_set {
                let column = columns
                    .iter()
                    .position(|c| *c == key.as_str())
                    .unwrap_or_else(|| panic!("{key} in {columns:?}"));
                let read = &rows[0][column];
                assert!(
                    same(written, read),
                    "{measurement}.{key}: wrote {written:?}, read {read}"
                );
                checked += 1;
            }
        }
    }
    // Spot checks with hand-written queries, as a dashboard would run them.
    let response = server.query(
        r#"SELECT "+Inf", "0.05", "count" FROM http_request_duration_seconds WHERE region = 'eu'"#,
    );
    assert_eq!(
        response["results"][0]["series"][0]["values"][0],
        serde_json::json!([1_622_848_686_000_000_000_i64, 144320, 24054, 144320])
    );
    let response = server.query("SELECT counter FROM http_requests_total WHERE code = '200'");
    assert_eq!(response["results"][0]["series"][0]["values"][0][1], 1027);
    let response = server.query("SELECT count(duration_nano) FROM spans WHERE trace_id = '5b8efff798038103d269b633813fc60c'");
    assert_eq!(response["results"][0]["series"][0]["values"][0][1], 2);
    assert!(checked > 40, "compared {checked} field values");
}
