//! The InfluxDB 1.x backend: trace queries in InfluxQL.
//!
//! InfluxQL cannot group by a field nor aggregate text, so summaries are computed here from the
//! span rows of the time range. `trace_id` is a tag in this schema, so `GROUP BY "trace_id"`
//! works and gives one series per trace.

use std::collections::{BTreeMap, BTreeSet};

use datalayers_client::query::{
    InfluxQlTransport, QueryResult, influxql_ident as ident, influxql_literal as lit,
};
use otel_schema as col;

use crate::model::{
    Span, TimeRange, Trace, TraceFilter, TraceId, TraceSchema, TraceSummary, now_ns,
};
use crate::sql::{build_trace, not_found};
use crate::{TraceError, TraceStore, rows, where_clause};

/// Trace ids per `OR` list: keeps each query short.
const IDS_PER_QUERY: usize = 100;

/// Builds the InfluxQL text of every trace query. Values are quoted with
/// [`influxql_literal`](datalayers_client::query::influxql_literal), names with
/// [`influxql_ident`](datalayers_client::query::influxql_ident); times are integer
/// nanoseconds; no regular expressions are ever built from input.
#[derive(Debug, Clone, Default)]
pub struct InfluxQlQueries {
    schema: TraceSchema,
}

impl InfluxQlQueries {
    /// Queries over `schema`.
    pub fn new(schema: TraceSchema) -> Self {
        Self { schema }
    }

    /// The schema queried.
    pub fn schema(&self) -> &TraceSchema {
        &self.schema
    }

    fn time_conditions(range: &TimeRange, out: &mut Vec<String>) {
        // InfluxQL's time column is always `time`, whatever the schema calls it elsewhere.
        if let Some(start) = range.start_ns {
            out.push(format!("time >= {start}"));
        }
        if let Some(end) = range.end_ns {
            out.push(format!("time < {end}"));
        }
    }

    /// Step 1 of a filtered list (only when the filter has per-span conditions): one series per
    /// trace that has a matching span.
    pub fn matching_trace_ids(&self, filter: &TraceFilter, range: &TimeRange) -> String {
        let mut conditions = Vec::new();
        Self::time_conditions(range, &mut conditions);
        if let Some(service) = &filter.service {
            conditions.push(format!(
                "{} = {}",
                ident(&self.schema.service_column),
                lit(service)
            ));
        }
        if let Some(name) = &filter.span_name {
            conditions.push(format!("{} = {}", ident(col::SPAN_NAME), lit(name)));
        }
        for (key, value) in &filter.tags {
            conditions.push(format!("{} = {}", ident(key), lit(value)));
        }
        format!(
            "SELECT count({}) FROM {}{} GROUP BY {}",
            ident(col::DURATION_NANO),
            ident(&self.schema.spans_table),
            where_clause(&conditions),
            ident(col::TRACE_ID)
        )
    }

    /// Step 2: the columns summaries need, of every span in the range (of the given traces, when
    /// step 1 ran), one series per trace.
    pub fn summary_spans(&self, range: &TimeRange, trace_ids: Option<&[TraceId]>) -> String {
        let mut conditions = Vec::new();
        Self::time_conditions(range, &mut conditions);
        if let Some(ids) = trace_ids {
            let alternatives: Vec<String> = ids
                .iter()
                .map(|id| format!("{} = {}", ident(col::TRACE_ID), lit(id.as_str())))
                .collect();
            conditions.push(format!("({})", alternatives.join(" OR ")));
        }
        let columns = [
            col::SPAN_ID,
            col::PARENT_SPAN_ID,
            &self.schema.service_column,
            col::SPAN_NAME,
            col::DURATION_NANO,
            col::END_TIME_UNIX_NANO,
            col::OTEL_STATUS_CODE,
        ]
        .map(ident)
        .join(", ");
        format!(
            "SELECT {columns} FROM {}{} GROUP BY {}",
            ident(&self.schema.spans_table),
            where_clause(&conditions),
            ident(col::TRACE_ID)
        )
    }

    /// One statement per table (spans, then logs, then span-links) for one trace, `;`-separated:
    /// InfluxDB runs them in one request. Events only take the range's lower bound.
    pub fn trace(&self, trace_id: &TraceId, range: &TimeRange) -> String {
        let select = |table: &str, range: &TimeRange| {
            let mut conditions = vec![format!(
                "{} = {}",
                ident(col::TRACE_ID),
                lit(trace_id.as_str())
            )];
            Self::time_conditions(range, &mut conditions);
            format!(
                "SELECT * FROM {}{}",
                ident(table),
                where_clause(&conditions)
            )
        };
        let from = TimeRange {
            start_ns: range.start_ns,
            end_ns: None,
        };
        [
            select(&self.schema.spans_table, range),
            select(&self.schema.logs_table, &from),
            select(&self.schema.links_table, range),
        ]
        .join("; ")
    }

    /// Service names: values of the service tag (index only, no time bound).
    pub fn services(&self) -> String {
        format!(
            "SHOW TAG VALUES FROM {} WITH KEY = {}",
            ident(&self.schema.spans_table),
            ident(&self.schema.service_column)
        )
    }

    /// Span names of one service.
    pub fn operations(&self, service: &str) -> String {
        format!(
            "SELECT DISTINCT({}) FROM {} WHERE {} = {}",
            ident(col::SPAN_NAME),
            ident(&self.schema.spans_table),
            ident(&self.schema.service_column),
            lit(service)
        )
    }
}

