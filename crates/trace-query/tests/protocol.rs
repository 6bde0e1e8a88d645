//! Protocol tests of the Datalayers trace backend: the real `Client` and `DatalayersSql` against a
//! local server that replays REST SQL responses in the documented shape (both `types` spellings,
//! numbers as strings, RFC3339 times with offsets). The SQL each call sends is checked too.

mod replay;

use std::time::Duration;

use datalayers_client::query::QueryError;
use datalayers_client::{Client, ClientConfig, Protocol};
use replay::{ReplayClient, ScriptedServer};
use serde_json::json;
use trace_query::{
    AnyTraceStore, DatalayersSql, InfluxQlQueries, Placement, SqlQueries, TimeRange, TraceError,
    TraceFilter, TraceId, TraceSchema, TraceStore,
};

const ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";

fn range() -> TimeRange {
    TimeRange::between(1_764_028_800_000_000_000, 1_764_032_400_000_000_000)
}

#[tokio::test]
async fn protocol_list_traces_sql_spelling() {
    let body = r#"{"result":{
      "columns":["trace_id","start_time","root_service","root_span","duration_ns","span_count","has_error"],
      "types":["STRING","TIMESTAMP(9)","STRING","STRING","INT64","INT64","INT64"],
      "values":[["4bf92f3577b34da6a3ce929d0e0e4736","2025-11-25T08:30:00.123456789+08:00","frontend","GET /cart",120500000,5,1],
                ["unknown","2025-11-25T00:20:00Z","x","y",1,1,0],
                ["00000000000000020000000000000001","2025-11-25T00:10:00Z",null,null,900,1,0]]}}"#;
    // The second statement: spans and errors per service of the page's traces.
    let services = r#"{"result":{
      "columns":["trace_id","service","span_count","error_count"],
      "types":["STRING","STRING","INT64","INT64"],
      "values":[["4bf92f3577b34da6a3ce929d0e0e4736","frontend",3,1],
                ["4bf92f3577b34da6a3ce929d0e0e4736","backend",2,1],
                ["00000000000000020000000000000001",null,1,0]]}}"#;
    let server = ScriptedServer::replay(vec![(200, body), (200, services)]);
    let client = server.client();
    let filter = TraceFilter {
        range: Some(range()),
        service: Some("frontend".into()),
        min_duration: Some(Duration::from_millis(1)),
        ..TraceFilter::default()
    };
    let list = DatalayersSql::new(&client)
        .list_traces(&filter)
        .await
        .unwrap();
    // The row with a placeholder trace id cannot be opened: left out, the others kept.
    assert_eq!(list.len(), 2);
    assert_eq!(list[0].trace_id.as_str(), ID);
    assert_eq!(list[0].start_ns, 1_764_030_600_123_456_789);
    assert_eq!(list[0].root_service.as_deref(), Some("frontend"));
    assert_eq!(list[0].root_span_name.as_deref(), Some("GET /cart"));
    assert_eq!(
        (list[0].duration_ns, list[0].span_count, list[0].has_error),
        (120_500_000, 5, true)
    );
    assert_eq!(
        (list[1].root_service.as_deref(), list[1].has_error),
        (None, false)
    );
    // Earlier servers' `has_error` column still reads: one error at least.
    assert_eq!((list[0].error_count, list[1].error_count), (1, 0));
    let services: Vec<_> = list[0]
        .services
        .iter()
        .map(|s| (s.name.as_deref(), s.span_count, s.error_count))
        .collect();
    assert_eq!(
        services,
        [(Some("backend"), 2, 1), (Some("frontend"), 3, 1)]
    );
    assert_eq!(list[1].services[0].name, None);

    let sent = &server.requests()[0];
    assert_eq!(sent.path, "/api/v1/sql");
    assert_eq!(sent.param("db"), Some("demo"));
    assert_eq!(
        sent.text(),
        SqlQueries::default().list_traces(&filter, &range(), &[])
    );
    let ids = [list[0].trace_id, list[1].trace_id];
    assert_eq!(
        server.requests()[1].text(),
        SqlQueries::default().trace_services(&ids, &range())
    );
}

#[tokio::test]
async fn protocol_list_traces_refuses_a_result_without_its_columns() {
    let server = ScriptedServer::replay(vec![(
        200,
        r#"{"result":{"columns":["x"],"types":["STRING"],"values":[["a"]]}}"#,
    )]);
    let client = server.client();
    let err = DatalayersSql::new(&client)
        .list_traces(&TraceFilter::default())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, TraceError::Decode(m) if m.contains("trace_id")),
        "{err:?}"
    );
}

