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
    Operation, SPAN_KINDS, ServiceDependency, Span, TimeRange, Trace, TraceFilter, TraceId,
    TraceSchema, TraceSummary, now_ns, stored_span_kind,
};
use crate::sql::{IDS_PER_QUERY, build_traces, not_found};
use crate::tags::{self, Alternative};
use crate::{TraceError, TraceStore, rows, where_clause};

/// Builds the InfluxQL text of every trace query. Values are quoted with
/// [`influxql_literal`](datalayers_client::query::influxql_literal), names with
/// [`influxql_ident`](datalayers_client::query::influxql_ident); times are integer
/// nanoseconds. The one regular expression, a tag filter's test on the `attributes` JSON, has
/// every metacharacter of the input escaped.
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
            conditions.push(Self::tag_condition(key, value));
        }
        format!(
            "SELECT count({}) FROM {}{} GROUP BY {}",
            ident(col::DURATION_NANO),
            ident(&self.schema.spans_table),
            where_clause(&conditions),
            ident(col::TRACE_ID)
        )
    }

    /// `key=value` as one condition: any of its [alternatives](crate::tags). The column is
    /// always compared (a column that does not exist matches nothing in InfluxQL).
    fn tag_condition(key: &str, value: &str) -> String {
        let alternatives: Vec<String> = tags::alternatives(key, value, |_| true)
            .into_iter()
            .map(|alternative| match alternative {
                Alternative::Column { column, value } => {
                    format!("{} = {}", ident(&column), lit(&value))
                }
                Alternative::Attribute(needles) => {
                    format!("{} =~ /{}/", ident(col::ATTRIBUTES), needles.regex())
                }
            })
            .collect();
        format!("({})", alternatives.join(" OR "))
    }

    /// `("trace_id" = '..' OR ...)`, or without parentheses for one id.
    fn trace_id_condition(trace_ids: &[TraceId]) -> String {
        let alternatives: Vec<String> = trace_ids
            .iter()
            .map(|id| format!("{} = {}", ident(col::TRACE_ID), lit(id.as_str())))
            .collect();
        match alternatives.as_slice() {
            [one] => one.clone(),
            _ => format!("({})", alternatives.join(" OR ")),
        }
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
        self.traces(std::slice::from_ref(trace_id), range)
    }

    /// [`InfluxQlQueries::trace`] for several traces at once (rows carry their `trace_id`).
    pub fn traces(&self, trace_ids: &[TraceId], range: &TimeRange) -> String {
        let select = |table: &str, range: &TimeRange| {
            let mut conditions = vec![Self::trace_id_condition(trace_ids)];
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
        self.operations_of(service, None)
    }

    /// Span names of one service whose spans have the stored kind `kind` (`Server`, ...).
    pub fn operations_of_kind(&self, service: &str, kind: &str) -> String {
        self.operations_of(service, Some(kind))
    }

    fn operations_of(&self, service: &str, kind: Option<&str>) -> String {
        let mut conditions = vec![format!(
            "{} = {}",
            ident(&self.schema.service_column),
            lit(service)
        )];
        if let Some(kind) = kind {
            conditions.push(format!("{} = {}", ident(col::SPAN_KIND), lit(kind)));
        }
        format!(
            "SELECT DISTINCT({}) FROM {}{}",
            ident(col::SPAN_NAME),
            ident(&self.schema.spans_table),
            where_clause(&conditions)
        )
    }

    /// The columns service dependencies need, of every span in `range`, one series per trace
    /// (`duration_nano` keeps root spans, which have no `parent_span_id`, in the answer).
    pub fn dependency_spans(&self, range: &TimeRange) -> String {
        let mut conditions = Vec::new();
        Self::time_conditions(range, &mut conditions);
        let columns = [
            col::SPAN_ID,
            col::PARENT_SPAN_ID,
            &self.schema.service_column,
            col::DURATION_NANO,
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
}

/// Service dependencies from [`InfluxQlQueries::dependency_spans`] series: each span whose
/// parent is in the same trace and of another service counts one call, sorted by (parent,
/// child).
pub fn dependencies_from_influxql(
    series: &[QueryResult],
    schema: &TraceSchema,
) -> Vec<ServiceDependency> {
    let mut calls: BTreeMap<(String, String), u64> = BTreeMap::new();
    for one in series {
        // Span id -> service, then each span's parent looked up in the same trace.
        let mut service_of: std::collections::HashMap<&str, &str> =
            std::collections::HashMap::new();
        for record in one.records() {
            if let (Some(span), Some(service)) =
                (record.str(col::SPAN_ID), record.str(&schema.service_column))
            {
                service_of.insert(span, service);
            }
        }
        for record in one.records() {
            let (Some(parent), Some(child)) = (
                record
                    .str(col::PARENT_SPAN_ID)
                    .and_then(|p| service_of.get(p)),
                record.str(&schema.service_column),
            ) else {
                continue;
            };
            if *parent != child {
                *calls
                    .entry(((*parent).to_owned(), child.to_owned()))
                    .or_default() += 1;
            }
        }
    }
    calls
        .into_iter()
        .map(|((parent, child), call_count)| ServiceDependency {
            parent,
            child,
            call_count,
        })
        .collect()
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
        let schema = self.queries.schema();
        let mut traces = Vec::with_capacity(trace_ids.len());
        for chunk in trace_ids.chunks(IDS_PER_QUERY) {
            let series = self
                .transport
                .influxql(&self.queries.traces(chunk, &hint))
                .await?;
            let of = |table: &str| -> Vec<QueryResult> {
                series
                    .iter()
                    .filter(|s| s.name.as_deref() == Some(table))
                    .cloned()
                    .collect()
            };
            traces.extend(build_traces(
                chunk,
                schema,
                &of(&schema.spans_table),
                &of(&schema.logs_table),
                &of(&schema.links_table),
            ));
        }
        Ok(traces)
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

    /// InfluxQL has no distinct pairs: one `DISTINCT` per kind (five requests without a kind
    /// filter, then the names with no kind at all).
    async fn operations_with_kind(
        &self,
        service: &str,
        kind: Option<&str>,
    ) -> Result<Vec<Operation>, TraceError> {
        let kinds: Vec<&str> = match kind {
            Some(kind) => match stored_span_kind(kind) {
                Some(stored) => vec![stored],
                None => return Ok(Vec::new()),
            },
            None => SPAN_KINDS.to_vec(),
        };
        let mut operations = Vec::new();
        let mut named = BTreeSet::new();
        for kind in kinds {
            let series = self
                .transport
                .influxql(&self.queries.operations_of_kind(service, kind))
                .await?;
            for name in distinct_strings(&series, "distinct") {
                named.insert(name.clone());
                operations.push(Operation {
                    name,
                    kind: Some(kind.to_owned()),
                });
            }
        }
        if kind.is_none() {
            for name in self.operations(service).await? {
                if !named.contains(&name) {
                    operations.push(Operation { name, kind: None });
                }
            }
        }
        operations.sort();
        Ok(operations)
    }

    async fn dependencies(&self, range: TimeRange) -> Result<Vec<ServiceDependency>, TraceError> {
        let series = self
            .transport
            .influxql(&self.queries.dependency_spans(&range))
            .await?;
        Ok(dependencies_from_influxql(&series, self.queries.schema()))
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
