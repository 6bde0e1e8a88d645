//! The Arrow Flight SQL client against a Datalayers-shaped server (test-support's mock on
//! arrow-flight's `FlightSqlService`: Datalayers cannot run here) and against a real Flight SQL
//! server, roapi (DataFusion, the engine Datalayers is built on).

use std::sync::Arc;
use std::time::{Duration, Instant};

use arrow_array::builder::StringDictionaryBuilder;
use arrow_array::types::{Float16Type, Int32Type};
use arrow_array::{
    ArrayRef, ArrowPrimitiveType, BooleanArray, Float16Array, Float64Array, Int8Array, Int16Array,
    Int32Array, Int64Array, LargeStringArray, RecordBatch, StringArray, StringViewArray,
    TimestampMicrosecondArray, TimestampMillisecondArray, TimestampNanosecondArray,
    TimestampSecondArray, UInt8Array, UInt64Array,
};
use arrow_schema::{DataType, Field, Schema, TimeUnit as ArrowUnit};
use datalayers_client::ClientConfig;
use datalayers_client::flight::{FlightSqlClient, to_query_result};
use datalayers_client::query::{ColumnType, QueryError, SqlTransport, TimeUnit, Value};
use test_support::flight_sql::{Answer, MockCall, MockFlightSql, Roapi, TEST_CA_PEM};

const USER: &str = "admin";
const PASSWORD: &str = "pa55-word-secret";

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn config(url: &str) -> ClientConfig {
    ClientConfig::new("http://unused:8361")
        .with_flight_sql_endpoint(url)
        .with_database("otel")
        .with_basic_auth(USER, PASSWORD)
        .with_timeout(Duration::from_secs(10))
}

fn ints(name: &str, values: &[i64]) -> RecordBatch {
    RecordBatch::try_from_iter([(
        name,
        Arc::new(Int64Array::from(values.to_vec())) as ArrayRef,
    )])
    .unwrap()
}

async fn mock() -> MockFlightSql {
    MockFlightSql::builder()
        .credentials(USER, PASSWORD)
        .database("otel")
        .answer("SELECT 1 AS n", Answer::batches(vec![ints("n", &[1])]))
        .start()
        .await
}

fn methods(calls: &[MockCall]) -> Vec<&'static str> {
    calls.iter().map(|c| c.method).collect()
}

#[test]
fn handshake_then_token_and_database_on_every_call() {
    runtime().block_on(async {
        let server = mock().await;
        let client = FlightSqlClient::connect(&config(server.url()))
            .await
            .unwrap();
        let result = client.sql("SELECT 1 AS n;").await.unwrap();
        assert_eq!(result.columns, ["n"]);
        assert_eq!(result.rows, [[Value::Int(1)]]);
        assert_eq!(result.affected_rows, None);

        let calls = server.calls();
        assert_eq!(methods(&calls), ["Handshake", "GetFlightInfo", "DoGet"]);
        assert!(
            calls[0]
                .authorization
                .as_deref()
                .is_some_and(|a| a.starts_with("Basic "))
        );
        for call in &calls[1..] {
            assert_eq!(
                call.authorization.as_deref(),
                Some("Bearer token-1"),
                "{call:?}"
            );
            assert_eq!(call.database.as_deref(), Some("otel"), "{call:?}");
        }
        assert_eq!(
            calls[1].statement.as_deref(),
            Some("SELECT 1 AS n"),
            "the `;` is dropped"
        );

        // The trait the trace queries use gives the same rows.
        assert_eq!(
            SqlTransport::sql(&client, "SELECT 1 AS n").await.unwrap(),
            result
        );
        // Clones share the connection and the token: no new handshake.
        client.clone().sql("SELECT 1 AS n").await.unwrap();
        assert_eq!(server.handshakes(), 1);
    });
}

