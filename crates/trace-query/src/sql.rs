//! The Datalayers backend: trace queries in SQL.
//!
//! Every statement goes through a [`SqlTransport`]: Datalayers' REST SQL API
//! ([`Client`](datalayers_client::Client)), Arrow Flight SQL
//! (`datalayers_client::flight::FlightSqlClient`), or anything that returns the same typed rows.

use datalayers_client::query::{
    QueryResult, Rfc3339, SqlTransport, Value, sql_ident as ident, sql_literal as lit,
};
use otel_schema::{self as col, STATUS_CODE_ERROR};

use crate::model::{TimeRange, Trace, TraceFilter, TraceId, TraceSchema, TraceSummary, now_ns};
use crate::{TraceError, TraceStore, rows, tree, where_clause};

/// Builds the SQL text of every trace query. Every value is quoted with
/// [`sql_literal`](datalayers_client::query::sql_literal) and every name with
/// [`sql_ident`](datalayers_client::query::sql_ident); times are RFC3339 literals in UTC.
#[derive(Debug, Clone, Default)]
pub struct SqlQueries {
    schema: TraceSchema,
}

impl SqlQueries {
    /// Queries over `schema`.
    pub fn new(schema: TraceSchema) -> Self {
        Self { schema }
    }

    /// The schema queried.
    pub fn schema(&self) -> &TraceSchema {
        &self.schema
    }

    fn time_conditions(&self, range: &TimeRange, out: &mut Vec<String>) {
        let time = ident(&self.schema.time_column);
        if let Some(start) = range.start_ns {
            out.push(format!("{time} >= '{}'", Rfc3339::new(start)));
        }
        if let Some(end) = range.end_ns {
            out.push(format!("{time} < '{}'", Rfc3339::new(end)));
        }
    }

    /// One query for the whole page of summaries: spans grouped by trace; per-span conditions in
    /// a sub-select of matching trace ids; duration bounds in `HAVING`.
    pub fn list_traces(&self, filter: &TraceFilter, range: &TimeRange) -> String {
        let s = &self.schema;
        let spans = ident(&s.spans_table);
        let time = ident(&s.time_column);
        let service = ident(&s.service_column);
        let trace_id = ident(col::TRACE_ID);
        let root = format!(
            "({parent} IS NULL OR {parent} = '')",
            parent = ident(col::PARENT_SPAN_ID)
        );
        let root_or_first = |column: &str| {
            format!(
                "coalesce(max(CASE WHEN {root} THEN {column} END), first_value({column} ORDER BY {time}))"
            )
        };
        let end = ident(col::END_TIME_UNIX_NANO);
        let duration = format!("max({end}) - min({end} - {})", ident(col::DURATION_NANO));

        let mut conditions = Vec::new();
        self.time_conditions(range, &mut conditions);
        if filter.has_span_conditions() {
            let mut inner = Vec::new();
            self.time_conditions(range, &mut inner);
            if let Some(service_name) = &filter.service {
                inner.push(format!("{service} = {}", lit(service_name)));
            }
            if let Some(name) = &filter.span_name {
                inner.push(format!("{} = {}", ident(col::SPAN_NAME), lit(name)));
            }
            for (key, value) in &filter.tags {
                inner.push(format!("{} = {}", ident(key), lit(value)));
            }
            conditions.push(format!(
                "{trace_id} IN (SELECT {trace_id} FROM {spans}{})",
                where_clause(&inner)
            ));
        }
        let mut having = Vec::new();
        if let Some(min) = filter.min_duration {
            having.push(format!("{duration} >= {}", min.as_nanos()));
        }
        if let Some(max) = filter.max_duration {
            having.push(format!("{duration} <= {}", max.as_nanos()));
        }
        let having = if having.is_empty() {
            String::new()
        } else {
            format!(" HAVING {}", having.join(" AND "))
        };
        format!(
            "SELECT {trace_id}, min({time}) AS start_time, {} AS root_service, {} AS root_span, \
             {duration} AS duration_ns, count(*) AS span_count, \
             max(CASE WHEN {} = '{STATUS_CODE_ERROR}' THEN 1 ELSE 0 END) AS has_error \
             FROM {spans}{} GROUP BY {trace_id}{having} \
             ORDER BY start_time DESC, {trace_id} LIMIT {} OFFSET {}",
            root_or_first(&service),
            root_or_first(&ident(col::SPAN_NAME)),
            ident(col::OTEL_STATUS_CODE),
            where_clause(&conditions),
            filter.limit,
            filter.offset,
        )
    }

