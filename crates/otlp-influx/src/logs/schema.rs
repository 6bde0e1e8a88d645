//! The log-record schema, written once over [`LogRecordView`].

use super::view::LogRecordView;
use crate::{
    DropReason, MappingReport, OtlpMapper,
    layout::{AttrList, JsonAttrs, KeyRule, attributes_json},
    lines::{LineIds, LineParts, LineWriter, Val},
    schema::{LOG_FIELDS, log},
    value::ValueView,
    view::AttrSource,
};

impl OtlpMapper {
    /// One log record; counts it in `report.log_records`.
    pub(crate) fn map_log_record<'a>(
        &mut self,
        resource: &'a (impl AttrSource + ?Sized),
        scope: &'a (impl AttrSource + ?Sized),
        record: &'a impl LogRecordView,
        attrs: &mut AttrList<'a>,
        out: &mut lineproto::Encoder,
        report: &mut MappingReport,
    ) {
        // Attributes: resource, then scope, then record; the last level wins (see
        // `KeyRule::LogRecord`).
        attrs.clear();
        attrs.extend(resource.attrs());
        attrs.extend(scope.attrs());
        attrs.extend(record.attributes());
        let plan = &self.plans.log_records;
        let layout = self.layouts.layout(
            KeyRule::LogRecord,
            attrs,
            &self.config.log_record_dimensions,
            plan,
        );
        let json = JsonAttrs { layout, attrs };

        let context = record.trace_context();
        let ids = LineIds {
            trace_id: context.as_ref().map(|(t, _)| &t[..]),
            span_id: context.as_ref().map(|(_, s)| &s[..]),
            ..LineIds::default()
        };

        let mut body = record.body();
        if body.has_non_finite() {
            report.record_drop(DropReason::NonFiniteValue, || {
                "log body holds NaN or infinity and has no JSON text: written as \"\"".into()
            });
            body = ValueView::Str("");
        }
        let observed = record.observed_ns().filter(|&t| t != 0);
        let severity_number = record.severity_number();
        let severity_text = record.severity_text();
        // Attributes and dropped_attributes_count come after the tags; event.name is for span
        // events only.
        let mut vals: [Option<Val<'_>>; LOG_FIELDS.len()] = [None; LOG_FIELDS.len()];
        vals[log::BODY] = Some(Val::Text(body));
        vals[log::OBSERVED_TIME_UNIX_NANO] = observed.map(Val::I64);
        vals[log::SEVERITY_NUMBER] =
            (severity_number != 0).then_some(Val::I64(i64::from(severity_number)));
        vals[log::SEVERITY_TEXT] = (!severity_text.is_empty()).then_some(Val::Str(severity_text));
        // Departure: a record without a timestamp is written at its observed time (the
        // reference writes 0).
        let timestamp = record.time_ns().or(observed).unwrap_or(0);

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
        let mut dropped_attributes = u64::from(record.dropped_attributes_count());
        vals[log::ATTRIBUTES] = attributes_json(
            &json,
            &writer.scratch.slots,
            &mut dropped_attributes,
            writer.report,
            || "log record".into(),
        );
        vals[log::DROPPED_ATTRIBUTES_COUNT] =
            (dropped_attributes > 0).then_some(Val::U64(dropped_attributes));
        let written = writer.finish(&mut vals, &json, timestamp, || {
            format!("log record at {timestamp}")
        });
        report.log_records.record(written);
    }
}
