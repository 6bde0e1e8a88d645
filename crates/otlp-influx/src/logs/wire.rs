//! OTLP protobuf log records read in place from a validated request body (`crate::decode`),
//! seen through the log-record view.

use super::view::LogRecordView;
use crate::decode::protobuf::wire::{Fields, Run, Text, any_value_member, attributes_in, messages};
use crate::layout::AttrList;
use crate::traces::wire::merged_attributes;
use crate::value::ValueView;
use crate::view::{Attr, id, nonzero_id, proto_ns};
use crate::{MappingReport, OtlpMapper};

/// A log record's fields (the last value of a repeated singular field wins), its attributes
/// still in the body.
#[derive(Debug, Clone, Copy, Default)]
struct WireLogRecord<'b> {
    time: u64,
    observed: u64,
    severity_number: i32,
    severity_text: &'b str,
    /// The last body given (its value is read when asked for).
    body: Option<&'b [u8]>,
    /// Whether the body was given more than once (prost merges the occurrences).
    body_repeated: bool,
    dropped_attributes: u32,
    trace_id: [u8; 16],
    span_id: [u8; 8],
    message: &'b [u8],
    /// The record's attribute fields (field 6).
    attributes: &'b [u8],
}

impl<'b> WireLogRecord<'b> {
    fn read(message: &'b [u8]) -> Self {
        let mut record = Self {
            message,
            ..Self::default()
        };
        let mut attributes = Run::default();
        let mut fields = Fields::new(message);
        loop {
            let start = fields.offset();
            let Some((number, value)) = fields.next() else {
                break;
            };
            match number {
                6 => attributes.cover(start, fields.offset()),
                1 => record.time = value.fixed64(),
                2 => record.severity_number = value.i32(),
                3 => record.severity_text = value.str(),
                5 => {
                    record.body_repeated |= record.body.is_some();
                    record.body = Some(value.bytes());
                }
                7 => record.dropped_attributes = value.u32(),
                9 => record.trace_id = id(value.bytes()),
                10 => record.span_id = id(value.bytes()),
                11 => record.observed = value.fixed64(),
                _ => {}
            }
        }
        record.attributes = attributes.of(message);
        record
    }
}

impl LogRecordView for WireLogRecord<'_> {
    fn time_ns(&self) -> Option<i64> {
        (self.time != 0).then(|| proto_ns(self.time))
    }
    fn observed_ns(&self) -> Option<i64> {
        (self.observed != 0).then(|| proto_ns(self.observed))
    }
    fn trace_context(&self) -> Option<([u8; 16], [u8; 8])> {
        Some((nonzero_id(self.trace_id)?, nonzero_id(self.span_id)?))
    }
    fn severity_number(&self) -> i32 {
        self.severity_number
    }
    fn severity_text(&self) -> &str {
        self.severity_text
    }
    fn body(&self) -> ValueView<'_> {
        // A body given more than once is merged by prost: the last member set wins, an empty
        // occurrence changes nothing (list and map values given twice prost concatenates; the
        // last one is kept here).
        match self.body {
            None => ValueView::Empty,
            // Given once, the usual case: no second pass over the record to find it.
            Some(body) if !self.body_repeated => {
                any_value_member(body, &mut Text::new(body)).unwrap_or(ValueView::Empty)
            }
            Some(_) => messages(self.message, 5)
                .filter_map(|body| any_value_member(body, &mut Text::new(body)))
                .last()
                .unwrap_or(ValueView::Empty),
        }
    }
    fn attributes(&self) -> impl Iterator<Item = Attr<'_>> {
        attributes_in(self.attributes, 6)
    }
    fn dropped_attributes_count(&self) -> u32 {
        self.dropped_attributes
    }
}

impl OtlpMapper {
    /// Maps a validated `ExportLogsServiceRequest` body, read in place.
    pub(crate) fn map_wire_logs(
        &mut self,
        body: &[u8],
        out: &mut lineproto::Encoder,
        report: &mut MappingReport,
    ) {
        let mut scratch = self.take_wire();
        for resource_logs in messages(body, 1) {
            merged_attributes(&mut scratch.resource, resource_logs, 1, 1);
            for scope_logs in messages(resource_logs, 2) {
                merged_attributes(&mut scratch.scope, scope_logs, 1, 3);
                for record in messages(scope_logs, 2) {
                    let record = WireLogRecord::read(record);
                    let mut attrs = AttrList::new(self.take_attrs());
                    self.map_log_record(
                        &scratch.resource[..],
                        &scratch.scope[..],
                        &record,
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
