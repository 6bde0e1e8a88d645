//! The decoded OTLP/JSON request seen through the mapping's view traits, and walked item by
//! item: the schema code is the one SDK and protobuf input use.

use std::borrow::Cow;

use super::de::Item;
use super::model::{
    AnyValue, Event, KeyValue, Link, LogRecord, Request, ScopeLevel, ScopeMetrics, Span,
};
use crate::layout::AttrList;
use crate::value::{ArrayView, AttributeValue, MapView, ValueView};
use crate::view::{
    Attr, AttrSource, EventView, LinkView, LogRecordView, SpanView, StatusCode, proto_ns,
    span_kind_name, status_code,
};
use crate::{MappingReport, OtlpMapper};

impl AttributeValue for AnyValue<'_> {
    fn view(&self) -> ValueView<'_> {
        match self {
            Self::Empty => ValueView::Empty,
            Self::Str(s) => ValueView::Str(s),
            Self::Bool(b) => ValueView::Bool(*b),
            Self::Int(i) => ValueView::Int(*i),
            Self::Double(f) => ValueView::Double(*f),
            Self::Bytes(b) => ValueView::Bytes(b),
            Self::Array(values) => ValueView::Array(ArrayView::json(values)),
            Self::Map(entries) => ValueView::Map(MapView::json(entries)),
        }
    }
}

fn attrs<'a>(list: &'a [KeyValue<'_>]) -> impl Iterator<Item = Attr<'a>> + Clone {
    list.iter().map(|kv| (&*kv.key, kv.value.view()))
}

impl AttrSource for [KeyValue<'_>] {
    fn attrs(&self) -> impl Iterator<Item = Attr<'_>> {
        attrs(self)
    }
}

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
        attrs(&self.attributes.items)
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
        attrs(&self.attributes.items)
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
        attrs(&self.attributes.items)
    }
    fn dropped_attributes_count(&self) -> u32 {
        plus(self.dropped_attributes_count, self.attributes.left_out)
    }
}

impl LogRecordView for LogRecord<'_> {
    fn time_ns(&self) -> Option<i64> {
        (self.time_unix_nano != 0).then(|| proto_ns(self.time_unix_nano))
    }
    fn observed_ns(&self) -> Option<i64> {
        (self.observed_time_unix_nano != 0).then(|| proto_ns(self.observed_time_unix_nano))
    }
    fn trace_context(&self) -> Option<([u8; 16], [u8; 8])> {
        (self.trace_id != [0; 16] && self.span_id != [0; 8])
            .then_some((self.trace_id, self.span_id))
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
        attrs(&self.attributes.items)
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

    /// Maps a decoded OTLP/JSON logs request (see [`OtlpMapper::map_json_traces`]).
    pub(crate) fn map_json_logs(
        &mut self,
        request: &Request<'_, ScopeLevel<'_, LogRecord<'_>>>,
        out: &mut lineproto::Encoder,
        report: &mut MappingReport,
    ) {
        let mut list = AttrList::new(self.take_attrs());
        for resource in &request.resources {
            let resource_attrs = &resource.resource.attributes.items[..];
            for scope in &resource.scopes {
                let scope_attrs = &scope.scope.attributes.items[..];
                for record in &scope.items.0 {
                    match record {
                        Item::Decoded(record) if !resource.bad && !scope.bad => self
                            .map_log_record(
                                resource_attrs,
                                scope_attrs,
                                record,
                                &mut list,
                                out,
                                report,
                            ),
                        _ => report.log_records.record(false),
                    }
                }
            }
        }
        self.return_attrs(list.list);
    }

    /// Maps a decoded OTLP/JSON metrics request (see [`crate::metrics`]).
    pub(crate) fn map_json_metrics(
        &mut self,
        request: &Request<'_, ScopeMetrics<'_>>,
        out: &mut lineproto::Encoder,
        report: &mut MappingReport,
    ) {
        crate::metrics::json::write(&mut self.metric_writer, request, out, report);
    }
}