#[tokio::test]
async fn protocol_list_traces_arrow_spelling_with_string_numbers() {
    let body = r#"{"result":{
      "columns":["trace_id","start_time","root_service","root_span","duration_ns","span_count","has_error"],
      "types":["Utf8","Timestamp(Nanosecond, Asia/Shanghai)","Utf8","Utf8","Int64","Int64","Int64"],
      "values":[["4bf92f3577b34da6a3ce929d0e0e4736","2025-11-25T08:30:00+08:00","frontend","GET /cart","120500000","5","0"]]}}"#;
    let services = r#"{"result":{
      "columns":["trace_id","service","span_count","error_count"],
      "types":["Utf8","Utf8","Int64","Int64"],
      "values":[["4bf92f3577b34da6a3ce929d0e0e4736","frontend","5","0"]]}}"#;
    let server = ScriptedServer::replay(vec![(200, body), (200, services)]);
    let client = server.client();
    let filter = TraceFilter {
        range: Some(range()),
        ..TraceFilter::default()
    };
    let list = DatalayersSql::new(&client)
        .list_traces(&filter)
        .await
        .unwrap();
    assert_eq!(
        (list[0].start_ns, list[0].duration_ns, list[0].span_count),
        (1_764_030_600_000_000_000, 120_500_000, 5)
    );
    assert!(!list[0].has_error);
    assert_eq!(list[0].services[0].span_count, 5);
}

const SPANS: &str = r#"{"result":{
  "columns":["time","service.name","span_id","trace_id","attributes","duration_nano","end_time_unix_nano","otel.status_code","otel.status_description","parent_span_id","span.kind","span.name","dropped_attributes_count"],
  "types":["TIMESTAMP(9)","STRING","STRING","STRING","STRING","INT64","INT64","STRING","STRING","STRING","STRING","STRING","UINT64"],
  "values":[
    ["2025-11-25T08:00:00.010+08:00","backend","00000000000000b2","4bf92f3577b34da6a3ce929d0e0e4736",null,50000000,1764028800060000000,null,null,"00000000000000a1","Client","SELECT cart","3"],
    ["2025-11-25T08:00:00+08:00","frontend","00000000000000a1","4bf92f3577b34da6a3ce929d0e0e4736","{\"http.method\":\"GET\",\"http.status_code\":500}",100000000,1764028800100000000,"Error","boom",null,"Server","GET /cart",null],
    ["2025-11-25T08:00:00.050+08:00","backend","00000000000000c3","4bf92f3577b34da6a3ce929d0e0e4736","not json",1000,1764028800050001000,null,null,"00000000000000ff","Internal","late",null]
  ]}}"#;
const LINKS: &str = r#"{"result":{
  "columns":["time","linked_span_id","linked_trace_id","span_id","trace_id","attributes"],
  "types":["TIMESTAMP(9)","STRING","STRING","STRING","STRING","STRING"],
  "values":[["2025-11-25T00:00:00Z","0000000000000003","00000000000000020000000000000002","00000000000000a1","4bf92f3577b34da6a3ce929d0e0e4736","{\"yay-link\":123}"]]}}"#;

#[tokio::test]
async fn protocol_get_trace_assembles_spans_events_and_links() {
    let events = r#"{"result":{
      "columns":["time","span_id","trace_id","event.name","attributes","body","severity_text"],
      "types":["TIMESTAMP(9)","STRING","STRING","STRING","STRING","STRING","STRING"],
      "values":[["2025-11-25T00:00:00.020Z","00000000000000b2","4bf92f3577b34da6a3ce929d0e0e4736","cache miss","{\"key\":\"cart:1\"}",null,null],
                ["2025-11-25T00:00:00.030Z","00000000000000b2","4bf92f3577b34da6a3ce929d0e0e4736",null,null,"query slow","WARN"]]}}"#;
    let server = ScriptedServer::replay(vec![(200, SPANS), (200, events), (200, LINKS)]);
    let client = server.client();
    let id = TraceId::parse(ID).unwrap();
    let trace = DatalayersSql::new(&client)
        .get_trace(&id, range())
        .await
        .unwrap();

    let shape: Vec<(&str, usize, Placement)> = trace
        .tree
        .iter()
        .map(|e| (trace.spans[e.span].name.as_str(), e.depth, e.placement))
        .collect();
    assert_eq!(
        shape,
        [
            ("GET /cart", 0, Placement::Root),
            ("SELECT cart", 1, Placement::Child),
            ("late", 0, Placement::MissingParent),
        ]
    );
    let root = &trace.spans[0];
    assert_eq!(root.start_ns, 1_764_028_800_000_000_000);
    assert_eq!(root.duration_ns, 100_000_000);
    assert_eq!(root.attributes.get("http.status_code"), Some(&json!(500)));
    assert!(root.is_error());
    assert_eq!(root.status_message.as_deref(), Some("boom"));
    assert_eq!(root.links[0].linked_span_id, "0000000000000003");
    assert_eq!(root.links[0].attributes.get("yay-link"), Some(&json!(123)));
    let db = &trace.spans[1];
    assert_eq!(db.kind.as_deref(), Some("Client"));
    assert_eq!(
        db.other,
        [(
            "dropped_attributes_count".to_owned(),
            datalayers_client::query::Value::UInt(3)
        )]
    );
    assert_eq!(db.events.len(), 2);
    assert_eq!(db.events[0].attributes.get("key"), Some(&json!("cart:1")));
    assert_eq!(
        (
            db.events[1].body.as_deref(),
            db.events[1].severity.as_deref()
        ),
        (Some("query slow"), Some("WARN"))
    );
    assert_eq!(
        trace.spans[2].undecoded_attributes.as_deref(),
        Some("not json")
    );

    let queries = SqlQueries::default();
    let bodies: Vec<String> = server.requests().iter().map(|r| r.text()).collect();
    assert_eq!(
        bodies,
        [
            queries.trace_spans(&id, &range()),
            queries.trace_events(&id, &range()),
            queries.trace_links(&id, &range())
        ]
    );
}

