//! The server over the Datalayers SQL path, whose statements differ from InfluxQL's (the tags
//! need the table's columns first, summaries come grouped from the database, a page of traces
//! is three `IN` statements, dependencies a self-join). Datalayers cannot run here: its REST
//! SQL answers are replayed in their documented shape (`test_support::scripted`), and the SQL
//! the server sends is checked statement by statement against `trace_query::SqlQueries`.
//!
//! Also here, on the same store: access control (basic, bearer), CORS, and a failing database.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::schema;
use common::*;
use datalayers_client::{Client, ClientConfig};
use serde_json::json;
use test_support::scripted::Replay;
use trace_query::{DatalayersSql, SqlQueries, TimeRange, TraceFilter, TraceId};
use trace_server::{Access, Cors, TraceServerConfig};

const START_US: i64 = 1_764_028_800_000_000; // 2025-11-25T00:00:00Z
const END_US: i64 = 1_764_032_400_000_000; // 01:00

/// A runtime for the replayed database, alive as long as the test.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap()
}

fn datalayers(rt: &tokio::runtime::Runtime, answers: Vec<(u16, &str)>) -> Replay {
    rt.block_on(Replay::start(answers))
}

fn sql_store(replay: &Replay) -> DatalayersSql<Arc<Client>> {
    let client = Client::new(
        ClientConfig::new(&replay.base_url)
            .with_database("demo")
            .with_basic_auth("admin", "public")
            .with_timeout(Duration::from_secs(10)),
    )
    .unwrap();
    DatalayersSql::new(Arc::new(client))
}

fn sent(replay: &Replay) -> Vec<String> {
    replay.requests().into_iter().map(|r| r.body).collect()
}

const DESCRIBE: &str = r#"{"result":{"columns":["Field","Type","Null","Default","Timestamp Key"],
  "types":["STRING","STRING","STRING","STRING","STRING"],
  "values":[["time","TIMESTAMP(9)","NO",null,"YES"],["service.name","STRING","YES",null,"NO"],
            ["span_id","STRING","NO",null,"NO"],["trace_id","STRING","NO",null,"NO"],
            ["attributes","STRING","YES",null,"NO"],["duration_nano","INT64","YES",null,"NO"]]}}"#;

const PAGE: &str = r#"{"result":{
  "columns":["trace_id","start_time","root_service","root_span","duration_ns","span_count","error_count"],
  "types":["STRING","TIMESTAMP(9)","STRING","STRING","INT64","INT64","INT64"],
  "values":[["4bf92f3577b34da6a3ce929d0e0e4736","2025-11-25T08:30:00+08:00","frontend","GET /cart",120000000,2,1]]}}"#;

const SERVICES: &str = r#"{"result":{
  "columns":["trace_id","service","span_count","error_count"],
  "types":["STRING","STRING","INT64","INT64"],
  "values":[["4bf92f3577b34da6a3ce929d0e0e4736","frontend",1,1],["4bf92f3577b34da6a3ce929d0e0e4736","backend",1,0]]}}"#;

const SPANS: &str = r#"{"result":{
  "columns":["time","service.name","span_id","trace_id","attributes","duration_nano","end_time_unix_nano","otel.status_code","otel.status_description","parent_span_id","span.kind","span.name"],
  "types":["TIMESTAMP(9)","STRING","STRING","STRING","STRING","INT64","INT64","STRING","STRING","STRING","STRING","STRING"],
  "values":[
    ["2025-11-25T08:30:00+08:00","frontend","00000000000000a1","4bf92f3577b34da6a3ce929d0e0e4736","{\"http.status_code\":500}",120000000,1764030600120000000,"Error","upstream failed",null,"Server","GET /cart"],
    ["2025-11-25T08:30:00.030+08:00","backend","00000000000000a3","4bf92f3577b34da6a3ce929d0e0e4736","{\"db.system\":\"postgres\"}",50000000,1764030600080000000,null,null,"00000000000000a1","Client","SELECT cart"]]}}"#;