#[test]
fn secrets_never_show_in_debug_or_errors() {
    runtime().block_on(async {
        let server = mock().await;
        let client = FlightSqlClient::connect(&config(server.url()))
            .await
            .unwrap();
        let shown = format!("{client:?} {client:#?}");
        assert!(
            !shown.contains(PASSWORD) && !shown.contains("token-1"),
            "{shown}"
        );
        assert!(shown.contains(USER), "{shown}");

        let wrong = config(server.url()).with_basic_auth(USER, "not-the-password-xyz");
        let err = FlightSqlClient::connect(&wrong).await.unwrap_err();
        assert!(
            matches!(err, QueryError::Unauthorized { status: 401, .. }),
            "{err:?}"
        );
        let text = err.to_string();
        assert!(text.contains("refused user \"admin\""), "{text}");
        assert!(text.contains("--password"), "{text}");
        assert!(
            !text.contains("not-the-password") && !text.contains("src/dbserver"),
            "{text}"
        );
        assert!(!format!("{err:?}").contains("not-the-password"));
    });
}

#[test]
fn the_database_header_is_required_and_checked() {
    runtime().block_on(async {
        let server = mock().await;
        let mut no_database = config(server.url());
        no_database.database = None;
        let client = FlightSqlClient::connect(&no_database).await.unwrap();
        let err = client.sql("SELECT 1 AS n").await.unwrap_err();
        assert!(
            matches!(&err, QueryError::Statement { status: 400, message } if message.contains("database not specified")),
            "{err:?}"
        );
        let other = FlightSqlClient::connect(&config(server.url()).with_database("nope"))
            .await
            .unwrap();
        let err = other.sql("SELECT 1 AS n").await.unwrap_err();
        assert!(matches!(err, QueryError::DatabaseNotFound { .. }), "{err:?}");
    });
}

/// Every Arrow type the REST path has a typed value for, as Datalayers' Flight SQL sends them:
/// timestamps tagged with the server's zone.
#[test]
fn every_unit_and_zone_to_utc_nanoseconds_every_string_and_integer_width() {
    let second = 1_725_281_958_i64; // 2024-09-02T12:59:18Z
    let zone = Some("Asia/Shanghai".into());
    let mut dictionary = StringDictionaryBuilder::<Int32Type>::new();
    dictionary.append_value("checkout");
    dictionary.append_null();
    let columns: Vec<(&str, ArrayRef)> = vec![
        (
            "s",
            Arc::new(TimestampSecondArray::from(vec![second, second]).with_timezone("+08:00")),
        ),
        (
            "ms",
            Arc::new(
                TimestampMillisecondArray::from(vec![second * 1_000 + 180, 0])
                    .with_timezone("Asia/Shanghai"),
            ),
        ),
        (
            "us",
            Arc::new(TimestampMicrosecondArray::from(vec![
                Some(second * 1_000_000),
                None,
            ])),
        ),
        (
            "ns",
            Arc::new(
                TimestampNanosecondArray::from(vec![second * 1_000_000_000 + 7, -1])
                    .with_timezone("Etc/GMT"),
            ),
        ),
        ("utf8", Arc::new(StringArray::from(vec!["a", "b"]))),
        ("large", Arc::new(LargeStringArray::from(vec!["c", "d"]))),
        ("view", Arc::new(StringViewArray::from(vec!["e", "f"]))),
        ("dict", Arc::new(dictionary.finish())),
        ("i8", Arc::new(Int8Array::from(vec![-8, 8]))),
        ("i16", Arc::new(Int16Array::from(vec![-16, 16]))),
        ("i32", Arc::new(Int32Array::from(vec![-32, 32]))),
        ("i64", Arc::new(Int64Array::from(vec![i64::MIN, i64::MAX]))),
        ("u8", Arc::new(UInt8Array::from(vec![8, 255]))),
        ("u64", Arc::new(UInt64Array::from(vec![0, u64::MAX]))),
        (
            "f16",
            Arc::new(Float16Array::from(vec![half_of(1.5), half_of(-2.0)])),
        ),
        ("f64", Arc::new(Float64Array::from(vec![Some(0.25), None]))),
        ("bool", Arc::new(BooleanArray::from(vec![true, false]))),
    ];
    let batch = RecordBatch::try_from_iter(columns).unwrap();
    runtime().block_on(async {
        let server = mock().await;
        server.set_answer("SELECT * FROM types", Answer::batches(vec![batch]));
        let client = FlightSqlClient::connect(&config(server.url()))
            .await
            .unwrap();
        let result = client.sql("SELECT * FROM types").await.unwrap();
        let ns = |s: i64| Value::Timestamp(s * 1_000_000_000);
        assert_eq!(
            result.rows[0],
            [
                ns(second),
                Value::Timestamp(second * 1_000_000_000 + 180_000_000),
                ns(second),
                Value::Timestamp(second * 1_000_000_000 + 7),
                Value::String("a".into()),
                Value::String("c".into()),
                Value::String("e".into()),
                Value::String("checkout".into()),
                Value::Int(-8),
                Value::Int(-16),
                Value::Int(-32),
                Value::Int(i64::MIN),
                Value::UInt(8),
                Value::UInt(0),
                Value::Float(1.5),
                Value::Float(0.25),
                Value::Bool(true),
            ]
        );
        assert_eq!(result.rows[1][1], Value::Timestamp(0));
        assert_eq!(result.rows[1][2], Value::Null);
        assert_eq!(result.rows[1][3], Value::Timestamp(-1));
        assert_eq!(result.rows[1][7], Value::Null, "a null dictionary key");
        assert_eq!(result.rows[1][13], Value::UInt(u64::MAX));
        assert_eq!(result.rows[1][15], Value::Null);
        assert_eq!(
            result.types[1],
            ColumnType::Timestamp {
                unit: TimeUnit::Millisecond,
                timezone: zone
            }
        );
        assert_eq!(
            result.types[7],
            ColumnType::String,
            "dictionaries by their values"
        );
        assert_eq!(result.types[12], ColumnType::UInt);
    });
}

