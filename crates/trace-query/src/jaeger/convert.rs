//! A stored trace as Jaeger's JSON, following the OpenTelemetry-to-Jaeger mapping the
//! collector's translator uses, so Jaeger UI and Grafana show what they show for spans Jaeger
//! stored itself.

use std::collections::{BTreeMap, HashMap};

use datalayers_client::query::Value;
use serde_json::{Map, Value as Json};

use super::{
    FIELD_EVENT, KeyValue, Log, Process, RefType, Reference, Span, TAG_ERROR, TAG_SPAN_KIND,
    TAG_STATUS_CODE, TAG_STATUS_DESCRIPTION, TAG_TRACE_STATE, TagValue, Trace, UNKNOWN_SERVICE,
};
use crate::model::{self, Placement, SpanEvent, SpanLink};

/// The Jaeger span kind of a stored `span.kind` (`Server` -> `server`); `None` when unset.
///
/// ```
/// assert_eq!(trace_query::jaeger::span_kind("Server").as_deref(), Some("server"));
/// assert_eq!(trace_query::jaeger::span_kind(""), None);
/// ```
pub fn span_kind(stored: &str) -> Option<String> {
    let kind = stored.trim();
    (!kind.is_empty() && !kind.eq_ignore_ascii_case("unspecified"))
        .then(|| kind.to_ascii_lowercase())
}

impl From<&model::Trace> for Trace {
    /// Converts a stored trace:
    ///
    /// - span name to `operationName`; start and duration to microseconds (truncated);
    /// - the parent id to a `CHILD_OF` reference (first), each link to a `FOLLOWS_FROM` one;
    ///   a link's attributes and trace state, which a reference cannot hold, go to a log of the
    ///   span at its start with `event: link`, `trace_id` and `span_id` fields (the OpenTelemetry
    ///   mapping's option);
    /// - attributes and the other stored columns (dimension tags such as `host.name`) to tags by
    ///   key, with their JSON types (`int64`, `float64`, `bool`, `string`; arrays and objects as
    ///   JSON text); the dropped counts as `otel.dropped_*_count`;
    /// - then `span.kind` in lower case, `otel.status_code` (`OK`/`ERROR`),
    ///   `otel.status_description`, `error: true` for an error status (replacing an `error`
    ///   attribute), and `w3c.tracestate`;
    /// - events to logs with the name as field `event` (an `event` attribute wins), log records
    ///   written in the span to logs with `message` (the body) and `level` (the severity);
    /// - one process per service, `p1`, `p2`, ... in order of first appearance; the stored
    ///   schema keeps resource attributes among the span's, so process tags stay empty;
    /// - a missing parent, a parent loop and attributes that were not JSON become span
    ///   warnings; rows that could not be read and events or links of spans not in the trace
    ///   become trace warnings.
    fn from(trace: &model::Trace) -> Self {
        let trace_id = trace.trace_id.to_string();
        let placement: HashMap<usize, Placement> =
            trace.tree.iter().map(|e| (e.span, e.placement)).collect();
        let mut processes = Processes::default();
        let spans = trace
            .spans
            .iter()
            .enumerate()
            .map(|(i, span)| {
                let process_id = processes.id_of(span.service.as_deref());
                convert_span(&trace_id, span, placement.get(&i).copied(), process_id)
            })
            .collect();
        Self {
            trace_id,
            spans,
            processes: processes.into_map(),
            warnings: none_if_empty(trace_warnings(trace)),
        }
    }
}

/// Process ids by service, in order of first appearance.
#[derive(Default)]
struct Processes {
    ids: HashMap<String, String>,
    order: Vec<String>,
}

impl Processes {
    fn id_of(&mut self, service: Option<&str>) -> String {
        let service = service.unwrap_or(UNKNOWN_SERVICE);
        if let Some(id) = self.ids.get(service) {
            return id.clone();
        }
        let id = format!("p{}", self.order.len() + 1);
        self.ids.insert(service.to_owned(), id.clone());
        self.order.push(service.to_owned());
        id
    }

    fn into_map(self) -> BTreeMap<String, Process> {
        self.order
            .into_iter()
            .map(|service| {
                let id = self.ids[&service].clone();
                let process = Process {
                    service_name: service,
                    tags: Vec::new(),
                };
                (id, process)
            })
            .collect()
    }
}

