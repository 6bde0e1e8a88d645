#![doc = include_str!("../README.md")]

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

use datalayers_client::query::{InfluxQlTransport, SqlTransport};
use datalayers_client::{Client, Protocol};

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

/// The backend that fits a client's protocol: SQL for Datalayers, InfluxQL for InfluxDB 1.x.
///
/// `C` is how the client is held: `&Client`, `Client` or `Arc<Client>`.
#[derive(Debug, Clone)]
pub enum AnyTraceStore<C> {
    /// Datalayers in SQL.
    Datalayers(DatalayersSql<C>),
    /// InfluxDB 1.x in InfluxQL.
    InfluxQl(InfluxQl<C>),
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
}

impl<C: SqlTransport + InfluxQlTransport> TraceStore for AnyTraceStore<C> {
    async fn list_traces(&self, filter: &TraceFilter) -> Result<Vec<TraceSummary>, TraceError> {
        match self {
            Self::Datalayers(store) => store.list_traces(filter).await,
            Self::InfluxQl(store) => store.list_traces(filter).await,
        }
    }

    async fn get_trace(&self, trace_id: &TraceId, hint: TimeRange) -> Result<Trace, TraceError> {
        match self {
            Self::Datalayers(store) => store.get_trace(trace_id, hint).await,
            Self::InfluxQl(store) => store.get_trace(trace_id, hint).await,
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
        }
    }

    async fn services(&self) -> Result<Vec<String>, TraceError> {
        match self {
            Self::Datalayers(store) => store.services().await,
            Self::InfluxQl(store) => store.services().await,
        }
    }

    async fn operations(&self, service: &str) -> Result<Vec<String>, TraceError> {
        match self {
            Self::Datalayers(store) => store.operations(service).await,
            Self::InfluxQl(store) => store.operations(service).await,
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
        }
    }

    async fn dependencies(&self, range: TimeRange) -> Result<Vec<ServiceDependency>, TraceError> {
        match self {
            Self::Datalayers(store) => store.dependencies(range).await,
            Self::InfluxQl(store) => store.dependencies(range).await,
        }
    }
}
