//! Stored traces as OTLP JSON (`TracesData`), the shape Jaeger's API v3 answers with
//! (`/api/v3/traces`, `/api/v3/traces/{id}`: `{"result": TracesData}`).
//!
//! Written as protobuf's canonical JSON mapping writes it (Jaeger uses `jsonpb`): lowerCamelCase
//! names, 64-bit integers as decimal strings, enums as numbers, ids as hex (Jaeger's and OTLP's
//! JSON rule), and fields at their default value (0, empty, unset) left out.
//!
//! ```
//! use trace_query::{Span, TraceId, assemble, otlp};
//!
//! let id: TraceId = "4bf92f3577b34da6a3ce929d0e0e4736".parse()?;
//! let mut span = Span::new("00f067aa0ba902b7", "GET /cart", 1_700_000_000_000_000_000, 5_250_000);
//! span.service = Some("checkout".into());
//! span.kind = Some("Server".into());
//! let trace = assemble(id, vec![span], Vec::new(), Vec::new(), Vec::new());
//!
//! let json = serde_json::to_value(otlp::TracesData::from_traces(&[trace])).unwrap();
//! let resource = &json["resourceSpans"][0];
//! assert_eq!(resource["resource"]["attributes"][0]["value"]["stringValue"], "checkout");
//! let span = &resource["scopeSpans"][0]["spans"][0];
//! assert_eq!(span["kind"], 2);
//! assert_eq!(span["endTimeUnixNano"], "1700000000005250000");
//! # Ok::<(), trace_query::TraceError>(())
//! ```

use std::collections::HashMap;

use datalayers_client::query::Value;
use serde::Serialize;
use serde_json::{Map, Value as Json};

use crate::model;

/// `TracesData`: spans grouped by the resource (here: the service) that emitted them.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TracesData {
    /// One entry per trace and service, in order of first appearance.
    pub resource_spans: Vec<ResourceSpans>,
}

/// The spans of one resource.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceSpans {
    /// The resource: `service.name` (the stored schema keeps other resource attributes among
    /// the span's).
    pub resource: Resource,
    /// One scope (the schema does not keep scope names).
    pub scope_spans: Vec<ScopeSpans>,
}

/// A resource.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Resource {
    /// Its attributes.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attributes: Vec<KeyValue>,
}

/// The spans of one instrumentation scope.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScopeSpans {
    /// The scope, always empty here.
    pub scope: Scope,
    /// The spans, in start order.
    pub spans: Vec<Span>,
}

/// An instrumentation scope (written as `{}`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Scope {}

/// An OTLP span.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Span {
    /// 32 hex digits.
    pub trace_id: String,
    /// 16 hex digits.
    pub span_id: String,
    /// W3C trace state.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub trace_state: String,
    /// 16 hex digits; absent on a root span.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub parent_span_id: String,
    /// The span name.
    pub name: String,
    /// `SpanKind` as its number (1 internal, 2 server, 3 client, 4 producer, 5 consumer).
    #[serde(skip_serializing_if = "is_zero_i32")]
    pub kind: i32,
    /// Unix nanoseconds, as a decimal string.
    pub start_time_unix_nano: String,
    /// Unix nanoseconds, as a decimal string.
    pub end_time_unix_nano: String,
    /// Attributes, by key.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attributes: Vec<KeyValue>,
    /// Attributes the source or the writer dropped.
    #[serde(skip_serializing_if = "is_zero_u32")]
    pub dropped_attributes_count: u32,
    /// Events, by time.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<Event>,
    /// Events dropped.
    #[serde(skip_serializing_if = "is_zero_u32")]
    pub dropped_events_count: u32,
    /// Links.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<Link>,
    /// Links dropped.
    #[serde(skip_serializing_if = "is_zero_u32")]
    pub dropped_links_count: u32,
    /// The status (`{}` when unset).
    pub status: Status,
}

/// A span event.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    /// Unix nanoseconds, as a decimal string.
    pub time_unix_nano: String,
    /// The event name.
    pub name: String,
    /// Attributes, by key.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attributes: Vec<KeyValue>,
}

/// A span link.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Link {
    /// The linked trace, 32 hex digits.
    pub trace_id: String,
    /// The linked span, 16 hex digits.
    pub span_id: String,
    /// The link's trace state.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub trace_state: String,
    /// Attributes, by key.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attributes: Vec<KeyValue>,
}

