//! Fuzzes the response decoders of `datalayers_client::query` (Datalayers REST SQL and InfluxDB
//! 1.x `/query`) and the trace-list builders of `trace_query` that read their results, and the
//! terminal list of `otel-lp` that shows them.
//!
//! Bodies are raw bytes, or JSON in the documented shapes with arbitrary columns, type names and
//! cells, so that the decoders get past `serde_json`. Nothing may panic; a decoded table is
//! rectangular, has one type per column, and no cell contradicts a type the server declared (a
//! cell that does not fit is an error, never a silently wrong value); InfluxQL `time` cells are
//! instants.

#![no_main]

use datalayers_client::query::{
    ColumnType, QueryResult, Value, parse_influxql_response, parse_sql_response,
};
use trace_query::{TraceFilter, TraceId, TraceSchema, summaries_from_influxql, summaries_from_sql};

// The terminal views live in the `otel-lp` binary, which no library exports: compiled in here.
#[path = "../../crates/otel-lp/src/render.rs"]
#[allow(dead_code)]
mod render;
use render::render_trace_list;
use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value as Json, json};

const TYPES: &[&str] = &[
    "INT64",
    "Int32",
    "UINT64",
    "UInt8",
    "FLOAT64",
    "REAL",
    "BOOLEAN",
    "Boolean",
    "STRING",
    "Utf8",
    "BINARY",
    "TIMESTAMP",
    "TIMESTAMP(0)",
    "TIMESTAMP(3)",
    "TIMESTAMP(6)",
    "TIMESTAMP(9)",
    "TIMESTAMP(7)",
    "Timestamp(Millisecond, None)",
    "Timestamp(Nanosecond, Some(\"+08:00\"))",
    "Timestamp(Second, Asia/Shanghai)",
    "Timestamp(Microsecond, UTC)",
    "DATE",
    "VECTOR(3)",
    "",
];

const COLUMNS: &[&str] = &[
    "time",
    "trace_id",
    "span_id",
    "parent_span_id",
    "start_time",
    "end_time",
    "duration_nano",
    "service.name",
    "span.name",
    "otel.status_code",
    "spans",
    "count",
    "name",
];

const TEXTS: &[&str] = &[
    "2024-09-22T17:30:56.349+08:00",
    "2023-02-28T17:21:51.63678163+00:00",
    "1970-01-01T00:00:00",
    "2262-04-11T23:47:16.854775808Z",
    "1677-09-21T00:12:43.145224191Z",
    "4bf92f3577b34da6a3ce929d0e0e4736",
    "00f067aa0ba902b7",
    "00000000000000000000000000000000",
    "NaN",
    "inf",
    "-Infinity",
    "1e400",
    "18446744073709551616",
    "-9223372036854775808",
    " 42 ",
    "true",
    "False",
    "Error",
    "",
    "table `spans` not found",
    "database not found: otel",
];

fn text(u: &mut Unstructured<'_>) -> Result<String> {
    if u.ratio(1, 3)? {
        u.arbitrary()
    } else {
        Ok((*u.choose(TEXTS)?).to_owned())
    }
}

fn cell(u: &mut Unstructured<'_>, depth: u32) -> Result<Json> {
    Ok(match u.int_in_range(0..=9)? {
        0 => Json::Null,
        1 => Json::Bool(u.arbitrary()?),
        2 => json!(u.arbitrary::<i64>()?),
        3 => json!(u.arbitrary::<u64>()?),
        4 => json!(*u.choose(&[0i64, 1, -1, 1_700_000_000_000, i64::MAX, i64::MIN])?),
        5 => serde_json::Number::from_f64(u.arbitrary()?).map_or(Json::Null, Json::Number),
        6 if depth < 3 => Json::Array(
            (0..u.int_in_range(0..=3)?)
                .map(|_| cell(u, depth + 1))
                .collect::<Result<_>>()?,
        ),
        7 if depth < 3 => {
            let mut map = Map::new();
            for _ in 0..u.int_in_range(0..=3)? {
                map.insert(text(u)?, cell(u, depth + 1)?);
            }
            Json::Object(map)
        }
        _ => Json::String(text(u)?),
    })
}

fn column(u: &mut Unstructured<'_>) -> Result<String> {
    if u.ratio(1, 8)? {
        u.arbitrary()
    } else {
        Ok((*u.choose(COLUMNS)?).to_owned())
    }
}

/// Rows of `width` cells, sometimes one cell short or long.
fn rows(u: &mut Unstructured<'_>, width: usize) -> Result<Json> {
    let mut rows = Vec::new();
    for _ in 0..u.int_in_range(0..=6)? {
        let mut n = width;
        if u.ratio(1, 32)? {
            n = u.int_in_range(0..=width + 1)?;
        }
        rows.push(Json::Array(
            (0..n).map(|_| cell(u, 0)).collect::<Result<_>>()?,
        ));
    }
    Ok(Json::Array(rows))
}

fn sql_body(u: &mut Unstructured<'_>) -> Result<Json> {
    Ok(match u.int_in_range(0..=9)? {
        0 => json!({"affected_rows": cell(u, 2)?}),
        1 => json!({"error": cell(u, 2)?}),
        2 => json!({"result": null}),
        _ => {
            let width = u.int_in_range(0..=6)?;
            let columns: Vec<String> = (0..width).map(|_| column(u)).collect::<Result<_>>()?;
            let mut types: Vec<String> = Vec::new();
            if !u.ratio(1, 8)? {
                for _ in 0..width {
                    types.push(if u.ratio(1, 8)? {
                        u.arbitrary()?
                    } else {
                        (*u.choose(TYPES)?).to_owned()
                    });
                }
            }
            json!({"result": {"columns": columns, "types": types, "values": rows(u, width)?}})
        }
    })
}