#[tokio::test]
async fn protocol_get_trace_tolerates_missing_event_and_link_tables() {
    let server = ScriptedServer::replay(vec![
        (200, SPANS),
        (400, r#"{"error":"table 'logs' not found"}"#),
        (400, r#"{"error":"Table `span-links` not exist"}"#),
    ]);
    let client = server.client();
    let trace = DatalayersSql::new(&client)
        .get_trace(&TraceId::parse(ID).unwrap(), range())
        .await
        .unwrap();
    assert_eq!(trace.spans.len(), 3);
    assert!(
        trace
            .spans
            .iter()
            .all(|s| s.events.is_empty() && s.links.is_empty())
    );
}

#[tokio::test]
async fn protocol_unknown_trace_and_missing_database_are_clear_errors() {
    let server = ScriptedServer::replay(vec![
        (
            200,
            r#"{"result":{"columns":["time"],"types":["TIMESTAMP(9)"],"values":[]}}"#,
        ),
        (200, ""),
        (500, r#"{"error":"Database `demo` not exist"}"#),
        (400, r#"{"error":"table 'spans' not found"}"#),
    ]);
    let client = server.client();
    let store = DatalayersSql::new(&client);
    let id = TraceId::parse(ID).unwrap();
    let err = store.get_trace(&id, range()).await.unwrap_err();
    assert!(
        matches!(&err, TraceError::NotFound { trace_id, .. } if trace_id.as_str() == ID),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .contains("2025-11-25T00:00:00Z to 2025-11-25T01:00:00Z"),
        "{err}"
    );
    let err = store
        .get_trace(&id, TimeRange::UNBOUNDED)
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), format!("trace {ID} not found"));
    let err = store
        .list_traces(&TraceFilter::default())
        .await
        .unwrap_err();
    assert!(
        matches!(err, TraceError::Query(QueryError::DatabaseNotFound { .. })),
        "{err:?}"
    );
    // No spans table yet: an empty list, not an error.
    assert!(
        store
            .list_traces(&TraceFilter::default())
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn protocol_services_and_operations() {
    let server = ScriptedServer::replay(vec![
        (
            200,
            r#"{"result":{"columns":["service"],"types":["STRING"],"values":[["backend"],["frontend"]]}}"#,
        ),
        (
            200,
            r#"{"result":{"columns":["operation"],"types":["Utf8"],"values":[["GET /cart"],["POST /order"]]}}"#,
        ),
    ]);
    let client = server.client();
    let store = DatalayersSql::new(&client);
    assert_eq!(store.services().await.unwrap(), ["backend", "frontend"]);
    assert_eq!(
        store.operations("fron'tend").await.unwrap(),
        ["GET /cart", "POST /order"]
    );
    assert_eq!(
        server.requests()[1].text(),
        SqlQueries::default().operations("fron'tend")
    );
    assert!(server.requests()[1].text().contains("'fron''tend'"));
}

#[tokio::test]
async fn protocol_the_backend_follows_the_configured_protocol() {
    let server = ScriptedServer::replay(vec![
        (
            200,
            r#"{"result":{"columns":["service"],"types":["STRING"],"values":[["a"]]}}"#,
        ),
        (
            200,
            r#"{"results":[{"statement_id":0,"series":[{"name":"spans","columns":["key","value"],"values":[["service.name","b"]]}]}]}"#,
        ),
    ]);
    let datalayers = server.client();
    let store = AnyTraceStore::for_client(&datalayers, TraceSchema::default()).unwrap();
    assert!(matches!(store, AnyTraceStore::Datalayers(_)));
    assert_eq!(store.services().await.unwrap(), ["a"]);

    let influx = Client::new(
        ClientConfig::new(&server.base_url)
            .with_protocol(Protocol::InfluxDbV1)
            .with_database("demo"),
    )
    .unwrap();
    let store = AnyTraceStore::for_client(&influx, TraceSchema::default()).unwrap();
    assert_eq!(store.services().await.unwrap(), ["b"]);

    let requests = server.requests();
    assert_eq!(
        (requests[0].method.as_str(), requests[0].path.as_str()),
        ("POST", "/api/v1/sql")
    );
    assert_eq!(requests[0].text(), SqlQueries::default().services());
    assert_eq!(
        (requests[1].method.as_str(), requests[1].path.as_str()),
        ("GET", "/query")
    );
    assert_eq!(
        requests[1].param("q"),
        Some(InfluxQlQueries::default().services().as_str())
    );

    let v2 = Client::new(ClientConfig::new(&server.base_url).with_protocol(Protocol::InfluxDbV2))
        .unwrap();
    let err = AnyTraceStore::for_client(&v2, TraceSchema::default()).unwrap_err();
    assert!(matches!(err, TraceError::Unsupported(_)), "{err:?}");
}

#[tokio::test]
async fn protocol_from_config_reads_over_rest_or_flight_sql_as_the_settings_say() {
    let server = ScriptedServer::replay(vec![(
        200,
        r#"{"result":{"columns":["service"],"types":["STRING"],"values":[["a"]]}}"#,
    )]);
    let rest = ClientConfig::new(&server.base_url).with_database("demo");
    let store: AnyTraceStore<std::sync::Arc<Client>> =
        AnyTraceStore::from_config(rest.clone(), TraceSchema::default()).unwrap();
    assert!(matches!(store, AnyTraceStore::Datalayers(_)));
    assert_eq!(store.services().await.unwrap(), ["a"]);

    // Flight SQL reads Datalayers SQL only.
    let influx = rest
        .clone()
        .with_protocol(Protocol::InfluxDbV1)
        .with_flight_sql_endpoint("http://127.0.0.1:8360");
    let err = AnyTraceStore::<Client>::from_config(influx, TraceSchema::default()).unwrap_err();
    assert!(matches!(err, TraceError::Unsupported(_)), "{err:?}");

    // Nothing is sent on construction: a store over a closed port fails on its first query.
    let flight = rest.with_flight_sql_endpoint(test_support::closed_url());
    let store = AnyTraceStore::<Client>::from_config(flight, TraceSchema::default());
    #[cfg(feature = "flight-sql")]
    {
        let store = store.unwrap();
        assert!(matches!(store, AnyTraceStore::FlightSql(_)), "{store:?}");
        let err = store.services().await.unwrap_err();
        assert!(
            matches!(err, TraceError::Query(QueryError::Transport { .. })),
            "{err:?}"
        );
    }
    #[cfg(not(feature = "flight-sql"))]
    assert!(
        matches!(store, Err(TraceError::Unsupported(_))),
        "never silently over REST: {store:?}"
    );
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn protocol_get_traces_splits_the_rows_by_trace() {
    const OTHER: &str = "00000000000000020000000000000001";
    let spans = format!(
        r#"{{"result":{{"columns":["time","service.name","span_id","trace_id","duration_nano","span.name","parent_span_id"],
        "types":["TIMESTAMP(9)","STRING","STRING","STRING","INT64","STRING","STRING"],
        "values":[["2025-11-25T00:00:00Z","a","00000000000000a1","{ID}",5,"root",null],
                  ["2025-11-25T00:00:01Z","b","00000000000000b1","{OTHER}",7,"other root",null],
                  ["2025-11-25T00:00:02Z","a","00000000000000a2","{ID}",1,"child","00000000000000a1"]]}}}}"#
    );
    let events = format!(
        r#"{{"result":{{"columns":["time","span_id","trace_id","event.name"],
        "types":["TIMESTAMP(9)","STRING","STRING","STRING"],
        "values":[["2025-11-25T00:00:01.5Z","00000000000000b1","{OTHER}","retry"]]}}}}"#
    );
    let links = r#"{"result":{"columns":[],"types":[],"values":[]}}"#;
    let server = ScriptedServer::replay(vec![
        (200, spans.as_str()),
        (200, events.as_str()),
        (200, links),
    ]);
    let client = server.client();
    let store = DatalayersSql::new(&client);
    let missing = TraceId::parse("00000000000000030000000000000001").unwrap();
    let ids = [
        TraceId::parse(OTHER).unwrap(),
        missing,
        TraceId::parse(ID).unwrap(),
    ];
    let traces = store.get_traces(&ids, range()).await.unwrap();
    // In the order asked; the trace with no rows is left out.
    let names: Vec<Vec<&str>> = traces
        .iter()
        .map(|t| t.spans.iter().map(|s| s.name.as_str()).collect())
        .collect();
    assert_eq!(names, [vec!["other root"], vec!["root", "child"]]);
    assert_eq!(traces[0].spans[0].events[0].name.as_deref(), Some("retry"));
    assert!(traces[1].spans.iter().all(|s| s.events.is_empty()));
    let queries = SqlQueries::default();
    let sent: Vec<String> = server.requests().into_iter().map(|r| r.text()).collect();
    assert_eq!(
        sent,
        [
            queries.traces_spans(&ids, &range()),
            queries.traces_events(&ids, &range()),
            queries.traces_links(&ids, &range())
        ]
    );
}

