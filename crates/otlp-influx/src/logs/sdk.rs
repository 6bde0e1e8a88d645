//! The SDK's `SdkLogRecord` seen through the log-record view.

use opentelemetry_sdk::logs::SdkLogRecord;

use super::view::LogRecordView;
use crate::value::{AttributeValue, ValueView};
use crate::view::{Attr, nonzero_id, system_time_ns};

impl LogRecordView for SdkLogRecord {
    fn time_ns(&self) -> Option<i64> {
        self.timestamp().map(system_time_ns)
    }
    fn observed_ns(&self) -> Option<i64> {
        self.observed_timestamp().map(system_time_ns)
    }
    fn trace_context(&self) -> Option<([u8; 16], [u8; 8])> {
        let cx = self.trace_context()?;
        Some((
            nonzero_id(cx.trace_id.to_bytes())?,
            nonzero_id(cx.span_id.to_bytes())?,
        ))
    }
    fn severity_number(&self) -> i32 {
        self.severity_number().map_or(0, |s| s as i32)
    }
    fn severity_text(&self) -> &str {
        self.severity_text().unwrap_or_default()
    }
    fn body(&self) -> ValueView<'_> {
        self.body().map_or(ValueView::Empty, AttributeValue::view)
    }
    fn attributes(&self) -> impl Iterator<Item = Attr<'_>> {
        self.attributes_iter().map(|(k, v)| (k.as_str(), v.view()))
    }
    fn dropped_attributes_count(&self) -> u32 {
        // The SDK record does not expose a dropped count.
        0
    }
}
