//! Datalayers REST SQL responses: both spellings of `types`, numbers as strings, timestamps with
//! offsets, `affected_rows`, errors. Bodies are the documented shapes (datalayers-api.md §2).

use datalayers_client::query::{
    ColumnType, QueryError, TimeUnit, Value, parse_sql_response, split_sql_statements, sql_ident,
    sql_literal,
};

#[test]
fn sql_type_spellings() {
    use ColumnType::*;
    for (spelling, expected) in [
        (
            "TIMESTAMP(3)",
            Timestamp {
                unit: TimeUnit::Millisecond,
                timezone: None,
            },
        ),
        (
            "TIMESTAMP(9)",
            Timestamp {
                unit: TimeUnit::Nanosecond,
                timezone: None,
            },
        ),
        (
            "timestamp(0)",
            Timestamp {
                unit: TimeUnit::Second,
                timezone: None,
            },
        ),
        (
            "TIMESTAMP",
            Timestamp {
                unit: TimeUnit::Millisecond,
                timezone: None,
            },
        ),
        ("INT32", Int),
        ("BIGINT", Int),
        ("INT8", Int),
        ("UINT64", UInt),
        ("BIGINT UNSIGNED", UInt),
        ("REAL", Float),
        ("DOUBLE", Float),
        ("FLOAT32", Float),
        ("STRING", String),
        ("BOOLEAN", Bool),
        ("BINARY", Binary),
    ] {
        assert_eq!(ColumnType::parse(spelling), expected, "{spelling}");
    }
}

#[test]
fn arrow_type_spellings() {
    use ColumnType::*;
    let ts = |unit, zone: Option<&str>| Timestamp {
        unit,
        timezone: zone.map(str::to_owned),
    };
    for (spelling, expected) in [
        (
            "Timestamp(Millisecond, Asia/Shanghai)",
            ts(TimeUnit::Millisecond, Some("Asia/Shanghai")),
        ),
        (
            "Timestamp(Millisecond, None)",
            ts(TimeUnit::Millisecond, None),
        ),
        (
            "Timestamp(Nanosecond, Some(\"+08:00\"))",
            ts(TimeUnit::Nanosecond, Some("+08:00")),
        ),
        ("Timestamp(Microsecond)", ts(TimeUnit::Microsecond, None)),
        ("UInt64", UInt),
        ("Int64", Int),
        ("Float64", Float),
        ("Utf8", String),
        ("LargeUtf8", String),
        ("Boolean", Bool),
    ] {
        assert_eq!(ColumnType::parse(spelling), expected, "{spelling}");
    }
    assert_eq!(ColumnType::parse("VECTOR(3)"), Other("VECTOR(3)".into()));
    assert_eq!(
        ColumnType::parse("Timestamp(Fortnight, None)"),
        Other("Timestamp(Fortnight, None)".into())
    );
}

#[test]
fn documented_query_response_current_spelling() {
    let body = br#"{
      "result": {
        "columns": ["ts", "sn", "speed", "longitude", "latitude"],
        "types": ["TIMESTAMP(3)", "INT32", "INT32", "REAL", "REAL"],
        "values": [
          ["2024-09-22T17:30:56.349+08:00", 1, 120, 104.07, 30.59],
          ["2024-09-22T17:30:56.349+08:00", 2, 120, 104.07, 30.59]
        ]
      }
    }"#;
    let result = parse_sql_response(200, body).unwrap();
    assert_eq!(
        result.columns,
        ["ts", "sn", "speed", "longitude", "latitude"]
    );
    assert_eq!(result.rows.len(), 2);
    assert_eq!(
        result.rows[1],
        [
            Value::Timestamp(1_726_997_456_349_000_000),
            Value::Int(2),
            Value::Int(120),
            Value::Float(104.07),
            Value::Float(30.59)
        ]
    );
    assert_eq!(result.get(0, "sn"), Some(&Value::Int(1)));
    assert_eq!(result.affected_rows, None);
}

