//! Decoded OTLP/JSON log records (`crate::decode`) seen through the log-record view, and the
//! walk over a request (see `traces/json.rs`).

use super::view::LogRecordView;
use crate::decode::json::model::{Item, LogRecord, Request, ScopeLevel};
use crate::layout::AttrList;
use crate::value::{AttributeValue, ValueView};
use crate::view::{Attr, json_attrs, proto_ns};
use crate::{MappingReport, OtlpMapper};

/// A count the source gave plus what the decoding left out.
fn plus(count: u32, left_out: u32) -> u32 {
    count.saturating_add(left_out)
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
        json_attrs(&self.attributes.items)
    }
    fn dropped_attributes_count(&self) -> u32 {
        plus(self.dropped_attributes_count, self.attributes.left_out)
    }
}

impl OtlpMapper {
    /// Maps a decoded OTLP/JSON logs request (see `traces/json.rs`).
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
}
