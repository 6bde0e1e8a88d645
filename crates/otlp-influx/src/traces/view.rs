//! What the trace schema reads from a span, an event and a link: small traits that each input
//! kind implements (SDK `SpanData`, OTLP protobuf, OTLP/JSON).

use std::borrow::Cow;

use crate::view::Attr;

/// Span status as the schema writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StatusCode {
    Unset,
    Ok,
    Error,
}

impl StatusCode {
    /// pdata `StatusCode.String()` for the codes that are written.
    pub(crate) fn as_field(self) -> Option<&'static str> {
        match self {
            Self::Unset => None,
            Self::Ok => Some("Ok"),
            Self::Error => Some("Error"),
        }
    }
}

/// What the schema reads from a span.
pub(crate) trait SpanView {
    type Event: EventView;
    type Link: LinkView;
    fn trace_id(&self) -> [u8; 16];
    fn span_id(&self) -> [u8; 8];
    /// All zero for a root span.
    fn parent_span_id(&self) -> [u8; 8];
    fn trace_state(&self) -> Cow<'_, str>;
    fn name(&self) -> &str;
    /// pdata `SpanKind.String()`, `""` for unspecified.
    fn kind(&self) -> &'static str;
    fn start_ns(&self) -> i64;
    fn end_ns(&self) -> i64;
    fn attributes(&self) -> impl Iterator<Item = Attr<'_>>;
    fn dropped_attributes_count(&self) -> u32;
    fn events(&self) -> &[Self::Event];
    fn dropped_events_count(&self) -> u32;
    fn links(&self) -> &[Self::Link];
    fn dropped_links_count(&self) -> u32;
    fn status(&self) -> (StatusCode, &str);
}

/// What the schema reads from a span event.
pub(crate) trait EventView {
    fn name(&self) -> &str;
    fn time_ns(&self) -> i64;
    fn attributes(&self) -> impl Iterator<Item = Attr<'_>>;
    fn dropped_attributes_count(&self) -> u32;
}

/// What the schema reads from a span link.
pub(crate) trait LinkView {
    fn trace_id(&self) -> [u8; 16];
    fn span_id(&self) -> [u8; 8];
    fn trace_state(&self) -> Cow<'_, str>;
    fn attributes(&self) -> impl Iterator<Item = Attr<'_>>;
    fn dropped_attributes_count(&self) -> u32;
}
