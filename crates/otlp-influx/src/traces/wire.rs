//! OTLP protobuf spans read in place from a validated request body (`crate::decode`), seen
//! through the trace views: one pass over a span's fields reads its scalars and its events and
//! links; its attributes are read from the body when the schema asks for them.

use std::borrow::Cow;

use super::view::{EventView, LinkView, SpanView, StatusCode};
use crate::decode::protobuf::wire::{Fields, Run, attributes, attributes_in, messages};
use crate::layout::AttrList;
use crate::view::{Attr, id, proto_ns, span_kind_name, status_code};
use crate::{MappingReport, OtlpMapper};

/// A span's fields (prost's reading: the last value of a repeated singular field wins, the
/// status is the merge of its occurrences), its attributes still in the body.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct WireSpan<'b> {
    trace_id: [u8; 16],
    span_id: [u8; 8],
    parent_span_id: [u8; 8],
    trace_state: &'b str,
    name: &'b str,
    kind: i32,
    start: u64,
    end: u64,
    dropped_attributes: u32,
    dropped_events: u32,
    dropped_links: u32,
    status_code: i32,
    status_message: &'b str,
    /// The span's attribute fields (field 9), read when the schema asks for them.
    attributes: &'b [u8],
}

impl<'b> WireSpan<'b> {
    /// Reads a span, pushing its events and links onto the (cleared) lists.
    fn read(
        message: &'b [u8],
        events: &mut Vec<WireEvent<'b>>,
        links: &mut Vec<WireLink<'b>>,
    ) -> Self {
        let mut span = Self::default();
        let mut attributes = Run::default();
        let mut fields = Fields::new(message);
        loop {
            let start = fields.offset();
            let Some((number, value)) = fields.next() else {
                break;
            };
            match number {
                9 => attributes.cover(start, fields.offset()),
                1 => span.trace_id = id(value.bytes()),
                2 => span.span_id = id(value.bytes()),
                3 => span.trace_state = value.str(),
                4 => span.parent_span_id = id(value.bytes()),
                5 => span.name = value.str(),
                6 => span.kind = value.i32(),
                7 => span.start = value.fixed64(),
                8 => span.end = value.fixed64(),
                10 => span.dropped_attributes = value.u32(),
                11 => events.push(WireEvent::read(value.bytes())),
                12 => span.dropped_events = value.u32(),
                13 => links.push(WireLink::read(value.bytes())),
                14 => span.dropped_links = value.u32(),
                15 => {
                    for (number, value) in Fields::new(value.bytes()) {
                        match number {
                            2 => span.status_message = value.str(),
                            3 => span.status_code = value.i32(),
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
        span.attributes = attributes.of(message);
        span
    }
}

/// A span event.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct WireEvent<'b> {
    time: u64,
    name: &'b str,
    dropped_attributes: u32,
    /// The event's attribute fields (field 3).
    attributes: &'b [u8],
}

impl<'b> WireEvent<'b> {
    fn read(message: &'b [u8]) -> Self {
        let mut event = Self::default();
        let mut attributes = Run::default();
        let mut fields = Fields::new(message);
        loop {
            let start = fields.offset();
            let Some((number, value)) = fields.next() else {
                break;
            };
            match number {
                1 => event.time = value.fixed64(),
                2 => event.name = value.str(),
                3 => attributes.cover(start, fields.offset()),
                4 => event.dropped_attributes = value.u32(),
                _ => {}
            }
        }
        event.attributes = attributes.of(message);
        event
    }
}

/// A span link.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct WireLink<'b> {
    trace_id: [u8; 16],
    span_id: [u8; 8],
    trace_state: &'b str,
    dropped_attributes: u32,
    /// The link's attribute fields (field 4).
    attributes: &'b [u8],
}

impl<'b> WireLink<'b> {
    fn read(message: &'b [u8]) -> Self {
        let mut link = Self::default();
        let mut attributes = Run::default();
        let mut fields = Fields::new(message);
        loop {
            let start = fields.offset();
            let Some((number, value)) = fields.next() else {
                break;
            };
            match number {
                1 => link.trace_id = id(value.bytes()),
                2 => link.span_id = id(value.bytes()),
                3 => link.trace_state = value.str(),
                4 => attributes.cover(start, fields.offset()),
                5 => link.dropped_attributes = value.u32(),
                _ => {}
            }
        }
        link.attributes = attributes.of(message);
        link
    }
}

/// A span with its events and links read.
struct SpanParts<'s, 'b> {
    span: WireSpan<'b>,
    events: &'s [WireEvent<'b>],
    links: &'s [WireLink<'b>],
}

impl<'b> SpanView for SpanParts<'_, 'b> {
    type Event = WireEvent<'b>;
    type Link = WireLink<'b>;

