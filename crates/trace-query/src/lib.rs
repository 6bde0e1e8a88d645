//! Reading traces back out of Datalayers and InfluxDB: the read side of the otel2influx schema
//! (`spans`, `logs`, `span-links`) that `otlp-influx` writes.
//!
//! A trace UI needs these, and a [`TraceStore`] answers them:
//! - [`TraceStore::list_traces`]: summaries (id, start, root service and span, duration, span
//!   and error counts, the services involved) of the traces matching a [`TraceFilter`], newest
//!   first; the filter takes service, span name, Jaeger-style `key=value` tags (matched against
//!   dimension columns, the `attributes` JSON and the tags the Jaeger conversion derives, such
//!   as `error=true`), duration bounds and a time range, all in the query text;
//! - [`TraceStore::get_trace`] (and [`TraceStore::get_traces`] for a page of them): one
//!   [`Trace`], its spans with their events and links, assembled into a tree by parent id
//!   ([`Trace::tree`]); missing parents and loops are tolerated and marked ([`Placement`]);
//! - [`TraceStore::services`], [`TraceStore::operations`] (with their span kinds:
//!   [`TraceStore::operations_with_kind`]) and the calls between services
//!   ([`TraceStore::dependencies`]).
//!
//! # Two languages, any transport
//!
//! [`DatalayersSql`] asks in SQL (Datalayers; one grouped query per page of summaries and one
//! for their services),
//! [`InfluxQl`] in InfluxQL (InfluxDB 1.x; summaries computed here, as InfluxQL cannot group by a
//! field). Neither knows how a statement travels: each is generic over a transport from
//! `datalayers-client`,
//!
//! ```text
//! trait SqlTransport      { async fn sql(&self, statement: &str) -> Result<QueryResult, QueryError>; }
//! trait InfluxQlTransport { async fn influxql(&self, statement: &str) -> Result<Vec<QueryResult>, QueryError>; }
//! ```
//!
//! "run this, give me typed rows". [`Client`] implements both over
//! HTTP (Datalayers' REST SQL API, InfluxDB's `/query`), as do `&Client` and `Arc<Client>`;
//! `datalayers_client::flight::FlightSqlClient` (feature `flight-sql` of `datalayers-client`)
//! implements [`SqlTransport`] over Arrow Flight SQL with the same rows, so
//! `DatalayersSql::new(flight_client)` reads the same traces over Datalayers' gRPC port.
//! [`AnyTraceStore::for_client`] picks the language from a client's configured protocol.
//!
//! Listing the last hour's slow traces of one service and opening the newest:
//!
//! ```no_run
//! use std::time::Duration;
//! use datalayers_client::{Client, ClientConfig};
//! use trace_query::{AnyTraceStore, TimeRange, TraceFilter, TraceSchema, TraceStore};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! // OTEL_EXPORTER_DATALAYERS_ENDPOINT, _DATABASE, _PROTOCOL, _USERNAME, _PASSWORD, ...
//! let client = Client::new(ClientConfig::from_env()?)?;
//! let store = AnyTraceStore::for_client(&client, TraceSchema::default())?;
//! let filter = TraceFilter {
//!     service: Some("checkout".into()),
//!     min_duration: Some(Duration::from_millis(10)),
//!     ..TraceFilter::default()
//! };
//! let traces = store.list_traces(&filter).await?;
//! if let Some(newest) = traces.first() {
//!     let hint = TimeRange { start_ns: Some(newest.start_ns), end_ns: None };
//!     let trace = store.get_trace(&newest.trace_id, hint).await?;
//!     for entry in &trace.tree {
//!         let span = &trace.spans[entry.span];
//!         println!("{:indent$}{} ({} ns)", "", span.name, span.duration_ns, indent = entry.depth * 2);
//!     }
//! }
//! # Ok(())
//! # }
//! ```
//!
//! The same reader over a transport of your own: here, canned rows in Datalayers' REST answer
//! shape, as a test or an offline tool would use.
//!
//! ```
//! use datalayers_client::query::{QueryError, QueryResult, SqlTransport, parse_sql_response};
//! use trace_query::{DatalayersSql, TraceError, TraceFilter, TraceStore};
//!
//! /// The page of summaries, then (a statement naming `AS service`) their services.
//! struct Canned { page: &'static str, services: &'static str }
//!
//! impl SqlTransport for Canned {
//!     async fn sql(&self, statement: &str) -> Result<QueryResult, QueryError> {
//!         let body = if statement.contains(" AS service,") { self.services } else { self.page };
//!         parse_sql_response(200, body.as_bytes())
//!     }
//! }
//!
//! let rows = Canned {
//!     page: r#"{"result":{
//!         "columns":["trace_id","start_time","root_service","root_span","duration_ns","span_count","error_count"],
//!         "types":["STRING","TIMESTAMP(9)","STRING","STRING","INT64","INT64","INT64"],
//!         "values":[["4bf92f3577b34da6a3ce929d0e0e4736","2025-11-25T08:30:00Z","checkout","GET /cart",120500000,5,1]]}}"#,
//!     services: r#"{"result":{
//!         "columns":["trace_id","service","span_count","error_count"],
//!         "types":["STRING","STRING","INT64","INT64"],
//!         "values":[["4bf92f3577b34da6a3ce929d0e0e4736","checkout",3,1],
//!                   ["4bf92f3577b34da6a3ce929d0e0e4736","payments",2,0]]}}"#,
//! };
//! let store = DatalayersSql::new(rows);
//! let list = futures_executor::block_on(store.list_traces(&TraceFilter::default()))?;
//! assert_eq!(list[0].root_span_name.as_deref(), Some("GET /cart"));
//! assert_eq!((list[0].span_count, list[0].error_count), (5, 1));
//! assert_eq!(list[0].services[1].name.as_deref(), Some("payments"));
//! # Ok::<(), TraceError>(())
//! ```
//!
//! # Safe query text
//!
//! Every query is built from checked or quoted input: trace ids must be a [`TraceId`] (32 hex
//! digits), other values and names are quoted for the target language. The builders
//! ([`SqlQueries`], [`InfluxQlQueries`]) are public so the exact text can be inspected:
//!
//! ```
//! use trace_query::{SqlQueries, TimeRange, TraceFilter};
//!
//! let filter = TraceFilter { service: Some("check'out".into()), ..TraceFilter::default() };
//! let sql = SqlQueries::default().list_traces(&filter, &TimeRange::between(0, 1_000_000_000), &[]);
//! assert!(sql.contains("`service.name` = 'check''out'"));
//! ```
//!
//! # Jaeger's JSON and OTLP JSON
//!
//! [`jaeger`] has the types of Jaeger's query API (what Jaeger UI and Grafana's Jaeger data
//! source read) and the conversion `jaeger::Trace::from(&trace)`, following the
//! OpenTelemetry-to-Jaeger mapping: references from parents and links, span kind and error
//! status as the tags those UIs read, events as logs. [`otlp`] writes stored traces as OTLP
//! JSON (`TracesData`), the shape of Jaeger's API v3.
//!
//! # Names and errors
//!
//! Table and column names come from `otel-schema`, the same constants the writer uses;
//! [`TraceSchema`] overrides the table names, the time column and the service column. Errors are
//! [`TraceError`]: [`TraceError::NotFound`] for a trace with no spans in the range searched,
//! [`TraceError::Query`] wrapping the transport's `QueryError` when a statement failed.

