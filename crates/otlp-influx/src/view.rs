//! The small views the schema code reads its input through, implemented once for the SDK types
//! (`SpanData`, `SdkLogRecord`) and once for the OTLP protobuf types. The schema itself
//! (`traces.rs`, `logs.rs`) is written once, against these traits.

use std::{
    borrow::Cow,
    time::{SystemTime, UNIX_EPOCH},
};

use opentelemetry::{
    KeyValue,
    trace::{Event, Link, SpanKind, Status},
};
use opentelemetry_proto::tonic::{
    common::v1::{InstrumentationScope as ProtoScope, KeyValue as ProtoKeyValue},
    logs::v1::LogRecord as ProtoLogRecord,
    resource::v1::Resource as ProtoResource,
    trace::v1::{
        Span as ProtoSpan,
        span::{Event as ProtoEvent, Link as ProtoLink},
        status::StatusCode as ProtoStatusCode,
    },
};
use opentelemetry_sdk::{logs::SdkLogRecord, trace::SpanData};

use crate::value::{AttributeValue, ValueView};

/// One attribute: key and value view.
pub(crate) type Attr<'a> = (&'a str, ValueView<'a>);

/// Attributes of the SDK `KeyValue` list type.
pub(crate) fn sdk_attrs(kvs: &[KeyValue]) -> impl Iterator<Item = Attr<'_>> + Clone {
    kvs.iter().map(|kv| (kv.key.as_str(), kv.value.view()))
}

/// Attributes of the OTLP `KeyValue` list type.
pub(crate) fn proto_attrs(kvs: &[ProtoKeyValue]) -> impl Iterator<Item = Attr<'_>> + Clone {
    kvs.iter().map(|kv| (kv.key.as_str(), kv.value.view()))
}

/// Attributes of an OTLP request's resource: none when the resource is absent.
pub(crate) fn proto_resource_attrs(resource: Option<&ProtoResource>) -> &[ProtoKeyValue] {
    resource.map_or(&[], |r| &r.attributes)
}

/// Attributes of an OTLP request's instrumentation scope: none when the scope is absent.
pub(crate) fn proto_scope_attrs(scope: Option<&ProtoScope>) -> &[ProtoKeyValue] {
    scope.map_or(&[], |s| &s.attributes)
}

/// A list of attributes at one level (resource, scope), iterable as often as needed.
pub(crate) trait AttrSource {
    fn attrs(&self) -> impl Iterator<Item = Attr<'_>>;
}

impl AttrSource for crate::PreparedResource {
    fn attrs(&self) -> impl Iterator<Item = Attr<'_>> {
        self.attributes()
            .iter()
            .map(|(k, v)| (k.as_str(), v.view()))
    }
}

impl AttrSource for opentelemetry::InstrumentationScope {
    fn attrs(&self) -> impl Iterator<Item = Attr<'_>> {
        self.attributes()
            .map(|kv| (kv.key.as_str(), kv.value.view()))
    }
}

impl AttrSource for [ProtoKeyValue] {
    fn attrs(&self) -> impl Iterator<Item = Attr<'_>> {
        proto_attrs(self)
    }
}

/// Span status as the schema writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StatusCode {
    Unset,
    Ok,
    Error,
}

impl StatusCode {
    /// pdata `StatusCode.String()` for the codes that are written.
    pub(crate) fn as_field(self) -> Option<&'static str> {
        match self {
            Self::Unset => None,
            Self::Ok => Some("Ok"),
            Self::Error => Some("Error"),
        }
    }
}

