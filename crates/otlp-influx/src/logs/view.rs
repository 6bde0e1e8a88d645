//! What the log-record schema reads from a record: a small trait that each input kind
//! implements (SDK `SdkLogRecord`, OTLP protobuf, OTLP/JSON).

use crate::value::ValueView;
use crate::view::Attr;

/// What the schema reads from a log record.
pub(crate) trait LogRecordView {
    /// `None` when unset.
    fn time_ns(&self) -> Option<i64>;
    /// `None` when unset.
    fn observed_ns(&self) -> Option<i64>;
    /// Trace and span id, when both are set and non-zero.
    fn trace_context(&self) -> Option<([u8; 16], [u8; 8])>;
    /// 0 when unset.
    fn severity_number(&self) -> i32;
    fn severity_text(&self) -> &str;
    fn body(&self) -> ValueView<'_>;
    fn attributes(&self) -> impl Iterator<Item = Attr<'_>>;
    fn dropped_attributes_count(&self) -> u32;
}