fn convert_span(
    trace_id: &str,
    span: &model::Span,
    placement: Option<Placement>,
    process_id: String,
) -> Span {
    let mut references = Vec::with_capacity(span.links.len() + 1);
    if let Some(parent) = span.parent_span_id.as_deref().filter(|p| !p.is_empty()) {
        references.push(Reference {
            ref_type: RefType::ChildOf,
            trace_id: trace_id.to_owned(),
            span_id: parent.to_owned(),
        });
    }
    references.extend(span.links.iter().map(|link| Reference {
        ref_type: RefType::FollowsFrom,
        trace_id: link.linked_trace_id.clone(),
        span_id: link.linked_span_id.clone(),
    }));

    let mut logs: Vec<Log> = span.events.iter().map(event_log).collect();
    logs.extend(
        span.links
            .iter()
            .filter(|l| !l.attributes.is_empty() || l.trace_state.is_some())
            .map(|l| link_log(l, span.start_ns)),
    );
    logs.sort_by_key(|log| log.timestamp);

    let mut warnings = Vec::new();
    match placement {
        Some(Placement::MissingParent) => warnings.push(format!(
            "parent span {} is not in the trace (not stored, or outside the time range searched)",
            span.parent_span_id.as_deref().unwrap_or_default()
        )),
        Some(Placement::Cycle) => {
            warnings.push("the span's parent chain loops back to it; shown at the top".into());
        }
        _ => {}
    }
    if span.undecoded_attributes.is_some() {
        warnings.push(format!(
            "the stored {} were not a JSON object; kept as text in the `{}` tag",
            otel_schema::ATTRIBUTES,
            otel_schema::ATTRIBUTES
        ));
    }

    Span {
        trace_id: trace_id.to_owned(),
        span_id: span.span_id.clone(),
        flags: None,
        operation_name: span.name.clone(),
        references,
        start_time: micros(span.start_ns),
        duration: micros(span.duration_ns),
        tags: span_tags(span),
        logs,
        process_id,
        warnings: none_if_empty(warnings),
    }
}

fn span_tags(span: &model::Span) -> Vec<KeyValue> {
    let is_error = span.is_error();
    // Attributes and dimension columns were one attribute set before they were stored: merged,
    // by key.
    let mut tags: BTreeMap<String, TagValue> = span
        .attributes
        .iter()
        .map(|(key, value)| (key.clone(), json_tag(value)))
        .collect();
    if let Some(text) = &span.undecoded_attributes {
        tags.insert(
            otel_schema::ATTRIBUTES.to_owned(),
            TagValue::String(text.clone()),
        );
    }
    let mut dropped = Vec::new();
    for (column, value) in &span.other {
        let Some(value) = column_tag(value) else {
            continue;
        };
        if [
            otel_schema::DROPPED_ATTRIBUTES_COUNT,
            otel_schema::DROPPED_EVENTS_COUNT,
            otel_schema::DROPPED_LINKS_COUNT,
        ]
        .contains(&column.as_str())
        {
            dropped.push(KeyValue::new(format!("otel.{column}"), value));
        } else {
            tags.insert(column.clone(), value);
        }
    }
    if is_error {
        tags.remove(TAG_ERROR);
    }

    let mut out: Vec<KeyValue> = Vec::with_capacity(tags.len() + dropped.len() + 5);
    if let Some(kind) = span.kind.as_deref().and_then(span_kind) {
        out.push(KeyValue::string(TAG_SPAN_KIND, kind));
    }
    out.extend(
        tags.into_iter()
            .map(|(key, value)| KeyValue::new(key, value)),
    );
    if let Some(code) = span.status_code.as_deref().filter(|c| !c.is_empty()) {
        out.push(KeyValue::string(TAG_STATUS_CODE, code.to_ascii_uppercase()));
    }
    if let Some(message) = span.status_message.as_deref().filter(|m| !m.is_empty()) {
        out.push(KeyValue::string(TAG_STATUS_DESCRIPTION, message));
    }
    if is_error {
        out.push(KeyValue::new(TAG_ERROR, TagValue::Bool(true)));
    }
    if let Some(state) = span.trace_state.as_deref().filter(|s| !s.is_empty()) {
        out.push(KeyValue::string(TAG_TRACE_STATE, state));
    }
    out.extend(dropped);
    out
}

