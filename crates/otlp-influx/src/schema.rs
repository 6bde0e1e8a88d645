//! Names of the trace and log schema (measurements, tag keys, field keys with their types), as
//! `otel2influx` writes them. Query code (trace UIs, tests) can use these instead of literals.
//!
//! They are defined once, in the dependency-free `otel-schema` crate, and re-exported here, so
//! readers that do not need this crate (e.g. `trace-query`) share the very same names.

pub use otel_schema::*;

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
}
