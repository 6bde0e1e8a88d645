//! Datalayers SQL over REST: statement checks, quoting, and response decoding.
//!
//! `POST /api/v1/sql?db=<db>` with the raw statement as body answers one of
//! - `{"result":{"columns":[..],"types":[..],"values":[[..],..]}}` for queries,
//! - `{"affected_rows":N}` for DDL and DML,
//! - `{"error":"..."}` (with a 4xx/5xx status, or sometimes 200) for failures,
//! - an empty body (seen for empty results).

use serde_json::Value as Json;

use super::{ColumnType, QueryError, QueryResult, Value};

/// Quotes `text` as a Datalayers SQL string literal.
///
/// Single quotes are doubled. A backslash is an escape character in MySQL's dialect and a plain
/// character in standard SQL, and the server's choice is not documented; so backslashes never
/// appear inside the quotes: they are spliced in as `chr(92)` with `concat`, which reads the same
/// under both rules and leaves no way to end the literal early.
///
/// ```
/// use datalayers_client::query::sql_literal;
/// assert_eq!(sql_literal("it's"), "'it''s'");
/// assert_eq!(sql_literal(r"a\b"), "concat('a', chr(92), 'b')");
/// ```
pub fn sql_literal(text: &str) -> String {
    if !text.contains('\\') {
        return quote_single(text);
    }
    let parts: Vec<String> = text.split('\\').map(quote_single).collect();
    let mut out = String::from("concat(");
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            out.push_str(", chr(92), ");
        }
        out.push_str(part);
    }
    out.push(')');
    out
}

fn quote_single(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('\'');
    for c in text.chars() {
        if c == '\'' {
            out.push('\'');
        }
        out.push(c);
    }
    out.push('\'');
    out
}

/// Quotes `name` as a Datalayers SQL identifier: in backticks (the docs' way for names with `.` or
/// `-`, such as `service.name` or `span-links`), a backtick inside doubled.
///
/// ```
/// use datalayers_client::query::sql_ident;
/// assert_eq!(sql_ident("service.name"), "`service.name`");
/// assert_eq!(sql_ident("a`b"), "`a``b`");
/// ```
pub fn sql_ident(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 2);
    out.push('`');
    for c in name.chars() {
        if c == '`' {
            out.push('`');
        }
        out.push(c);
    }
    out.push('`');
    out
}

/// Splits SQL text into statements at `;` outside quotes, backticks and `--` comments; blank
/// statements are dropped. Datalayers takes one statement per REST request.
pub fn split_sql_statements(text: &str) -> Vec<&str> {
    let bytes = text.as_bytes();
    let mut statements = Vec::new();
    let mut start = 0;
    let mut i = 0;
    let mut quote: Option<u8> = None;
    while i < bytes.len() {
        let b = bytes[i];
        match quote {
            // A doubled quote inside a quoted run reads as leaving and re-entering it.
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None => match b {
                b'\'' | b'"' | b'`' => quote = Some(b),
                b'-' if bytes.get(i + 1) == Some(&b'-') => {
                    while i < bytes.len() && bytes[i] != b'\n' {
                        i += 1;
                    }
                    continue;
                }
                b';' => {
                    statements.push(&text[start..i]);
                    start = i + 1;
                }
                _ => {}
            },
        }
        i += 1;
    }
    statements.push(&text[start..]);
    statements.retain(|s| !is_blank_sql(s));
    statements.into_iter().map(str::trim).collect()
}

fn is_blank_sql(s: &str) -> bool {
    s.lines().all(|line| {
        let line = line.trim();
        line.is_empty() || line.starts_with("--")
    })
}

/// Checks that `statement` is exactly one statement and returns it trimmed (a trailing `;` is
/// dropped: the server refuses more than one statement per request).
pub(crate) fn single_statement(statement: &str) -> Result<&str, QueryError> {
    match split_sql_statements(statement).as_slice() {
        [one] => Ok(one),
        [] => Err(QueryError::InvalidInput("empty SQL statement".into())),
        many => Err(QueryError::InvalidInput(format!(
            "{} SQL statements in one request; Datalayers runs one statement per request",
            many.len()
        ))),
    }
}