/// A span status.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Status {
    /// The message.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub message: String,
    /// 1 OK, 2 ERROR; absent when unset.
    #[serde(skip_serializing_if = "is_zero_i32")]
    pub code: i32,
}

/// An attribute.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KeyValue {
    /// The key.
    pub key: String,
    /// The value.
    pub value: AnyValue,
}

/// An attribute value: exactly one of its fields is written (`{}` for an empty value).
#[derive(Debug, Clone, PartialEq)]
pub enum AnyValue {
    /// `{"stringValue": "..."}`.
    String(String),
    /// `{"boolValue": true}`.
    Bool(bool),
    /// `{"intValue": "42"}`: a 64-bit integer as a decimal string.
    Int(i64),
    /// `{"doubleValue": 0.5}`.
    Double(f64),
    /// `{"arrayValue": {"values": [...]}}`.
    Array(ArrayValue),
    /// `{"kvlistValue": {"values": [...]}}`.
    KvList(KeyValueList),
    /// `{}`: a value that is not set (stored as JSON `null`).
    Empty,
}

impl Serialize for AnyValue {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap as _;
        let mut map = serializer.serialize_map(Some(usize::from(*self != Self::Empty)))?;
        match self {
            Self::String(s) => map.serialize_entry("stringValue", s)?,
            Self::Bool(b) => map.serialize_entry("boolValue", b)?,
            Self::Int(n) => map.serialize_entry("intValue", &n.to_string())?,
            Self::Double(x) => map.serialize_entry("doubleValue", x)?,
            Self::Array(values) => map.serialize_entry("arrayValue", values)?,
            Self::KvList(values) => map.serialize_entry("kvlistValue", values)?,
            Self::Empty => {}
        }
        map.end()
    }
}

/// The values of an array attribute.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ArrayValue {
    /// The values.
    pub values: Vec<AnyValue>,
}

/// The pairs of a map attribute.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KeyValueList {
    /// The pairs.
    pub values: Vec<KeyValue>,
}

fn is_zero_i32(n: &i32) -> bool {
    *n == 0
}

fn is_zero_u32(n: &u32) -> bool {
    *n == 0
}

impl AnyValue {
    /// A value decoded from the stored `attributes` JSON.
    pub fn from_json(value: &Json) -> Self {
        match value {
            Json::Null => Self::Empty,
            Json::Bool(b) => Self::Bool(*b),
            Json::String(s) => Self::String(s.clone()),
            Json::Number(n) => match (n.as_i64(), n.as_f64()) {
                (Some(i), _) => Self::Int(i),
                (None, Some(x)) if n.is_f64() => Self::Double(x),
                // A u64 above i64::MAX: exact as text.
                _ => Self::String(n.to_string()),
            },
            Json::Array(items) => Self::Array(ArrayValue {
                values: items.iter().map(Self::from_json).collect(),
            }),
            Json::Object(map) => Self::KvList(KeyValueList {
                values: attributes(map),
            }),
        }
    }

    /// A stored column value; `None` for null.
    fn from_column(value: &Value) -> Option<Self> {
        Some(match value {
            Value::Null => return None,
            Value::Bool(b) => Self::Bool(*b),
            Value::Int(i) | Value::Timestamp(i) => Self::Int(*i),
            Value::UInt(u) => {
                i64::try_from(*u).map_or_else(|_| Self::String(u.to_string()), Self::Int)
            }
            Value::Float(x) if x.is_finite() => Self::Double(*x),
            Value::Float(x) => Self::String(x.to_string()),
            Value::String(s) => Self::String(s.clone()),
        })
    }
}

fn attributes(map: &Map<String, Json>) -> Vec<KeyValue> {
    map.iter()
        .map(|(key, value)| KeyValue {
            key: key.clone(),
            value: AnyValue::from_json(value),
        })
        .collect()
}

/// The OTLP number of a stored span kind (`Server` -> 2); 0 when unset or unknown.
pub fn span_kind_number(stored: Option<&str>) -> i32 {
    match stored.and_then(crate::model::stored_span_kind) {
        Some("Internal") => 1,
        Some("Server") => 2,
        Some("Client") => 3,
        Some("Producer") => 4,
        Some("Consumer") => 5,
        _ => 0,
    }
}

impl TracesData {
    /// The traces as one `TracesData`, one resource per trace and service in order of first
    /// appearance (what Jaeger's API v3 answers for a search).
    pub fn from_traces(traces: &[model::Trace]) -> Self {
        Self {
            resource_spans: traces.iter().flat_map(resource_spans).collect(),
        }
    }
}

