//! Protocol tests: the real `Client` against a local server replaying Datalayers' documented
//! REST SQL responses (datalayers-api.md §2) and InfluxDB 1.x `/query` responses (§7.4).

mod query_replay;

use datalayers_client::query::{QueryError, Value};
use datalayers_client::{Client, ClientConfig, Protocol};
use query_replay::{Replay, ReplayClient};

const DOC_QUERY: &str = r#"{"result":{"columns":["ts","sn","speed","longitude","latitude"],
  "types":["TIMESTAMP(3)","INT32","INT32","REAL","REAL"],
  "values":[["2024-09-22T17:30:56.349+08:00",1,120,104.07,30.59],
            ["2024-09-22T17:30:56.349+08:00",2,120,104.07,30.59]]}}"#;

#[tokio::test]
async fn protocol_sql_query_request_and_typed_rows() {
    let server = Replay::start(vec![(200, DOC_QUERY)]).await;
    let result = server
        .client()
        .sql("SELECT * FROM sensor_info;")
        .await
        .unwrap();
    assert_eq!(result.rows.len(), 2);
    assert_eq!(
        result.rows[0][0],
        Value::Timestamp(1_726_997_456_349_000_000)
    );
    assert_eq!(result.rows[1][1], Value::Int(2));
    assert_eq!(result.rows[0][3], Value::Float(104.07));

    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(
        (request.method.as_str(), request.path.as_str()),
        ("POST", "/api/v1/sql")
    );
    assert_eq!(request.param("db"), Some("demo"));
    assert_eq!(request.body, "SELECT * FROM sensor_info");
    assert_eq!(
        request.header("authorization"),
        Some("Basic YWRtaW46cHVibGlj")
    );
    assert_eq!(request.header("content-type"), Some("application/binary"));
}

#[tokio::test]
async fn protocol_sql_arrow_spelling_and_string_numbers() {
    let body = r#"{"result":{"columns":["ts","user_id","message"],
        "types":["Timestamp(Millisecond, Asia/Shanghai)","UInt64","Utf8"],
        "values":[["2024-09-02T20:59:18.180+08:00","1","Click"]]}}"#;
    let server = Replay::start(vec![(200, body)]).await;
    let result = server.client().sql("SELECT * FROM t").await.unwrap();
    assert_eq!(
        result.rows[0],
        [
            Value::Timestamp(1_725_281_958_180_000_000),
            Value::UInt(1),
            Value::String("Click".into())
        ]
    );
}

