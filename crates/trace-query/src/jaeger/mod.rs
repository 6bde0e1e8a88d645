//! The JSON of Jaeger's query API (v1, the `uimodel` that Jaeger UI and Grafana's Jaeger data
//! source read), and the conversion from a [`Trace`](crate::Trace).
//!
//! The types serialise exactly as Jaeger's own (`traceID`, `spanID`, `operationName`,
//! `references`, `startTime` and `duration` in integer microseconds, `tags` as
//! `{key, type, value}`, `processes` keyed `p1`, `p2`, ..., `warnings` as `null` when there are
//! none) and also read Jaeger's JSON back, so a trace downloaded from Jaeger or from us loads in
//! either.
//!
//! ```
//! use trace_query::{Span, TraceId, assemble, jaeger};
//!
//! let id: TraceId = "4bf92f3577b34da6a3ce929d0e0e4736".parse()?;
//! let mut root = Span::new("00f067aa0ba902b7", "GET /cart", 1_700_000_000_000_000_000, 5_250_000);
//! root.service = Some("checkout".into());
//! root.kind = Some("Server".into());
//! root.status_code = Some("Error".into());
//! let trace = assemble(id, vec![root], Vec::new(), Vec::new(), Vec::new());
//!
//! let jaeger = jaeger::Trace::from(&trace);
//! let json = serde_json::to_value(&jaeger).unwrap();
//! let span = &json["spans"][0];
//! assert_eq!(span["duration"], 5_250); // microseconds
//! assert_eq!(span["tags"][0], serde_json::json!({"key": "span.kind", "type": "string", "value": "server"}));
//! assert!(span["tags"].as_array().unwrap().contains(
//!     &serde_json::json!({"key": "error", "type": "bool", "value": true})));
//! assert_eq!(json["processes"]["p1"]["serviceName"], "checkout");
//! # Ok::<(), trace_query::TraceError>(())
//! ```
//!
//! What the conversion does with each part of a stored span is listed on [`Trace`]'s
//! `From<&trace_query::Trace>` implementation.

mod convert;

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::de::Error as _;
use serde::ser::SerializeStruct as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value as Json;

pub use convert::span_kind;

/// Tag holding the span kind, lower-case (`server`, `client`, `producer`, `consumer`,
/// `internal`).
pub const TAG_SPAN_KIND: &str = "span.kind";
/// Tag `error: true` on a span whose status is an error: the only error mark Jaeger UI and
/// Grafana read.
pub const TAG_ERROR: &str = "error";
/// Tag holding the status code, `OK` or `ERROR`.
pub const TAG_STATUS_CODE: &str = otel_schema::OTEL_STATUS_CODE;
/// Tag holding the status message.
pub const TAG_STATUS_DESCRIPTION: &str = otel_schema::OTEL_STATUS_DESCRIPTION;
/// Tag holding the W3C trace state.
pub const TAG_TRACE_STATE: &str = "w3c.tracestate";
/// Log field holding an event's name.
pub const FIELD_EVENT: &str = "event";
/// The service name of spans stored without one (the OpenTelemetry SDK default).
pub const UNKNOWN_SERVICE: &str = "unknown_service";

/// A trace: its spans and the processes (services) they ran in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trace {
    /// 32 lowercase hex digits.
    #[serde(rename = "traceID")]
    pub trace_id: String,
    /// Every span, in start order.
    pub spans: Vec<Span>,
    /// The processes the spans name by [`Span::process_id`].
    pub processes: BTreeMap<String, Process>,
    /// What was odd about the trace as a whole (`null` when nothing was).
    pub warnings: Option<Vec<String>>,
}

/// A span.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Span {
    /// The trace, 32 hex digits.
    #[serde(rename = "traceID")]
    pub trace_id: String,
    /// The span, 16 hex digits.
    #[serde(rename = "spanID")]
    pub span_id: String,
    /// Jaeger's flags (sampling, debug); absent from stored spans.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flags: Option<u32>,
    /// The span name.
    pub operation_name: String,
    /// The parent (`CHILD_OF`, first) and the links (`FOLLOWS_FROM`).
    pub references: Vec<Reference>,
    /// Start, microseconds since the Unix epoch.
    pub start_time: u64,
    /// Duration in microseconds.
    pub duration: u64,
    /// Attributes, kind, status and trace state.
    pub tags: Vec<KeyValue>,
    /// Events and log records, by time.
    pub logs: Vec<Log>,
    /// The key of the span's process in [`Trace::processes`].
    #[serde(rename = "processID")]
    pub process_id: String,
    /// What was odd about this span (`null` when nothing was).
    pub warnings: Option<Vec<String>>,
}