    fn rows_of_trace(&self, table: &str, trace_id: &TraceId, range: &TimeRange) -> String {
        let mut conditions = vec![format!(
            "{} = {}",
            ident(col::TRACE_ID),
            lit(trace_id.as_str())
        )];
        self.time_conditions(range, &mut conditions);
        format!(
            "SELECT * FROM {}{} ORDER BY {}",
            ident(table),
            where_clause(&conditions),
            ident(&self.schema.time_column)
        )
    }

    /// All span rows of one trace, by start time.
    pub fn trace_spans(&self, trace_id: &TraceId, range: &TimeRange) -> String {
        self.rows_of_trace(&self.schema.spans_table, trace_id, range)
    }

    /// All event and log rows of one trace. Events happen after their span starts, so only the
    /// lower bound of the range applies.
    pub fn trace_events(&self, trace_id: &TraceId, range: &TimeRange) -> String {
        let from = TimeRange {
            start_ns: range.start_ns,
            end_ns: None,
        };
        self.rows_of_trace(&self.schema.logs_table, trace_id, &from)
    }

    /// All link rows of one trace (stamped with their span's start).
    pub fn trace_links(&self, trace_id: &TraceId, range: &TimeRange) -> String {
        self.rows_of_trace(&self.schema.links_table, trace_id, range)
    }

    /// Distinct service names.
    pub fn services(&self) -> String {
        let service = ident(&self.schema.service_column);
        format!(
            "SELECT DISTINCT {service} AS service FROM {} WHERE {service} IS NOT NULL ORDER BY service",
            ident(&self.schema.spans_table)
        )
    }

    /// Distinct span names of one service.
    pub fn operations(&self, service: &str) -> String {
        format!(
            "SELECT DISTINCT {name} AS operation FROM {} WHERE {} = {} AND {name} IS NOT NULL ORDER BY operation",
            ident(&self.schema.spans_table),
            ident(&self.schema.service_column),
            lit(service),
            name = ident(col::SPAN_NAME),
        )
    }
}

/// Reads the rows of [`SqlQueries::list_traces`] into summaries. A row whose `trace_id` is not a
/// [`TraceId`] (it could not be opened) is left out rather than failing the list; a result
/// without the expected columns is an error.
pub fn summaries_from_sql(result: &QueryResult) -> Result<Vec<TraceSummary>, TraceError> {
    if !result.is_empty() {
        for column in [col::TRACE_ID, "start_time"] {
            if result.column_index(column).is_none() {
                return Err(TraceError::Decode(format!(
                    "trace list without a {column} column"
                )));
            }
        }
    }
    let mut out = Vec::with_capacity(result.rows.len());
    for record in result.records() {
        let bad = |what: &str| TraceError::Decode(format!("trace list row without {what}"));
        let Some(trace_id) = record
            .str(col::TRACE_ID)
            .and_then(|id| TraceId::parse(id).ok())
        else {
            continue;
        };
        out.push(TraceSummary {
            trace_id,
            start_ns: record
                .get("start_time")
                .and_then(Value::as_timestamp_ns)
                .ok_or_else(|| bad("start_time"))?,
            root_service: record.str("root_service").map(str::to_owned),
            root_span_name: record.str("root_span").map(str::to_owned),
            duration_ns: record.i64("duration_ns").unwrap_or(0),
            span_count: record
                .i64("span_count")
                .and_then(|n| u64::try_from(n).ok())
                .unwrap_or(0),
            has_error: record.i64("has_error").is_some_and(|n| n > 0)
                || record.get("has_error").and_then(Value::as_bool) == Some(true),
        });
    }
    Ok(out)
}

