//! The error of every trace query.

use datalayers_client::query::QueryError;

use crate::model::{TimeRange, TraceId};

/// Why a trace query failed.
///
/// Failures of the statement itself (the server unreachable, credentials refused, a missing
/// database, a syntax error) are [`TraceError::Query`], with the transport's [`QueryError`]
/// inside; the others are about traces.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TraceError {
    /// No span of the requested trace was found in the time range searched.
    #[error("trace {trace_id} not found{}", in_range(range))]
    NotFound {
        /// The trace id asked for.
        trace_id: TraceId,
        /// The time range searched ([`TimeRange::UNBOUNDED`] when the time was unknown).
        range: TimeRange,
    },
    /// The caller's input was refused before any query was built (a malformed trace id).
    #[error("invalid trace query input: {0}")]
    InvalidInput(String),
    /// The rows came back without what a trace query needs (e.g. a trace list without its
    /// `trace_id` column).
    #[error("unexpected rows from the server: {0}")]
    Decode(String),
    /// The connection cannot serve trace queries (e.g. the InfluxDB 2.x API, which has no
    /// InfluxQL without DBRP mappings).
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// The statement failed: transport, authorization, database, server or response errors.
    #[error(transparent)]
    Query(#[from] QueryError),
}

impl TraceError {
    /// The transport's error, when the statement itself failed.
    pub fn as_query(&self) -> Option<&QueryError> {
        match self {
            Self::Query(err) => Some(err),
            _ => None,
        }
    }

    /// `true` for [`TraceError::NotFound`] (an HTTP API answers it with 404).
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::NotFound { .. })
    }
}

/// ` (<range>)` for a bounded range, nothing for an unbounded one.
fn in_range(range: &TimeRange) -> String {
    if *range == TimeRange::UNBOUNDED {
        String::new()
    } else {
        format!(" ({range})")
    }
}
