//! The trace schema, written once over the view traits: per span its events (`logs`), links
//! (`span-links`), then the span (`spans`).

use super::view::{EventView, LinkView, SpanView};
use crate::{
    DropReason, MappingReport, OtlpMapper,
    layout::{AttrList, JsonAttrs, KeyRule, attributes_json},
    lines::{LineIds, LineParts, LineWriter, Val, hex_text},
    schema::{LOG_FIELDS, SPAN_FIELDS, SPAN_LINK_FIELDS, log, span, span_link as link_field},
    view::AttrSource,
};

impl OtlpMapper {
    /// One span with its events and links; counts it in `report.spans` (rejected when its
    /// `spans` line is not written).
    pub(crate) fn map_span<'a, S: SpanView>(
        &mut self,
        resource: &'a (impl AttrSource + ?Sized),
        scope: &'a (impl AttrSource + ?Sized),
        span: &'a S,
        attrs: &mut AttrList<'a>,
        out: &mut lineproto::Encoder,
        report: &mut MappingReport,
    ) {
        let trace_id = span.trace_id();
        let span_id = span.span_id();
        if trace_id == [0; 16] || span_id == [0; 8] {
            let (reason, which) = if trace_id == [0; 16] {
                (DropReason::SpanWithoutTraceId, "trace")
            } else {
                (DropReason::SpanWithoutSpanId, "span")
            };
            report.record_drop(reason, || {
                format!("span {:?} has no {which} id", span.name())
            });
            report.spans.record(false);
            return;
        }
        let ids = LineIds {
            trace_id: Some(&trace_id),
            span_id: Some(&span_id),
            ..LineIds::default()
        };

        let mut dropped_events = u64::from(span.dropped_events_count());
        for event in span.events() {
            if !self.map_event(resource, scope, event, ids, attrs, out, report) {
                dropped_events += 1;
            }
        }
        let mut dropped_links = u64::from(span.dropped_links_count());
        for link in span.links() {
            if !self.map_link(link, ids, span.start_ns(), attrs, out, report) {
                dropped_links += 1;
            }
        }

        // Attributes: resource, then scope, then span; the last level wins (see
        // `KeyRule::Span` for dimensions seen at two levels).
        attrs.clear();
        attrs.extend(resource.attrs());
        attrs.extend(scope.attrs());
        attrs.extend(span.attributes());
        let plan = &self.plans.spans;
        let layout = self
            .layouts
            .layout(KeyRule::Span, attrs, &self.config.span_dimensions, plan);
        let json = JsonAttrs { layout, attrs };

        let parent = span.parent_span_id();
        let trace_state = span.trace_state();
        let (status, description) = span.status();
        let start = span.start_ns();
        let end = span.end_ns();
        // Attributes and dropped_attributes_count come after the tags (an invalid tag value
        // moves into the JSON).
        let mut vals: [Option<Val<'_>>; SPAN_FIELDS.len()] = [None; SPAN_FIELDS.len()];
        vals[span::DROPPED_EVENTS_COUNT] = (dropped_events > 0).then_some(Val::U64(dropped_events));
        vals[span::DROPPED_LINKS_COUNT] = (dropped_links > 0).then_some(Val::U64(dropped_links));
        vals[span::DURATION_NANO] = Some(Val::I64(end.saturating_sub(start)));
        vals[span::END_TIME_UNIX_NANO] = Some(Val::I64(end));
        vals[span::OTEL_STATUS_CODE] = status.as_field().map(Val::Str);
        vals[span::OTEL_STATUS_DESCRIPTION] =
            (!description.is_empty()).then_some(Val::Str(description));
        vals[span::PARENT_SPAN_ID] = (parent != [0; 8]).then_some(Val::Hex(&parent));
        vals[span::SPAN_KIND] = (!span.kind().is_empty()).then_some(Val::Str(span.kind()));
        vals[span::SPAN_NAME] = (!span.name().is_empty()).then_some(Val::Str(span.name()));
        vals[span::TRACE_STATE] = (!trace_state.is_empty()).then_some(Val::Str(&trace_state));

        let parts = LineParts {
            out,
            report: &mut *report,
            scratch: &mut self.line_scratch,
            stable: self.config.stable_columns,
        };
        let writer = LineWriter::start(
            parts,
            plan,
            ids,
            |slot, _| layout.slot_value(slot, &attrs.list),
            &vals,
        );
        let mut dropped_attributes = u64::from(span.dropped_attributes_count());
        vals[span::ATTRIBUTES] = attributes_json(
            &json,
            &writer.scratch.slots,
            &mut dropped_attributes,
            writer.report,
            || format!("span {}", hex_text(Some(&span_id))),
        );
        vals[span::DROPPED_ATTRIBUTES_COUNT] =
            (dropped_attributes > 0).then_some(Val::U64(dropped_attributes));
        let written = writer.finish(&mut vals, &json, start, || {
            format!(
                "span {} of trace {}",
                hex_text(Some(&span_id)),
                hex_text(Some(&trace_id))
            )
        });
        report.spans.record(written);
    }

    /// One event as a `logs` line. Returns false when the event was dropped (counted).
    #[allow(clippy::too_many_arguments)]
    fn map_event<'a>(
        &mut self,
        resource: &'a (impl AttrSource + ?Sized),
        scope: &'a (impl AttrSource + ?Sized),
        event: &'a impl EventView,
        ids: LineIds<'_>,
        attrs: &mut AttrList<'a>,
        out: &mut lineproto::Encoder,
        report: &mut MappingReport,
    ) -> bool {
        attrs.clear();
        attrs.extend(event.attributes());
        let plan = &self.plans.events;
        let json = JsonAttrs {
            layout: self.layouts.layout(KeyRule::Own, attrs, &[], plan),
            attrs,
        };
        let mut dropped_attributes = u64::from(event.dropped_attributes_count());
        let attributes = attributes_json(&json, &[], &mut dropped_attributes, report, || {
            format!("event {:?} of span {}", event.name(), hex_text(ids.span_id))
        });
        let mut vals = [None; LOG_FIELDS.len()];
        vals[log::ATTRIBUTES] = attributes;
        vals[log::DROPPED_ATTRIBUTES_COUNT] =
            (dropped_attributes > 0).then_some(Val::U64(dropped_attributes));
        vals[log::EVENT_NAME] = (!event.name().is_empty()).then_some(Val::Str(event.name()));
        if vals.iter().all(Option::is_none) {
            report.record_drop(DropReason::EmptyEvent, || {
                format!(
                    "event of span {} has no name and no attributes",
                    hex_text(ids.span_id)
                )
            });
            return false;
        }
        let parts = LineParts {
            out,
            report,
            scratch: &mut self.line_scratch,
            stable: self.config.stable_columns,
        };
        // Events carry no dimensions in the reference; in stable-columns mode the `logs` table
        // has the log-record dimensions, filled from the span's resource and scope.
        let writer = LineWriter::start(
            parts,
            plan,
            ids,
            |_, key| {
                resource
                    .attrs()
                    .chain(scope.attrs())
                    .filter(|(k, _)| *k == key)
                    .last()
                    .map(|(_, v)| v)
            },
            &vals,
        );
        writer.finish(&mut vals, &json, event.time_ns(), || {
            format!("event {:?} of span {}", event.name(), hex_text(ids.span_id))
        })
    }

    /// One link as a `span-links` line (timestamp: the span's start). Returns false when the
    /// link was dropped (counted).
    fn map_link<'a>(
        &mut self,
        link: &'a impl LinkView,
        span_ids: LineIds<'_>,
        span_start_ns: i64,
        attrs: &mut AttrList<'a>,
        out: &mut lineproto::Encoder,
        report: &mut MappingReport,
    ) -> bool {
        let (trace_id, span_id) = (link.trace_id(), link.span_id());
        if trace_id == [0; 16] || span_id == [0; 8] {
            report.record_drop(DropReason::LinkWithoutId, || {
                format!(
                    "link of span {} has no trace or span id",
                    hex_text(span_ids.span_id)
                )
            });
            return false;
        }
        let ids = LineIds {
            linked_trace_id: Some(&trace_id),
            linked_span_id: Some(&span_id),
            ..span_ids
        };
        attrs.clear();
        attrs.extend(link.attributes());
        let plan = &self.plans.links;
        let json = JsonAttrs {
            layout: self.layouts.layout(KeyRule::Own, attrs, &[], plan),
            attrs,
        };
        let mut dropped_attributes = u64::from(link.dropped_attributes_count());
        let attributes = attributes_json(&json, &[], &mut dropped_attributes, report, || {
            format!("link of span {}", hex_text(span_ids.span_id))
        });
        let trace_state = link.trace_state();
        let mut vals = [None; SPAN_LINK_FIELDS.len()];
        vals[link_field::ATTRIBUTES] = attributes;
        vals[link_field::DROPPED_ATTRIBUTES_COUNT] =
            (dropped_attributes > 0).then_some(Val::U64(dropped_attributes));
        vals[link_field::TRACE_STATE] = (!trace_state.is_empty()).then_some(Val::Str(&trace_state));
        if vals.iter().all(Option::is_none) {
            report.record_drop(DropReason::EmptyLink, || {
                format!(
                    "link of span {} has no trace state and no attributes",
                    hex_text(span_ids.span_id)
                )
            });
            return false;
        }
        let parts = LineParts {
            out,
            report,
            scratch: &mut self.line_scratch,
            stable: self.config.stable_columns,
        };
        let writer = LineWriter::start(parts, plan, ids, |_, _| None, &vals);
        writer.finish(&mut vals, &json, span_start_ns, || {
            format!("link of span {}", hex_text(span_ids.span_id))
        })
    }
}