/// Trace queries against Datalayers in SQL, over any [`SqlTransport`]: `&Client`, `Client`,
/// `Arc<Client>` for REST, or another transport that returns the same typed rows.
#[derive(Debug, Clone)]
pub struct DatalayersSql<T> {
    transport: T,
    queries: SqlQueries,
}

impl<T: SqlTransport> DatalayersSql<T> {
    /// Queries the transport's database with the otel2influx schema.
    pub fn new(transport: T) -> Self {
        Self::with_schema(transport, TraceSchema::default())
    }

    /// Queries the transport's database with another schema.
    pub fn with_schema(transport: T, schema: TraceSchema) -> Self {
        Self {
            transport,
            queries: SqlQueries::new(schema),
        }
    }

    /// The query builder in use.
    pub fn queries(&self) -> &SqlQueries {
        &self.queries
    }

    /// The transport the statements go through.
    pub fn transport(&self) -> &T {
        &self.transport
    }

    /// Rows of a table that may not exist yet (tables appear with their first row).
    async fn optional_rows(&self, statement: String) -> Result<QueryResult, TraceError> {
        match self.transport.sql(&statement).await {
            Err(e) if e.is_table_not_found() => Ok(QueryResult::default()),
            other => Ok(other?),
        }
    }
}

impl<T: SqlTransport> TraceStore for DatalayersSql<T> {
    async fn list_traces(&self, filter: &TraceFilter) -> Result<Vec<TraceSummary>, TraceError> {
        let range = filter.resolved_range(now_ns());
        let result = self
            .optional_rows(self.queries.list_traces(filter, &range))
            .await?;
        summaries_from_sql(&result)
    }

    async fn get_trace(&self, trace_id: &TraceId, hint: TimeRange) -> Result<Trace, TraceError> {
        let schema = self.queries.schema();
        let spans = self
            .optional_rows(self.queries.trace_spans(trace_id, &hint))
            .await?;
        if spans.is_empty() {
            return Err(not_found(trace_id, &hint));
        }
        let events = self
            .optional_rows(self.queries.trace_events(trace_id, &hint))
            .await?;
        let links = self
            .optional_rows(self.queries.trace_links(trace_id, &hint))
            .await?;
        Ok(build_trace(
            *trace_id,
            schema,
            &[spans],
            &[events],
            &[links],
        ))
    }

    async fn services(&self) -> Result<Vec<String>, TraceError> {
        Ok(self
            .optional_rows(self.queries.services())
            .await?
            .first_texts())
    }

    async fn operations(&self, service: &str) -> Result<Vec<String>, TraceError> {
        let result = self.optional_rows(self.queries.operations(service)).await?;
        Ok(result.first_texts())
    }
}

/// The error for a trace with no spans in `range`.
pub(crate) fn not_found(trace_id: &TraceId, range: &TimeRange) -> TraceError {
    TraceError::NotFound {
        trace_id: *trace_id,
        range: *range,
    }
}

/// Rows of the three tables into an assembled trace.
pub(crate) fn build_trace(
    trace_id: TraceId,
    schema: &TraceSchema,
    spans: &[QueryResult],
    events: &[QueryResult],
    links: &[QueryResult],
) -> Trace {
    let mut skipped = Vec::new();
    let spans = rows::collect(spans, &mut skipped, |r| rows::span_from(r, schema));
    let events = rows::collect(events, &mut skipped, |r| rows::event_from(r, schema));
    let links = rows::collect(links, &mut skipped, rows::link_from);
    tree::assemble(trace_id, spans, events, links, skipped)
}
