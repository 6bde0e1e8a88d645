//! The seam between readers and the ways a statement reaches a server.
//!
//! Code that reads (the `trace-query` crate, dashboards, tests) needs one thing from a
//! connection: "run this statement and give me typed rows". These traits say exactly that and
//! nothing about HTTP, so the same reader runs over Datalayers' REST SQL API ([`Client`] today)
//! and over Arrow Flight SQL (a client that converts its record batches to the same
//! [`QueryResult`]s), or over anything else that can answer a statement.
//!
//! ```
//! use datalayers_client::query::{QueryError, QueryResult, SqlTransport};
//!
//! /// Counts spans over whatever transport the caller has.
//! async fn span_count(db: &impl SqlTransport) -> Result<Option<i64>, QueryError> {
//!     let result = db.sql("SELECT count(*) AS n FROM spans").await?;
//!     Ok(result.records().next().and_then(|row| row.i64("n")))
//! }
//!
//! /// A transport answering every statement with no rows (e.g. for a dry run).
//! struct Empty;
//!
//! impl SqlTransport for Empty {
//!     async fn sql(&self, _statement: &str) -> Result<QueryResult, QueryError> {
//!         Ok(QueryResult::default())
//!     }
//! }
//!
//! let count = futures_executor::block_on(span_count(&Empty)).unwrap();
//! assert_eq!(count, None);
//! ```

use std::future::Future;
use std::sync::Arc;

use super::{QueryError, QueryResult};
use crate::Client;

/// Runs one SQL statement and returns its rows, typed.
///
/// What implementations promise, so readers behave the same over any transport:
/// - times come back as [`Value::Timestamp`](super::Value::Timestamp) UTC nanoseconds, integers
///   as `Int`/`UInt`, text as `Str`, whatever the wire encoding;
/// - a statement naming a table that does not exist fails with
///   [`QueryError::TableNotFound`] (schema-on-write stores create tables with their first row,
///   so readers treat it as "no rows yet");
/// - credentials never appear in errors.
pub trait SqlTransport: Send + Sync {
    /// Runs `statement` (exactly one statement) against the configured database.
    fn sql(&self, statement: &str) -> impl Future<Output = Result<QueryResult, QueryError>> + Send;
}

/// Runs InfluxQL (InfluxDB 1.x) and returns every series of every statement, in order.
///
/// As for [`SqlTransport`]: times as UTC nanoseconds, the first statement error as the `Err`.
pub trait InfluxQlTransport: Send + Sync {
    /// Runs `statement` (one or more `;`-separated statements) against the configured database.
    fn influxql(
        &self,
        statement: &str,
    ) -> impl Future<Output = Result<Vec<QueryResult>, QueryError>> + Send;
}

/// Datalayers' REST SQL API (`POST /api/v1/sql`).
impl SqlTransport for Client {
    fn sql(&self, statement: &str) -> impl Future<Output = Result<QueryResult, QueryError>> + Send {
        Self::sql(self, statement)
    }
}

/// InfluxDB 1.x's `/query`.
impl InfluxQlTransport for Client {
    fn influxql(
        &self,
        statement: &str,
    ) -> impl Future<Output = Result<Vec<QueryResult>, QueryError>> + Send {
        Self::influxql(self, statement)
    }
}

/// Forwards to the borrowed transport, so readers can hold `&Client`.
impl<T: SqlTransport> SqlTransport for &T {
    fn sql(&self, statement: &str) -> impl Future<Output = Result<QueryResult, QueryError>> + Send {
        (**self).sql(statement)
    }
}

/// Forwards to the borrowed transport, so readers can hold `&Client`.
impl<T: InfluxQlTransport> InfluxQlTransport for &T {
    fn influxql(
        &self,
        statement: &str,
    ) -> impl Future<Output = Result<Vec<QueryResult>, QueryError>> + Send {
        (**self).influxql(statement)
    }
}

/// Forwards to the shared transport, so long-lived readers (servers) can own one.
impl<T: SqlTransport> SqlTransport for Arc<T> {
    fn sql(&self, statement: &str) -> impl Future<Output = Result<QueryResult, QueryError>> + Send {
        (**self).sql(statement)
    }
}

/// Forwards to the shared transport, so long-lived readers (servers) can own one.
impl<T: InfluxQlTransport> InfluxQlTransport for Arc<T> {
    fn influxql(
        &self,
        statement: &str,
    ) -> impl Future<Output = Result<Vec<QueryResult>, QueryError>> + Send {
        (**self).influxql(statement)
    }
}
