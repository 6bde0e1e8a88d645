//! The transport seam: the trace stores run over any `SqlTransport` / `InfluxQlTransport`, send
//! exactly the builders' statements through it, and read only the typed rows it returns. A
//! transport of the test's own (canned answers, every statement recorded) stands in for the one
//! Flight SQL will bring; the REST client held as `Arc<Client>` (how a server owns it) is checked
//! against the replaying server.

mod replay;

use std::sync::{Arc, Mutex};

use datalayers_client::query::{
    InfluxQlTransport, QueryError, QueryResult, SqlTransport, parse_influxql_response,
    parse_sql_response,
};
use datalayers_client::{Client, ClientConfig};
use replay::Replay;
use trace_query::{
    AnyTraceStore, DatalayersSql, InfluxQl, InfluxQlQueries, SqlQueries, TimeRange, TraceError,
    TraceId, TraceSchema, TraceStore,
};

const ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";

/// Answers statements in order with canned bodies (Datalayers' or InfluxDB's JSON shape, decoded
/// by the crate's own decoders) and records what it was asked.
#[derive(Default)]
struct Canned {
    answers: Mutex<Vec<&'static str>>,
    asked: Mutex<Vec<String>>,
}

impl Canned {
    fn new(answers: &[&'static str]) -> Self {
        let mut answers = answers.to_vec();
        answers.reverse();
        Self {
            answers: Mutex::new(answers),
            asked: Mutex::default(),
        }
    }

    fn next(&self, statement: &str) -> &'static str {
        self.asked.lock().unwrap().push(statement.to_owned());
        self.answers
            .lock()
            .unwrap()
            .pop()
            .expect("no canned answer left")
    }

    fn asked(&self) -> Vec<String> {
        self.asked.lock().unwrap().clone()
    }
}

impl SqlTransport for Canned {
    async fn sql(&self, statement: &str) -> Result<QueryResult, QueryError> {
        let body = self.next(statement);
        // A missing table comes back as the error a real transport must map it to.
        if body == "no table" {
            return Err(QueryError::TableNotFound {
                message: "table not found".into(),
            });
        }
        parse_sql_response(200, body.as_bytes())
    }
}

impl InfluxQlTransport for Canned {
    async fn influxql(&self, statement: &str) -> Result<Vec<QueryResult>, QueryError> {
        parse_influxql_response(200, self.next(statement).as_bytes())
    }
}

fn range() -> TimeRange {
    TimeRange::between(1_764_028_800_000_000_000, 1_764_032_400_000_000_000)
}

#[tokio::test]
async fn sql_store_over_a_transport_of_its_own() {
    let spans = r#"{"result":{"columns":["time","trace_id","span_id","parent_span_id","span.name","duration_nano"],
        "types":["TIMESTAMP(9)","STRING","STRING","STRING","STRING","INT64"],
        "values":[["2025-11-25T00:00:00Z","4bf92f3577b34da6a3ce929d0e0e4736","00000000000000a1",null,"GET /cart",100],
                  ["2025-11-25T00:00:00.000000010Z","4bf92f3577b34da6a3ce929d0e0e4736","00000000000000b2","00000000000000a1","SELECT",50]]}}"#;
    let transport = Canned::new(&[spans, "no table", "no table"]);
    let store = DatalayersSql::new(&transport);
    let id = TraceId::parse(ID).unwrap();
    let trace = store.get_trace(&id, range()).await.unwrap();
    let names: Vec<(&str, usize)> = trace
        .tree
        .iter()
        .map(|e| (trace.spans[e.span].name.as_str(), e.depth))
        .collect();
    assert_eq!(names, [("GET /cart", 0), ("SELECT", 1)]);

    let queries = SqlQueries::default();
    assert_eq!(
        transport.asked(),
        [
            queries.trace_spans(&id, &range()),
            queries.trace_events(&id, &range()),
            queries.trace_links(&id, &range())
        ]
    );

    // No span rows: not found, whatever the transport.
    let empty = Canned::new(&["no table"]);
    let err = DatalayersSql::new(empty)
        .get_trace(&id, TimeRange::UNBOUNDED)
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
}

#[tokio::test]
async fn influxql_store_over_a_transport_of_its_own() {
    let services = r#"{"results":[{"statement_id":0,"series":[{"name":"spans","columns":["key","value"],
        "values":[["service.name","backend"],["service.name","frontend"]]}]}]}"#;
    let failing = r#"{"results":[{"statement_id":0,"error":"database not found: nope"}]}"#;
    let transport = Canned::new(&[services, failing]);
    let store = InfluxQl::new(&transport);
    assert_eq!(store.services().await.unwrap(), ["backend", "frontend"]);
    // The transport's error comes through whole, inside `TraceError::Query`.
    let err = store.operations("frontend").await.unwrap_err();
    assert!(
        matches!(err.as_query(), Some(QueryError::DatabaseNotFound { .. })),
        "{err:?}"
    );
    let queries = InfluxQlQueries::default();
    assert_eq!(
        transport.asked(),
        [queries.services(), queries.operations("frontend")]
    );
}

#[tokio::test]
async fn the_rest_client_can_be_shared() {
    let server = Replay::start(vec![(
        200,
        r#"{"result":{"columns":["service"],"types":["STRING"],"values":[["checkout"]]}}"#,
    )])
    .await;
    let client =
        Arc::new(Client::new(ClientConfig::new(&server.base_url).with_database("demo")).unwrap());
    // Owned by the store (a server keeps it for its whole life), no borrow to outlive.
    let store: AnyTraceStore<Arc<Client>> =
        AnyTraceStore::for_client(Arc::clone(&client), TraceSchema::default()).unwrap();
    let services = tokio::spawn(async move { store.services().await })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(services, ["checkout"]);
    assert_eq!(server.requests()[0].body, SqlQueries::default().services());

    let err: TraceError = "not-an-id".parse::<TraceId>().unwrap_err();
    assert!(err.to_string().contains("32 hex digits"), "{err}");
}
