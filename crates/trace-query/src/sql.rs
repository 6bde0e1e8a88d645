//! The Datalayers backend: trace queries in SQL.
//!
//! Every statement goes through a [`SqlTransport`]: Datalayers' REST SQL API
//! ([`Client`](datalayers_client::Client)), Arrow Flight SQL
//! (`datalayers_client::flight::FlightSqlClient`), or anything that returns the same typed rows.

use datalayers_client::query::{
    QueryResult, Rfc3339, SqlTransport, Value, sql_ident as ident, sql_literal as lit,
};
use otel_schema::{self as col, STATUS_CODE_ERROR};

use std::collections::BTreeMap;

use crate::model::{
    Operation, ServiceDependency, ServiceSummary, TimeRange, Trace, TraceFilter, TraceId,
    TraceSchema, TraceSummary, now_ns, stored_span_kind,
};
use crate::tags::{self, Alternative};
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
        self.time_conditions_of("", range, out);
    }

    /// The range as conditions on the time column of `table` (an alias with its dot, or "").
    fn time_conditions_of(&self, table: &str, range: &TimeRange, out: &mut Vec<String>) {
        let time = ident(&self.schema.time_column);
        if let Some(start) = range.start_ns {
            out.push(format!("{table}{time} >= '{}'", Rfc3339::new(start)));
        }
        if let Some(end) = range.end_ns {
            out.push(format!("{table}{time} < '{}'", Rfc3339::new(end)));
        }
    }

    /// `key=value` as one condition: any of its [alternatives](crate::tags); a column is only
    /// named when it is in `span_columns`.
    fn tag_condition(&self, key: &str, value: &str, span_columns: &[String]) -> String {
        let alternatives: Vec<String> =
            tags::alternatives(key, value, |k| span_columns.iter().any(|c| c == k))
                .into_iter()
                .flat_map(|alternative| match alternative {
                    Alternative::Column { column, value } => {
                        vec![format!("{} = {}", ident(&column), lit(&value))]
                    }
                    Alternative::Attribute(needles) => needles
                        .substrings()
                        .iter()
                        .map(|needle| {
                            format!("strpos({}, {}) > 0", ident(col::ATTRIBUTES), lit(needle))
                        })
                        .collect(),
                })
                .collect();
        format!("({})", alternatives.join(" OR "))
    }

    /// One query for the whole page of summaries: spans grouped by trace; per-span conditions in
    /// a sub-select of matching trace ids; duration bounds in `HAVING`.
    ///
    /// `span_columns` are the columns the spans table has (from [`SqlQueries::describe_spans`]):
    /// a tag filter compares a column only when it exists (naming a missing column is an error
    /// in SQL), and looks in the `attributes` JSON always.
    pub fn list_traces(
        &self,
        filter: &TraceFilter,
        range: &TimeRange,
        span_columns: &[String],
    ) -> String {
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
                inner.push(self.tag_condition(key, value, span_columns));
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
             {duration} AS duration_ns, count(*) AS span_count, {} AS error_count \
             FROM {spans}{} GROUP BY {trace_id}{having} \
             ORDER BY start_time DESC, {trace_id} LIMIT {} OFFSET {}",
            root_or_first(&service),
            root_or_first(&ident(col::SPAN_NAME)),
            self.error_count(""),
            where_clause(&conditions),
            filter.limit,
            filter.offset,
        )
    }

    /// `sum(CASE WHEN <status> = 'Error' THEN 1 ELSE 0 END)` over the spans of `table`.
    fn error_count(&self, table: &str) -> String {
        format!(
            "sum(CASE WHEN {table}{} = '{STATUS_CODE_ERROR}' THEN 1 ELSE 0 END)",
            ident(col::OTEL_STATUS_CODE)
        )
    }

    /// The second query of a page of summaries: spans and errors per service of each trace.
    pub fn trace_services(&self, trace_ids: &[TraceId], range: &TimeRange) -> String {
        let mut conditions = Vec::new();
        self.time_conditions(range, &mut conditions);
        conditions.push(self.trace_id_condition(trace_ids));
        let service = ident(&self.schema.service_column);
        let trace_id = ident(col::TRACE_ID);
        format!(
            "SELECT {trace_id}, {service} AS service, count(*) AS span_count, {} AS error_count \
             FROM {}{} GROUP BY {trace_id}, {service}",
            self.error_count(""),
            ident(&self.schema.spans_table),
            where_clause(&conditions),
        )
    }

    /// The columns of the spans table (`DESC TABLE`, Datalayers' documented form), which tag
    /// filters need to know.
    pub fn describe_spans(&self) -> String {
        format!("DESC TABLE {}", ident(&self.schema.spans_table))
    }

    /// The same question as DataFusion's parser spells it (`DESCRIBE t`), asked when a server
    /// refuses [`SqlQueries::describe_spans`]: other engines built on DataFusion, and Datalayers
    /// versions whose parser differs.
    pub fn describe_spans_datafusion(&self) -> String {
        format!("DESCRIBE {}", ident(&self.schema.spans_table))
    }

    /// `trace_id = '..'` for one id, `trace_id IN ('..', ...)` for several.
    fn trace_id_condition(&self, trace_ids: &[TraceId]) -> String {
        let trace_id = ident(col::TRACE_ID);
        match trace_ids {
            [one] => format!("{trace_id} = {}", lit(one.as_str())),
            many => format!(
                "{trace_id} IN ({})",
                many.iter()
                    .map(|id| lit(id.as_str()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }

    fn rows_of_traces(&self, table: &str, trace_ids: &[TraceId], range: &TimeRange) -> String {
        let mut conditions = vec![self.trace_id_condition(trace_ids)];
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
        self.traces_spans(std::slice::from_ref(trace_id), range)
    }

    /// All span rows of several traces, by start time.
    pub fn traces_spans(&self, trace_ids: &[TraceId], range: &TimeRange) -> String {
        self.rows_of_traces(&self.schema.spans_table, trace_ids, range)
    }

    /// All event and log rows of one trace. Events happen after their span starts, so only the
    /// lower bound of the range applies.
    pub fn trace_events(&self, trace_id: &TraceId, range: &TimeRange) -> String {
        self.traces_events(std::slice::from_ref(trace_id), range)
    }

    /// All event and log rows of several traces (the lower bound of the range only).
    pub fn traces_events(&self, trace_ids: &[TraceId], range: &TimeRange) -> String {
        let from = TimeRange {
            start_ns: range.start_ns,
            end_ns: None,
        };
        self.rows_of_traces(&self.schema.logs_table, trace_ids, &from)
    }

    /// All link rows of one trace (stamped with their span's start).
    pub fn trace_links(&self, trace_id: &TraceId, range: &TimeRange) -> String {
        self.traces_links(std::slice::from_ref(trace_id), range)
    }

    /// All link rows of several traces.
    pub fn traces_links(&self, trace_ids: &[TraceId], range: &TimeRange) -> String {
        self.rows_of_traces(&self.schema.links_table, trace_ids, range)
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
    /// Distinct span names and kinds of one service, of one kind (any case) when given. An
    /// unknown kind matches nothing.
    pub fn operations_with_kind(&self, service: &str, kind: Option<&str>) -> String {
        let name = ident(col::SPAN_NAME);
        let kind_column = ident(col::SPAN_KIND);
        let mut conditions = vec![
            format!("{} = {}", ident(&self.schema.service_column), lit(service)),
            format!("{name} IS NOT NULL"),
        ];
        if let Some(kind) = kind {
            let stored = stored_span_kind(kind).unwrap_or(kind);
            conditions.push(format!("{kind_column} = {}", lit(stored)));
        }
        format!(
            "SELECT DISTINCT {name} AS operation, {kind_column} AS kind FROM {}{} ORDER BY operation, kind",
            ident(&self.schema.spans_table),
            where_clause(&conditions),
        )
    }

    /// Calls between services in `range`: spans joined to their parent span (both starting in
    /// the range), counted per pair of different services.
    pub fn dependencies(&self, range: &TimeRange) -> String {
        let service = ident(&self.schema.service_column);
        let spans = ident(&self.schema.spans_table);
        let (trace_id, span_id, parent) = (
            ident(col::TRACE_ID),
            ident(col::SPAN_ID),
            ident(col::PARENT_SPAN_ID),
        );
        let mut conditions = Vec::new();
        self.time_conditions_of("c.", range, &mut conditions);
        self.time_conditions_of("p.", range, &mut conditions);
        conditions.push(format!("p.{service} <> c.{service}"));
        format!(
            "SELECT p.{service} AS parent, c.{service} AS child, count(*) AS call_count \
             FROM {spans} AS c JOIN {spans} AS p ON c.{trace_id} = p.{trace_id} AND c.{parent} = p.{span_id}{} \
             GROUP BY p.{service}, c.{service} ORDER BY parent, child",
            where_clause(&conditions),
        )
    }
}

/// Reads the rows of [`SqlQueries::list_traces`] into summaries (without their
/// [services](TraceSummary::services), which [`SqlQueries::trace_services`] adds). A row whose
/// `trace_id` is not a [`TraceId`] (it could not be opened) is left out rather than failing the
/// list; a result without the expected columns is an error.
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
    let count = |record: &datalayers_client::query::Record<'_>, column: &str| {
        record
            .i64(column)
            .and_then(|n| u64::try_from(n).ok())
            .unwrap_or(0)
    };
    let mut out = Vec::with_capacity(result.rows.len());
    for record in result.records() {
        let bad = |what: &str| TraceError::Decode(format!("trace list row without {what}"));
        let Some(trace_id) = record
            .str(col::TRACE_ID)
            .and_then(|id| TraceId::parse(id).ok())
        else {
            continue;
        };
        // `has_error` (0/1 or a boolean) is what earlier versions of the query returned.
        let error_count = count(&record, "error_count").max(u64::from(
            record.i64("has_error").is_some_and(|n| n > 0)
                || record.get("has_error").and_then(Value::as_bool) == Some(true),
        ));
        out.push(TraceSummary {
            trace_id,
            start_ns: record
                .get("start_time")
                .and_then(Value::as_timestamp_ns)
                .ok_or_else(|| bad("start_time"))?,
            root_service: record.str("root_service").map(str::to_owned),
            root_span_name: record.str("root_span").map(str::to_owned),
            duration_ns: record.i64("duration_ns").unwrap_or(0),
            span_count: count(&record, "span_count"),
            has_error: error_count > 0,
            error_count,
            services: Vec::new(),
        });
    }
    Ok(out)
}

/// Adds the rows of [`SqlQueries::trace_services`] to `summaries`: each trace's services by
/// name (spans without a service last).
pub fn add_services_from_sql(summaries: &mut [TraceSummary], result: &QueryResult) {
    let mut per_trace: BTreeMap<TraceId, Vec<ServiceSummary>> = BTreeMap::new();
    for record in result.records() {
        let Some(trace_id) = record
            .str(col::TRACE_ID)
            .and_then(|id| TraceId::parse(id).ok())
        else {
            continue;
        };
        let count = |column: &str| {
            record
                .i64(column)
                .and_then(|n| u64::try_from(n).ok())
                .unwrap_or(0)
        };
        per_trace.entry(trace_id).or_default().push(ServiceSummary {
            name: record.str("service").map(str::to_owned),
            span_count: count("span_count"),
            error_count: count("error_count"),
        });
    }
    for summary in summaries {
        if let Some(mut services) = per_trace.remove(&summary.trace_id) {
            services.sort_by(|a, b| rows::service_order(&a.name, &b.name));
            summary.services = services;
        }
    }
}

/// The column names in an answer to `DESC TABLE` (Datalayers calls the column `Field`,
/// DataFusion `column_name`; otherwise the first column).
pub fn columns_from_describe(result: &QueryResult) -> Vec<String> {
    let column = ["Field", "field", "column_name", "COLUMN_NAME"]
        .into_iter()
        .find_map(|name| result.column_index(name))
        .unwrap_or(0);
    result
        .rows
        .iter()
        .filter_map(|row| row.get(column).and_then(Value::as_str).map(str::to_owned))
        .collect()
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

    /// The spans table's columns, when a tag filter needs them.
    async fn span_columns(&self, filter: &TraceFilter) -> Result<Vec<String>, TraceError> {
        if filter.tags.is_empty() {
            return Ok(Vec::new());
        }
        // No table yet: no columns. Refused (a parse error on DataFusion): ask in DataFusion's
        // words; that answer's error, if any, is the one reported.
        let described = match self.optional_rows(self.queries.describe_spans()).await {
            Ok(described) => described,
            Err(_) => {
                self.optional_rows(self.queries.describe_spans_datafusion())
                    .await?
            }
        };
        Ok(columns_from_describe(&described))
    }
}

impl<T: SqlTransport> TraceStore for DatalayersSql<T> {
    async fn list_traces(&self, filter: &TraceFilter) -> Result<Vec<TraceSummary>, TraceError> {
        let range = filter.resolved_range(now_ns());
        let columns = self.span_columns(filter).await?;
        let result = self
            .optional_rows(self.queries.list_traces(filter, &range, &columns))
            .await?;
        let mut summaries = summaries_from_sql(&result)?;
        if !summaries.is_empty() {
            let ids: Vec<TraceId> = summaries.iter().map(|s| s.trace_id).collect();
            let services = self
                .optional_rows(self.queries.trace_services(&ids, &range))
                .await?;
            add_services_from_sql(&mut summaries, &services);
        }
        Ok(summaries)
    }

    async fn get_trace(&self, trace_id: &TraceId, hint: TimeRange) -> Result<Trace, TraceError> {
        self.get_traces(std::slice::from_ref(trace_id), hint)
            .await?
            .pop()
            .ok_or_else(|| not_found(trace_id, &hint))
    }

    async fn get_traces(
        &self,
        trace_ids: &[TraceId],
        hint: TimeRange,
    ) -> Result<Vec<Trace>, TraceError> {
        let mut traces = Vec::with_capacity(trace_ids.len());
        for chunk in trace_ids.chunks(IDS_PER_QUERY) {
            let spans = self
                .optional_rows(self.queries.traces_spans(chunk, &hint))
                .await?;
            if spans.is_empty() {
                continue;
            }
            let events = self
                .optional_rows(self.queries.traces_events(chunk, &hint))
                .await?;
            let links = self
                .optional_rows(self.queries.traces_links(chunk, &hint))
                .await?;
            traces.extend(build_traces(
                chunk,
                self.queries.schema(),
                &[spans],
                &[events],
                &[links],
            ));
        }
        Ok(traces)
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

    async fn operations_with_kind(
        &self,
        service: &str,
        kind: Option<&str>,
    ) -> Result<Vec<Operation>, TraceError> {
        let result = self
            .optional_rows(self.queries.operations_with_kind(service, kind))
            .await?;
        let mut operations: Vec<Operation> = result
            .records()
            .filter_map(|record| {
                Some(Operation {
                    name: record.str("operation")?.to_owned(),
                    kind: record
                        .str("kind")
                        .filter(|k| !k.is_empty())
                        .map(str::to_owned),
                })
            })
            .collect();
        operations.sort();
        operations.dedup();
        Ok(operations)
    }

    async fn dependencies(&self, range: TimeRange) -> Result<Vec<ServiceDependency>, TraceError> {
        let result = self
            .optional_rows(self.queries.dependencies(&range))
            .await?;
        Ok(result
            .records()
            .filter_map(|record| {
                Some(ServiceDependency {
                    parent: record.str("parent")?.to_owned(),
                    child: record.str("child")?.to_owned(),
                    call_count: record
                        .i64("call_count")
                        .and_then(|n| u64::try_from(n).ok())?,
                })
            })
            .collect())
    }
}

/// Trace ids per `IN`/`OR` list: keeps each query short.
pub(crate) const IDS_PER_QUERY: usize = 100;

/// The error for a trace with no spans in `range`.
pub(crate) fn not_found(trace_id: &TraceId, range: &TimeRange) -> TraceError {
    TraceError::NotFound {
        trace_id: *trace_id,
        range: *range,
    }
}

/// Rows of the three tables (of the traces `trace_ids`) into assembled traces, in the order of
/// `trace_ids`; a trace without span rows is left out. Rows are attributed to a trace by their
/// `trace_id` column or series tag; when one trace was asked for, rows without one are its own.
pub(crate) fn build_traces(
    trace_ids: &[TraceId],
    schema: &TraceSchema,
    spans: &[QueryResult],
    events: &[QueryResult],
    links: &[QueryResult],
) -> Vec<Trace> {
    let single = match trace_ids {
        [one] => Some(*one),
        _ => None,
    };
    let mut spans = rows::split_by_trace(spans, single);
    let mut events = rows::split_by_trace(events, single);
    let mut links = rows::split_by_trace(links, single);
    trace_ids
        .iter()
        .filter_map(|id| {
            let spans = spans.remove(id)?;
            let mut skipped = Vec::new();
            let spans = rows::collect(&spans, &mut skipped, |r| rows::span_from(r, schema));
            if spans.is_empty() && skipped.is_empty() {
                return None;
            }
            let events = rows::collect(&events.remove(id).unwrap_or_default(), &mut skipped, |r| {
                rows::event_from(r, schema)
            });
            let links = rows::collect(
                &links.remove(id).unwrap_or_default(),
                &mut skipped,
                rows::link_from,
            );
            Some(tree::assemble(*id, spans, events, links, skipped))
        })
        .collect()
}
