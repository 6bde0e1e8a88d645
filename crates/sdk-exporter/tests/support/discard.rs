//! A sink that accepts every line and does nothing with it: the exporter's own cost alone.

use std::time::Instant;

use sdk_exporter::{LineSink, SinkFuture, SinkOutcome};

/// Accepts every line, keeps nothing.
#[derive(Debug)]
pub(crate) struct Discard;

impl LineSink for Discard {
    fn write<'a>(&'a self, lines: lineproto::Lines<'a>, _deadline: Instant) -> SinkFuture<'a> {
        Box::pin(std::future::ready(SinkOutcome::written(lines.len())))
    }
}
