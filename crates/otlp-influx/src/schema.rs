//! Names of the trace and log schema (measurements, tag keys, field keys with their types), as
//! `otel2influx` writes them. Query code (trace UIs, tests) can use these instead of literals.

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

/// The index of field `key` in `fields` (evaluated at compile time: a key that is not in the
/// list fails the build).
const fn field_index(fields: &[(&str, FieldType)], key: &str) -> usize {
    let mut i = 0;
    while i < fields.len() {
        let (a, b) = (fields[i].0.as_bytes(), key.as_bytes());
        if a.len() == b.len() {
            let mut j = 0;
            while j < a.len() && a[j] == b[j] {
                j += 1;
            }
            if j == a.len() {
                return i;
            }
        }
        i += 1;
    }
    panic!("not a field of this measurement")
}

/// The position of each field in [`SPAN_FIELDS`], by name: mapping code fills a line's values
/// by these, so that adding a field cannot shift another.
pub(crate) mod span {
    use super::{SPAN_FIELDS as F, field_index};
    pub(crate) const ATTRIBUTES: usize = field_index(&F, super::ATTRIBUTES);
    pub(crate) const DROPPED_ATTRIBUTES_COUNT: usize =
        field_index(&F, super::DROPPED_ATTRIBUTES_COUNT);
    pub(crate) const DROPPED_EVENTS_COUNT: usize = field_index(&F, super::DROPPED_EVENTS_COUNT);
    pub(crate) const DROPPED_LINKS_COUNT: usize = field_index(&F, super::DROPPED_LINKS_COUNT);
    pub(crate) const DURATION_NANO: usize = field_index(&F, super::DURATION_NANO);
    pub(crate) const END_TIME_UNIX_NANO: usize = field_index(&F, super::END_TIME_UNIX_NANO);
    pub(crate) const OTEL_STATUS_CODE: usize = field_index(&F, super::OTEL_STATUS_CODE);
    pub(crate) const OTEL_STATUS_DESCRIPTION: usize =
        field_index(&F, super::OTEL_STATUS_DESCRIPTION);
    pub(crate) const PARENT_SPAN_ID: usize = field_index(&F, super::PARENT_SPAN_ID);
    pub(crate) const SPAN_KIND: usize = field_index(&F, super::SPAN_KIND);
    pub(crate) const SPAN_NAME: usize = field_index(&F, super::SPAN_NAME);
    pub(crate) const TRACE_STATE: usize = field_index(&F, super::TRACE_STATE);
}

/// The position of each field in [`LOG_FIELDS`], by name (see [`span`]).
pub(crate) mod log {
    use super::{LOG_FIELDS as F, field_index};
    pub(crate) const ATTRIBUTES: usize = field_index(&F, super::ATTRIBUTES);
    pub(crate) const BODY: usize = field_index(&F, super::BODY);
    pub(crate) const DROPPED_ATTRIBUTES_COUNT: usize =
        field_index(&F, super::DROPPED_ATTRIBUTES_COUNT);
    pub(crate) const EVENT_NAME: usize = field_index(&F, super::EVENT_NAME);
    pub(crate) const OBSERVED_TIME_UNIX_NANO: usize =
        field_index(&F, super::OBSERVED_TIME_UNIX_NANO);
    pub(crate) const SEVERITY_NUMBER: usize = field_index(&F, super::SEVERITY_NUMBER);
    pub(crate) const SEVERITY_TEXT: usize = field_index(&F, super::SEVERITY_TEXT);
}

/// The position of each field in [`SPAN_LINK_FIELDS`], by name (see [`span`]).
pub(crate) mod span_link {
    use super::{SPAN_LINK_FIELDS as F, field_index};
    pub(crate) const ATTRIBUTES: usize = field_index(&F, super::ATTRIBUTES);
    pub(crate) const DROPPED_ATTRIBUTES_COUNT: usize =
        field_index(&F, super::DROPPED_ATTRIBUTES_COUNT);
    pub(crate) const TRACE_STATE: usize = field_index(&F, super::TRACE_STATE);
}

/// The tag keys of `span-links` (always all present).
pub const SPAN_LINK_TAGS: [&str; 4] = [LINKED_SPAN_ID, LINKED_TRACE_ID, SPAN_ID, TRACE_ID];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_positions_name_the_fields() {
        let named = [
            (&SPAN_FIELDS[..], span::ATTRIBUTES, ATTRIBUTES),
            (&SPAN_FIELDS, span::DROPPED_LINKS_COUNT, DROPPED_LINKS_COUNT),
            (&SPAN_FIELDS, span::TRACE_STATE, TRACE_STATE),
            (&LOG_FIELDS, log::BODY, BODY),
            (&LOG_FIELDS, log::SEVERITY_TEXT, SEVERITY_TEXT),
            (&SPAN_LINK_FIELDS, span_link::TRACE_STATE, TRACE_STATE),
        ];
        for (fields, index, key) in named {
            assert_eq!(fields[index].0, key);
        }
    }

    #[test]
    fn field_lists_are_sorted() {
        for list in [&SPAN_FIELDS[..], &LOG_FIELDS, &SPAN_LINK_FIELDS] {
            assert!(list.windows(2).all(|w| w[0].0 < w[1].0), "{list:?}");
        }
        assert!(SPAN_LINK_TAGS.windows(2).all(|w| w[0] < w[1]));
    }
}
