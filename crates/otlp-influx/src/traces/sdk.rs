//! The SDK's `SpanData` (and its events and links) seen through the trace views.

use std::borrow::Cow;

use opentelemetry::trace::{Event, Link, SpanKind, Status};
use opentelemetry_sdk::trace::SpanData;

use super::view::{EventView, LinkView, SpanView, StatusCode};
use crate::view::{Attr, sdk_attrs, system_time_ns};

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
