//! Log records to `logs`, over [`LogRecordView`] so that SDK and OTLP input share it.

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_sdk::logs::LogBatch;

use crate::{
    DropReason, MappingReport, OtlpMapper, PreparedResource,
    layout::{AttrList, JsonAttrs, KeyRule},
    lines::{LineIds, LineParts, LineWriter, Val},
    schema,
    traces::attributes_json,
    value::ValueView,
    view::{AttrSource, LogRecordView, proto_resource_attrs, proto_scope_attrs},
};

impl OtlpMapper {
    /// Maps an SDK log batch to `logs` lines.
    pub fn map_sdk_logs(
        &mut self,
        resource: &PreparedResource,
        batch: &LogBatch<'_>,
        out: &mut lineproto::Encoder,
        report: &mut MappingReport,
    ) {
        let mut attrs = AttrList::new(self.take_attrs());
        for (record, scope) in batch.iter() {
            self.map_log_record(resource, scope, record, &mut attrs, out, report);
        }
        self.return_attrs(attrs.list);
    }

    /// Maps an OTLP logs export request, resource by resource, scope by scope, in input order.
    pub fn map_proto_logs(
        &mut self,
        request: &ExportLogsServiceRequest,
        out: &mut lineproto::Encoder,
        report: &mut MappingReport,
    ) {
        let mut attrs = AttrList::new(self.take_attrs());
        for resource_logs in &request.resource_logs {
            let resource = proto_resource_attrs(resource_logs.resource.as_ref());
            for scope_logs in &resource_logs.scope_logs {
                let scope = proto_scope_attrs(scope_logs.scope.as_ref());
                for record in &scope_logs.log_records {
                    self.map_log_record(resource, scope, record, &mut attrs, out, report);
                }
            }
        }
        self.return_attrs(attrs.list);
    }

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
        let mut vals: [Option<Val<'_>>; schema::LOG_FIELDS.len()] = [
            None, // attributes: below, after the tags
            Some(Val::Text(body)),
            None, // dropped_attributes_count: below
            None, // event.name: span events only
            observed.map(Val::I64),
            (severity_number != 0).then_some(Val::I64(i64::from(severity_number))),
            (!severity_text.is_empty()).then_some(Val::Str(severity_text)),
        ];
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
        vals[0] = attributes_json(
            &json,
            &writer.scratch.slots,
            &mut dropped_attributes,
            writer.report,
            || "log record".into(),
        );
        vals[2] = (dropped_attributes > 0).then_some(Val::U64(dropped_attributes));
        let written = writer.finish(&mut vals, &json, timestamp, || {
            format!("log record at {timestamp}")
        });
        report.log_records.record(written);
    }
}
