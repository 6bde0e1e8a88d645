//! OTLP protobuf spans (`opentelemetry-proto`, decoded by prost) seen through the trace views.

use std::borrow::Cow;

use opentelemetry_proto::tonic::trace::v1::{
    Span as ProtoSpan,
    span::{Event as ProtoEvent, Link as ProtoLink},
};

use super::view::{EventView, LinkView, SpanView, StatusCode};
use crate::view::{Attr, id, proto_attrs, proto_ns, span_kind_name, status_code};

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