fn half_of(value: f32) -> <Float16Type as ArrowPrimitiveType>::Native {
    <Float16Type as ArrowPrimitiveType>::Native::from_f32(value)
}

#[test]
fn a_timestamp_outside_the_nanosecond_range_is_an_error_not_a_wrong_value() {
    let schema = Arc::new(Schema::new(vec![Field::new(
        "time",
        DataType::Timestamp(ArrowUnit::Second, None),
        false,
    )]));
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![Arc::new(TimestampSecondArray::from(vec![
            0,
            10_000_000_000,
        ]))],
    )
    .unwrap();
    let err = to_query_result(&schema, &[batch]).unwrap_err();
    assert!(
        matches!(&err, QueryError::Decode(m) if m.starts_with("row 1, column time:")),
        "{err:?}"
    );
}

#[test]
fn every_endpoint_is_fetched_in_order() {
    runtime().block_on(async {
        let server = mock().await;
        let answer = Answer::Endpoints {
            schema: ints("n", &[]).schema(),
            endpoints: vec![
                vec![ints("n", &[1, 2]), ints("n", &[3])],
                vec![ints("n", &[4])],
                vec![],
                vec![ints("n", &[5, 6])],
            ],
        };
        server.set_answer("SELECT n FROM t", answer);
        let client = FlightSqlClient::connect(&config(server.url()))
            .await
            .unwrap();
        let arrow = client.query_arrow("SELECT n FROM t").await.unwrap();
        assert_eq!(arrow.num_rows(), 6);
        let result = arrow.to_query_result().unwrap();
        let values: Vec<i64> = result.rows.iter().filter_map(|r| r[0].as_i64()).collect();
        assert_eq!(values, [1, 2, 3, 4, 5, 6]);
        let gets = server
            .calls()
            .iter()
            .filter(|c| c.method == "DoGet")
            .count();
        assert_eq!(gets, 4);
    });
}

#[test]
fn an_empty_result_keeps_its_columns() {
    runtime().block_on(async {
        let server = mock().await;
        let answer = Answer::Endpoints {
            schema: ints("trace_id", &[]).schema(),
            endpoints: vec![],
        };
        server.set_answer("SELECT trace_id FROM spans WHERE false", answer);
        let client = FlightSqlClient::connect(&config(server.url()))
            .await
            .unwrap();
        let result = client
            .sql("SELECT trace_id FROM spans WHERE false")
            .await
            .unwrap();
        assert_eq!(result.columns, ["trace_id"]);
        assert!(result.rows.is_empty());
    });
}