fn event_log(event: &SpanEvent) -> Log {
    let mut fields = Vec::with_capacity(event.attributes.len() + 2);
    if let Some(name) = &event.name
        && !event.attributes.contains_key(FIELD_EVENT)
    {
        fields.push(KeyValue::string(FIELD_EVENT, name.clone()));
    }
    if let Some(body) = &event.body {
        fields.push(KeyValue::string("message", body.clone()));
    }
    if let Some(severity) = &event.severity {
        fields.push(KeyValue::string("level", severity.clone()));
    }
    fields.extend(attribute_fields(&event.attributes));
    Log {
        timestamp: micros(event.time_ns),
        fields,
    }
}

fn link_log(link: &SpanLink, span_start_ns: i64) -> Log {
    let mut fields = vec![
        KeyValue::string(FIELD_EVENT, "link"),
        KeyValue::string(otel_schema::TRACE_ID, link.linked_trace_id.clone()),
        KeyValue::string(otel_schema::SPAN_ID, link.linked_span_id.clone()),
    ];
    if let Some(state) = &link.trace_state {
        fields.push(KeyValue::string(TAG_TRACE_STATE, state.clone()));
    }
    fields.extend(attribute_fields(&link.attributes));
    Log {
        timestamp: micros(span_start_ns),
        fields,
    }
}

fn attribute_fields(attributes: &Map<String, Json>) -> impl Iterator<Item = KeyValue> + '_ {
    attributes
        .iter()
        .map(|(key, value)| KeyValue::new(key.clone(), json_tag(value)))
}

/// An attribute value as decoded from the stored JSON.
fn json_tag(value: &Json) -> TagValue {
    match value {
        Json::String(s) => TagValue::String(s.clone()),
        Json::Bool(b) => TagValue::Bool(*b),
        Json::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => TagValue::Int64(i),
            (None, Some(x)) if n.is_f64() => TagValue::Float64(x),
            // A u64 above i64::MAX: exact as text.
            _ => TagValue::String(n.to_string()),
        },
        // Arrays and maps as JSON text, as the OpenTelemetry mapping asks; null as "null".
        other => TagValue::String(other.to_string()),
    }
}

/// A stored column value; `None` for null.
fn column_tag(value: &Value) -> Option<TagValue> {
    Some(match value {
        Value::Null => return None,
        Value::Bool(b) => TagValue::Bool(*b),
        Value::Int(i) | Value::Timestamp(i) => TagValue::Int64(*i),
        Value::UInt(u) => {
            i64::try_from(*u).map_or_else(|_| TagValue::String(u.to_string()), TagValue::Int64)
        }
        Value::Float(x) if x.is_finite() => TagValue::Float64(*x),
        Value::Float(x) => TagValue::String(x.to_string()),
        Value::String(s) => TagValue::String(s.clone()),
    })
}

fn trace_warnings(trace: &model::Trace) -> Vec<String> {
    let mut warnings: Vec<String> = trace
        .skipped_rows
        .iter()
        .map(|reason| format!("a stored row could not be read: {reason}"))
        .collect();
    let mut stray = |what: &str, span_ids: Vec<&str>| {
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for id in span_ids {
            *counts.entry(id).or_default() += 1;
        }
        for (span_id, n) in counts {
            warnings.push(format!(
                "{n} {what} of span {span_id}, which is not in the trace"
            ));
        }
    };
    stray(
        "event(s) or log(s)",
        trace
            .unattached_events
            .iter()
            .map(|(id, _)| id.as_str())
            .collect(),
    );
    stray(
        "link(s)",
        trace
            .unattached_links
            .iter()
            .map(|(id, _)| id.as_str())
            .collect(),
    );
    warnings
}

/// Unix nanoseconds to microseconds, truncated; before 1970 is 0.
fn micros(ns: i64) -> u64 {
    u64::try_from(ns).unwrap_or(0) / 1_000
}

fn none_if_empty(list: Vec<String>) -> Option<Vec<String>> {
    (!list.is_empty()).then_some(list)
}