#[tokio::test]
async fn protocol_sql_error_body_and_affected_rows() {
    let server = Replay::start(vec![
        (400, r#"{"error": "Only support execute one statement"}"#),
        (200, r#"{"affected_rows":2}"#),
        (200, ""),
    ])
    .await;
    let client = server.client();
    let err = client.sql("SELECT 1").await.unwrap_err();
    assert!(
        matches!(&err, QueryError::Statement { status: 400, message } if message == "Only support execute one statement"),
        "{err:?}"
    );
    let inserted = client.sql("INSERT INTO t VALUES (1), (2)").await.unwrap();
    assert_eq!(inserted.affected_rows, Some(2));
    assert!(
        client
            .sql("SELECT * FROM empty")
            .await
            .unwrap()
            .rows
            .is_empty()
    );
}

#[tokio::test]
async fn protocol_sql_refuses_two_statements_without_sending() {
    let server = Replay::start(vec![]).await;
    let err = server
        .client()
        .sql("SELECT 1; DROP TABLE spans")
        .await
        .unwrap_err();
    assert!(matches!(err, QueryError::InvalidInput(_)), "{err:?}");
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn protocol_admin_helpers_on_datalayers() {
    // `SHOW DATABASES` / `SHOW TABLES` bodies: the documented result shape with one STRING
    // column (the column name is not documented; the helpers read the first string cell).
    let server = Replay::start(vec![
        (200, r#"{"affected_rows":0}"#),
        (200, r#"{"result":{"columns":["database"],"types":["STRING"],"values":[["demo"],["otel"]]}}"#),
        (200, r#"{"result":{"columns":["table"],"types":["STRING"],"values":[["spans"],["span-links"]]}}"#),
    ])
    .await;
    let client = server.client();
    client.create_database("otel").await.unwrap();
    assert_eq!(client.list_databases().await.unwrap(), ["demo", "otel"]);
    assert_eq!(client.list_tables().await.unwrap(), ["spans", "span-links"]);

    let requests = server.requests();
    assert_eq!(requests[0].body, "CREATE DATABASE IF NOT EXISTS otel");
    assert_eq!(
        requests[0].param("db"),
        None,
        "create database must not name a database"
    );
    assert_eq!(requests[1].body, "SHOW DATABASES");
    assert_eq!(requests[1].param("db"), None);
    assert_eq!(requests[2].body, "SHOW TABLES");
    assert_eq!(requests[2].param("db"), Some("demo"));
}

#[tokio::test]
async fn protocol_create_database_quotes_odd_names() {
    let server = Replay::start(vec![(200, r#"{"affected_rows":0}"#)]).await;
    server
        .client()
        .create_database("my-db; DROP DATABASE x")
        .await
        .unwrap();
    assert_eq!(
        server.requests()[0].body,
        "CREATE DATABASE IF NOT EXISTS `my-db; DROP DATABASE x`"
    );
}

#[tokio::test]
async fn protocol_apply_ddl_one_statement_per_request_and_names_the_failure() {
    let server = Replay::start(vec![
        (200, r#"{"affected_rows":0}"#),
        (200, r#"{"affected_rows":0}"#),
        (409, r#"{"error":"Table `logs` already exist"}"#),
    ])
    .await;
    let ddl = [
        "CREATE TABLE IF NOT EXISTS spans (time TIMESTAMP(9) NOT NULL, trace_id STRING NOT NULL, timestamp key(time)) PARTITION BY HASH(trace_id) PARTITIONS 1;\nCREATE TABLE IF NOT EXISTS `span-links` (time TIMESTAMP(9) NOT NULL, timestamp key(time)) PARTITION BY HASH(time) PARTITIONS 1;",
        "CREATE TABLE logs (time TIMESTAMP(9) NOT NULL, timestamp key(time)) PARTITION BY HASH(time) PARTITIONS 1",
    ];
    let err = server.client().apply_ddl(&ddl).await.unwrap_err();
    match &err {
        QueryError::Ddl {
            index,
            statement,
            source,
        } => {
            assert_eq!(*index, 2);
            assert!(statement.starts_with("CREATE TABLE logs"), "{statement}");
            assert!(
                matches!(**source, QueryError::Statement { status: 409, .. }),
                "{source:?}"
            );
        }
        other => panic!("{other:?}"),
    }
    let bodies: Vec<String> = server.requests().into_iter().map(|r| r.body).collect();
    assert_eq!(bodies.len(), 3);
    assert!(bodies[0].starts_with("CREATE TABLE IF NOT EXISTS spans") && !bodies[0].contains(';'));
    assert!(
        bodies[1].starts_with("CREATE TABLE IF NOT EXISTS `span-links`")
            && !bodies[1].ends_with(';')
    );
}

#[tokio::test]
async fn protocol_influxql_get_post_epoch_and_statement_errors() {
    let server = Replay::start(vec![
        (200, r#"{"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","v"],"values":[[1,0.5]]}]}]}"#),
        (200, r#"{"results":[{"statement_id":0}]}"#),
        (200, r#"{"results":[{"statement_id":0,"error":"database not found: nope"}]}"#),
    ])
    .await;
    let client = Client::new(
        ClientConfig::new(&server.base_url)
            .with_protocol(Protocol::InfluxDbV1)
            .with_database("demo"),
    )
    .unwrap();
    let series = client
        .influxql("SELECT v FROM cpu WHERE host = 'a'")
        .await
        .unwrap();
    assert_eq!(series[0].rows[0], [Value::Timestamp(1), Value::Float(0.5)]);
    client.create_database("otel").await.unwrap();
    let err = client.influxql("SELECT * FROM x").await.unwrap_err();
    assert!(
        matches!(err, QueryError::DatabaseNotFound { .. }),
        "{err:?}"
    );

    let requests = server.requests();
    assert_eq!(
        (requests[0].method.as_str(), requests[0].path.as_str()),
        ("GET", "/query")
    );
    assert_eq!(
        requests[0].param("q"),
        Some("SELECT v FROM cpu WHERE host = 'a'")
    );
    assert_eq!(requests[0].param("epoch"), Some("ns"));
    assert_eq!(requests[0].param("db"), Some("demo"));
    assert_eq!(requests[1].method, "POST");
    assert_eq!(requests[1].param("q"), Some("CREATE DATABASE \"otel\""));
    assert_eq!(requests[1].param("db"), None);
}

#[tokio::test]
async fn protocol_unreachable_server_is_a_transport_error() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let client =
        Client::new(ClientConfig::new(format!("http://127.0.0.1:{port}")).with_database("demo"))
            .unwrap();
    let err = client.sql("SELECT 1").await.unwrap_err();
    assert!(matches!(err, QueryError::Transport { .. }), "{err:?}");
    assert!(
        err.to_string().contains(&format!("127.0.0.1:{port}")),
        "{err}"
    );
}
