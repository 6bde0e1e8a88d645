//! What a mapping call wrote and what it had to drop, by reason. Nothing is dropped silently.

use std::fmt;

use crate::Signal;

/// Why something was not written (a whole line, or a part of one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DropReason {
    /// The encoder refused a line (invalid name or tag value, no tags for Datalayers, ...):
    /// that line is lost, the others are kept.
    LineRejected,
    /// A span with an all-zero trace id: the span, its events and links are skipped.
    SpanWithoutTraceId,
    /// A span with an all-zero span id: the span, its events and links are skipped.
    SpanWithoutSpanId,
    /// A link with an all-zero trace or span id (counted in the span's `dropped_links_count`).
    LinkWithoutId,
    /// An event with no name and no attributes has no field to write (counted in the span's
    /// `dropped_events_count`).
    EmptyEvent,
    /// A link with no trace state and no attributes has no field to write (counted in the
    /// span's `dropped_links_count`).
    EmptyLink,
    /// An attribute held NaN or infinity (also nested in a list or map), which has no JSON
    /// text: that attribute was left out of its item's `attributes` JSON and added to its
    /// `dropped_attributes_count`; the other attributes were written. One per attribute.
    NonFiniteAttributes,
    /// A dimension value cannot be a tag value (control byte such as LF, trailing or ambiguous
    /// backslash, no JSON form): the tag is left out (or written as the placeholder in
    /// stable-columns mode); the value stays in the `attributes` JSON.
    InvalidTagValue,
    /// A field whose key is also a tag key of the line was left out (reference rule, counted in
    /// `dropped_attributes_count` too).
    TagFieldCollision,
    /// A metric value (or a whole point) that is NaN or infinite was skipped.
    NonFiniteValue,
    /// A metric point with nothing to write (empty value, every field skipped).
    EmptyPoint,
    /// A histogram whose bucket counts do not match its bounds.
    InvalidHistogram,
    /// A metric kind the schema cannot express.
    UnsupportedMetric,
    /// A span, log record or data point (or an event, link or exemplar of one) that could not
    /// be decoded from the request (OTLP/JSON: a value of the wrong type, an id that is not
    /// hex, an unknown enum name...): it alone is left out, the rest of the request is mapped.
    UndecodableItem,
    /// A value that could not be decoded where the rest of its item can still be written: an
    /// attribute (left out of its item and added to its `dropped_attributes_count`), or a
    /// resource or scope field the lines do not need.
    UndecodableValue,
}

impl DropReason {
    /// Every reason, in report order.
    pub const ALL: &[Self] = &[
        Self::LineRejected,
        Self::SpanWithoutTraceId,
        Self::SpanWithoutSpanId,
        Self::LinkWithoutId,
        Self::EmptyEvent,
        Self::EmptyLink,
        Self::NonFiniteAttributes,
        Self::InvalidTagValue,
        Self::TagFieldCollision,
        Self::NonFiniteValue,
        Self::EmptyPoint,
        Self::InvalidHistogram,
        Self::UnsupportedMetric,
        Self::UndecodableItem,
        Self::UndecodableValue,
    ];

    /// A short stable name, e.g. `span_without_trace_id` (used by `Display` and metrics labels).
    pub const fn name(self) -> &'static str {
        match self {
            Self::LineRejected => "line_rejected",
            Self::SpanWithoutTraceId => "span_without_trace_id",
            Self::SpanWithoutSpanId => "span_without_span_id",
            Self::LinkWithoutId => "link_without_id",
            Self::EmptyEvent => "empty_event",
            Self::EmptyLink => "empty_link",
            Self::NonFiniteAttributes => "non_finite_attributes",
            Self::InvalidTagValue => "invalid_tag_value",
            Self::TagFieldCollision => "tag_field_collision",
            Self::NonFiniteValue => "non_finite_value",
            Self::EmptyPoint => "empty_point",
            Self::InvalidHistogram => "invalid_histogram",
            Self::UnsupportedMetric => "unsupported_metric",
            Self::UndecodableItem => "undecodable_item",
            Self::UndecodableValue => "undecodable_value",
        }
    }

    const fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for DropReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How many messages a report keeps (the counters count everything).
pub(crate) const MAX_MESSAGES: usize = 8;

/// How many items (spans, log records or metric data points) mapping calls received, and how
/// many of them they rejected: wrote nothing for. An item that lost a part (an attribute, a
/// tag, an event) but was written is not rejected. This is what an OTLP receiver reports as
/// `partial_success.rejected_spans` / `rejected_log_records` / `rejected_data_points`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ItemCounts {
    /// Items received, including those that could not be decoded.
    pub received: u64,
    /// Items rejected: a span whose `spans` line was not written (it had no ids, could not be
    /// decoded, or the encoder refused its line), a log record whose line was not written, a
    /// data point that wrote no line at all.
    pub rejected: u64,
}

