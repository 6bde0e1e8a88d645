//! OTLP protobuf log records seen through the log-record view.

use opentelemetry_proto::tonic::logs::v1::LogRecord as ProtoLogRecord;

use super::view::LogRecordView;
use crate::value::{AttributeValue, ValueView};
use crate::view::{Attr, id, nonzero_id, proto_attrs, proto_ns};

impl LogRecordView for ProtoLogRecord {
    fn time_ns(&self) -> Option<i64> {
        (self.time_unix_nano != 0).then(|| proto_ns(self.time_unix_nano))
    }
    fn observed_ns(&self) -> Option<i64> {
        (self.observed_time_unix_nano != 0).then(|| proto_ns(self.observed_time_unix_nano))
    }
    fn trace_context(&self) -> Option<([u8; 16], [u8; 8])> {
        Some((
            nonzero_id(id(&self.trace_id))?,
            nonzero_id(id(&self.span_id))?,
        ))
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
        proto_attrs(&self.attributes)
    }
    fn dropped_attributes_count(&self) -> u32 {
        self.dropped_attributes_count
    }
}