/// What the schema reads from a span.
pub(crate) trait SpanView {
    type Event: EventView;
    type Link: LinkView;
    fn trace_id(&self) -> [u8; 16];
    fn span_id(&self) -> [u8; 8];
    /// All zero for a root span.
    fn parent_span_id(&self) -> [u8; 8];
    fn trace_state(&self) -> Cow<'_, str>;
    fn name(&self) -> &str;
    /// pdata `SpanKind.String()`, `""` for unspecified.
    fn kind(&self) -> &'static str;
    fn start_ns(&self) -> i64;
    fn end_ns(&self) -> i64;
    fn attributes(&self) -> impl Iterator<Item = Attr<'_>>;
    fn dropped_attributes_count(&self) -> u32;
    fn events(&self) -> &[Self::Event];
    fn dropped_events_count(&self) -> u32;
    fn links(&self) -> &[Self::Link];
    fn dropped_links_count(&self) -> u32;
    fn status(&self) -> (StatusCode, &str);
}

/// What the schema reads from a span event.
pub(crate) trait EventView {
    fn name(&self) -> &str;
    fn time_ns(&self) -> i64;
    fn attributes(&self) -> impl Iterator<Item = Attr<'_>>;
    fn dropped_attributes_count(&self) -> u32;
}

/// What the schema reads from a span link.
pub(crate) trait LinkView {
    fn trace_id(&self) -> [u8; 16];
    fn span_id(&self) -> [u8; 8];
    fn trace_state(&self) -> Cow<'_, str>;
    fn attributes(&self) -> impl Iterator<Item = Attr<'_>>;
    fn dropped_attributes_count(&self) -> u32;
}

/// What the schema reads from a log record.
pub(crate) trait LogRecordView {
    /// `None` when unset.
    fn time_ns(&self) -> Option<i64>;
    /// `None` when unset.
    fn observed_ns(&self) -> Option<i64>;
    /// Trace and span id, when both are set and non-zero.
    fn trace_context(&self) -> Option<([u8; 16], [u8; 8])>;
    /// 0 when unset.
    fn severity_number(&self) -> i32;
    fn severity_text(&self) -> &str;
    fn body(&self) -> ValueView<'_>;
    fn attributes(&self) -> impl Iterator<Item = Attr<'_>>;
    fn dropped_attributes_count(&self) -> u32;
}

/// Unix nanoseconds of a `SystemTime` (negative before 1970, saturating beyond ±292 years).
pub(crate) fn system_time_ns(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_nanos()).unwrap_or(i64::MAX),
        Err(e) => i64::try_from(e.duration().as_nanos()).map_or(i64::MIN, |n| -n),
    }
}

/// pdata timestamps are `uint64` cast to `int64` by the reference (so values above 2^63-1 wrap).
pub(crate) fn proto_ns(t: u64) -> i64 {
    t as i64
}

/// pdata `SpanKind.String()` of an OTLP span kind, `""` for unspecified or unknown.
pub(crate) fn span_kind_name(kind: i32) -> &'static str {
    match kind {
        1 => "Internal",
        2 => "Server",
        3 => "Client",
        4 => "Producer",
        5 => "Consumer",
        _ => "",
    }
}

/// The status code of an OTLP status (unknown codes read as unset).
pub(crate) fn status_code(code: i32) -> StatusCode {
    match ProtoStatusCode::try_from(code) {
        Ok(ProtoStatusCode::Ok) => StatusCode::Ok,
        Ok(ProtoStatusCode::Error) => StatusCode::Error,
        _ => StatusCode::Unset,
    }
}

fn id<const N: usize>(bytes: &[u8]) -> [u8; N] {
    // A malformed OTLP id (wrong length) reads as all zero, i.e. "no id".
    bytes.try_into().unwrap_or([0; N])
}

fn nonzero_id<const N: usize>(id: [u8; N]) -> Option<[u8; N]> {
    (id != [0; N]).then_some(id)
}

// ---- SDK ----

impl SpanView for SpanData {
    type Event = Event;
    type Link = Link;