mod error;
mod influxql;
pub mod jaeger;
mod model;
pub mod otlp;
mod rows;
mod sql;
mod tags;
mod tree;

use std::borrow::Borrow;
use std::future::Future;

use datalayers_client::query::{InfluxQlTransport, QueryError, SqlTransport};
use datalayers_client::{Client, ClientConfig, Protocol};

pub use error::TraceError;
pub use influxql::{
    InfluxQl, InfluxQlQueries, dependencies_from_influxql, summaries_from_influxql,
};
pub use model::{
    DEFAULT_LIST_LIMIT, DEFAULT_LIST_WINDOW, Operation, Placement, SPAN_KINDS, ServiceDependency,
    ServiceSummary, Span, SpanEvent, SpanLink, TimeRange, Trace, TraceFilter, TraceId, TraceSchema,
    TraceSummary, TreeEntry, now_ns, stored_span_kind,
};
pub use sql::{
    DatalayersSql, SqlQueries, add_services_from_sql, columns_from_describe, summaries_from_sql,
};
pub use tree::assemble;

/// ` WHERE a AND b ...`, or nothing without conditions (the same in SQL and InfluxQL).
fn where_clause(conditions: &[String]) -> String {
    if conditions.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", conditions.join(" AND "))
    }
}

/// A store of traces that can be listed and opened.
///
/// Implemented by [`DatalayersSql`], [`InfluxQl`] and [`AnyTraceStore`]; a server or UI written
/// against it works with each.
pub trait TraceStore {
    /// Summaries of the traces matching `filter`, newest first.
    fn list_traces(
        &self,
        filter: &TraceFilter,
    ) -> impl Future<Output = Result<Vec<TraceSummary>, TraceError>> + Send;