#[test]
fn a_batch_over_four_mib_is_decoded_and_the_limit_is_named_when_hit() {
    // 6 MiB in one batch, sent as one gRPC message: over tonic's default limit of 4 MiB.
    let text = "x".repeat(64 * 1024);
    let big = RecordBatch::try_from_iter([(
        "attributes",
        Arc::new(StringArray::from(vec![text.as_str(); 96])) as ArrayRef,
    )])
    .unwrap();
    runtime().block_on(async {
        let server = mock().await;
        server.set_answer("SELECT attributes FROM spans", Answer::batches(vec![big]));
        let client = FlightSqlClient::connect(&config(server.url()))
            .await
            .unwrap();
        let result = client.sql("SELECT attributes FROM spans").await.unwrap();
        assert_eq!(result.rows.len(), 96);
        assert_eq!(result.rows[95][0].as_str().map(str::len), Some(65_536));

        let small = FlightSqlClient::builder(&config(server.url()))
            .max_message_bytes(1 << 20)
            .connect()
            .await
            .unwrap();
        let err = small.sql("SELECT attributes FROM spans").await.unwrap_err();
        assert!(
            matches!(&err, QueryError::Decode(m) if m.contains("max_message_bytes")),
            "{err:?}"
        );
    });
}

#[test]
fn ddl_answers_its_affected_rows_like_rest() {
    runtime().block_on(async {
        let server = mock().await;
        server.set_answer(
            "CREATE DATABASE IF NOT EXISTS otel",
            Answer::affected_rows(0),
        );
        server.set_answer("INSERT INTO t VALUES (1), (2)", Answer::affected_rows(2));
        let client = FlightSqlClient::connect(&config(server.url()))
            .await
            .unwrap();
        let created = client
            .sql("CREATE DATABASE IF NOT EXISTS otel")
            .await
            .unwrap();
        assert_eq!(created.affected_rows, Some(0));
        assert!(created.columns.is_empty() && created.rows.is_empty());
        let inserted = client.sql("INSERT INTO t VALUES (1), (2)").await.unwrap();
        assert_eq!(inserted.affected_rows, Some(2));
    });
}

#[test]
fn server_errors_are_classified_and_lose_their_source_location() {
    runtime().block_on(async {
        let server = mock().await;
        server.set_answer(
            "SELECT * FROM `span-links`",
            Answer::error("Table `otel`.`span-links` not found"),
        );
        server.set_answer(
            "SELEC 1",
            Answer::Error {
                code: tonic::Code::InvalidArgument,
                message: "sql parser error: Expected an SQL statement, found: SELEC".into(),
            },
        );
        let client = FlightSqlClient::connect(&config(server.url())).await.unwrap();
        let err = client.sql("SELECT * FROM `span-links`").await.unwrap_err();
        assert!(err.is_table_not_found(), "{err:?}");
        assert!(!err.to_string().contains(" at src/"), "{err}");
        let err = client.sql("SELEC 1").await.unwrap_err();
        assert!(
            matches!(&err, QueryError::Statement { status: 400, message }
                if message == "InvalidArgument: sql parser error: Expected an SQL statement, found: SELEC"),
            "{err:?}"
        );
        let err = client.sql("SELECT 1; SELECT 2").await.unwrap_err();
        assert!(matches!(err, QueryError::InvalidInput(_)), "{err:?}");
    });
}

#[test]
fn an_expired_token_means_exactly_one_new_handshake_shared_by_concurrent_statements() {
    runtime().block_on(async {
        let server = mock().await;
        let client = FlightSqlClient::connect(&config(server.url()))
            .await
            .unwrap();
        server.expire_tokens();
        let statements = (0..4).map(|_| client.sql("SELECT 1 AS n"));
        // Polled together: every statement starts with the expired token before one renews it.
        for result in futures::future::join_all(statements).await {
            assert_eq!(result.unwrap().rows, [[Value::Int(1)]]);
        }
        assert_eq!(server.handshakes(), 2, "{:?}", methods(&server.calls()));
        let last = server.calls().into_iter().last().unwrap();
        assert_eq!(last.authorization.as_deref(), Some("Bearer token-2"));
    });
}