/// A reference from a span to another span.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Reference {
    /// How the spans relate.
    pub ref_type: RefType,
    /// The other span's trace.
    #[serde(rename = "traceID")]
    pub trace_id: String,
    /// The other span.
    #[serde(rename = "spanID")]
    pub span_id: String,
}

/// The kind of a [`Reference`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RefType {
    /// The other span is the parent.
    #[serde(rename = "CHILD_OF")]
    ChildOf,
    /// The other span is linked (an OpenTelemetry link).
    #[serde(rename = "FOLLOWS_FROM")]
    FollowsFrom,
}

/// A process: the service that emitted spans, with its tags.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Process {
    /// `service.name`.
    pub service_name: String,
    /// Process (resource) tags.
    pub tags: Vec<KeyValue>,
}

/// A log of a span: a span event or a log record written inside it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Log {
    /// Microseconds since the Unix epoch.
    pub timestamp: u64,
    /// The event name as field `event`, then the attributes.
    pub fields: Vec<KeyValue>,
}

/// A typed key-value pair: `{"key": ..., "type": "string"|"bool"|"int64"|"float64"|"binary",
/// "value": ...}`.
///
/// As in Jaeger, an `int64` outside JavaScript's safe integers (±(2^53 − 1)) is written as a
/// string, so browsers do not round it, and `binary` is base64.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyValue {
    /// The key.
    pub key: String,
    /// The typed value.
    pub value: TagValue,
}

impl KeyValue {
    /// A pair.
    pub fn new(key: impl Into<String>, value: TagValue) -> Self {
        Self {
            key: key.into(),
            value,
        }
    }

    /// A string pair.
    pub fn string(key: impl Into<String>, value: impl Into<String>) -> Self {
        Self::new(key, TagValue::String(value.into()))
    }
}

/// The value of a [`KeyValue`], with its Jaeger type.
#[derive(Debug, Clone, PartialEq)]
pub enum TagValue {
    /// `string`.
    String(String),
    /// `bool`.
    Bool(bool),
    /// `int64`.
    Int64(i64),
    /// `float64` (always finite: other values are written as strings by the conversion).
    Float64(f64),
    /// `binary`, base64 in JSON.
    Binary(Vec<u8>),
}

impl TagValue {
    /// The Jaeger type name.
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::String(_) => "string",
            Self::Bool(_) => "bool",
            Self::Int64(_) => "int64",
            Self::Float64(_) => "float64",
            Self::Binary(_) => "binary",
        }
    }

    /// The value as Jaeger writes it in JSON.
    fn to_json(&self) -> Json {
        match self {
            Self::String(s) => Json::String(s.clone()),
            Self::Bool(b) => Json::Bool(*b),
            Self::Int64(n) if (-JS_MAX_SAFE_INTEGER..=JS_MAX_SAFE_INTEGER).contains(n) => {
                Json::from(*n)
            }
            Self::Int64(n) => Json::String(n.to_string()),
            Self::Float64(x) => serde_json::Number::from_f64(*x)
                .map_or_else(|| Json::String(x.to_string()), Json::Number),
            Self::Binary(bytes) => Json::String(BASE64.encode(bytes)),
        }
    }

    /// Reads a value of Jaeger type `kind` (or, without one, of the JSON value's own type).
    fn from_json(kind: Option<&str>, value: Json) -> Result<Self, String> {
        let mismatch = |value: &Json| format!("a {} tag with value {value}", kind.unwrap_or("?"));
        Ok(match (kind, value) {
            (Some("string") | None, Json::String(s)) => Self::String(s),
            (Some("string"), other) => Self::String(other.to_string()),
            (Some("bool") | None, Json::Bool(b)) => Self::Bool(b),
            (Some("int64"), Json::String(s)) => {
                Self::Int64(s.parse().map_err(|_| mismatch(&Json::String(s)))?)
            }
            (Some("int64") | None, Json::Number(n)) if n.is_i64() => {
                Self::Int64(n.as_i64().unwrap_or_default())
            }
            (Some("float64") | None, Json::Number(n)) => {
                Self::Float64(n.as_f64().ok_or_else(|| mismatch(&Json::Number(n)))?)
            }
            (Some("binary"), Json::String(s)) => Self::Binary(
                BASE64
                    .decode(s.as_bytes())
                    .map_err(|_| mismatch(&Json::String(s)))?,
            ),
            (_, value) => return Err(mismatch(&value)),
        })
    }
}

