#![doc = include_str!("../README.md")]

/// The timestamp column of line-protocol tables, as Datalayers and InfluxDB name it (the line's
/// timestamp: span start, event time, record time).
pub const TIME: &str = "time";
/// The resource attribute naming the service; a dimension tag of `spans` and `logs` by default.
pub const SERVICE_NAME: &str = "service.name";

/// Measurement of spans.
pub const MEASUREMENT_SPANS: &str = "spans";
/// Measurement of span links.
pub const MEASUREMENT_SPAN_LINKS: &str = "span-links";
/// Measurement of log records and span events.
pub const MEASUREMENT_LOGS: &str = "logs";

/// Tag: trace id, 32 lowercase hex digits.
pub const TRACE_ID: &str = "trace_id";
/// Tag: span id, 16 lowercase hex digits.
pub const SPAN_ID: &str = "span_id";
/// Tag of `span-links`: the linked trace id.
pub const LINKED_TRACE_ID: &str = "linked_trace_id";
/// Tag of `span-links`: the linked span id.
pub const LINKED_SPAN_ID: &str = "linked_span_id";

/// Field: JSON object of the attributes that are not tags.
pub const ATTRIBUTES: &str = "attributes";
/// Field: attributes the source dropped, plus those this mapping had to drop.
pub const DROPPED_ATTRIBUTES_COUNT: &str = "dropped_attributes_count";
/// Field of `spans`: events dropped by the source or by the mapping.
pub const DROPPED_EVENTS_COUNT: &str = "dropped_events_count";
/// Field of `spans`: links dropped by the source or by the mapping.
pub const DROPPED_LINKS_COUNT: &str = "dropped_links_count";
/// Field of `spans`: end minus start, in nanoseconds.
pub const DURATION_NANO: &str = "duration_nano";
/// Field of `spans`: end time, unix nanoseconds.
pub const END_TIME_UNIX_NANO: &str = "end_time_unix_nano";
/// Field of `spans`: `Ok` or `Error`.
pub const OTEL_STATUS_CODE: &str = "otel.status_code";
/// Value of [`OTEL_STATUS_CODE`] for a span that failed.
pub const STATUS_CODE_ERROR: &str = "Error";
/// Value of [`OTEL_STATUS_CODE`] for a span marked successful (unset status writes no field).
pub const STATUS_CODE_OK: &str = "Ok";
/// Field of `spans`: the status message.
pub const OTEL_STATUS_DESCRIPTION: &str = "otel.status_description";
/// Field of `spans`: parent span id (16 hex digits), absent on root spans.
pub const PARENT_SPAN_ID: &str = "parent_span_id";
/// Field of `spans`: `Internal`, `Server`, `Client`, `Producer` or `Consumer`.
pub const SPAN_KIND: &str = "span.kind";
/// Field of `spans`: the span name (a field, not a tag, in the reference schema).
pub const SPAN_NAME: &str = "span.name";
/// Field of `spans` and `span-links`: W3C trace state.
pub const TRACE_STATE: &str = "trace_state";
/// Field of `logs` (span events): the event name.
pub const EVENT_NAME: &str = "event.name";
/// Field of `logs` (records): the body as text (`AsString`), always written.
pub const BODY: &str = "body";
/// Field of `logs` (records): observed time, unix nanoseconds.
pub const OBSERVED_TIME_UNIX_NANO: &str = "observed_time_unix_nano";
/// Field of `logs` (records): severity number.
pub const SEVERITY_NUMBER: &str = "severity_number";
/// Field of `logs` (records): severity text.
pub const SEVERITY_TEXT: &str = "severity_text";

/// The type of a field column.
///
/// Deliberately exhaustive: a new field type is a schema change that every reader and writer
/// must decide how to store and read (a column type in the DDL, a decoder in the query side),
/// so it should fail their `match` at compile time rather than fall into a wildcard arm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldType {
    /// A string (`"..."`).
    String,
    /// A signed integer (`i`).
    Int,
    /// An unsigned integer (`u`; written `i` for InfluxDB 1.x).
    UInt,
}

/// Every field of `spans`, in the (byte-sorted) order they are written.
pub const SPAN_FIELDS: [(&str, FieldType); 12] = [
    (ATTRIBUTES, FieldType::String),
    (DROPPED_ATTRIBUTES_COUNT, FieldType::UInt),
    (DROPPED_EVENTS_COUNT, FieldType::UInt),
    (DROPPED_LINKS_COUNT, FieldType::UInt),
    (DURATION_NANO, FieldType::Int),
    (END_TIME_UNIX_NANO, FieldType::Int),
    (OTEL_STATUS_CODE, FieldType::String),
    (OTEL_STATUS_DESCRIPTION, FieldType::String),
    (PARENT_SPAN_ID, FieldType::String),
    (SPAN_KIND, FieldType::String),
    (SPAN_NAME, FieldType::String),
    (TRACE_STATE, FieldType::String),
];

/// Every field of `logs` (records and span events share the measurement), sorted.
pub const LOG_FIELDS: [(&str, FieldType); 7] = [
    (ATTRIBUTES, FieldType::String),
    (BODY, FieldType::String),
    (DROPPED_ATTRIBUTES_COUNT, FieldType::UInt),
    (EVENT_NAME, FieldType::String),
    (OBSERVED_TIME_UNIX_NANO, FieldType::Int),
    (SEVERITY_NUMBER, FieldType::Int),
    (SEVERITY_TEXT, FieldType::String),
];

/// Every field of `span-links`, sorted.
pub const SPAN_LINK_FIELDS: [(&str, FieldType); 3] = [
    (ATTRIBUTES, FieldType::String),
    (DROPPED_ATTRIBUTES_COUNT, FieldType::UInt),
    (TRACE_STATE, FieldType::String),
];

/// The tag keys of `span-links` (always all present).
pub const SPAN_LINK_TAGS: [&str; 4] = [LINKED_SPAN_ID, LINKED_TRACE_ID, SPAN_ID, TRACE_ID];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_lists_are_sorted() {
        for list in [&SPAN_FIELDS[..], &LOG_FIELDS, &SPAN_LINK_FIELDS] {
            assert!(list.windows(2).all(|w| w[0].0 < w[1].0), "{list:?}");
        }
        assert!(SPAN_LINK_TAGS.windows(2).all(|w| w[0] < w[1]));
    }
}