#[test]
fn a_token_expiring_between_plan_and_fetch_is_renewed_and_the_statement_retried_once() {
    runtime().block_on(async {
        let server = mock().await;
        let client = FlightSqlClient::connect(&config(server.url()))
            .await
            .unwrap();
        server.expire_tokens_after_plans(1);
        assert_eq!(client.sql("SELECT 1 AS n").await.unwrap().rows.len(), 1);
        assert_eq!(
            methods(&server.calls()),
            [
                "Handshake",
                "GetFlightInfo",
                "DoGet",
                "Handshake",
                "GetFlightInfo",
                "DoGet"
            ]
        );

        // A server that refuses every new token too: one renewal, then the error.
        server.expire_tokens_after_plans(2);
        let err = client.sql("SELECT 1 AS n").await.unwrap_err();
        assert!(
            matches!(err, QueryError::Unauthorized { status: 401, .. }),
            "{err:?}"
        );
        assert_eq!(server.handshakes(), 3);
    });
}

#[test]
fn every_call_has_a_deadline() {
    runtime().block_on(async {
        // Accepts connections and never answers.
        let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", silent.local_addr().unwrap());
        let held = tokio::spawn(async move {
            let mut connections = Vec::new();
            while let Ok((socket, _)) = silent.accept().await {
                connections.push(socket);
            }
        });
        let started = Instant::now();
        let config = config(&url).with_timeout(Duration::from_millis(400));
        let err = FlightSqlClient::connect(&config).await.unwrap_err();
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
        assert!(
            matches!(&err, QueryError::Transport { message, .. } if message.contains("400ms")),
            "{err:?}"
        );
        held.abort();
    });
}

#[test]
fn a_lazy_client_connects_and_handshakes_on_its_first_statement() {
    runtime().block_on(async {
        let server = mock().await;
        let client = FlightSqlClient::connect_lazy(&config(server.url())).unwrap();
        assert!(server.calls().is_empty(), "nothing sent before a statement");
        let result = client.sql("SELECT 1 AS n").await.unwrap();
        assert_eq!(result.rows, [[Value::Int(1)]]);
        client.sql("SELECT 1 AS n").await.unwrap();
        assert_eq!(
            methods(&server.calls()),
            [
                "Handshake",
                "GetFlightInfo",
                "DoGet",
                "GetFlightInfo",
                "DoGet"
            ]
        );

        // Its errors are the eager client's, from the first statement.
        let wrong = config(server.url()).with_basic_auth(USER, "not-the-password-xyz");
        let lazy = FlightSqlClient::connect_lazy(&wrong).unwrap();
        let err = lazy.sql("SELECT 1 AS n").await.unwrap_err();
        assert!(
            matches!(err, QueryError::Unauthorized { status: 401, .. }),
            "{err:?}"
        );
        assert!(!err.to_string().contains("not-the-password"), "{err}");

        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let url = format!("http://127.0.0.1:{port}");
        let lazy = FlightSqlClient::connect_lazy(&config(&url)).unwrap();
        let err = lazy.sql("SELECT 1 AS n").await.unwrap_err();
        assert!(matches!(err, QueryError::Transport { .. }), "{err:?}");
        assert!(
            err.to_string().contains(&format!("127.0.0.1:{port}")),
            "{err}"
        );
        // Settings are still checked at once.
        let err = FlightSqlClient::connect_lazy(&ClientConfig::new("http://h")).unwrap_err();
        assert!(matches!(err, QueryError::InvalidInput(_)), "{err:?}");
    });
}

#[test]
fn an_unreachable_server_is_a_transport_error_naming_the_endpoint() {
    runtime().block_on(async {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let url = format!("http://admin:{PASSWORD}@127.0.0.1:{port}");
        let err = FlightSqlClient::connect(&config(&url)).await.unwrap_err();
        assert!(matches!(err, QueryError::Transport { .. }), "{err:?}");
        let text = err.to_string();
        assert!(text.contains(&format!("127.0.0.1:{port}")), "{text}");
        assert!(text.to_lowercase().contains("refused"), "{text}");
        assert!(!text.contains(PASSWORD), "{text}");
        let err = FlightSqlClient::connect(&ClientConfig::new("http://h"))
            .await
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("OTEL_EXPORTER_DATALAYERS_FLIGHT_SQL_ENDPOINT"),
            "{err}"
        );
    });
}