#[test]
fn documented_query_response_arrow_spelling_with_string_numbers() {
    let body = br#"{"result":{"columns":["ts","user_id","message"],
                 "types":["Timestamp(Millisecond, Asia/Shanghai)","UInt64","Utf8"],
                 "values":[["2024-09-02T20:59:18.180+08:00","1","Click"]]}}"#;
    let result = parse_sql_response(200, body).unwrap();
    assert_eq!(
        result.rows[0],
        [
            Value::Timestamp(1_725_281_958_180_000_000),
            Value::UInt(1),
            Value::String("Click".into())
        ]
    );
    assert_eq!(result.types[1], ColumnType::UInt);
}

#[test]
fn numbers_as_strings_in_every_numeric_type() {
    let body = br#"{"result":{"columns":["i","u","f","b","t"],
        "types":["INT64","UINT64","DOUBLE","BOOLEAN","TIMESTAMP(9)"],
        "values":[["-9223372036854775808","18446744073709551615","1.5e3","true",1700000000000000001],
                  [null,null,"NaN",false,"2023-11-14T22:13:20.000000001Z"]]}}"#;
    let result = parse_sql_response(200, body).unwrap();
    assert_eq!(result.rows[0][0], Value::Int(i64::MIN));
    assert_eq!(result.rows[0][1], Value::UInt(u64::MAX));
    assert_eq!(result.rows[0][2], Value::Float(1500.0));
    assert_eq!(result.rows[0][3], Value::Bool(true));
    assert_eq!(
        result.rows[0][4],
        Value::Timestamp(1_700_000_000_000_000_001)
    );
    assert_eq!(result.rows[1][0], Value::Null);
    assert!(matches!(result.rows[1][2], Value::Float(f) if f.is_nan()));
    assert_eq!(result.rows[1][4], result.rows[0][4]);
}

#[test]
fn millisecond_numbers_are_scaled_to_nanoseconds() {
    let body =
        br#"{"result":{"columns":["ts"],"types":["TIMESTAMP(3)"],"values":[[1700000000123]]}}"#;
    assert_eq!(
        parse_sql_response(200, body).unwrap().rows[0][0],
        Value::Timestamp(1_700_000_000_123_000_000)
    );
}

#[test]
fn cells_that_do_not_fit_their_type_are_errors() {
    for body in [
        &br#"{"result":{"columns":["i"],"types":["INT32"],"values":[["twelve"]]}}"#[..],
        br#"{"result":{"columns":["u"],"types":["UINT64"],"values":[[-1]]}}"#,
        br#"{"result":{"columns":["t"],"types":["TIMESTAMP(3)"],"values":[["yesterday"]]}}"#,
        br#"{"result":{"columns":["a","b"],"types":["INT32","INT32"],"values":[[1]]}}"#,
        br#"{"result":{"columns":["a"],"types":["INT32","INT32"],"values":[]}}"#,
        br#"{"result":{"columns":["a"],"types":["INT32"],"values":[5]}}"#,
        br#"[1,2]"#,
        br#"{"unexpected":1}"#,
        br#"{"result":"#,
    ] {
        let err = parse_sql_response(200, body).unwrap_err();
        assert!(
            matches!(err, QueryError::Decode(_)),
            "{} -> {err:?}",
            String::from_utf8_lossy(body)
        );
    }
}

