//! InfluxQL over InfluxDB 1.x `/query`: quoting and response decoding.
//!
//! `GET /query?db=&q=&epoch=ns` (SELECT, SHOW) or `POST` (CREATE, DROP, ...) answers
//! `{"results":[{"statement_id":0,"series":[{"name":..,"tags":{..},"columns":[..],"values":[[..]]}]}]}`.
//! A failed statement still gets HTTP 200, with `"error"` in its result; a query that does not
//! parse gets 400 `{"error":"error parsing query: ..."}`.

use serde_json::Value as Json;

use super::sql::{decode_rows, error_message, excerpt, string_array};
use super::{ColumnType, QueryError, QueryResult, TimeUnit, Value};

/// Quotes `text` as an InfluxQL string literal: `'` and `\` backslash-escaped and a line feed
/// written `\n` (InfluxQL's scanner refuses a raw line feed inside quotes, and knows no other
/// escapes).
///
/// ```
/// use datalayers_client::query::influxql_literal;
/// assert_eq!(influxql_literal(r"it's a\b"), r"'it\'s a\\b'");
/// ```
pub fn influxql_literal(text: &str) -> String {
    quote_escaped(text, '\'')
}

/// Quotes `name` as an InfluxQL identifier: in double quotes, `"` and `\` backslash-escaped,
/// a line feed written `\n`.
///
/// ```
/// use datalayers_client::query::influxql_ident;
/// assert_eq!(influxql_ident("service.name"), "\"service.name\"");
/// ```
pub fn influxql_ident(name: &str) -> String {
    quote_escaped(name, '"')
}

fn quote_escaped(text: &str, quote: char) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push(quote);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// `true` when InfluxDB 1.x wants `query` as a POST: some statement in it changes data or schema
/// (anything but `SELECT` and `SHOW`, or a `SELECT ... INTO`).
pub fn influxql_needs_post(query: &str) -> bool {
    split_influxql(query).into_iter().any(|statement| {
        let upper = statement.to_ascii_uppercase();
        let mut words = upper.split_whitespace();
        match words.next().unwrap_or("") {
            "SHOW" | "" => false,
            "SELECT" => words.any(|w| w == "INTO"),
            _ => true,
        }
    })
}

/// Splits InfluxQL at `;` outside quotes (which use backslash escapes).
fn split_influxql(query: &str) -> Vec<&str> {
    let mut statements = Vec::new();
    let mut start = 0;
    let mut quote: Option<u8> = None;
    let mut escaped = false;
    for (i, b) in query.bytes().enumerate() {
        match quote {
            Some(_) if escaped => escaped = false,
            Some(_) if b == b'\\' => escaped = true,
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None if b == b'\'' || b == b'"' => quote = Some(b),
            None if b == b';' => {
                statements.push(&query[start..i]);
                start = i + 1;
            }
            None => {}
        }
    }
    statements.push(&query[start..]);
    statements
}

/// Decodes a `/query` response into one [`QueryResult`] per series, in order. The first statement
/// error (or a top-level error) becomes the `Err`.
pub fn parse_influxql_response(status: u16, body: &[u8]) -> Result<Vec<QueryResult>, QueryError> {
    let text = String::from_utf8_lossy(body);
    let trimmed = text.trim();
    if !(200..300).contains(&status) {
        return Err(QueryError::from_server(status, error_message(trimmed)));
    }
    let json: Json = serde_json::from_str(trimmed)
        .map_err(|e| QueryError::Decode(format!("{e} in {}", excerpt(trimmed))))?;
    if let Some(error) = json.get("error").and_then(Json::as_str) {
        return Err(QueryError::from_server(status, error.to_owned()));
    }
    let Some(results) = json.get("results").and_then(Json::as_array) else {
        return Err(QueryError::Decode(format!(
            "no \"results\" array in {}",
            excerpt(trimmed)
        )));
    };
    let mut out = Vec::new();
    for result in results {
        if let Some(error) = result.get("error").and_then(Json::as_str) {
            return Err(QueryError::from_server(status, error.to_owned()));
        }
        if is_partial(result) {
            return Err(QueryError::Decode(
                "the server cut the result short (\"partial\": true, e.g. its max-row-limit); narrow the query".into(),
            ));
        }
        let Some(series) = result.get("series") else {
            continue;
        };
        let Json::Array(series) = series else {
            return Err(QueryError::Decode(format!("\"series\" is {series}")));
        };
        for one in series {
            out.push(decode_series(one)?);
        }
    }
    Ok(out)
}

/// `"partial": true` on a result or any of its series: rows are missing.
fn is_partial(result: &Json) -> bool {
    let flagged = |v: &Json| v.get("partial").and_then(Json::as_bool) == Some(true);
    flagged(result)
        || result
            .get("series")
            .and_then(Json::as_array)
            .is_some_and(|series| series.iter().any(flagged))
}

fn decode_series(series: &Json) -> Result<QueryResult, QueryError> {
    let name = series.get("name").and_then(Json::as_str).map(str::to_owned);
    let tags = match series.get("tags") {
        Some(Json::Object(tags)) => tags
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
            .collect(),
        _ => Vec::new(),
    };
    let columns = string_array(series.get("columns"), "columns")?;
    let rows = decode_rows(series.get("values"), &columns, |c, cell| {
        if columns[c] == "time" {
            decode_time(cell)
        } else {
            Ok(Value::from_json(cell))
        }
    })?;
    let types = infer_types(&columns, &rows);
    Ok(QueryResult {
        name,
        tags,
        columns,
        types,
        rows,
        affected_rows: None,
    })
}

/// `time` is an integer with `epoch=ns`, RFC3339 text without it.
fn decode_time(cell: &Json) -> Result<Value, String> {
    match cell {
        Json::Number(n) => n
            .as_i64()
            .map(Value::Timestamp)
            .ok_or_else(|| format!("{n}")),
        Json::String(s) => super::parse_timestamp_lenient(s)
            .map(Value::Timestamp)
            .map_err(|e| e.to_string()),
        Json::Null => Ok(Value::Null),
        other => Err(format!("{other}")),
    }
}

/// InfluxQL sends no column types: each column's type is that of its first non-null cell.
fn infer_types(columns: &[String], rows: &[Vec<Value>]) -> Vec<ColumnType> {
    (0..columns.len())
        .map(|c| {
            let first = rows.iter().map(|row| &row[c]).find(|v| !v.is_null());
            match first {
                Some(Value::Timestamp(_)) => ColumnType::Timestamp {
                    unit: TimeUnit::Nanosecond,
                    timezone: None,
                },
                Some(Value::Bool(_)) => ColumnType::Bool,
                Some(Value::Int(_)) => ColumnType::Int,
                Some(Value::UInt(_)) => ColumnType::UInt,
                Some(Value::Float(_)) => ColumnType::Float,
                Some(Value::String(_)) => ColumnType::String,
                Some(Value::Null) | None => ColumnType::Other(String::new()),
            }
        })
        .collect()
}