/// `2^53 - 1`: larger integers lose precision in JavaScript.
const JS_MAX_SAFE_INTEGER: i64 = (1 << 53) - 1;

impl Serialize for KeyValue {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut pair = serializer.serialize_struct("KeyValue", 3)?;
        pair.serialize_field("key", &self.key)?;
        pair.serialize_field("type", self.value.type_name())?;
        pair.serialize_field("value", &self.value.to_json())?;
        pair.end()
    }
}

impl<'de> Deserialize<'de> for KeyValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Raw {
            key: String,
            #[serde(rename = "type", default)]
            kind: Option<String>,
            #[serde(default)]
            value: Json,
        }
        let raw = Raw::deserialize(deserializer)?;
        let value = TagValue::from_json(raw.kind.as_deref(), raw.value)
            .map_err(|e| D::Error::custom(format!("tag {:?}: {e}", raw.key)))?;
        Ok(Self {
            key: raw.key,
            value,
        })
    }
}

/// A service-to-service edge of `/api/dependencies`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DependencyLink {
    /// The calling service.
    pub parent: String,
    /// The called service.
    pub child: String,
    /// How many calls (parent/child span pairs) were seen.
    pub call_count: u64,
}

/// An operation of `/api/operations`: a span name and its kind (lower-case, empty when unset).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Operation {
    /// The span name.
    pub name: String,
    /// `server`, `client`, ...; empty when the kind is not known.
    pub span_kind: String,
}

/// The envelope of every v1 answer: `{"data", "total", "limit", "offset", "errors"}`.
///
/// ```
/// use trace_query::jaeger::Response;
///
/// let ok = Response::new(vec!["checkout", "payments"]);
/// assert_eq!(serde_json::to_string(&ok).unwrap(),
///     r#"{"data":["checkout","payments"],"total":2,"limit":0,"offset":0,"errors":null}"#);
/// let missing = Response::error(404, "trace not found");
/// assert_eq!(serde_json::to_string(&missing).unwrap(),
///     r#"{"data":null,"total":0,"limit":0,"offset":0,"errors":[{"code":404,"msg":"trace not found"}]}"#);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Response<T> {
    /// The answer (`null` in an error answer).
    pub data: T,
    /// How many items `data` holds (0 for a single object).
    pub total: usize,
    /// Unused by Jaeger's v1 API (always 0).
    pub limit: usize,
    /// Unused by Jaeger's v1 API (always 0).
    pub offset: usize,
    /// What went wrong; `null` on success.
    pub errors: Option<Vec<ResponseError>>,
}

impl<T> Response<Vec<T>> {
    /// A successful list answer; `total` is its length.
    pub fn new(data: Vec<T>) -> Self {
        Self {
            total: data.len(),
            data,
            limit: 0,
            offset: 0,
            errors: None,
        }
    }
}

impl Response<()> {
    /// An error answer: `data` null and one error with the HTTP status as its code.
    pub fn error(code: u16, msg: impl Into<String>) -> Self {
        Self {
            data: (),
            total: 0,
            limit: 0,
            offset: 0,
            errors: Some(vec![ResponseError {
                code: Some(code),
                msg: msg.into(),
                trace_id: None,
            }]),
        }
    }
}

/// One error of a [`Response`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponseError {
    /// The HTTP status, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<u16>,
    /// The message.
    pub msg: String,
    /// The trace the error is about, when it is about one.
    #[serde(rename = "traceID", default, skip_serializing_if = "Option::is_none")]
    pub trace_id: Option<String>,
}