    fn trace_id(&self) -> [u8; 16] {
        self.span.trace_id
    }
    fn span_id(&self) -> [u8; 8] {
        self.span.span_id
    }
    fn parent_span_id(&self) -> [u8; 8] {
        self.span.parent_span_id
    }
    fn trace_state(&self) -> Cow<'_, str> {
        Cow::Borrowed(self.span.trace_state)
    }
    fn name(&self) -> &str {
        self.span.name
    }
    fn kind(&self) -> &'static str {
        span_kind_name(self.span.kind)
    }
    fn start_ns(&self) -> i64 {
        proto_ns(self.span.start)
    }
    fn end_ns(&self) -> i64 {
        proto_ns(self.span.end)
    }
    fn attributes(&self) -> impl Iterator<Item = Attr<'_>> {
        attributes_in(self.span.attributes, 9)
    }
    fn dropped_attributes_count(&self) -> u32 {
        self.span.dropped_attributes
    }
    fn events(&self) -> &[WireEvent<'b>] {
        self.events
    }
    fn dropped_events_count(&self) -> u32 {
        self.span.dropped_events
    }
    fn links(&self) -> &[WireLink<'b>] {
        self.links
    }
    fn dropped_links_count(&self) -> u32 {
        self.span.dropped_links
    }
    fn status(&self) -> (StatusCode, &str) {
        (status_code(self.span.status_code), self.span.status_message)
    }
}

impl EventView for WireEvent<'_> {
    fn name(&self) -> &str {
        self.name
    }
    fn time_ns(&self) -> i64 {
        proto_ns(self.time)
    }
    fn attributes(&self) -> impl Iterator<Item = Attr<'_>> {
        attributes_in(self.attributes, 3)
    }
    fn dropped_attributes_count(&self) -> u32 {
        self.dropped_attributes
    }
}

impl LinkView for WireLink<'_> {
    fn trace_id(&self) -> [u8; 16] {
        self.trace_id
    }
    fn span_id(&self) -> [u8; 8] {
        self.span_id
    }
    fn trace_state(&self) -> Cow<'_, str> {
        Cow::Borrowed(self.trace_state)
    }
    fn attributes(&self) -> impl Iterator<Item = Attr<'_>> {
        attributes_in(self.attributes, 4)
    }
    fn dropped_attributes_count(&self) -> u32 {
        self.dropped_attributes
    }
}

/// The attributes of a resource or scope: every occurrence of the message (field `field` of
/// `parent`) merged, as prost merges them: their attributes (field `attributes`) in order.
pub(crate) fn merged_attributes<'b>(
    into: &mut Vec<Attr<'b>>,
    parent: &'b [u8],
    field: u32,
    attributes_field: u32,
) {
    into.clear();
    for message in messages(parent, field) {
        into.extend(attributes(message, attributes_field));
    }
}

impl OtlpMapper {
    /// Maps a validated `ExportTraceServiceRequest` body, read in place.
    pub(crate) fn map_wire_traces(
        &mut self,
        body: &[u8],
        out: &mut lineproto::Encoder,
        report: &mut MappingReport,
    ) {
        let mut scratch = self.take_wire();
        for resource_spans in messages(body, 1) {
            merged_attributes(&mut scratch.resource, resource_spans, 1, 1);
            for scope_spans in messages(resource_spans, 2) {
                merged_attributes(&mut scratch.scope, scope_spans, 1, 3);
                for span in messages(scope_spans, 2) {
                    scratch.events.clear();
                    scratch.links.clear();
                    let span = WireSpan::read(span, &mut scratch.events, &mut scratch.links);
                    let parts = SpanParts {
                        span,
                        events: &scratch.events,
                        links: &scratch.links,
                    };
                    let mut attrs = AttrList::new(self.take_attrs());
                    self.map_span(
                        &scratch.resource[..],
                        &scratch.scope[..],
                        &parts,
                        &mut attrs,
                        out,
                        report,
                    );
                    self.return_attrs(attrs.list);
                }
            }
        }
        self.return_wire(scratch);
    }
}