    /// One trace with all its spans, events and links, searched in `hint` (pass
    /// [`TimeRange::UNBOUNDED`] when the time is unknown; a bound makes the search cheaper).
    /// A trace with no spans there is [`TraceError::NotFound`].
    fn get_trace(
        &self,
        trace_id: &TraceId,
        hint: TimeRange,
    ) -> impl Future<Output = Result<Trace, TraceError>> + Send;

    /// Several traces at once, in the order asked, searched in `hint`; those with no spans
    /// there are left out (fewer queries than one [`TraceStore::get_trace`] each).
    fn get_traces(
        &self,
        trace_ids: &[TraceId],
        hint: TimeRange,
    ) -> impl Future<Output = Result<Vec<Trace>, TraceError>> + Send;

    /// Every service name, sorted.
    fn services(&self) -> impl Future<Output = Result<Vec<String>, TraceError>> + Send;

    /// Every span name of `service`, sorted.
    fn operations(
        &self,
        service: &str,
    ) -> impl Future<Output = Result<Vec<String>, TraceError>> + Send;

    /// Every span name of `service` with the kind of its spans (a name used with two kinds is
    /// listed twice), sorted; only those of `kind` (any case: `server`, `Server`) when given.
    fn operations_with_kind(
        &self,
        service: &str,
        kind: Option<&str>,
    ) -> impl Future<Output = Result<Vec<Operation>, TraceError>> + Send;

    /// Calls between services: for spans starting in `range` whose parent span (also starting
    /// there) belongs to another service, the number of such pairs per (parent, child) service,
    /// sorted.
    fn dependencies(
        &self,
        range: TimeRange,
    ) -> impl Future<Output = Result<Vec<ServiceDependency>, TraceError>> + Send;
}

/// The backend that fits a client's protocol: SQL for Datalayers, InfluxQL for InfluxDB 1.x;
/// with feature `flight-sql`, Datalayers' SQL over Arrow Flight SQL too.
///
/// `C` is how the HTTP client is held: `&Client`, `Client` or `Arc<Client>`.
/// [`AnyTraceStore::from_config`] builds the one the settings choose.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum AnyTraceStore<C> {
    /// Datalayers in SQL, over its REST SQL API.
    Datalayers(DatalayersSql<C>),
    /// InfluxDB 1.x in InfluxQL.
    InfluxQl(InfluxQl<C>),
    /// Datalayers in SQL, over Arrow Flight SQL (its gRPC port, 8360).
    #[cfg(feature = "flight-sql")]
    FlightSql(DatalayersSql<datalayers_client::flight::FlightSqlClient>),
}

impl<C> AnyTraceStore<C>
where
    C: Borrow<Client> + SqlTransport + InfluxQlTransport,
{
    /// Picks the backend for `client`'s protocol, with `schema`. InfluxDB 2.x has no
    /// InfluxQL-over-`/query` without DBRP mappings and is refused.
    pub fn for_client(client: C, schema: TraceSchema) -> Result<Self, TraceError> {
        match client.borrow().config().protocol {
            Protocol::Datalayers => {
                Ok(Self::Datalayers(DatalayersSql::with_schema(client, schema)))
            }
            Protocol::InfluxDbV1 => Ok(Self::InfluxQl(InfluxQl::with_schema(client, schema))),
            other => Err(TraceError::Unsupported(format!(
                "trace queries support the datalayers and influxdb-v1 protocols, not {}",
                other.name()
            ))),
        }
    }

    /// The store `config` describes, with `schema`: over Arrow Flight SQL when
    /// [`ClientConfig::flight_sql_endpoint`] is set (`--flight-sql`,
    /// `OTEL_EXPORTER_DATALAYERS_FLIGHT_SQL_ENDPOINT`), with the same database and credentials;
    /// otherwise over HTTP in the protocol's language ([`AnyTraceStore::for_client`]), the
    /// client held as `C` (`Client` or `Arc<Client>`).
    ///
    /// Nothing is sent yet over either transport: the first query connects (and over Flight SQL
    /// does the handshake), so a server can start while the database is away. An unreachable
    /// server or refused credentials are that query's error ([`QueryError::Transport`],
    /// [`QueryError::Unauthorized`], [`QueryError::Tls`]).
    ///
    /// # Errors
    /// [`TraceError::Unsupported`] for a Flight SQL endpoint with a protocol other than
    /// `datalayers`, or when this crate was built without its `flight-sql` feature;
    /// [`TraceError::Query`] for settings no client can be built from (a malformed endpoint).
    ///
    /// # Panics
    /// With a Flight SQL endpoint, outside a tokio runtime (the connection's task runs there).
    ///
    /// ```no_run
    /// use datalayers_client::{Client, ClientConfig};
    /// use trace_query::{AnyTraceStore, TraceFilter, TraceSchema, TraceStore};
    ///
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// // OTEL_EXPORTER_DATALAYERS_* (with _FLIGHT_SQL_ENDPOINT: reads over Flight SQL)
    /// let config = ClientConfig::from_env()?;
    /// let store: AnyTraceStore<Client> = AnyTraceStore::from_config(config, TraceSchema::default())?;
    /// let traces = store.list_traces(&TraceFilter::default()).await?;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// [`QueryError::Transport`]: datalayers_client::query::QueryError::Transport
    /// [`QueryError::Unauthorized`]: datalayers_client::query::QueryError::Unauthorized
    /// [`QueryError::Tls`]: datalayers_client::query::QueryError::Tls
    pub fn from_config(config: ClientConfig, schema: TraceSchema) -> Result<Self, TraceError>
    where
        C: From<Client>,
    {
        if config.flight_sql_endpoint.is_some() {
            if config.protocol != Protocol::Datalayers {
                return Err(TraceError::Unsupported(format!(
                    "Flight SQL reads Datalayers in SQL; the protocol is {}",
                    config.protocol.name()
                )));
            }
            #[cfg(feature = "flight-sql")]
            {
                let client = datalayers_client::flight::FlightSqlClient::connect_lazy(&config)?;
                return Ok(Self::FlightSql(DatalayersSql::with_schema(client, schema)));
            }
            #[cfg(not(feature = "flight-sql"))]
            return Err(TraceError::Unsupported(
                "a Flight SQL endpoint is set, but trace-query was built without its \
                 `flight-sql` feature"
                    .into(),
            ));
        }
        let client =
            Client::new(config).map_err(|err| QueryError::InvalidInput(err.to_string()))?;
        Self::for_client(C::from(client), schema)
    }
}