    fn trace_id(&self) -> [u8; 16] {
        self.span_context.trace_id().to_bytes()
    }
    fn span_id(&self) -> [u8; 8] {
        self.span_context.span_id().to_bytes()
    }
    fn parent_span_id(&self) -> [u8; 8] {
        self.parent_span_id.to_bytes()
    }
    fn trace_state(&self) -> Cow<'_, str> {
        // `TraceState` only exposes its text through `header()`, which allocates when the state
        // is non-empty (an empty state costs nothing).
        Cow::Owned(self.span_context.trace_state().header())
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn kind(&self) -> &'static str {
        match self.span_kind {
            SpanKind::Client => "Client",
            SpanKind::Server => "Server",
            SpanKind::Producer => "Producer",
            SpanKind::Consumer => "Consumer",
            SpanKind::Internal => "Internal",
        }
    }
    fn start_ns(&self) -> i64 {
        system_time_ns(self.start_time)
    }
    fn end_ns(&self) -> i64 {
        system_time_ns(self.end_time)
    }
    fn attributes(&self) -> impl Iterator<Item = Attr<'_>> {
        sdk_attrs(&self.attributes)
    }
    fn dropped_attributes_count(&self) -> u32 {
        self.dropped_attributes_count
    }
    fn events(&self) -> &[Event] {
        &self.events.events
    }
    fn dropped_events_count(&self) -> u32 {
        self.events.dropped_count
    }
    fn links(&self) -> &[Link] {
        &self.links.links
    }
    fn dropped_links_count(&self) -> u32 {
        self.links.dropped_count
    }
    fn status(&self) -> (StatusCode, &str) {
        match &self.status {
            Status::Unset => (StatusCode::Unset, ""),
            Status::Ok => (StatusCode::Ok, ""),
            Status::Error { description } => (StatusCode::Error, description),
        }
    }
}

impl EventView for Event {
    fn name(&self) -> &str {
        &self.name
    }
    fn time_ns(&self) -> i64 {
        system_time_ns(self.timestamp)
    }
    fn attributes(&self) -> impl Iterator<Item = Attr<'_>> {
        sdk_attrs(&self.attributes)
    }
    fn dropped_attributes_count(&self) -> u32 {
        self.dropped_attributes_count
    }
}

impl LinkView for Link {
    fn trace_id(&self) -> [u8; 16] {
        self.span_context.trace_id().to_bytes()
    }
    fn span_id(&self) -> [u8; 8] {
        self.span_context.span_id().to_bytes()
    }
    fn trace_state(&self) -> Cow<'_, str> {
        Cow::Owned(self.span_context.trace_state().header())
    }
    fn attributes(&self) -> impl Iterator<Item = Attr<'_>> {
        sdk_attrs(&self.attributes)
    }
    fn dropped_attributes_count(&self) -> u32 {
        self.dropped_attributes_count
    }
}

impl LogRecordView for SdkLogRecord {
    fn time_ns(&self) -> Option<i64> {
        self.timestamp().map(system_time_ns)
    }
    fn observed_ns(&self) -> Option<i64> {
        self.observed_timestamp().map(system_time_ns)
    }
    fn trace_context(&self) -> Option<([u8; 16], [u8; 8])> {
        let cx = self.trace_context()?;
        Some((
            nonzero_id(cx.trace_id.to_bytes())?,
            nonzero_id(cx.span_id.to_bytes())?,
        ))
    }
    fn severity_number(&self) -> i32 {
        self.severity_number().map_or(0, |s| s as i32)
    }
    fn severity_text(&self) -> &str {
        self.severity_text().unwrap_or_default()
    }
    fn body(&self) -> ValueView<'_> {
        self.body().map_or(ValueView::Empty, AttributeValue::view)
    }
    fn attributes(&self) -> impl Iterator<Item = Attr<'_>> {
        self.attributes_iter().map(|(k, v)| (k.as_str(), v.view()))
    }
    fn dropped_attributes_count(&self) -> u32 {
        // The SDK record does not expose a dropped count.
        0
    }
}

// ---- OTLP protobuf ----

impl SpanView for ProtoSpan {
    type Event = ProtoEvent;
    type Link = ProtoLink;