impl ItemCounts {
    /// Counts one item received, rejected unless `written`.
    pub(crate) fn record(&mut self, written: bool) {
        self.received += 1;
        self.rejected += u64::from(!written);
    }

    fn merge(&mut self, other: Self) {
        self.received += other.received;
        self.rejected += other.rejected;
    }
}

/// Counts of what mapping calls wrote and dropped. Reuse one across calls and [`clear`] it, or
/// [`merge`] several. Messages are kept for the first [`MAX_MESSAGES`] drops only, and are only
/// formatted then, so a steady stream of drops costs no allocation.
///
/// Only the mapper records into a report; more counters may be added in a minor release (the
/// struct is `#[non_exhaustive]`).
///
/// [`clear`]: MappingReport::clear
/// [`merge`]: MappingReport::merge
/// [`MAX_MESSAGES`]: MappingReport::MAX_MESSAGES
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct MappingReport {
    /// Lines written.
    pub lines: u64,
    /// Lines written under a measurement name rewritten to satisfy Datalayers' naming rule
    /// (metric names such as `http/server:requests`). Not a drop: the line was written, with
    /// the new name.
    pub renamed_measurements: u64,
    /// Spans received and rejected.
    pub spans: ItemCounts,
    /// Log records received and rejected.
    pub log_records: ItemCounts,
    /// Metric data points received and rejected (exemplars are not data points).
    pub data_points: ItemCounts,
    dropped: [u64; DropReason::ALL.len()],
    messages: Vec<String>,
}

impl MappingReport {
    /// How many messages a report keeps (the counters count everything).
    pub const MAX_MESSAGES: usize = MAX_MESSAGES;

    /// An empty report.
    pub fn new() -> Self {
        Self::default()
    }

    /// Counts one written line.
    pub(crate) fn record_line(&mut self) {
        self.lines += 1;
    }

    /// Counts one line written under a measurement name rewritten for Datalayers (see
    /// [`MappingReport::renamed_measurements`]).
    pub(crate) fn record_renamed_measurement(&mut self) {
        self.renamed_measurements += 1;
    }

    /// Counts one drop; `message` is called only while fewer than [`MAX_MESSAGES`] are kept.
    pub(crate) fn record_drop(&mut self, reason: DropReason, message: impl FnOnce() -> String) {
        self.dropped[reason.index()] += 1;
        if self.messages.len() < MAX_MESSAGES {
            let text = message();
            self.messages.push(format!("{reason}: {text}"));
        }
    }

    /// The counts of `signal`'s items: [`spans`](Self::spans) for traces,
    /// [`log_records`](Self::log_records) for logs, [`data_points`](Self::data_points) for
    /// metrics. What an OTLP receiver answers in `partial_success` for a request of `signal`.
    pub fn items(&self, signal: Signal) -> ItemCounts {
        match signal {
            Signal::Traces => self.spans,
            Signal::Logs => self.log_records,
            Signal::Metrics => self.data_points,
        }
    }

    /// How many drops of `reason`.
    pub fn count(&self, reason: DropReason) -> u64 {
        self.dropped[reason.index()]
    }

    /// All drops, whatever the reason.
    pub fn dropped(&self) -> u64 {
        self.dropped.iter().sum()
    }

    /// True when nothing was dropped.
    pub fn is_clean(&self) -> bool {
        self.dropped() == 0
    }

    /// The reasons with a non-zero count, with their counts.
    pub fn drops(&self) -> impl Iterator<Item = (DropReason, u64)> + '_ {
        DropReason::ALL
            .iter()
            .copied()
            .map(|r| (r, self.count(r)))
            .filter(|&(_, n)| n > 0)
    }

    /// The first few drop messages (`reason: detail`).
    pub fn messages(&self) -> &[String] {
        &self.messages
    }

    /// The first messages joined into one line (`reason: detail; reason: detail`), with the
    /// number of drops not shown; `None` when nothing was dropped. Meant for an OTLP receiver's
    /// `partial_success.error_message`.
    pub fn error_message(&self) -> Option<String> {
        if self.is_clean() {
            return None;
        }
        let mut text = self.messages.join("; ");
        let more = self.dropped() - self.messages.len() as u64;
        if more > 0 {
            use fmt::Write as _;
            let _ = write!(text, " (and {more} more)");
        }
        Some(text)
    }

    /// Adds `other`'s counts (and as many of its messages as fit).
    pub fn merge(&mut self, other: &Self) {
        self.lines += other.lines;
        self.renamed_measurements += other.renamed_measurements;
        self.spans.merge(other.spans);
        self.log_records.merge(other.log_records);
        self.data_points.merge(other.data_points);
        for (mine, theirs) in self.dropped.iter_mut().zip(other.dropped) {
            *mine += theirs;
        }
        let room = MAX_MESSAGES.saturating_sub(self.messages.len());
        self.messages
            .extend(other.messages.iter().take(room).cloned());
    }

    /// Resets every counter and message (keeps the message capacity).
    pub fn clear(&mut self) {
        self.lines = 0;
        self.renamed_measurements = 0;
        self.spans = ItemCounts::default();
        self.log_records = ItemCounts::default();
        self.data_points = ItemCounts::default();
        self.dropped = Default::default();
        self.messages.clear();
    }
}

