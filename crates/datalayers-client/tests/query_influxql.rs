//! InfluxQL responses (datalayers-api.md §7.4) and quoting.

use datalayers_client::query::{
    QueryError, Value, influxql_ident, influxql_literal, influxql_needs_post,
    parse_influxql_response,
};

#[test]
fn series_with_tags_columns_and_values() {
    let body = br#"{"results":[{"statement_id":0,"series":[
        {"name":"spans","tags":{"trace_id":"0000000000000002000000000000000a"},
         "columns":["time","span.name","duration_nano","ok","ratio"],
         "values":[[1622848000000000000,"cpu_temp",100000000000,true,0.5],
                   [1622848000000000002,null,3,false,1]]},
        {"name":"spans","tags":{"trace_id":"0000000000000002000000000000000b"},
         "columns":["time","span.name"],"values":[[5,"x"]]}]}]}"#;
    let series = parse_influxql_response(200, body).unwrap();
    assert_eq!(series.len(), 2);
    let first = &series[0];
    assert_eq!(first.name.as_deref(), Some("spans"));
    assert_eq!(
        first.tag("trace_id"),
        Some("0000000000000002000000000000000a")
    );
    assert_eq!(
        first.rows[0][0],
        Value::Timestamp(1_622_848_000_000_000_000)
    );
    assert_eq!(first.rows[0][1], Value::String("cpu_temp".into()));
    assert_eq!(first.rows[0][2], Value::Int(100_000_000_000));
    assert_eq!(first.rows[0][3], Value::Bool(true));
    assert_eq!(first.rows[1][1], Value::Null);
    // InfluxDB writes the float 1.0 as `1`: the accessors read it either way.
    assert_eq!(first.rows[1][4].as_f64(), Some(1.0));
    assert_eq!(
        series[1].tag("trace_id"),
        Some("0000000000000002000000000000000b")
    );
}

#[test]
fn rfc3339_times_without_epoch() {
    let body = br#"{"results":[{"statement_id":0,"series":[{"name":"m","columns":["time","v"],
        "values":[["2021-06-04T23:06:40.000000001Z",1]]}]}]}"#;
    let series = parse_influxql_response(200, body).unwrap();
    assert_eq!(
        series[0].rows[0][0],
        Value::Timestamp(1_622_848_000_000_000_001)
    );
}

#[test]
fn empty_results_have_no_series() {
    assert!(
        parse_influxql_response(200, br#"{"results":[{"statement_id":0}]}"#)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn statement_errors_with_status_200_are_errors() {
    let body = br#"{"results":[{"statement_id":0,"error":"database not found: mydb1"}]}"#;
    let err = parse_influxql_response(200, body).unwrap_err();
    assert!(
        matches!(err, QueryError::DatabaseNotFound { .. }),
        "{err:?}"
    );
    // The second of two statements failing still fails the call.
    let body = br#"{"results":[{"statement_id":0,"series":[]},{"statement_id":1,"error":"boom"}]}"#;
    let err = parse_influxql_response(200, body).unwrap_err();
    assert!(
        matches!(&err, QueryError::Statement { status: 200, message } if message == "boom"),
        "{err:?}"
    );
}

#[test]
fn truncated_results_are_errors_not_fewer_rows() {
    for body in [
        &br#"{"results":[{"statement_id":0,"partial":true,"series":[{"name":"m","columns":["time"],"values":[[1]]}]}]}"#[..],
        br#"{"results":[{"statement_id":0,"series":[{"name":"m","columns":["time"],"values":[[1]],"partial":true}]}]}"#,
    ] {
        let err = parse_influxql_response(200, body).unwrap_err();
        assert!(matches!(&err, QueryError::Decode(m) if m.contains("partial")), "{err:?}");
    }
}

#[test]
fn http_errors() {
    let err = parse_influxql_response(
        400,
        br#"{"error":"error parsing query: found EOF, expected FROM"}"#,
    )
    .unwrap_err();
    assert!(
        matches!(&err, QueryError::Statement { status: 400, message } if message.starts_with("error parsing"))
    );
    let err = parse_influxql_response(401, br#"{"error":"authorization failed"}"#).unwrap_err();
    assert!(matches!(err, QueryError::Unauthorized { .. }), "{err:?}");
    let err = parse_influxql_response(200, b"not json").unwrap_err();
    assert!(matches!(err, QueryError::Decode(_)), "{err:?}");
    let err = parse_influxql_response(200, br#"{"series":[]}"#).unwrap_err();
    assert!(matches!(err, QueryError::Decode(_)), "{err:?}");
}

#[test]
fn quoting_follows_the_influxql_scanner() {
    assert_eq!(influxql_literal("plain"), "'plain'");
    assert_eq!(influxql_literal("it's"), r"'it\'s'");
    assert_eq!(influxql_literal(r"a\"), r"'a\\'");
    assert_eq!(influxql_literal("line\nbreak"), r"'line\nbreak'");
    assert_eq!(influxql_literal(r#"say "hi""#), r#"'say "hi"'"#);
    assert_eq!(influxql_ident("service.name"), "\"service.name\"");
    assert_eq!(influxql_ident(r#"a"b\c"#), r#""a\"b\\c""#);
}

#[test]
fn method_choice() {
    assert!(!influxql_needs_post("SELECT * FROM spans"));
    assert!(!influxql_needs_post("  show databases"));
    assert!(influxql_needs_post("CREATE DATABASE x"));
    assert!(influxql_needs_post("DROP MEASUREMENT spans"));
    assert!(influxql_needs_post("SELECT * INTO b FROM a"));
    // Every statement counts; quoted semicolons do not split.
    assert!(influxql_needs_post("SELECT * FROM a; DROP MEASUREMENT a"));
    assert!(!influxql_needs_post(
        "SELECT * FROM a WHERE t = 'x; DROP MEASUREMENT a'; SHOW DATABASES"
    ));
    assert!(!influxql_needs_post(
        r"SELECT * FROM a WHERE t = 'it\'s; DROP x'"
    ));
    assert!(!influxql_needs_post("SELECT * FROM a;"));
}
