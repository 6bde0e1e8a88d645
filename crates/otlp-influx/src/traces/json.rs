//! Decoded OTLP/JSON spans (`crate::decode`) seen through the trace views, and the walk over a
//! request: a span that could not be decoded, or whose resource or scope could not be read, is
//! counted as received and rejected.

use std::borrow::Cow;

use super::view::{EventView, LinkView, SpanView, StatusCode};
use crate::decode::json::model::{Event, Item, Link, Request, ScopeLevel, Span};
use crate::layout::AttrList;
use crate::view::{Attr, json_attrs, proto_ns, span_kind_name, status_code};
use crate::{MappingReport, OtlpMapper};

/// A count the source gave plus what the decoding left out.
fn plus(count: u32, left_out: u32) -> u32 {
    count.saturating_add(left_out)
}

impl<'de> SpanView for Span<'de> {
    type Event = Event<'de>;
    type Link = Link<'de>;

    fn trace_id(&self) -> [u8; 16] {
        self.trace_id
    }
    fn span_id(&self) -> [u8; 8] {
        self.span_id
    }
    fn parent_span_id(&self) -> [u8; 8] {
        self.parent_span_id
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
        json_attrs(&self.attributes.items)
    }
    fn dropped_attributes_count(&self) -> u32 {
        plus(self.dropped_attributes_count, self.attributes.left_out)
    }
    fn events(&self) -> &[Event<'de>] {
        &self.events.items
    }
    fn dropped_events_count(&self) -> u32 {
        plus(self.dropped_events_count, self.events.left_out)
    }
    fn links(&self) -> &[Link<'de>] {
        &self.links.items
    }
    fn dropped_links_count(&self) -> u32 {
        plus(self.dropped_links_count, self.links.left_out)
    }
    fn status(&self) -> (StatusCode, &str) {
        (status_code(self.status.code), &self.status.message)
    }
}

impl EventView for Event<'_> {
    fn name(&self) -> &str {
        &self.name
    }
    fn time_ns(&self) -> i64 {
        proto_ns(self.time_unix_nano)
    }
    fn attributes(&self) -> impl Iterator<Item = Attr<'_>> {
        json_attrs(&self.attributes.items)
    }
    fn dropped_attributes_count(&self) -> u32 {
        plus(self.dropped_attributes_count, self.attributes.left_out)
    }
}

impl LinkView for Link<'_> {
    fn trace_id(&self) -> [u8; 16] {
        self.trace_id
    }
    fn span_id(&self) -> [u8; 8] {
        self.span_id
    }
    fn trace_state(&self) -> Cow<'_, str> {
        Cow::Borrowed(&self.trace_state)
    }
    fn attributes(&self) -> impl Iterator<Item = Attr<'_>> {
        json_attrs(&self.attributes.items)
    }
    fn dropped_attributes_count(&self) -> u32 {
        plus(self.dropped_attributes_count, self.attributes.left_out)
    }
}

impl OtlpMapper {
    /// Maps a decoded OTLP/JSON traces request; undecodable spans (and the spans of a resource
    /// or scope that could not be read) are counted as received and rejected.
    pub(crate) fn map_json_traces(
        &mut self,
        request: &Request<'_, ScopeLevel<'_, Span<'_>>>,
        out: &mut lineproto::Encoder,
        report: &mut MappingReport,
    ) {
        let mut list = AttrList::new(self.take_attrs());
        for resource in &request.resources {
            let resource_attrs = &resource.resource.attributes.items[..];
            for scope in &resource.scopes {
                let scope_attrs = &scope.scope.attributes.items[..];
                for span in &scope.items.0 {
                    match span {
                        Item::Decoded(span) if !resource.bad && !scope.bad => {
                            self.map_span(resource_attrs, scope_attrs, span, &mut list, out, report)
                        }
                        _ => report.spans.record(false),
                    }
                }
            }
        }
        self.return_attrs(list.list);
    }
}