const EVENTS: &str = r#"{"result":{
  "columns":["time","span_id","trace_id","event.name","attributes"],
  "types":["TIMESTAMP(9)","STRING","STRING","STRING","STRING"],
  "values":[["2025-11-25T00:30:00.032Z","00000000000000a3","4bf92f3577b34da6a3ce929d0e0e4736","cache.miss","{\"key\":\"cart:1\"}"]]}}"#;

const NO_LINKS: &str = r#"{"result":{"columns":["time","span_id","trace_id","linked_trace_id","linked_span_id"],
  "types":["TIMESTAMP(9)","STRING","STRING","STRING","STRING"],"values":[]}}"#;

#[test]
fn a_search_over_sql_sends_these_statements_and_answers_jaeger_json() {
    let rt = runtime();
    let replay = datalayers(
        &rt,
        vec![
            (200, DESCRIBE),
            (200, PAGE),
            (200, SERVICES),
            (200, SPANS),
            (200, EVENTS),
            (200, NO_LINKS),
        ],
    );
    let server = TestServer::start(trace_server::router(
        sql_store(&replay),
        TraceServerConfig::default(),
    ));
    let body = server.ok(&format!(
        "/api/traces?service=frontend&tag=http.status_code:500&minDuration=1ms&limit=5&start={START_US}&end={END_US}&lookback=1h"
    ));
    let data = schema::envelope(&body).as_array().unwrap();
    assert_eq!(data.len(), 1);
    schema::trace(&data[0]);
    let trace = &data[0];
    assert_eq!(trace["traceID"], TRACE_A);
    assert_eq!(trace["spans"][0]["startTime"], 1_764_030_600_000_000_u64);
    assert_eq!(trace["spans"][0]["duration"], 120_000);
    assert!(
        trace["spans"][0]["tags"]
            .as_array()
            .unwrap()
            .contains(&json!({"key": "error", "type": "bool", "value": true}))
    );
    assert_eq!(
        trace["spans"][1]["references"][0]["spanID"],
        "00000000000000a1"
    );
    assert_eq!(
        trace["spans"][1]["logs"][0]["fields"][0],
        json!({"key": "event", "type": "string", "value": "cache.miss"})
    );

    // The statements, in order: the columns (a tag filter needs them), the page of summaries,
    // their services, then the page's spans, events and links (from an hour before the window).
    let range = TimeRange::between(START_US * 1_000, END_US * 1_000 + 1);
    let filter = TraceFilter {
        range: Some(range),
        service: Some("frontend".into()),
        tags: vec![("http.status_code".into(), "500".into())],
        min_duration: Some(Duration::from_millis(1)),
        limit: 5,
        ..TraceFilter::default()
    };
    let columns: Vec<String> = [
        "time",
        "service.name",
        "span_id",
        "trace_id",
        "attributes",
        "duration_nano",
    ]
    .map(String::from)
    .to_vec();
    let ids = [TraceId::parse(TRACE_A).unwrap()];
    let hint = TimeRange {
        start_ns: Some(START_US * 1_000 - 3_600_000_000_000),
        end_ns: None,
    };
    let q = SqlQueries::default();
    assert_eq!(
        sent(&replay),
        [
            q.describe_spans(),
            q.list_traces(&filter, &range, &columns),
            q.trace_services(&ids, &range),
            q.traces_spans(&ids, &hint),
            q.traces_events(&ids, &hint),
            q.traces_links(&ids, &hint),
        ]
    );
    // The integer attribute is looked for in the attributes JSON: no such column.
    assert!(sent(&replay)[1].contains(r#"strpos(`attributes`, '"http.status_code":500,') > 0"#));
    assert!(!sent(&replay)[1].contains("`http.status_code` ="));
}

#[test]
fn summaries_operations_and_dependencies_over_sql() {
    let rt = runtime();
    let replay = datalayers(
        &rt,
        vec![
            (200, PAGE),
            (200, SERVICES),
            (
                200,
                r#"{"result":{"columns":["operation","kind"],"types":["STRING","STRING"],"values":[["GET /cart","Server"]]}}"#,
            ),
            (
                200,
                r#"{"result":{"columns":["parent","child","call_count"],"types":["STRING","STRING","INT64"],
                "values":[["backend","db",4],["frontend","backend",7]]}}"#,
            ),
        ],
    );
    let server = TestServer::start(trace_server::router(
        sql_store(&replay),
        TraceServerConfig::default(),
    ));
    let summaries = server.ok(&format!(
        "/api/v3/trace-summaries?query.startTimeMin={}&query.startTimeMax={}",
        enc("2025-11-25T00:00:00Z"),
        enc("2025-11-25T01:00:00Z")
    ));
    schema::summary(&summaries["summaries"][0]);
    assert_eq!(
        summaries,
        json!({"summaries": [{
            "traceId": TRACE_A,
            "rootServiceName": "frontend",
            "rootOperationName": "GET /cart",
            "minStartTimeUnixNano": "1764030600000000000",
            "maxEndTimeUnixNano": "1764030600120000000",
            "spanCount": 2,
            "errorSpanCount": 1,
            "services": [{"name": "backend", "spanCount": 1}, {"name": "frontend", "spanCount": 1, "errorSpanCount": 1}]
        }]})
    );
    assert_eq!(
        schema::envelope(&server.ok("/api/operations?service=frontend&spanKind=server")),
        &json!([{"name": "GET /cart", "spanKind": "server"}])
    );
    let deps = server.ok("/api/dependencies?endTs=1764032400000&lookback=3600000&service=frontend");
    assert_eq!(
        schema::envelope(&deps),
        &json!([{"parent": "frontend", "child": "backend", "callCount": 7}])
    );
    let q = SqlQueries::default();
    let statements = sent(&replay);
    assert_eq!(
        statements[2],
        q.operations_with_kind("frontend", Some("server"))
    );
    assert_eq!(
        statements[3],
        q.dependencies(&TimeRange::between(
            1_764_028_800_000_000_000,
            1_764_032_400_000_000_001
        ))
    );
}