impl<C: SqlTransport + InfluxQlTransport> TraceStore for AnyTraceStore<C> {
    async fn list_traces(&self, filter: &TraceFilter) -> Result<Vec<TraceSummary>, TraceError> {
        match self {
            Self::Datalayers(store) => store.list_traces(filter).await,
            Self::InfluxQl(store) => store.list_traces(filter).await,
            #[cfg(feature = "flight-sql")]
            Self::FlightSql(store) => store.list_traces(filter).await,
        }
    }

    async fn get_trace(&self, trace_id: &TraceId, hint: TimeRange) -> Result<Trace, TraceError> {
        match self {
            Self::Datalayers(store) => store.get_trace(trace_id, hint).await,
            Self::InfluxQl(store) => store.get_trace(trace_id, hint).await,
            #[cfg(feature = "flight-sql")]
            Self::FlightSql(store) => store.get_trace(trace_id, hint).await,
        }
    }

    async fn get_traces(
        &self,
        trace_ids: &[TraceId],
        hint: TimeRange,
    ) -> Result<Vec<Trace>, TraceError> {
        match self {
            Self::Datalayers(store) => store.get_traces(trace_ids, hint).await,
            Self::InfluxQl(store) => store.get_traces(trace_ids, hint).await,
            #[cfg(feature = "flight-sql")]
            Self::FlightSql(store) => store.get_traces(trace_ids, hint).await,
        }
    }

    async fn services(&self) -> Result<Vec<String>, TraceError> {
        match self {
            Self::Datalayers(store) => store.services().await,
            Self::InfluxQl(store) => store.services().await,
            #[cfg(feature = "flight-sql")]
            Self::FlightSql(store) => store.services().await,
        }
    }

    async fn operations(&self, service: &str) -> Result<Vec<String>, TraceError> {
        match self {
            Self::Datalayers(store) => store.operations(service).await,
            Self::InfluxQl(store) => store.operations(service).await,
            #[cfg(feature = "flight-sql")]
            Self::FlightSql(store) => store.operations(service).await,
        }
    }

    async fn operations_with_kind(
        &self,
        service: &str,
        kind: Option<&str>,
    ) -> Result<Vec<Operation>, TraceError> {
        match self {
            Self::Datalayers(store) => store.operations_with_kind(service, kind).await,
            Self::InfluxQl(store) => store.operations_with_kind(service, kind).await,
            #[cfg(feature = "flight-sql")]
            Self::FlightSql(store) => store.operations_with_kind(service, kind).await,
        }
    }

    async fn dependencies(&self, range: TimeRange) -> Result<Vec<ServiceDependency>, TraceError> {
        match self {
            Self::Datalayers(store) => store.dependencies(range).await,
            Self::InfluxQl(store) => store.dependencies(range).await,
            #[cfg(feature = "flight-sql")]
            Self::FlightSql(store) => store.dependencies(range).await,
        }
    }
}
