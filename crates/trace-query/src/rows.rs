//! Rows of `spans`, `logs` and `span-links` (from either backend) into spans, events and links.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};

use serde_json::{Map, Value as Json};

use datalayers_client::query::{QueryResult, Record, Value};
use otel_schema as col;

use crate::model::{ServiceSummary, Span, SpanEvent, SpanLink, TraceId, TraceSchema, TraceSummary};

/// Decodes an `attributes` JSON text: the object, or the text itself when it is not one.
fn decode_attributes(record: &Record<'_>) -> (Map<String, Json>, Option<String>) {
    match record.str(col::ATTRIBUTES) {
        None => (Map::new(), None),
        Some(text) => match serde_json::from_str::<Json>(text) {
            Ok(Json::Object(map)) => (map, None),
            _ => (Map::new(), Some(text.to_owned())),
        },
    }
}

fn time_of(record: &Record<'_>, schema: &TraceSchema) -> Option<i64> {
    record
        .get(&schema.time_column)
        .and_then(Value::as_timestamp_ns)
}

/// A `spans` row as a span (without events and links), or why it cannot be one.
pub(crate) fn span_from(record: &Record<'_>, schema: &TraceSchema) -> Result<Span, String> {
    let span_id = record
        .str(col::SPAN_ID)
        .ok_or("a spans row without span_id")?
        .to_owned();
    let start_ns = time_of(record, schema).ok_or_else(|| format!("span {span_id} has no time"))?;
    let duration_ns = record
        .i64(col::DURATION_NANO)
        .or_else(|| {
            record
                .i64(col::END_TIME_UNIX_NANO)
                .map(|end| end.saturating_sub(start_ns))
        })
        .unwrap_or(0);
    let (attributes, undecoded_attributes) = decode_attributes(record);
    let known = [
        schema.time_column.as_str(),
        schema.service_column.as_str(),
        col::TRACE_ID,
        col::SPAN_ID,
        col::PARENT_SPAN_ID,
        col::SPAN_NAME,
        col::SPAN_KIND,
        col::DURATION_NANO,
        col::END_TIME_UNIX_NANO,
        col::OTEL_STATUS_CODE,
        col::OTEL_STATUS_DESCRIPTION,
        col::TRACE_STATE,
        col::ATTRIBUTES,
    ];
    let other = record
        .iter()
        .filter(|(name, value)| !value.is_null() && !known.contains(name))
        .map(|(name, value)| (name.to_owned(), value.clone()))
        .collect();
    Ok(Span {
        parent_span_id: record.str(col::PARENT_SPAN_ID).map(str::to_owned),
        name: record.str(col::SPAN_NAME).unwrap_or_default().to_owned(),
        service: record.str(&schema.service_column).map(str::to_owned),
        kind: record.str(col::SPAN_KIND).map(str::to_owned),
        start_ns,
        duration_ns,
        status_code: record.str(col::OTEL_STATUS_CODE).map(str::to_owned),
        status_message: record.str(col::OTEL_STATUS_DESCRIPTION).map(str::to_owned),
        trace_state: record.str(col::TRACE_STATE).map(str::to_owned),
        attributes,
        undecoded_attributes,
        other,
        events: Vec::new(),
        links: Vec::new(),
        span_id,
    })
}

/// A `logs` row as (span id, event).
pub(crate) fn event_from(
    record: &Record<'_>,
    schema: &TraceSchema,
) -> Result<(String, SpanEvent), String> {
    let span_id = record
        .str(col::SPAN_ID)
        .ok_or("a logs row without span_id")?
        .to_owned();
    let time_ns =
        time_of(record, schema).ok_or_else(|| format!("an event of span {span_id} has no time"))?;
    let (mut attributes, undecoded) = decode_attributes(record);
    if let Some(text) = undecoded {
        attributes.insert(col::ATTRIBUTES.to_owned(), Json::String(text));
    }
    let severity = record
        .str(col::SEVERITY_TEXT)
        .map(str::to_owned)
        .or_else(|| {
            record
                .get(col::SEVERITY_NUMBER)
                .filter(|v| !v.is_null())
                .map(ToString::to_string)
        });
    let event = SpanEvent {
        time_ns,
        name: record.str(col::EVENT_NAME).map(str::to_owned),
        body: record.str(col::BODY).map(str::to_owned),
        severity,
        attributes,
    };
    Ok((span_id, event))
}