/// Decodes a REST SQL response (`status` and body) into a [`QueryResult`].
pub fn parse_sql_response(status: u16, body: &[u8]) -> Result<QueryResult, QueryError> {
    let text = String::from_utf8_lossy(body);
    let trimmed = text.trim();
    if !(200..300).contains(&status) {
        return Err(QueryError::from_server(status, error_message(trimmed)));
    }
    if trimmed.is_empty() {
        return Ok(QueryResult::default());
    }
    let json: Json = serde_json::from_str(trimmed)
        .map_err(|e| QueryError::Decode(format!("{e} in {}", excerpt(trimmed))))?;
    let Json::Object(object) = &json else {
        return Err(QueryError::Decode(format!(
            "expected a JSON object, got {}",
            excerpt(trimmed)
        )));
    };
    if let Some(error) = object.get("error").filter(|e| !e.is_null()) {
        return Err(QueryError::from_server(status, json_text(error)));
    }
    if let Some(affected) = object.get("affected_rows") {
        let n = affected
            .as_u64()
            .or_else(|| affected.as_str().and_then(|s| s.parse().ok()))
            .ok_or_else(|| QueryError::Decode(format!("affected_rows is {affected}")))?;
        return Ok(QueryResult {
            affected_rows: Some(n),
            ..QueryResult::default()
        });
    }
    match object.get("result") {
        Some(Json::Object(result)) => decode_table(result),
        Some(Json::Null) => Ok(QueryResult::default()),
        _ => Err(QueryError::Decode(format!(
            "expected \"result\", \"affected_rows\" or \"error\" in {}",
            excerpt(trimmed)
        ))),
    }
}

fn decode_table(result: &serde_json::Map<String, Json>) -> Result<QueryResult, QueryError> {
    let columns = string_array(result.get("columns"), "columns")?;
    let type_names = string_array(result.get("types"), "types")?;
    let types: Vec<ColumnType> = if type_names.is_empty() {
        vec![ColumnType::Other(String::new()); columns.len()]
    } else if type_names.len() == columns.len() {
        type_names.iter().map(|t| ColumnType::parse(t)).collect()
    } else {
        return Err(QueryError::Decode(format!(
            "{} columns but {} types",
            columns.len(),
            type_names.len()
        )));
    };
    let rows = decode_rows(result.get("values"), &columns, |c, cell| {
        Value::from_typed_json(cell, &types[c])
    })?;
    Ok(QueryResult {
        columns,
        types,
        rows,
        ..QueryResult::default()
    })
}

/// The strings of the JSON array `value`, named `what` in errors; absent or `null`: none.
pub(crate) fn string_array(value: Option<&Json>, what: &str) -> Result<Vec<String>, QueryError> {
    match value {
        None | Some(Json::Null) => Ok(Vec::new()),
        Some(Json::Array(items)) => items
            .iter()
            .map(|v| v.as_str().map(str::to_owned))
            .collect::<Option<_>>()
            .ok_or_else(|| QueryError::Decode(format!("\"{what}\" holds a non-string"))),
        Some(other) => Err(QueryError::Decode(format!(
            "\"{what}\" is {other}, not an array"
        ))),
    }
}

/// Row-major `values` (absent or `null`: no rows), each row exactly one cell per column, each
/// cell through `decode(column index, cell)`.
pub(crate) fn decode_rows(
    values: Option<&Json>,
    columns: &[String],
    mut decode: impl FnMut(usize, &Json) -> Result<Value, String>,
) -> Result<Vec<Vec<Value>>, QueryError> {
    let values = match values {
        None | Some(Json::Null) => return Ok(Vec::new()),
        Some(Json::Array(values)) => values,
        Some(other) => return Err(QueryError::Decode(format!("\"values\" is {other}"))),
    };
    let mut rows = Vec::with_capacity(values.len());
    for (r, row) in values.iter().enumerate() {
        let Json::Array(cells) = row else {
            return Err(QueryError::Decode(format!("row {r} is not an array")));
        };
        if cells.len() != columns.len() {
            return Err(QueryError::Decode(format!(
                "row {r} has {} cells for {} columns",
                cells.len(),
                columns.len()
            )));
        }
        let decoded = cells
            .iter()
            .enumerate()
            .map(|(c, cell)| {
                decode(c, cell)
                    .map_err(|e| QueryError::Decode(format!("row {r}, column {}: {e}", columns[c])))
            })
            .collect::<Result<Vec<_>, _>>()?;
        rows.push(decoded);
    }
    Ok(rows)
}

/// The message of an error body: `{"error": "..."}` (also `{"message": ...}`), else the text.
pub(crate) fn error_message(body: &str) -> String {
    if let Ok(Json::Object(object)) = serde_json::from_str::<Json>(body) {
        for key in ["error", "message", "msg"] {
            if let Some(v) = object.get(key).filter(|v| !v.is_null()) {
                return json_text(v);
            }
        }
    }
    if body.is_empty() {
        "(empty response body)".to_owned()
    } else {
        excerpt(body)
    }
}

fn json_text(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// At most 300 characters of a body, for error messages.
pub(crate) fn excerpt(text: &str) -> String {
    const MAX: usize = 300;
    if text.chars().count() <= MAX {
        text.to_owned()
    } else {
        let cut: String = text.chars().take(MAX).collect();
        format!("{cut}...")
    }
}