fn resource_spans(trace: &model::Trace) -> Vec<ResourceSpans> {
    let mut order: Vec<Option<&str>> = Vec::new();
    let mut groups: HashMap<Option<&str>, Vec<Span>> = HashMap::new();
    for span in &trace.spans {
        let service = span.service.as_deref();
        if !groups.contains_key(&service) {
            order.push(service);
        }
        groups
            .entry(service)
            .or_default()
            .push(convert_span(trace, span));
    }
    order
        .into_iter()
        .map(|service| ResourceSpans {
            resource: Resource {
                attributes: vec![KeyValue {
                    key: otel_schema::SERVICE_NAME.to_owned(),
                    value: AnyValue::String(
                        service.unwrap_or(crate::jaeger::UNKNOWN_SERVICE).to_owned(),
                    ),
                }],
            },
            scope_spans: vec![ScopeSpans {
                scope: Scope {},
                spans: groups.remove(&service).unwrap_or_default(),
            }],
        })
        .collect()
}

fn convert_span(trace: &model::Trace, span: &model::Span) -> Span {
    let mut attributes = attributes(&span.attributes);
    if let Some(text) = &span.undecoded_attributes {
        attributes.push(KeyValue {
            key: otel_schema::ATTRIBUTES.to_owned(),
            value: AnyValue::String(text.clone()),
        });
    }
    let mut dropped = [0u32; 3];
    for (column, value) in &span.other {
        let slot = [
            otel_schema::DROPPED_ATTRIBUTES_COUNT,
            otel_schema::DROPPED_EVENTS_COUNT,
            otel_schema::DROPPED_LINKS_COUNT,
        ]
        .iter()
        .position(|c| c == column);
        match slot {
            Some(i) => {
                dropped[i] = value
                    .as_i64()
                    .and_then(|n| u32::try_from(n).ok())
                    .unwrap_or(u32::MAX);
            }
            None => {
                if let Some(value) = AnyValue::from_column(value) {
                    attributes.push(KeyValue {
                        key: column.clone(),
                        value,
                    });
                }
            }
        }
    }
    attributes.sort_by(|a, b| a.key.cmp(&b.key));
    let status = Status {
        message: span.status_message.clone().unwrap_or_default(),
        code: match span.status_code.as_deref() {
            Some(c) if c.eq_ignore_ascii_case(otel_schema::STATUS_CODE_ERROR) => 2,
            Some(c) if c.eq_ignore_ascii_case(otel_schema::STATUS_CODE_OK) => 1,
            _ => 0,
        },
    };
    Span {
        trace_id: trace.trace_id.to_string(),
        span_id: span.span_id.clone(),
        trace_state: span.trace_state.clone().unwrap_or_default(),
        parent_span_id: span.parent_span_id.clone().unwrap_or_default(),
        name: span.name.clone(),
        kind: span_kind_number(span.kind.as_deref()),
        start_time_unix_nano: span.start_ns.max(0).to_string(),
        end_time_unix_nano: span.end_ns().max(0).to_string(),
        attributes,
        dropped_attributes_count: dropped[0],
        events: span.events.iter().map(event).collect(),
        dropped_events_count: dropped[1],
        links: span
            .links
            .iter()
            .map(|link| Link {
                trace_id: link.linked_trace_id.clone(),
                span_id: link.linked_span_id.clone(),
                trace_state: link.trace_state.clone().unwrap_or_default(),
                attributes: self::attributes(&link.attributes),
            })
            .collect(),
        dropped_links_count: dropped[2],
        status,
    }
}

/// A span event; a log record written inside the span (OTLP spans have no place for one)
/// becomes an event named `log` with its body as `message` and its severity as `level`, the
/// fields the Jaeger conversion uses.
fn event(event: &model::SpanEvent) -> Event {
    let mut attributes = Vec::with_capacity(event.attributes.len() + 2);
    if let Some(body) = &event.body {
        attributes.push(KeyValue {
            key: "message".to_owned(),
            value: AnyValue::String(body.clone()),
        });
    }
    if let Some(severity) = &event.severity {
        attributes.push(KeyValue {
            key: "level".to_owned(),
            value: AnyValue::String(severity.clone()),
        });
    }
    attributes.extend(self::attributes(&event.attributes));
    Event {
        time_unix_nano: event.time_ns.max(0).to_string(),
        name: event
            .name
            .clone()
            .unwrap_or_else(|| if event.body.is_some() { "log" } else { "" }.to_owned()),
        attributes,
    }
}
