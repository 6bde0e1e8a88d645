//! Trace queries: the read side of the `spans` / `logs` / `span-links` schema.
//!
//! What a trace UI needs, over Datalayers SQL ([`DatalayersSql`]) or InfluxDB 1.x InfluxQL
//! ([`InfluxQl`]) behind one trait, [`TraceStore`]:
//! - [`TraceStore::list_traces`]: summaries (id, start, root service and span, duration, span
//!   count, error mark) of the traces matching a [`TraceFilter`];
//! - [`TraceStore::get_trace`]: one trace, its spans with their events and links, assembled into
//!   a tree by parent id ([`Trace::tree`]); missing parents and loops are tolerated and marked;
//! - [`TraceStore::services`] and [`TraceStore::operations`].
//!
//! Every query is built from checked or quoted input: trace ids must be a [`TraceId`] (32 hex
//! digits), other values and names are quoted for the target language. The builders
//! ([`SqlQueries`], [`InfluxQlQueries`]) are public so the exact query text can be inspected.
//!
//! Listing the last hour's traces of one service and opening the newest as a waterfall:
//!
//! ```no_run
//! use std::time::Duration;
//! use datalayers_client::traces::render::{WaterfallOptions, render_trace_list, render_waterfall};
//! use datalayers_client::traces::{AnyTraceStore, TimeRange, TraceFilter, TraceSchema, TraceStore};
//! use datalayers_client::{Client, ClientConfig};
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
//! print!("{}", render_trace_list(&traces));
//! if let Some(newest) = traces.first() {
//!     let hint = TimeRange { start_ns: Some(newest.start_ns), end_ns: None };
//!     let trace = store.get_trace(&newest.trace_id, hint).await?;
//!     print!("{}", render_waterfall(&trace, &WaterfallOptions::default()));
//! }
//! # Ok(())
//! # }
//! ```
//!
//! The query text for given inputs:
//!
//! ```
//! use datalayers_client::traces::{SqlQueries, TimeRange, TraceFilter};
//!
//! let filter = TraceFilter { service: Some("checkout".into()), ..TraceFilter::default() };
//! let sql = SqlQueries::default().list_traces(&filter, &TimeRange::between(0, 1_000_000_000));
//! assert!(sql.contains("`service.name` = 'checkout'"));
//! ```

mod influxql;
mod model;
pub mod render;
mod rows;
mod sql;
mod tree;

use std::future::Future;

pub use influxql::{InfluxQl, InfluxQlQueries, summaries_from_influxql};
pub use model::{
    DEFAULT_LIST_LIMIT, DEFAULT_LIST_WINDOW, Placement, Span, SpanEvent, SpanLink, TimeRange,
    Trace, TraceFilter, TraceId, TraceSchema, TraceSummary, TreeEntry, now_ns,
};
pub use sql::{DatalayersSql, SqlQueries, summaries_from_sql};
pub use tree::assemble;

use crate::Client;
use crate::config::Protocol;
use crate::query::QueryError;

/// ` WHERE a AND b ...`, or nothing without conditions (the same in SQL and InfluxQL).
fn where_clause(conditions: &[String]) -> String {
    if conditions.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", conditions.join(" AND "))
    }
}

/// A store of traces that can be listed and opened.
pub trait TraceStore {
    /// Summaries of the traces matching `filter`, newest first.
    fn list_traces(
        &self,
        filter: &TraceFilter,
    ) -> impl Future<Output = Result<Vec<TraceSummary>, QueryError>> + Send;

    /// One trace with all its spans, events and links, searched in `hint` (pass
    /// [`TimeRange::UNBOUNDED`] when the time is unknown; a bound makes the search cheaper).
    /// A trace with no spans there is [`QueryError::TraceNotFound`].
    fn get_trace(
        &self,
        trace_id: &TraceId,
        hint: TimeRange,
    ) -> impl Future<Output = Result<Trace, QueryError>> + Send;

    /// Every service name, sorted.
    fn services(&self) -> impl Future<Output = Result<Vec<String>, QueryError>> + Send;

    /// Every span name of `service`, sorted.
    fn operations(
        &self,
        service: &str,
    ) -> impl Future<Output = Result<Vec<String>, QueryError>> + Send;
}

/// The backend that fits a client's protocol: SQL for Datalayers, InfluxQL for InfluxDB 1.x.
#[derive(Debug, Clone)]
pub enum AnyTraceStore<'c> {
    /// Datalayers over REST SQL.
    Datalayers(DatalayersSql<'c>),
    /// InfluxDB 1.x over InfluxQL.
    InfluxQl(InfluxQl<'c>),
}

impl<'c> AnyTraceStore<'c> {
    /// Picks the backend for `client`'s protocol, with `schema`. InfluxDB 2.x has no
    /// InfluxQL-over-`/query` without DBRP mappings and is refused.
    pub fn for_client(client: &'c Client, schema: TraceSchema) -> Result<Self, QueryError> {
        match client.config().protocol {
            Protocol::Datalayers => {
                Ok(Self::Datalayers(DatalayersSql::with_schema(client, schema)))
            }
            Protocol::InfluxDbV1 => Ok(Self::InfluxQl(InfluxQl::with_schema(client, schema))),
            other => Err(QueryError::Unsupported(format!(
                "trace queries support the datalayers and influxdb-v1 protocols, not {}",
                other.name()
            ))),
        }
    }
}

impl TraceStore for AnyTraceStore<'_> {
    async fn list_traces(&self, filter: &TraceFilter) -> Result<Vec<TraceSummary>, QueryError> {
        match self {
            Self::Datalayers(store) => store.list_traces(filter).await,
            Self::InfluxQl(store) => store.list_traces(filter).await,
        }
    }

    async fn get_trace(&self, trace_id: &TraceId, hint: TimeRange) -> Result<Trace, QueryError> {
        match self {
            Self::Datalayers(store) => store.get_trace(trace_id, hint).await,
            Self::InfluxQl(store) => store.get_trace(trace_id, hint).await,
        }
    }

    async fn services(&self) -> Result<Vec<String>, QueryError> {
        match self {
            Self::Datalayers(store) => store.services().await,
            Self::InfluxQl(store) => store.services().await,
        }
    }

    async fn operations(&self, service: &str) -> Result<Vec<String>, QueryError> {
        match self {
            Self::Datalayers(store) => store.operations(service).await,
            Self::InfluxQl(store) => store.operations(service).await,
        }
    }
}