#[test]
fn a_failing_database_is_a_bad_gateway_in_each_api_shape() {
    let rt = runtime();
    let replay = datalayers(
        &rt,
        vec![
            (500, r#"{"error":"Database `demo` not exist"}"#),
            (500, r#"{"error":"Database `demo` not exist"}"#),
        ],
    );
    let server = TestServer::start(trace_server::router(
        sql_store(&replay),
        TraceServerConfig::default(),
    ));
    let (status, body) = server.get("/api/services");
    assert_eq!(status, 502);
    schema::envelope(&body);
    let msg = body["errors"][0]["msg"].as_str().unwrap();
    assert!(
        msg.starts_with("the trace database failed: database not found"),
        "{msg}"
    );
    assert_eq!(body["errors"][0]["code"], 502);
    let (status, body) = server.get("/api/v3/services");
    assert_eq!(status, 502);
    assert_eq!(body["error"]["httpCode"], 502);

    // Nothing listening at all.
    drop(replay);
    let gone = Client::new(ClientConfig::new("http://127.0.0.1:9").with_database("demo")).unwrap();
    let server = TestServer::start(trace_server::router(
        DatalayersSql::new(Arc::new(gone)),
        TraceServerConfig::default(),
    ));
    let (status, body) = server.get(&format!("/api/traces/{TRACE_A}"));
    assert_eq!(status, 502, "{body}");
    assert!(
        body["errors"][0]["msg"]
            .as_str()
            .unwrap()
            .contains("cannot reach the server"),
        "{body}"
    );
}

#[test]
fn credentials_and_cors_apply_to_the_api_and_the_page() {
    let rt = runtime();
    let services =
        r#"{"result":{"columns":["service"],"types":["STRING"],"values":[["frontend"]]}}"#;
    let replay = datalayers(&rt, vec![(200, services); 5]);
    let server = TestServer::start(trace_server::router(
        sql_store(&replay),
        TraceServerConfig {
            access: Access::basic("grafana", "s3cret").or_bearer("t0ken"),
            cors: Cors::origins(["https://grafana.example.com"]),
            ..TraceServerConfig::default()
        },
    ));
    // No credentials: 401 with the challenge, in the API's error shape, for every route.
    let denied = server.request("/api/services", &[]);
    assert_eq!(denied.status, 401);
    assert_eq!(
        denied.header("www-authenticate"),
        Some(r#"Basic realm="otel-lp traces", charset="UTF-8""#)
    );
    let body: serde_json::Value = serde_json::from_slice(&denied.body).unwrap();
    assert_eq!(body["errors"][0]["code"], 401);
    assert_eq!(server.request("/", &[]).status, 401);
    assert_eq!(server.request("/static/js/main.js", &[]).status, 401);
    let v3: serde_json::Value =
        serde_json::from_slice(&server.request("/api/v3/services", &[]).body).unwrap();
    assert_eq!(v3["error"]["httpCode"], 401);
    assert_eq!(
        server
            .request(
                "/api/services",
                &[("Authorization", "Basic Z3JhZmFuYTp3cm9uZw==")]
            )
            .status,
        401
    );
    assert_eq!(
        server
            .request("/api/services", &[("Authorization", "Bearer nope")])
            .status,
        401
    );
    assert!(replay.requests().is_empty(), "nothing reached the database");

    // Basic (grafana:s3cret) or bearer: in.
    let basic = [("Authorization", "Basic Z3JhZmFuYTpzM2NyZXQ=")];
    let ok = server.request("/api/services", &basic);
    assert_eq!(ok.status, 200);
    assert_eq!(ok.header("content-type"), Some("application/json"));
    assert_eq!(
        ok.header("access-control-allow-origin"),
        None,
        "no Origin, no CORS headers"
    );
    assert_eq!(
        server
            .request("/api/services", &[("Authorization", "Bearer t0ken")])
            .status,
        200
    );
    let page = server.request("/", &basic);
    assert_eq!(page.status, 200);
    assert!(
        page.header("content-security-policy")
            .unwrap()
            .contains("default-src 'none'")
    );

    // CORS: the configured origin may read, with credentials; a preflight needs none.
    let cors = server.request(
        "/api/services",
        &[
            ("Authorization", "Bearer t0ken"),
            ("Origin", "https://grafana.example.com"),
        ],
    );
    assert_eq!(
        cors.header("access-control-allow-origin"),
        Some("https://grafana.example.com")
    );
    assert_eq!(
        cors.header("access-control-allow-credentials"),
        Some("true")
    );
    let other = server.request(
        "/api/services",
        &[
            ("Authorization", "Bearer t0ken"),
            ("Origin", "https://evil.example.com"),
        ],
    );
    assert_eq!(other.header("access-control-allow-origin"), None);
    let preflight = test_support::http::send(
        server.addr,
        "OPTIONS",
        "/api/services",
        &[
            ("Origin", "https://grafana.example.com"),
            ("Access-Control-Request-Method", "GET"),
            ("Access-Control-Request-Headers", "authorization"),
        ],
        b"",
        Duration::from_secs(10),
    )
    .unwrap();
    assert_eq!(preflight.status, 200);
    assert_eq!(
        preflight.header("access-control-allow-origin"),
        Some("https://grafana.example.com")
    );
    assert!(
        preflight
            .header("access-control-allow-methods")
            .unwrap()
            .contains("GET")
    );

    // Off by default: no CORS headers for anyone; the viewer's assets revalidate by ETag.
    let open = TestServer::start(trace_server::router(
        sql_store(&replay),
        TraceServerConfig::default(),
    ));
    let plain = open.request(
        "/api/services",
        &[("Origin", "https://grafana.example.com")],
    );
    assert_eq!(plain.status, 200);
    assert_eq!(plain.header("access-control-allow-origin"), None);
    let js = open.request("/static/js/main.js", &[]);
    assert_eq!(
        js.header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
    let etag = js.header("etag").unwrap().to_owned();
    assert_eq!(
        open.request("/static/js/main.js", &[("If-None-Match", &etag)])
            .status,
        304
    );
    assert_eq!(open.request("/static/nope.js", &[]).status, 404);
    // The viewer can be left out; the API stays.
    let headless = TestServer::start(trace_server::router(
        sql_store(&replay),
        TraceServerConfig {
            viewer: false,
            ..TraceServerConfig::default()
        },
    ));
    assert_eq!(headless.request("/", &[]).status, 404);
    assert_eq!(
        headless.request(&format!("/trace/{TRACE_A}"), &[]).status,
        404
    );
}