#[tokio::test]
async fn protocol_operations_with_kind_and_dependencies() {
    let server = ScriptedServer::replay(vec![
        (
            200,
            r#"{"result":{"columns":["operation","kind"],"types":["STRING","STRING"],
            "values":[["GET /cart","Server"],["GET /cart","Client"],["flush",null]]}}"#,
        ),
        (
            200,
            r#"{"result":{"columns":["parent","child","call_count"],"types":["STRING","STRING","INT64"],
            "values":[["frontend","backend",12],["backend","db",3]]}}"#,
        ),
    ]);
    let client = server.client();
    let store = DatalayersSql::new(&client);
    let operations = store.operations_with_kind("frontend", None).await.unwrap();
    let pairs: Vec<(&str, Option<&str>)> = operations
        .iter()
        .map(|o| (o.name.as_str(), o.kind.as_deref()))
        .collect();
    assert_eq!(
        pairs,
        [
            ("GET /cart", Some("Client")),
            ("GET /cart", Some("Server")),
            ("flush", None)
        ]
    );
    let edges = store.dependencies(range()).await.unwrap();
    assert_eq!(
        edges
            .iter()
            .map(|e| (e.parent.as_str(), e.child.as_str(), e.call_count))
            .collect::<Vec<_>>(),
        [("frontend", "backend", 12), ("backend", "db", 3)]
    );
    let sent = server.requests();
    assert_eq!(
        sent[0].text(),
        SqlQueries::default().operations_with_kind("frontend", None)
    );
    assert_eq!(sent[1].text(), SqlQueries::default().dependencies(&range()));
}