    fn trace_id(&self) -> [u8; 16] {
        id(&self.trace_id)
    }
    fn span_id(&self) -> [u8; 8] {
        id(&self.span_id)
    }
    fn parent_span_id(&self) -> [u8; 8] {
        id(&self.parent_span_id)
    }
    fn trace_state(&self) -> Cow<'_, str> {
        Cow::Borrowed(&self.trace_state)
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn kind(&self) -> &'static str {
        span_kind_name(self.kind)
    }
    fn start_ns(&self) -> i64 {
        proto_ns(self.start_time_unix_nano)
    }
    fn end_ns(&self) -> i64 {
        proto_ns(self.end_time_unix_nano)
    }
    fn attributes(&self) -> impl Iterator<Item = Attr<'_>> {
        proto_attrs(&self.attributes)
    }
    fn dropped_attributes_count(&self) -> u32 {
        self.dropped_attributes_count
    }
    fn events(&self) -> &[ProtoEvent] {
        &self.events
    }
    fn dropped_events_count(&self) -> u32 {
        self.dropped_events_count
    }
    fn links(&self) -> &[ProtoLink] {
        &self.links
    }
    fn dropped_links_count(&self) -> u32 {
        self.dropped_links_count
    }
    fn status(&self) -> (StatusCode, &str) {
        let Some(status) = &self.status else {
            return (StatusCode::Unset, "");
        };
        (status_code(status.code), &status.message)
    }
}

impl EventView for ProtoEvent {
    fn name(&self) -> &str {
        &self.name
    }
    fn time_ns(&self) -> i64 {
        proto_ns(self.time_unix_nano)
    }
    fn attributes(&self) -> impl Iterator<Item = Attr<'_>> {
        proto_attrs(&self.attributes)
    }
    fn dropped_attributes_count(&self) -> u32 {
        self.dropped_attributes_count
    }
}

impl LinkView for ProtoLink {
    fn trace_id(&self) -> [u8; 16] {
        id(&self.trace_id)
    }
    fn span_id(&self) -> [u8; 8] {
        id(&self.span_id)
    }
    fn trace_state(&self) -> Cow<'_, str> {
        Cow::Borrowed(&self.trace_state)
    }
    fn attributes(&self) -> impl Iterator<Item = Attr<'_>> {
        proto_attrs(&self.attributes)
    }
    fn dropped_attributes_count(&self) -> u32 {
        self.dropped_attributes_count
    }
}

impl LogRecordView for ProtoLogRecord {
    fn time_ns(&self) -> Option<i64> {
        (self.time_unix_nano != 0).then(|| proto_ns(self.time_unix_nano))
    }
    fn observed_ns(&self) -> Option<i64> {
        (self.observed_time_unix_nano != 0).then(|| proto_ns(self.observed_time_unix_nano))
    }
    fn trace_context(&self) -> Option<([u8; 16], [u8; 8])> {
        Some((
            nonzero_id(id(&self.trace_id))?,
            nonzero_id(id(&self.span_id))?,
        ))
    }
    fn severity_number(&self) -> i32 {
        self.severity_number
    }
    fn severity_text(&self) -> &str {
        &self.severity_text
    }
    fn body(&self) -> ValueView<'_> {
        self.body.view()
    }
    fn attributes(&self) -> impl Iterator<Item = Attr<'_>> {
        proto_attrs(&self.attributes)
    }
    fn dropped_attributes_count(&self) -> u32 {
        self.dropped_attributes_count
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn system_times_convert_to_signed_nanoseconds() {
        assert_eq!(system_time_ns(UNIX_EPOCH), 0);
        assert_eq!(system_time_ns(UNIX_EPOCH + Duration::from_nanos(5)), 5);
        assert_eq!(system_time_ns(UNIX_EPOCH - Duration::from_nanos(5)), -5);
    }

    #[test]
    fn malformed_proto_ids_read_as_missing() {
        assert_eq!(id::<8>(&[1, 2, 3]), [0; 8]);
        assert_eq!(id::<8>(&[0, 0, 0, 0, 0, 0, 0, 9]), [0, 0, 0, 0, 0, 0, 0, 9]);
        assert_eq!(nonzero_id([0u8; 8]), None);
    }
}