#[test]
fn tls_with_the_ca_file_and_each_tls_failure_told_apart() {
    runtime().block_on(async {
        let server = MockFlightSql::builder()
            .credentials(USER, PASSWORD)
            .database("otel")
            .answer("SELECT 1 AS n", Answer::batches(vec![ints("n", &[1])]))
            .tls()
            .start()
            .await;
        let url = server.url().to_owned();
        assert!(url.starts_with("https://"));
        let trusted = config(&url).with_ca_certificates_pem(TEST_CA_PEM);
        let client = FlightSqlClient::connect(&trusted).await.unwrap();
        assert_eq!(client.sql("SELECT 1 AS n").await.unwrap().rows.len(), 1);
        // grpc+tls:// is the same.
        let grpc_tls = url.replace("https://", "grpc+tls://");
        FlightSqlClient::connect(&trusted.clone().with_flight_sql_endpoint(grpc_tls))
            .await
            .unwrap();

        // Without the CA: the certificate is not trusted.
        let err = FlightSqlClient::connect(&config(&url)).await.unwrap_err();
        assert!(
            matches!(&err, QueryError::Tls { message, .. } if message.contains("--ca-file")),
            "{err:?}"
        );
        // TLS to the plain-text mock.
        let plain = mock().await;
        let to_plain = plain.url().replace("http://", "https://");
        let err = FlightSqlClient::connect(&config(&to_plain).with_ca_certificates_pem(TEST_CA_PEM))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, QueryError::Tls { message, .. } if message.contains("does not speak TLS")),
            "{err:?}"
        );
        // Plain text to the TLS port: not a credentials error, and the hint says https.
        let to_tls = url.replace("https://", "http://");
        let err = FlightSqlClient::connect(&config(&to_tls)).await.unwrap_err();
        assert!(matches!(err, QueryError::Transport { .. }), "{err:?}");
        assert!(err.to_string().contains("https://"), "{err}");
    });
}

/// The same client against roapi, a real Flight SQL server, with basic auth: the handshake, the
/// planning and fetching, the types of a table shaped as Datalayers stores line protocol.
#[test]
fn roapi_serves_line_protocol_tables_to_the_client() {
    let lines = "spans,service.name=shop,span.name=GET\\ /cart trace_id=\"t1\",duration_nano=5000i,\
                 retries=2u,ratio=0.5,sampled=true 1700000000000000001\n\
                 spans,service.name=db trace_id=\"t1\",duration_nano=300i 1700000000000000002\n";
    let Some(roapi) = Roapi::builder()
        .line_protocol(lines)
        .basic_auth(USER, PASSWORD)
        .try_start()
    else {
        return;
    };
    runtime().block_on(async {
        let config = config(&roapi.flight_sql_url());
        let client = FlightSqlClient::connect(&config).await.unwrap();
        let result = client
            .sql("SELECT * FROM spans ORDER BY time")
            .await
            .unwrap();
        let first = result.records().next().unwrap();
        assert_eq!(
            first.get("time"),
            Some(&Value::Timestamp(1_700_000_000_000_000_001))
        );
        assert_eq!(first.str("service.name"), Some("shop"));
        assert_eq!(first.str("span.name"), Some("GET /cart"));
        assert_eq!(first.get("duration_nano"), Some(&Value::Int(5000)));
        assert_eq!(first.get("retries"), Some(&Value::UInt(2)));
        assert_eq!(first.get("ratio"), Some(&Value::Float(0.5)));
        assert_eq!(first.get("sampled"), Some(&Value::Bool(true)));
        let second = result.records().nth(1).unwrap();
        assert_eq!(second.get("span.name"), Some(&Value::Null));
        assert_eq!(
            result.types[0],
            ColumnType::Timestamp {
                unit: TimeUnit::Nanosecond,
                timezone: None
            }
        );

        let err = client.sql("SELECT * FROM no_such_table").await.unwrap_err();
        assert!(err.is_table_not_found(), "{err:?}");

        let wrong = config.clone().with_basic_auth(USER, "wrong-password-123");
        let err = FlightSqlClient::connect(&wrong).await.unwrap_err();
        assert!(
            matches!(err, QueryError::Unauthorized { status: 401, .. }),
            "{err:?}"
        );
        assert!(!err.to_string().contains("wrong-password"), "{err}");
    });
}