fn influxql_body(u: &mut Unstructured<'_>) -> Result<Json> {
    if u.ratio(1, 16)? {
        return Ok(json!({"error": text(u)?}));
    }
    let mut results = Vec::new();
    for id in 0..u.int_in_range(0..=2)? {
        let mut result = Map::new();
        result.insert("statement_id".into(), json!(id));
        if u.ratio(1, 16)? {
            result.insert("error".into(), Json::String(text(u)?));
        }
        if u.ratio(1, 16)? {
            result.insert("partial".into(), Json::Bool(u.arbitrary()?));
        }
        let mut series = Vec::new();
        for _ in 0..u.int_in_range(0..=3)? {
            let width = u.int_in_range(0..=5)?;
            let mut columns: Vec<String> = (0..width).map(|_| column(u)).collect::<Result<_>>()?;
            if width > 0 && u.ratio(3, 4)? {
                columns[0] = "time".into();
            }
            let mut tags = Map::new();
            for _ in 0..u.int_in_range(0..=2)? {
                let key = if u.ratio(3, 4)? {
                    "trace_id".to_owned()
                } else {
                    column(u)?
                };
                tags.insert(
                    key,
                    if u.ratio(7, 8)? {
                        Json::String(text(u)?)
                    } else {
                        cell(u, 2)?
                    },
                );
            }
            series.push(json!({"name": text(u)?, "tags": tags, "columns": columns, "values": rows(u, width)?}));
        }
        result.insert("series".into(), Json::Array(series));
        results.push(Json::Object(result));
    }
    Ok(json!({ "results": results }))
}

/// The invariants of every decoded table. `declared`: the types came from the server (SQL); for
/// InfluxQL they are inferred from each column's first non-null cell, and later cells may differ
/// (InfluxDB's JSON mixes integers and floats in one column, and a field's type may change
/// between shards).
fn check_table(result: &QueryResult, declared: bool) {
    assert_eq!(result.types.len(), result.columns.len(), "{result:?}");
    for row in &result.rows {
        assert_eq!(row.len(), result.columns.len(), "{result:?}");
        for (value, ty) in row.iter().zip(&result.types) {
            let fits = match ty {
                ColumnType::Bool => matches!(value, Value::Bool(_) | Value::Null),
                ColumnType::Int => matches!(value, Value::Int(_) | Value::Null),
                ColumnType::UInt => matches!(value, Value::UInt(_) | Value::Null),
                ColumnType::Float => matches!(value, Value::Float(_) | Value::Null),
                ColumnType::Timestamp { .. } => matches!(value, Value::Timestamp(_) | Value::Null),
                _ => true,
            } || !declared;
            assert!(fits, "{value:?} in a {ty:?} column: {result:?}");
            let _ = (
                value.to_string(),
                value.as_i64(),
                value.as_f64(),
                value.as_timestamp_ns(),
            );
        }
    }
    for record in result.records() {
        for name in &result.columns {
            assert!(record.get(name).is_some());
        }
        let _ = (record.str("trace_id"), record.i64("time"));
    }
    let _ = result.first_texts();
    for ty in &result.types {
        let _ = ty.to_string();
    }
}

fn run(data: &[u8]) -> Result<()> {
    let mut u = Unstructured::new(data);
    let status = *u.choose(&[200u16, 200, 200, 204, 400, 401, 404, 500])?;
    let mode = u.int_in_range(0..=3)?;
    let body = match mode {
        0 | 1 => {
            let raw: Vec<u8> = u.arbitrary()?;
            // Also the raw bytes as a type name and a trace id.
            let spelling = String::from_utf8_lossy(&raw);
            let _ = ColumnType::parse(&spelling).to_string();
            if let Ok(id) = TraceId::parse(&spelling) {
                assert_eq!(id.as_str(), spelling.to_ascii_lowercase());
            }
            raw
        }
        2 => serde_json::to_vec(&sql_body(&mut u)?).unwrap_or_default(),
        _ => serde_json::to_vec(&influxql_body(&mut u)?).unwrap_or_default(),
    };

    if mode != 3 {
        match parse_sql_response(status, &body) {
            Ok(result) => {
                assert!((200..300).contains(&status));
                check_table(&result, true);
                if let Ok(summaries) = summaries_from_sql(&result) {
                    let _ = render_trace_list(&summaries);
                }
            }
            Err(e) => {
                let _ = (e.to_string(), e.is_table_not_found());
            }
        }
    }
    if mode != 2 {
        match parse_influxql_response(status, &body) {
            Ok(series) => {
                assert!((200..300).contains(&status));
                for one in &series {
                    check_table(one, false);
                    if let Some(c) = one.column_index("time") {
                        for row in &one.rows {
                            assert!(
                                matches!(row[c], Value::Timestamp(_) | Value::Null),
                                "{one:?}"
                            );
                        }
                    }
                }
                let filter = TraceFilter::default();
                if let Ok(summaries) =
                    summaries_from_influxql(&series, &filter, &TraceSchema::default())
                {
                    let _ = render_trace_list(&summaries);
                }
            }
            Err(e) => {
                let _ = e.to_string();
            }
        }
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let _ = run(data);
});