/// Summaries from [`InfluxQlQueries::summary_spans`] series: computed per trace, filtered by
/// duration, newest first, then paged. A series whose `trace_id` is not a [`TraceId`] (it could
/// not be opened) and rows without `span_id` or time are left out rather than failing the list.
pub fn summaries_from_influxql(
    series: &[QueryResult],
    filter: &TraceFilter,
    schema: &TraceSchema,
) -> Result<Vec<TraceSummary>, TraceError> {
    let mut per_trace: BTreeMap<TraceId, Vec<Span>> = BTreeMap::new();
    for one in series {
        let Some(id) = one
            .tag(col::TRACE_ID)
            .and_then(|id| TraceId::parse(id).ok())
        else {
            continue;
        };
        let mut skipped = Vec::new();
        let spans = rows::collect(std::slice::from_ref(one), &mut skipped, |r| {
            rows::span_from(r, schema)
        });
        per_trace.entry(id).or_default().extend(spans);
    }
    let mut summaries: Vec<TraceSummary> = per_trace
        .into_iter()
        .filter(|(_, spans)| !spans.is_empty())
        .map(|(id, spans)| rows::summarize(id, &spans))
        .filter(|s| filter.duration_matches(s.duration_ns))
        .collect();
    summaries.sort_by(|a, b| {
        b.start_ns
            .cmp(&a.start_ns)
            .then(a.trace_id.cmp(&b.trace_id))
    });
    Ok(summaries
        .into_iter()
        .skip(filter.offset)
        .take(filter.limit)
        .collect())
}

/// Trace queries against InfluxDB 1.x in InfluxQL, over any [`InfluxQlTransport`] (`&Client`,
/// `Client` or `Arc<Client>` for `/query`).
#[derive(Debug, Clone)]
pub struct InfluxQl<T> {
    transport: T,
    queries: InfluxQlQueries,
}

impl<T: InfluxQlTransport> InfluxQl<T> {
    /// Queries the transport's database with the otel2influx schema.
    pub fn new(transport: T) -> Self {
        Self::with_schema(transport, TraceSchema::default())
    }

    /// Queries the transport's database with another schema.
    pub fn with_schema(transport: T, schema: TraceSchema) -> Self {
        Self {
            transport,
            queries: InfluxQlQueries::new(schema),
        }
    }

    /// The query builder in use.
    pub fn queries(&self) -> &InfluxQlQueries {
        &self.queries
    }

    /// The transport the statements go through.
    pub fn transport(&self) -> &T {
        &self.transport
    }
}

impl<T: InfluxQlTransport> TraceStore for InfluxQl<T> {
    async fn list_traces(&self, filter: &TraceFilter) -> Result<Vec<TraceSummary>, TraceError> {
        let range = filter.resolved_range(now_ns());
        let mut series = Vec::new();
        if filter.has_span_conditions() {
            let matching = self
                .transport
                .influxql(&self.queries.matching_trace_ids(filter, &range))
                .await?;
            let ids: BTreeSet<TraceId> = matching
                .iter()
                .filter_map(|s| s.tag(col::TRACE_ID))
                .filter_map(|id| TraceId::parse(id).ok())
                .collect();
            let ids: Vec<TraceId> = ids.into_iter().collect();
            for chunk in ids.chunks(IDS_PER_QUERY) {
                series.extend(
                    self.transport
                        .influxql(&self.queries.summary_spans(&range, Some(chunk)))
                        .await?,
                );
            }
        } else {
            series = self
                .transport
                .influxql(&self.queries.summary_spans(&range, None))
                .await?;
        }
        summaries_from_influxql(&series, filter, self.queries.schema())
    }

    async fn get_trace(&self, trace_id: &TraceId, hint: TimeRange) -> Result<Trace, TraceError> {
        let schema = self.queries.schema();
        let series = self
            .transport
            .influxql(&self.queries.trace(trace_id, &hint))
            .await?;
        let of = |table: &str| -> Vec<QueryResult> {
            series
                .iter()
                .filter(|s| s.name.as_deref() == Some(table))
                .cloned()
                .collect()
        };
        let spans = of(&schema.spans_table);
        if spans.iter().all(QueryResult::is_empty) {
            return Err(not_found(trace_id, &hint));
        }
        Ok(build_trace(
            *trace_id,
            schema,
            &spans,
            &of(&schema.logs_table),
            &of(&schema.links_table),
        ))
    }

    async fn services(&self) -> Result<Vec<String>, TraceError> {
        let series = self.transport.influxql(&self.queries.services()).await?;
        // `SHOW TAG VALUES` answers columns `key` and `value`.
        Ok(distinct_strings(&series, "value"))
    }

    async fn operations(&self, service: &str) -> Result<Vec<String>, TraceError> {
        let series = self
            .transport
            .influxql(&self.queries.operations(service))
            .await?;
        // Columns `time` and `distinct`.
        Ok(distinct_strings(&series, "distinct"))
    }
}

/// The sorted, distinct non-empty texts of `column` over all series.
fn distinct_strings(series: &[QueryResult], column: &str) -> Vec<String> {
    let names: BTreeSet<String> = series
        .iter()
        .flat_map(|s| s.records().filter_map(|r| r.str(column).map(str::to_owned)))
        .collect();
    names.into_iter().collect()
}