/// A `span-links` row as (span id, link).
pub(crate) fn link_from(record: &Record<'_>) -> Result<(String, SpanLink), String> {
    let span_id = record
        .str(col::SPAN_ID)
        .ok_or("a span-links row without span_id")?
        .to_owned();
    let linked = |c| {
        record
            .str(c)
            .map(str::to_owned)
            .ok_or_else(|| format!("a link of span {span_id} without {c}"))
    };
    let (mut attributes, undecoded) = decode_attributes(record);
    if let Some(text) = undecoded {
        attributes.insert(col::ATTRIBUTES.to_owned(), Json::String(text));
    }
    let link = SpanLink {
        linked_trace_id: linked(col::LINKED_TRACE_ID)?,
        linked_span_id: linked(col::LINKED_SPAN_ID)?,
        trace_state: record.str(col::TRACE_STATE).map(str::to_owned),
        attributes,
    };
    Ok((span_id, link))
}

/// Every row of `results` through `convert`; failures are collected in `skipped`.
pub(crate) fn collect<T>(
    results: &[QueryResult],
    skipped: &mut Vec<String>,
    mut convert: impl FnMut(&Record<'_>) -> Result<T, String>,
) -> Vec<T> {
    let mut out = Vec::new();
    for result in results {
        for record in result.records() {
            match convert(&record) {
                Ok(item) => out.push(item),
                Err(reason) => skipped.push(reason),
            }
        }
    }
    out
}

/// The list line of a trace, computed from its spans: the root is the earliest span without a
/// parent, or the earliest span when there is none.
pub(crate) fn summarize(trace_id: TraceId, spans: &[Span]) -> TraceSummary {
    let start_ns = spans.iter().map(|s| s.start_ns).min().unwrap_or(0);
    let end_ns = spans.iter().map(Span::end_ns).max().unwrap_or(start_ns);
    let key = |s: &&Span| (s.start_ns, s.span_id.clone());
    let root = spans
        .iter()
        .filter(|s| s.parent_span_id.is_none())
        .min_by_key(key)
        .or_else(|| spans.iter().min_by_key(key));
    let mut services: BTreeMap<Option<&str>, (u64, u64)> = BTreeMap::new();
    for span in spans {
        let counts = services.entry(span.service.as_deref()).or_default();
        counts.0 += 1;
        counts.1 += u64::from(span.is_error());
    }
    let mut services: Vec<ServiceSummary> = services
        .into_iter()
        .map(|(name, (span_count, error_count))| ServiceSummary {
            name: name.map(str::to_owned),
            span_count,
            error_count,
        })
        .collect();
    services.sort_by(|a, b| service_order(&a.name, &b.name));
    let error_count = spans.iter().filter(|s| s.is_error()).count() as u64;
    TraceSummary {
        trace_id,
        start_ns,
        root_service: root.and_then(|r| r.service.clone()),
        root_span_name: root.map(|r| r.name.clone()),
        duration_ns: end_ns.saturating_sub(start_ns),
        span_count: spans.len() as u64,
        has_error: error_count > 0,
        error_count,
        services,
    }
}

/// Services by name, those without one last.
pub(crate) fn service_order(a: &Option<String>, b: &Option<String>) -> Ordering {
    match (a, b) {
        (Some(a), Some(b)) => a.cmp(b),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

/// The rows of `results` per trace, by their `trace_id` column or series tag; rows without a
/// readable one go to `single` when given, and are dropped otherwise.
pub(crate) fn split_by_trace(
    results: &[QueryResult],
    single: Option<TraceId>,
) -> HashMap<TraceId, Vec<QueryResult>> {
    let mut out: HashMap<TraceId, Vec<QueryResult>> = HashMap::new();
    for result in results {
        let series_id = result
            .tag(col::TRACE_ID)
            .and_then(|id| TraceId::parse(id).ok());
        let column = result.column_index(col::TRACE_ID);
        let mut per_trace: HashMap<TraceId, QueryResult> = HashMap::new();
        for row in &result.rows {
            let id = column
                .and_then(|c| row.get(c))
                .and_then(Value::as_str)
                .and_then(|id| TraceId::parse(id).ok())
                .or(series_id)
                .or(single);
            let Some(id) = id else { continue };
            per_trace
                .entry(id)
                .or_insert_with(|| without_rows(result))
                .rows
                .push(row.clone());
        }
        for (id, part) in per_trace {
            out.entry(id).or_default().push(part);
        }
    }
    out
}

/// `result`'s series name, tags, columns and types, with no rows.
fn without_rows(result: &QueryResult) -> QueryResult {
    let mut empty = QueryResult::default();
    empty.name.clone_from(&result.name);
    empty.tags.clone_from(&result.tags);
    empty.columns.clone_from(&result.columns);
    empty.types.clone_from(&result.types);
    empty
}