#[tokio::test]
async fn protocol_a_tag_filter_asks_for_the_columns_first() {
    let describe = r#"{"result":{"columns":["Field","Type","Null","Default","Timestamp Key"],
        "types":["STRING","STRING","STRING","STRING","STRING"],
        "values":[["time","TIMESTAMP(9)","NO",null,"YES"],["host.name","STRING","YES",null,"NO"],["attributes","STRING","YES",null,"NO"]]}}"#;
    let empty = r#"{"result":{"columns":["trace_id","start_time"],"types":["STRING","TIMESTAMP(9)"],"values":[]}}"#;
    let server = ScriptedServer::replay(vec![(200, describe), (200, empty)]);
    let client = server.client();
    let filter = TraceFilter {
        range: Some(range()),
        tags: vec![
            ("host.name".into(), "db-2".into()),
            ("http.route".into(), "/cart".into()),
        ],
        ..TraceFilter::default()
    };
    let list = DatalayersSql::new(&client)
        .list_traces(&filter)
        .await
        .unwrap();
    assert!(list.is_empty());
    let sent = server.requests();
    assert_eq!(sent.len(), 2, "no services query for an empty page");
    assert_eq!(sent[0].text(), "DESC TABLE `spans`");
    let columns = ["time", "host.name", "attributes"].map(String::from);
    assert_eq!(
        sent[1].text(),
        SqlQueries::default().list_traces(&filter, &range(), &columns)
    );
    // A column the table has is compared; one it lacks is only looked for in the attributes.
    assert!(sent[1].text().contains("`host.name` = 'db-2'"));
    assert!(!sent[1].text().contains("`http.route`"));
    assert!(sent[1].text().contains(r#"'"http.route":"/cart"'"#));
}