impl fmt::Display for MappingReport {
    /// `3 lines written, 2 dropped (empty_event: 1, line_rejected: 1)`, plus
    /// `, 1 measurement renamed for Datalayers` when there were renames.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} lines written, {} dropped",
            self.lines,
            self.dropped()
        )?;
        for (i, (reason, n)) in self.drops().enumerate() {
            f.write_str(if i == 0 { " (" } else { ", " })?;
            write!(f, "{reason}: {n}")?;
        }
        if !self.is_clean() {
            f.write_str(")")?;
        }
        let renamed = self.renamed_measurements;
        if renamed > 0 {
            let plural = if renamed == 1 { "" } else { "s" };
            write!(f, ", {renamed} measurement{plural} renamed for Datalayers")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_merges_and_displays() {
        let mut a = MappingReport::new();
        a.record_line();
        a.record_drop(DropReason::EmptyEvent, || "event 0 of span 01".into());
        let mut b = MappingReport::new();
        b.record_line();
        b.record_line();
        b.record_drop(DropReason::LineRejected, || "no tags".into());
        b.record_drop(DropReason::EmptyEvent, || "x".into());
        a.merge(&b);
        assert_eq!(a.lines, 3);
        assert_eq!(a.dropped(), 3);
        assert_eq!(a.count(DropReason::EmptyEvent), 2);
        assert_eq!(
            a.to_string(),
            "3 lines written, 3 dropped (line_rejected: 1, empty_event: 2)"
        );
        assert_eq!(a.messages()[0], "empty_event: event 0 of span 01");
        a.clear();
        assert!(a.is_clean());
        assert_eq!(a.to_string(), "0 lines written, 0 dropped");

        // A rename is counted and shown, but is not a drop.
        let mut renamed = MappingReport::new();
        renamed.record_line();
        renamed.record_renamed_measurement();
        a.merge(&renamed);
        a.merge(&renamed);
        assert_eq!(a.renamed_measurements, 2);
        assert!(a.is_clean());
        assert_eq!(
            a.to_string(),
            "2 lines written, 0 dropped, 2 measurements renamed for Datalayers"
        );
        a.record_drop(DropReason::EmptyPoint, || "x".into());
        assert_eq!(
            a.to_string(),
            "2 lines written, 1 dropped (empty_point: 1), 2 measurements renamed for Datalayers"
        );
        a.clear();
        assert_eq!(a.renamed_measurements, 0);
    }

    #[test]
    fn item_counts_merge_clear_and_an_error_message_sums_up() {
        let mut a = MappingReport::new();
        a.spans.record(true);
        a.spans.record(false);
        a.data_points.record(false);
        assert_eq!(a.error_message(), None, "no drop recorded");
        a.record_drop(DropReason::UndecodableItem, || "spans[1]: bad".into());
        let mut b = a.clone();
        b.log_records.record(true);
        a.merge(&b);
        assert_eq!(
            a.spans,
            ItemCounts {
                received: 4,
                rejected: 2
            }
        );
        assert_eq!(
            a.log_records,
            ItemCounts {
                received: 1,
                rejected: 0
            }
        );
        assert_eq!(a.data_points.rejected, 2);
        assert_eq!(
            a.error_message().unwrap(),
            "undecodable_item: spans[1]: bad; undecodable_item: spans[1]: bad"
        );
        for _ in 0..MAX_MESSAGES {
            a.record_drop(DropReason::EmptyPoint, || "x".into());
        }
        assert!(a.error_message().unwrap().ends_with(" (and 2 more)"));
        a.clear();
        assert_eq!(a, MappingReport::new());
    }

    #[test]
    fn messages_are_capped_and_formatted_lazily() {
        let mut r = MappingReport::new();
        for _ in 0..MAX_MESSAGES {
            r.record_drop(DropReason::NonFiniteValue, || "nan".into());
        }
        r.record_drop(DropReason::NonFiniteValue, || unreachable!("not formatted"));
        assert_eq!(r.messages().len(), MAX_MESSAGES);
        assert_eq!(r.count(DropReason::NonFiniteValue), MAX_MESSAGES as u64 + 1);
    }

    #[test]
    fn names_are_unique_and_indexed_in_order() {
        for (i, &r) in DropReason::ALL.iter().enumerate() {
            assert_eq!(r.index(), i);
        }
        let mut names: Vec<_> = DropReason::ALL.iter().map(|r| r.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), DropReason::ALL.len());
    }
}