#[test]
fn affected_rows_and_empty_results() {
    assert_eq!(
        parse_sql_response(200, br#"{"affected_rows":0}"#)
            .unwrap()
            .affected_rows,
        Some(0)
    );
    assert_eq!(
        parse_sql_response(200, br#"{"affected_rows":2}"#)
            .unwrap()
            .affected_rows,
        Some(2)
    );
    let empty = parse_sql_response(200, br#"{"result":{"values":[]}}"#).unwrap();
    assert!(empty.rows.is_empty() && empty.columns.is_empty());
    assert!(parse_sql_response(200, b"").unwrap().rows.is_empty());
    assert!(parse_sql_response(200, b"  \n").unwrap().rows.is_empty());
}

#[test]
fn error_bodies_become_classified_errors() {
    let err =
        parse_sql_response(400, br#"{"error": "Only support execute one statement"}"#).unwrap_err();
    assert!(
        matches!(&err, QueryError::Statement { status: 400, message } if message == "Only support execute one statement"),
        "{err:?}"
    );
    // An error member with status 200 is still an error.
    let err = parse_sql_response(200, br#"{"error":"boom"}"#).unwrap_err();
    assert!(
        matches!(&err, QueryError::Statement { status: 200, .. }),
        "{err:?}"
    );
    let err = parse_sql_response(401, br#"{"error":"authentication failed"}"#).unwrap_err();
    assert!(
        matches!(err, QueryError::Unauthorized { status: 401, .. }),
        "{err:?}"
    );
    let err = parse_sql_response(500, br#"{"error":"Database `nope` not exist"}"#).unwrap_err();
    assert!(
        matches!(err, QueryError::DatabaseNotFound { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("create it first"), "{err}");
    let err = parse_sql_response(400, br#"{"error":"table 'span-links' not found"}"#).unwrap_err();
    assert!(err.is_table_not_found(), "{err:?}");
    let err = parse_sql_response(
        400,
        br#"{"error":"Table `spans` not exist in database `demo`"}"#,
    )
    .unwrap_err();
    assert!(err.is_table_not_found(), "{err:?}");
    // An unknown column is a statement error, never "no such table" (which trace queries skip).
    let err = parse_sql_response(
        400,
        br#"{"error":"Schema error: unknown column 'x' in table spans"}"#,
    )
    .unwrap_err();
    assert!(matches!(err, QueryError::Statement { .. }), "{err:?}");
    let err = parse_sql_response(502, b"<html>bad gateway</html>").unwrap_err();
    assert!(
        matches!(&err, QueryError::Statement { status: 502, message } if message.contains("bad gateway")),
        "{err:?}"
    );
    let err = parse_sql_response(503, b"").unwrap_err();
    assert!(err.to_string().contains("empty response body"), "{err}");
}

#[test]
fn sql_quoting() {
    assert_eq!(sql_literal("plain"), "'plain'");
    assert_eq!(sql_literal(""), "''");
    assert_eq!(sql_literal("o'clock"), "'o''clock'");
    assert_eq!(sql_literal("''"), "''''''");
    // Backslashes never sit inside the quotes, whatever the dialect makes of them.
    assert_eq!(sql_literal("\\"), "concat('', chr(92), '')");
    assert_eq!(
        sql_literal("\\' OR 1=1 --"),
        "concat('', chr(92), ''' OR 1=1 --')"
    );
    assert_eq!(sql_ident("time"), "`time`");
    assert_eq!(sql_ident("span-links"), "`span-links`");
    assert_eq!(sql_ident("x` OR 1=1 --"), "`x`` OR 1=1 --`");
}

#[test]
fn statement_splitting_respects_quotes_and_comments() {
    assert_eq!(split_sql_statements("SELECT 1;"), ["SELECT 1"]);
    assert_eq!(
        split_sql_statements("CREATE TABLE a (x INT); CREATE TABLE b (y INT);\n"),
        ["CREATE TABLE a (x INT)", "CREATE TABLE b (y INT)"]
    );
    assert_eq!(
        split_sql_statements("SELECT ';' AS `a;b`, \"c;d\""),
        ["SELECT ';' AS `a;b`, \"c;d\""]
    );
    assert_eq!(
        split_sql_statements("SELECT 'it''s;'; SELECT 2"),
        ["SELECT 'it''s;'", "SELECT 2"]
    );
    assert_eq!(
        split_sql_statements("-- a; comment\nSELECT 1; -- trailing; note\n"),
        ["-- a; comment\nSELECT 1"]
    );
    assert!(split_sql_statements(" ; ;\n-- only a comment").is_empty());
}
